from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback"

    def ready(self):
        from journeys.extensions import register_map_annotator, register_map_link

        from .selectors import annotate_map_scores

        register_map_annotator(
            annotate_map_scores,
            touchpoint_template="feedback/_touchpoint_scores.html",
            stage_template="feedback/_stage_scores.html",
        )
        register_map_link("Scores", "feedback:map_scores")

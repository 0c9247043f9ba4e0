from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self):
        from journeys.extensions import register_map_annotator, register_map_link

        from .cards import stage_scores_html, touchpoint_scores_html
        from .selectors import annotate_map_scores

        register_map_annotator(
            annotate_map_scores, touchpoint_html=touchpoint_scores_html, stage_html=stage_scores_html
        )
        register_map_link(_("Scores"), "feedback:map_scores")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self):
        from corsheaders.signals import check_request_enabled
        from django.utils.translation import pgettext_lazy

        from customers.extensions import register_erasure_handler, register_export_source, register_timeline_source

        from .public import cors_origin_allowed

        check_request_enabled.connect(cors_origin_allowed, dispatch_uid="feedback.cors")
        from journeys.extensions import register_map_annotator, register_map_link

        from . import privacy
        from .cards import map_scores_as_of_html, stage_scores_html, touchpoint_scores_html
        from .selectors import annotate_map_scores

        register_map_annotator(
            annotate_map_scores,
            touchpoint_html=touchpoint_scores_html,
            stage_html=stage_scores_html,
            map_html=map_scores_as_of_html,
        )
        register_erasure_handler(privacy.erase)
        register_export_source(privacy.export)
        from . import timeline

        register_timeline_source(
            timeline.profile_items,
            labels={
                "response": pgettext_lazy("timeline", "Answer"),
                "followup": pgettext_lazy("timeline", "Follow-up"),
            },
        )
        register_map_link(_("Scores"), "feedback:map_scores")
        from journeys.extensions import register_portfolio_figure

        from . import portfolio

        register_portfolio_figure("nps", label=_("NPS (90 days)"), fn=portfolio.map_nps, unit="points")
        register_portfolio_figure("csat", label=_("CSAT (90 days)"), fn=portfolio.map_csat, unit="%")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Journey analytics drawn from the map: funnels, paths, cohorts, retention and moments."""

    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self):
        from journeys.extensions import register_map_annotator, register_map_link

        from .map_stats import annotate_stage_stats, stage_stats_html

        register_map_annotator(annotate_stage_stats, stage_html=stage_stats_html, wants_options=True)
        register_map_link(_("Conversion funnel"), "analytics:map_funnel")
        register_map_link(_("Paths"), "analytics:map_paths")

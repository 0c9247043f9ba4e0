from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperimentsConfig(AppConfig):
    name = "experiments"
    verbose_name = _("Experiments")

    def ready(self) -> None:
        from journeys.extensions import register_health_check, register_map_annotator

        from .journey import annotate_map_with_experiments, experiments_html, severe_pain_points_without_experiment

        register_map_annotator(
            annotate_map_with_experiments, touchpoint_html=experiments_html, stage_html=experiments_html
        )
        register_health_check(severe_pain_points_without_experiment)

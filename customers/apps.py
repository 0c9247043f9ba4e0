from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from journeys.extensions import register_map_annotator

        from . import rules  # noqa: F401  (connects the rule cache's invalidation)
        from .cards import annotate_map_customers, stage_customers_html, touchpoint_tracking_html

        register_map_annotator(
            annotate_map_customers, touchpoint_html=touchpoint_tracking_html, stage_html=stage_customers_html
        )

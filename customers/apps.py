from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from .public import cors_origin_allowed

        check_request_enabled.connect(cors_origin_allowed, dispatch_uid="customers.cors")
        from journeys.extensions import register_map_annotator
        from personas.extensions import register_rules_changed_handler

        from . import rules  # noqa: F401  (connects the rule cache's invalidation)
        from .persona_assign import on_rules_changed

        register_rules_changed_handler(on_rules_changed)
        from .cards import annotate_map_customers, stage_customers_html, touchpoint_tracking_html

        register_map_annotator(
            annotate_map_customers, touchpoint_html=touchpoint_tracking_html, stage_html=stage_customers_html
        )

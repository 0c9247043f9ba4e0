from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from .public import cors_origin_allowed

        check_request_enabled.connect(cors_origin_allowed, dispatch_uid="customers.cors")
        from journeys.extensions import register_map_annotator, register_map_link, register_map_option
        from personas.extensions import register_rules_changed_handler

        from . import (
            overlay,
            rules,  # noqa: F401  (connects the rule cache's invalidation)
        )
        from .cards import stage_customers_html

        register_map_option(
            overlay.OPTION,
            label=_("Tracking period"),
            choices=overlay.OPTION_CHOICES,
            default=str(overlay.DEFAULT_PERIOD),
        )
        register_map_annotator(
            overlay.annotate_map_overlay,
            touchpoint_html=overlay.touchpoint_overlay_html,
            stage_html=stage_customers_html,
            map_html=overlay.overlay_as_of_html,
            wants_options=True,
        )
        register_map_link(_("Unmapped events"), "customers:unmapped_events")
        from journeys.extensions import register_portfolio_figure

        from . import portfolio

        register_portfolio_figure(
            "customers_in_journey", label=_("Customers in the journey"), fn=portfolio.customers_in_journey
        )
        register_portfolio_figure("conversion", label=_("Converted"), fn=portfolio.conversion, unit="%")
        from .persona_assign import on_rules_changed

        register_rules_changed_handler(on_rules_changed)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The receivers' id: a test that measures a sender alone disconnects them by it.
DELIVERIES = "webhooks.deliveries"


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        from teams.signals import domain_event, domain_event_needs_transaction
        from teams.templatetags.wm_nav import TEAM_TABS, TeamTab

        from . import services

        domain_event.connect(services.on_domain_event, dispatch_uid=DELIVERIES)
        domain_event_needs_transaction.connect(services.on_needs_transaction, dispatch_uid=DELIVERIES)
        tab = TeamTab("webhooks", _("Webhooks"), "webhooks:list", admins_only=True)
        if tab not in TEAM_TABS:
            TEAM_TABS.append(tab)

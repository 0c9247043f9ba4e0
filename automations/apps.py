from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = _("Automations")

    def ready(self) -> None:
        from customers.extensions import register_match_hook, register_timeline_source
        from teams.signals import domain_event

        from . import engine, timeline

        register_match_hook(engine.on_match)
        domain_event.connect(engine.on_response, dispatch_uid="automations.survey_trigger")
        register_timeline_source(timeline.automation_actions, labels={"automation": timeline.KIND_LABEL})

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationsConfig(AppConfig):
    name = "automations"
    verbose_name = _("Automations")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from customers.extensions import register_arrival_hook, register_match_hook, register_timeline_source
        from experiments.extensions import register_log_section
        from owners.extensions import register_sla_sweep
        from teams.signals import domain_event
        from teams.templatetags.wm_nav import NAV

        from . import engine, log, services, timeline
        from .models import Automation

        register_match_hook(engine.on_match)
        register_arrival_hook(engine.arrival_events, engine.on_arrival)
        domain_event.connect(engine.on_response, dispatch_uid="automations.survey_trigger")
        post_save.connect(
            engine.active_automations_forget, sender=Automation, dispatch_uid="automations.triggers-saved"
        )
        post_delete.connect(
            engine.active_automations_forget, sender=Automation, dispatch_uid="automations.triggers-deleted"
        )
        register_log_section(log.automations_in_log)
        register_sla_sweep(services.owner_tasks_sweep)
        register_timeline_source(timeline.automation_actions, labels={"automation": timeline.KIND_LABEL})
        if not any(name == "automations:list" for _label, name in NAV):
            after = next((i + 1 for i, (_label, name) in enumerate(NAV) if name == "experiments:list"), len(NAV))
            NAV.insert(after, (_("Automations"), "automations:list"))

"""Background work of the feedback app: the follow-up SLA sweep."""

from celery import shared_task

from . import services


@shared_task(name="feedback.tasks.followup_sla_sweep")
def followup_sla_sweep() -> dict:
    """Record follow-ups that missed their SLA, email their owners, escalate to team admins."""
    return services.followups_sweep()

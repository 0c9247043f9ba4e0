"""Background work of the feedback app: the follow-up SLA sweep and the orphaned answers' sweep."""

from celery import shared_task

from . import services


@shared_task(name="feedback.tasks.followup_sla_sweep")
def followup_sla_sweep() -> dict:
    """Record follow-ups that missed their SLA, email their owners, escalate to team admins."""
    return services.followups_sweep()


@shared_task(name="feedback.tasks.orphans_sweep")
def orphans_sweep() -> dict:
    """Clear answers left behind by a delete that raced their insert (``services.orphans_sweep``)."""
    return services.orphans_sweep()

"""Periodic work of owners: the SLA sweep (scheduled by CELERY_BEAT_SCHEDULE["sla-sweep"])."""

from celery import shared_task

from . import services


@shared_task(name="owners.tasks.sla_sweep", ignore_result=False)
def sla_sweep() -> dict:
    """Record overdue hand-off cases, notify their owners and escalate to team admins."""
    result = services.handoff_cases_sweep()
    return {"breached": result.breached, "escalated": result.escalated, "notified": result.notified}

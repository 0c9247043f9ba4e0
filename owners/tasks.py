"""Periodic work of owners: the SLA sweep (scheduled by CELERY_BEAT_SCHEDULE["sla-sweep"])."""

from celery import shared_task

from . import services


@shared_task(name="owners.tasks.sla_sweep", ignore_result=False)
def sla_sweep() -> dict:
    """Record overdue hand-off cases (and other apps' owner work), notify the owners, escalate to team admins."""
    result = services.sla_sweep()
    return {"breached": result.breached, "escalated": result.escalated, "notified": result.notified}

"""Background work of the feedback app: the follow-up SLA sweep, the map page's stored scores."""

from celery import shared_task

from . import services, stats


@shared_task(name="feedback.tasks.followup_sla_sweep")
def followup_sla_sweep() -> dict:
    """Record follow-ups that missed their SLA, email their owners, escalate to team admins."""
    return services.followups_sweep()


@shared_task(name="feedback.tasks.map_scores_refresh_all", ignore_result=True)
def map_scores_refresh_all() -> int:
    """Store every map's score sums of the last 90 days for the map page."""
    return stats.map_scores_refresh_all()


@shared_task(name="feedback.tasks.rollup_refresh", ignore_result=True)
def rollup_refresh() -> int:
    """Bring the statistics' stored daily sums up to date (feedback/rollup.py)."""
    from . import rollup

    return rollup.rollup_refresh()

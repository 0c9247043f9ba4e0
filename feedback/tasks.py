"""Background work of the feedback app: tagging themes on arrival and the follow-up SLA sweep."""

from celery import shared_task

from . import services


@shared_task(name="feedback.tasks.tag_response_themes", ignore_result=True)
def tag_response_themes(response_id: int) -> None:
    """Tag a new or changed response with its team's themes (enqueued after commit)."""
    services.response_tag_auto(response_id=response_id)


@shared_task(name="feedback.tasks.followup_sla_sweep")
def followup_sla_sweep() -> dict:
    """Record follow-ups that missed their SLA, email their owners, escalate to team admins."""
    return services.followups_sweep()

from celery import shared_task

from . import stages


@shared_task(ignore_result=True)
def events_match(event_ids: list[int]) -> int:
    """Move the profiles of newly stored events between stages."""
    return stages.events_match(event_ids=event_ids)

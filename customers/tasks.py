from celery import shared_task
from django.db import OperationalError

from . import persona_assign, services, stages


@shared_task(ignore_result=True)
def events_match(event_ids: list[int]) -> int:
    """Move the profiles of newly stored events between stages."""
    return stages.events_match(event_ids=event_ids)


@shared_task(ignore_result=True)
def events_match_due() -> int:
    """Match the events whose task never ran (broker down when they came, or a worker killed)."""
    return stages.events_match_due()


@shared_task(ignore_result=True)
def events_retention_sweep() -> int:
    """Delete events older than their team's retention period."""
    return services.events_retention_sweep()


@shared_task(ignore_result=True)
def rollup_rebuild(journey_map_id: int) -> int:
    """Recount a map's overlay roll-up after its tracking rules changed."""
    return stages.rollup_rebuild(journey_map_id=journey_map_id)


@shared_task(ignore_result=True)
def event_partitions_ensure() -> list[str]:
    """Create the coming months' event partitions (PostgreSQL; nothing on SQLite)."""
    return services.event_partitions_ensure()


@shared_task(ignore_result=True, autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True)
def profiles_persona_assign(team_id: int) -> int:
    """Reassign the team's profiles to personas after its persona rules changed (idempotent).

    Retried on a database error (a deadlock with a concurrent identify): it starts over, which is safe.
    """
    return persona_assign.profiles_persona_assign(team_id=team_id)

import time
import weakref

from celery import shared_task
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.db import OperationalError

from . import clickhouse, overlay, persona_assign, services, stages
from .clickhouse import sync

# Stored events wait for matching on a Redis list, drained by one task at a time in chunks, so a
# burst of requests costs one RPUSH each instead of one Celery message each. The flag says a drain
# task is queued or running: a request sends one only when it finds none (SET NX). The drain keeps
# the flag while it works and until the list has been empty for MATCH_IDLE_SECONDS; then it clears
# the flag and pops once more, so ids pushed before that find the last pop, and ids pushed after it
# find the flag gone and queue the next drain.
MATCH_QUEUE = "customers:match:queue"
MATCH_SCHEDULED = "customers:match:scheduled"
# A drain lost by the broker or killed holds the flag this long at most (refreshed after each
# chunk); the sweep (events_match_due) matches its events.
MATCH_SCHEDULED_TTL = 30
# Each chunk's statements cost the same whatever its size: larger chunks let one drain keep up
# with a faster ingestion, at the price of a longer transaction per chunk.
MATCH_CHUNK = 2000
MATCH_IDLE_SECONDS = 1.0


# Building a client fills its table of response callbacks, a cost every stored event's request paid
# again: one client per cache backend (as teams.ratelimit keeps its script's), sharing the backend's
# connection pool all the same.
_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _redis_client():
    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    client = _clients.get(backend._cache)
    if client is None:
        client = _clients[backend._cache] = backend._cache.get_client(write=True)
    return client


def events_match_enqueue(event_ids: list[int]) -> None:
    """Have the events matched to stages soon: onto the Redis list, or one task of their own without Redis.

    Raises when neither Redis nor the broker takes them; the events are then matched by the sweep.
    """
    client = _redis_client()
    if client is None:
        events_match.delay(event_ids)
        return
    pipe = client.pipeline(transaction=False)
    pipe.rpush(MATCH_QUEUE, *event_ids)
    pipe.set(MATCH_SCHEDULED, 1, nx=True, ex=MATCH_SCHEDULED_TTL)
    _length, first = pipe.execute()
    if first:
        try:
            events_match_queued.delay()
        except Exception:
            client.delete(MATCH_SCHEDULED)  # so the next request tries to queue the drain again
            raise


def events_match_drain(*, chunk: int = MATCH_CHUNK, idle: float = MATCH_IDLE_SECONDS) -> int:
    """Pop the queued event ids and match them, ``chunk`` at a time; return the transitions recorded.

    Runs until the list has stayed empty for ``idle`` seconds (under steady load one drain runs on
    and requests send no task). Each id is popped by one drain only (``LPOP`` is atomic), and
    matching skips events already matched, so an id queued twice, or matched by the sweep
    meanwhile, records nothing twice.
    """
    client = _redis_client()
    if client is None:
        return 0
    recorded = 0
    empty_since = None
    while True:
        raw = client.lpop(MATCH_QUEUE, chunk)
        if raw:
            empty_since = None
            recorded += stages.events_match(event_ids=sorted({int(value) for value in raw}))
            client.expire(MATCH_SCHEDULED, MATCH_SCHEDULED_TTL)
            continue
        now = time.monotonic()
        empty_since = empty_since if empty_since is not None else now
        if now - empty_since < idle:
            time.sleep(min(0.05, idle))
            continue
        client.delete(MATCH_SCHEDULED)
        raw = client.lpop(MATCH_QUEUE, chunk)  # pushed between the last pop and the flag's removal
        if not raw:
            return recorded
        recorded += stages.events_match(event_ids=sorted({int(value) for value in raw}))
        if not client.set(MATCH_SCHEDULED, 1, nx=True, ex=MATCH_SCHEDULED_TTL):
            return recorded  # a request has queued the next drain meanwhile
        empty_since = None


# Events an arrival hook wants (``extensions.arrival_hooks``: automations' "did an event" triggers)
# also go on a list of their own, drained by short tasks apart from the matching, so a trigger waits
# for its own few events, never behind the matching's backlog. The flag works as the matching's,
# except that a drain ends as soon as the list is empty: it shares the worker with the sends.
ARRIVE_QUEUE = "customers:arrive:queue"
ARRIVE_SCHEDULED = "customers:arrive:scheduled"
ARRIVE_CHUNK = 500
# With no worker on the arrival drain's queue the list would only grow: it keeps the newest ids
# (the matching gives every event to the match hooks anyway).
ARRIVE_MAX = 100_000


def events_arrive_enqueue(event_ids: list[int]) -> None:
    """Have the arrival hooks see the events soon: onto the Redis list, or one task of their own."""
    client = _redis_client()
    if client is None:
        events_arrive.delay(event_ids)
        return
    pipe = client.pipeline(transaction=False)
    pipe.rpush(ARRIVE_QUEUE, *event_ids)
    pipe.ltrim(ARRIVE_QUEUE, -ARRIVE_MAX, -1)
    pipe.set(ARRIVE_SCHEDULED, 1, nx=True, ex=MATCH_SCHEDULED_TTL)
    _length, _trimmed, first = pipe.execute()
    if first:
        try:
            events_arrive_queued.delay()
        except Exception:
            client.delete(ARRIVE_SCHEDULED)
            raise


def events_arrive_drain(*, chunk: int = ARRIVE_CHUNK) -> int:
    """Pop the queued ids and give their events to the arrival hooks until the list is empty; return the events.

    Ids popped by a drain that dies are not retried here: the matching gives the same events to the
    match hooks, which enrol what the arrival hooks missed (the enrolment key makes it once).
    """
    client = _redis_client()
    if client is None:
        return 0
    seen = 0
    while True:
        raw = client.lpop(ARRIVE_QUEUE, chunk)
        if raw:
            seen += stages.events_arrive(event_ids=sorted({int(value) for value in raw}))
            client.expire(ARRIVE_SCHEDULED, MATCH_SCHEDULED_TTL)
            continue
        client.delete(ARRIVE_SCHEDULED)
        raw = client.lpop(ARRIVE_QUEUE, chunk)  # pushed between the last pop and the flag's removal
        if not raw:
            return seen
        seen += stages.events_arrive(event_ids=sorted({int(value) for value in raw}))
        if not client.set(ARRIVE_SCHEDULED, 1, nx=True, ex=MATCH_SCHEDULED_TTL):
            return seen  # a request has queued the next drain meanwhile


@shared_task(ignore_result=True)
def events_arrive(event_ids: list[int]) -> int:
    """Give newly stored events to the arrival hooks (without Redis)."""
    return stages.events_arrive(event_ids=event_ids)


@shared_task(ignore_result=True)
def events_arrive_queued() -> int:
    """Give the events queued on the arrival list to the arrival hooks (``events_arrive_enqueue``)."""
    return events_arrive_drain()


@shared_task(ignore_result=True)
def events_match(event_ids: list[int]) -> int:
    """Move the profiles of newly stored events between stages."""
    return stages.events_match(event_ids=event_ids)


@shared_task(ignore_result=True)
def events_match_queued() -> int:
    """Match the events queued on the Redis list (``events_match_enqueue``)."""
    return events_match_drain()


@shared_task(ignore_result=True)
def events_match_due() -> int:
    """Match the events whose task never ran (broker down when they came, or a worker killed)."""
    return stages.events_match_due()


@shared_task(ignore_result=True)
def events_retention_sweep() -> int:
    """Delete events older than their team's retention period (in ClickHouse too, when it serves them)."""
    deleted = services.events_retention_sweep()
    if clickhouse.enabled():
        sync.retention_apply(clickhouse.get_client(), cluster=clickhouse.cluster())
    return deleted


@shared_task(ignore_result=True)
def clickhouse_ship() -> dict:
    """Copy the events and identities stored since the last run into ClickHouse (beat, every 10 s)."""
    if not clickhouse.enabled():
        return {}
    return sync.ship(clickhouse.get_client())


# ClickHouse may be down when a person is erased: the deletion is retried until it is done.
@shared_task(
    ignore_result=True, autoretry_for=(Exception,), max_retries=None, retry_backoff=True, retry_backoff_max=900
)
def clickhouse_erase(team_id: int, identity_ids: list[int]) -> None:
    """Delete an erased person's events and identities from ClickHouse."""
    if clickhouse.enabled():
        sync.erase(clickhouse.get_client(), team_id=team_id, identity_ids=identity_ids, cluster=clickhouse.cluster())


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


@shared_task(ignore_result=True)
def overlay_stats_refresh_all() -> int:
    """Store every instrumented map's overlay counts for the map page (events, customers, daily)."""
    return overlay.overlay_stats_refresh_all()

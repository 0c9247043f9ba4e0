"""Monthly partitions of ``customers_event`` on PostgreSQL: create them ahead, list them, drop one.

Migration 0006 turns the table into ``PARTITION BY RANGE ("timestamp")`` with a DEFAULT partition,
so an event whose month has no partition yet is still stored. ``partitions_ensure`` (the beat task
``customers.tasks.event_partitions_ensure``) creates the current month and
``CUSTOMERS_EVENT_PARTITIONS_AHEAD`` months after it, and a partition for every month that has rows
waiting in DEFAULT (a history import, a late batch), moving those rows into it. Retention drops a
whole month with ``partition_drop`` when every team's period allows it (``services``).

Months are calendar months in UTC. On SQLite the table stays plain and everything here is a no-op.

No library: django-postgres-extra (psqlextra) is the maintained one, but it needs its own database
backend (``psqlextra.backend``) for every connection, its own model base class and migration
operations that only run on PostgreSQL — the embedded SQLite default would break — and it neither
converts an existing table nor moves DEFAULT rows nor knows the message-id claims; pg_partman is
an extension this project's PostgreSQL (the Debian package, managed hosts) cannot count on. What is
needed is a few statements, kept here.
"""

from __future__ import annotations

# SQL here is composed from this module's table names and Django's model metadata (no input
# reaches it), since DDL takes no parameters; values go through parameters where they can.
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, models, transaction
from django.db.models.deletion import get_candidate_relations_to_delete
from django.utils import timezone

logger = logging.getLogger(__name__)

TABLE = "customers_event"
DEFAULT = "customers_event_default"
# (source_id, message_id) claimed by stored events: deduplication on a partitioned table, whose
# unique indexes must include the partition key (migration 0006 creates it and its triggers).
CLAIMS = "customers_event_message_id"
# How long partition work waits for a lock before giving up until the next run, so a long query
# on the events never queues ingestion behind a waiting DDL statement.
LOCK_TIMEOUT = "5s"

_BOUND = re.compile(r"FROM \('(?P<start>[^']+)'\) TO \('(?P<end>[^']+)'\)")


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime | None  # None for DEFAULT
    end: datetime | None
    rows_estimate: int  # pg_class.reltuples: as of the last VACUUM/ANALYZE, -1 when never analysed

    @property
    def is_default(self) -> bool:
        return self.start is None


def is_partitioned() -> bool:
    """True when ``customers_event`` is a partitioned table (PostgreSQL after migration 0006)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def month_of(moment: datetime) -> datetime:
    """The first instant (UTC) of the calendar month holding ``moment``."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def months_after(month: datetime, count: int) -> datetime:
    index = month.year * 12 + month.month - 1 + count
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(month: datetime) -> str:
    return f"{TABLE}_{month:%Y_%m}"


def _literal(moment: datetime) -> str:
    # Our own datetimes, formatted by us: safe to put in DDL, which takes no parameters.
    return "'" + moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00") + "'"


def _parse_bound(text: str) -> datetime:
    # pg_get_expr shows the bound in the session's time zone (Django sets UTC): "2026-12-01 00:00:00+00".
    text = text.strip()
    if re.search(r"[+-]\d\d$", text):
        text += ":00"
    return datetime.fromisoformat(text).astimezone(UTC)


def partitions_list() -> list[Partition]:
    """The partitions of ``customers_event``, by month, DEFAULT last; empty when not partitioned."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples::bigint
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = %s::regclass
            """,
            [TABLE],
        )
        rows = cursor.fetchall()
    result = []
    for name, bound, estimate in rows:
        match = _BOUND.search(bound or "")
        if match:
            result.append(Partition(name, _parse_bound(match["start"]), _parse_bound(match["end"]), estimate))
        else:
            result.append(Partition(name, None, None, estimate))
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(result, key=lambda p: (p.start or far, p.name))


def _lock_timeout(cursor) -> None:
    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


def partition_create(*, month: datetime) -> bool:
    """Create the partition of ``month`` unless there is one; return whether it was created.

    Rows of that month waiting in DEFAULT move into it. The partition is built as a plain table,
    filled from DEFAULT and then attached: ATTACH needs only a SHARE UPDATE EXCLUSIVE lock on the
    parent, so ingestion goes on meanwhile (``CREATE TABLE … PARTITION OF`` would block it), and the
    moved rows keep their message-id claims (they never pass the parent's insert trigger, which
    would take them for duplicates).
    """
    month = month_of(month)
    end = months_after(month, 1)
    if any(p.start is not None and p.start < end and month < p.end for p in partitions_list()):
        return False
    name = partition_name(month)
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_timeout(cursor)
        # Parent first, then DEFAULT, always in this order: ingestion (ROW EXCLUSIVE) goes on, and
        # an insert routed to DEFAULT waits for us instead of slipping a row of this month in.
        cursor.execute(f"LOCK TABLE {TABLE} IN SHARE UPDATE EXCLUSIVE MODE")
        cursor.execute(f"LOCK TABLE {DEFAULT} IN ACCESS EXCLUSIVE MODE")
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is not None:
            return False
        cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        in_month = '"timestamp" >= %s AND "timestamp" < %s'
        move = f"WITH moved AS (DELETE FROM {DEFAULT} WHERE {in_month} RETURNING *)"  # noqa: S608
        cursor.execute(f"{move} INSERT INTO {name} SELECT * FROM moved", [month, end])  # noqa: S608
        moved = cursor.rowcount
        cursor.execute(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM ({_literal(month)}) TO ({_literal(end)})"
        )
    logger.info("customers: created event partition %s (%d rows moved from DEFAULT)", name, moved)
    return True


def partitions_ensure(*, now: datetime | None = None, ahead: int | None = None) -> list[str]:
    """Create the partitions of this month, the ``ahead`` next ones and the months waiting in DEFAULT.

    Months in DEFAULT older than ``CUSTOMERS_PAST_TOLERANCE_DAYS`` or beyond the months ahead stay
    there (events flagged ``timestamp_past`` / ``timestamp_future``): a partition each would be
    many small tables for a few odd rows. Return the names created. A month whose lock is not
    granted in time is left for the next run.
    """
    if not is_partitioned():
        return []
    now = now or timezone.now()
    ahead = settings.CUSTOMERS_EVENT_PARTITIONS_AHEAD if ahead is None else ahead
    first = month_of(now)
    months = {months_after(first, i) for i in range(ahead + 1)}
    earliest = month_of(now - timedelta(days=settings.CUSTOMERS_PAST_TOLERANCE_DAYS))
    with connection.cursor() as cursor:
        waiting = f"""SELECT DISTINCT date_trunc('month', "timestamp" AT TIME ZONE 'UTC') FROM {DEFAULT}"""  # noqa: S608
        window = [earliest, months_after(first, ahead + 1)]
        cursor.execute(waiting + ' WHERE "timestamp" >= %s AND "timestamp" < %s', window)
        months |= {month.replace(tzinfo=UTC) for (month,) in cursor.fetchall()}
    created = []
    for month in sorted(months):
        try:
            if partition_create(month=month):
                created.append(partition_name(month))
        except OperationalError:
            logger.warning("customers: event partition for %s not created; next run", f"{month:%Y-%m}", exc_info=True)
    return created


def partition_drop(*, month: datetime) -> int:
    """Drop the partition of ``month`` with its events; return how many events went.

    What a row-by-row DELETE would do is done for the whole month first: the message-id claims of
    its events are released (a messageId sent again is stored again, as after a batched delete),
    and rows pointing at its events are unlinked (``SET_NULL``, as Django's delete does).
    """
    from .models import Event

    month = month_of(month)
    partition = next((p for p in partitions_list() if p.start == month), None)
    if partition is None:
        return 0
    name = partition.name
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_timeout(cursor)
        # DROP needs ACCESS EXCLUSIVE on the parent; take it first, so the claims released below
        # and the rows dropped are the same (no insert into this month can come between).
        cursor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        # Every relation a Django delete would follow, hidden ones (related_name="+") included.
        for relation in get_candidate_relations_to_delete(Event._meta):
            if relation.on_delete is models.DO_NOTHING:
                continue
            if relation.on_delete is not models.SET_NULL:
                raise RuntimeError(f"partition_drop cannot apply {relation.on_delete.__name__} for {relation}")
            related = relation.related_model._meta.db_table
            column = relation.field.column
            cursor.execute(f'UPDATE {related} SET "{column}" = NULL WHERE "{column}" IN (SELECT id FROM {name})')  # noqa: S608
        same_key = "c.source_id = e.source_id AND c.message_id = e.message_id"
        cursor.execute(f"DELETE FROM {CLAIMS} c USING {name} e WHERE {same_key}")  # noqa: S608
        dropped = cursor.rowcount  # one claim per stored event
        # Deferred foreign-key checks of rows written earlier in this transaction (tests, a caller's
        # atomic block) must run before their table can go; the sweep's own transaction has none.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"DROP TABLE {name}")
    logger.info("customers: dropped event partition %s (%d events)", name, dropped)
    return dropped

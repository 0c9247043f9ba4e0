"""Copying events and identities from PostgreSQL into ClickHouse, and keeping erasure and retention there.

Each table is shipped behind a ``ClickHouseCursor`` (the highest id copied), in batches, in this
order: new identities, identities moved by merges, then events, so an event never arrives before
the identity that names its person. A batch is inserted first and the cursor advanced after, in
the transaction that holds the cursor's row lock (one shipper at a time):

- the worker or the connection dies before the insert: the cursor has not moved, the batch goes again;
- it dies after the insert, before the cursor commits: the batch goes again, and the copies
  collapse (``ReplacingMergeTree`` on the message id; queries keep one row per event id meanwhile).

So no event is lost and none is counted twice. Only events received more than ``LAG`` ago are
shipped: an ingesting transaction holds ids it has not committed yet, and a cursor that moved
past them would skip them; ingestion commits within a request, far inside the lag.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from customers.models import ClickHouseCursor, Event, Identity, PrivacySettings, ProfileMerge

from .schema import EVENT_COLUMNS, IDENTITY_COLUMNS

LAG = timedelta(seconds=30)
BATCH = 5000
EVENT_NAMES = [name for name, _kind in EVENT_COLUMNS]
IDENTITY_NAMES = [name for name, _kind in IDENTITY_COLUMNS]


def _when(moment: datetime | None) -> str:
    return (moment or datetime(1970, 1, 1, tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _json(value) -> str:
    return value if isinstance(value, str) else json.dumps(value or {}, ensure_ascii=False, separators=(",", ":"))


def _version() -> int:
    return time.time_ns() // 1000


def _cursor(name: str) -> ClickHouseCursor:
    ClickHouseCursor.objects.get_or_create(name=name)
    return ClickHouseCursor.objects.select_for_update().get(name=name)


def _advance(cursor: ClickHouseCursor, position: int) -> None:
    cursor.position = position
    cursor.updated_at = timezone.now()
    cursor.save(update_fields=["position", "updated_at"])


def event_rows(events, retention: dict[int, int], version: int) -> list[list]:
    """Return ``events`` (value tuples, see ``_event_batch``) as rows of the ClickHouse table."""
    rows = []
    for pk, team, profile, identity, source, message, type_, name, path, ts, received, props, ctx in events:
        rows.append(
            [
                team,
                profile,
                identity,
                pk,
                source,
                message,
                type_,
                name,
                path,
                _when(ts),
                _when(received),
                _json(props),
                _json(ctx),
                retention.get(team, 0),
                version,
            ]
        )
    return rows


def _event_batch(after: int, size: int, before: datetime | None):
    events = Event.objects.filter(pk__gt=after)
    if before is not None:
        events = events.filter(received_at__lt=before)
    # The JSON columns as the database's own text: no decoding and encoding again on the way.
    events = events.annotate(props=Cast("properties", TextField()), ctx=Cast("context", TextField()))
    return list(
        events.order_by("pk").values_list(
            "pk",
            "team_id",
            "identity__profile_id",
            "identity_id",
            "source_id",
            "message_id",
            "type",
            "event",
            "path",
            "timestamp",
            "received_at",
            "props",
            "ctx",
        )[:size]
    )


def _ship_identities(client, size: int) -> int:
    with transaction.atomic():
        cursor = _cursor("identities")
        rows = list(
            Identity.objects.filter(pk__gt=cursor.position)
            .order_by("pk")
            .values_list("pk", "team_id", "profile_id")[:size]
        )
        version = _version()
        client.insert_rows(
            f"{client.database}.identities",
            IDENTITY_NAMES,
            [[team, pk, profile, version] for pk, team, profile in rows],
        )
        if rows:
            _advance(cursor, rows[-1][0])
    return len(rows)


def _ship_merges(client, size: int) -> int:
    """Re-ship the identities of the profiles that absorbed others (their new owner wins by version)."""
    with transaction.atomic():
        cursor = _cursor("merges")
        merges = list(
            ProfileMerge.objects.filter(pk__gt=cursor.position, status=ProfileMerge.Status.MERGED)
            .order_by("pk")
            .values_list("pk", "into_profile_id")[:size]
        )
        if not merges:
            return 0
        version = _version()
        moved = Identity.objects.filter(profile_id__in={into for _pk, into in merges}).values_list(
            "pk", "team_id", "profile_id"
        )
        client.insert_rows(
            f"{client.database}.identities",
            IDENTITY_NAMES,
            [[team, pk, profile, version] for pk, team, profile in moved],
        )
        _advance(cursor, merges[-1][0])
    return len(merges)


def _ship_events(client, size: int, lag: timedelta | None) -> int:
    before = timezone.now() - lag if lag is not None else None
    with transaction.atomic():
        cursor = _cursor("events")
        batch = _event_batch(cursor.position, size, before)
        if not batch:
            return 0
        retention = dict(
            PrivacySettings.objects.filter(retention_days__isnull=False).values_list("team_id", "retention_days")
        )
        client.insert_rows(f"{client.database}.events", EVENT_NAMES, event_rows(batch, retention, _version()))
        _advance(cursor, batch[-1][0])
    return len(batch)


def ship(client, *, batch_size: int = BATCH, lag: timedelta | None = LAG, batches: int = 20) -> dict:
    """Copy what is new since the cursors, at most ``batches`` batches of each; return the counts."""
    counts = {"identities": 0, "merges": 0, "events": 0}
    for name, step in (
        ("identities", lambda: _ship_identities(client, batch_size)),
        ("merges", lambda: _ship_merges(client, batch_size)),
        ("events", lambda: _ship_events(client, batch_size, lag)),
    ):
        for _ in range(batches):
            done = step()
            counts[name] += done
            if done < batch_size:
                break
    return counts


def backfill(client, *, batch_size: int = 50000, progress=None) -> dict:
    """Copy every stored event (and identity) up to now; resumable: it starts where the cursors are."""
    totals = {"identities": 0, "merges": 0, "events": 0}
    while True:
        counts = ship(client, batch_size=batch_size, lag=LAG, batches=1)
        for key, value in counts.items():
            totals[key] += value
        if progress:
            progress(totals)
        if not any(counts.values()):
            return totals


def _delete(client, table: str, where: str, params: dict, cluster: str) -> None:
    if cluster:
        local = "events_local" if table == "events" else table
        client.command(f"ALTER TABLE {client.database}.{local} ON CLUSTER {cluster} DELETE WHERE {where}", params)
    else:
        client.command(
            f"ALTER TABLE {client.database}.{table} DELETE WHERE {where} SETTINGS mutations_sync = 1", params
        )


def erase(client, *, team_id: int, identity_ids: list[int], cluster: str = "") -> None:
    """Delete the events of erased identities, and the identities, from ClickHouse."""
    if not identity_ids:
        return
    params = {"team": team_id, "ids": list(identity_ids)}
    where = "team_id = {team:UInt64} AND has({ids:Array(UInt64)}, identity_id)"
    _delete(client, "events", where, params, cluster)
    _delete(client, "identities", where, params, cluster)


def retention_apply(client, *, now: datetime | None = None, cluster: str = "") -> int:
    """Delete the events older than each team's retention period (the TTL does it for rows shipped
    under the current period; this covers a period shortened since); return the teams swept."""
    now = now or timezone.now()
    teams = PrivacySettings.objects.filter(retention_days__isnull=False).values_list("team_id", "retention_days")
    count = 0
    for team_id, days in teams:
        params = {"team": team_id, "cutoff": _when(now - timedelta(days=days))}
        where = "team_id = {team:UInt64} AND timestamp < toDateTime64({cutoff:String}, 6, 'UTC')"
        _delete(client, "events", where, params, cluster)
        count += 1
    return count

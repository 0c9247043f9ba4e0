"""Migration 0006 on a populated database: every event, its id and its links survive, both ways.

The database is migrated back to 0005 (a plain table), events are written with that layout
through the historical app registry, and it is migrated forward (partitioned), back and forward.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from customers import partitions, services
from customers.models import Event, Source, TraitChange

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: on SQLite the migration changes no table"
    ),
    pytest.mark.django_db(transaction=True),
]

BEFORE = [("customers", "0005_erasure_privacy_labels")]


def _migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


def _migrate_to_latest() -> None:
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _relkind() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = 'customers_event'::regclass")
        return cursor.fetchone()[0]


def _rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute('SELECT id, source_id, message_id, "timestamp", properties FROM customers_event ORDER BY id')
        return cursor.fetchall()


def _old_layout_events(apps, now) -> dict:
    get = apps.get_model
    team = get("teams", "Team").objects.create(name="Old layout", slug="old-layout-events")
    source = get("customers", "Source").objects.create(team=team, name="Site", prefix="oldlayout1", hashed_key="x" * 64)
    profile = get("customers", "Profile").objects.create(team=team, user_id="ana")
    identity = get("customers", "Identity").objects.create(team=team, profile=profile, kind="user_id", value="ana")
    event_model = get("customers", "Event")

    def event(message_id, at, **extra):
        return event_model.objects.create(
            team=team,
            source=source,
            identity=identity,
            message_id=message_id,
            type="track",
            event="Order Completed",
            user_id="ana",
            properties={"n": message_id},
            timestamp=at,
            received_at=now,
            **extra,
        )

    events = {
        "now": event("now", now),
        "last-month": event("last-month", now - timedelta(days=35)),
        "ancient": event("ancient", datetime(2001, 2, 3, tzinfo=UTC)),  # older than any partition
    }
    # An id given out and deleted: the sequence must not give it again.
    event("deleted", now).delete()
    change = get("customers", "TraitChange").objects.create(
        team=team, profile=profile, key="plan", value="team", event=events["last-month"], changed_at=now
    )
    return {"team": team, "source_id": source.pk, "events": events, "change_id": change.pk}


def test_events_survive_partitioning_and_back():
    now = timezone.now().replace(microsecond=0)
    _migrate(BEFORE)
    try:
        assert _relkind() == "r"
        old = _old_layout_events(MigrationExecutor(connection).loader.project_state(BEFORE).apps, now)
        before = _rows()
        assert len(before) == 3

        _migrate_to_latest()
        assert _relkind() == "p"
        assert _rows() == before
        names = {p.name for p in partitions.partitions_list()}
        last_month = partitions.month_of(now - timedelta(days=35))
        # A partition for each month with rows (within the past tolerance) and the months ahead.
        assert partitions.partition_name(last_month) in names
        assert partitions.partition_name(partitions.months_after(partitions.month_of(now), 3)) in names
        with connection.cursor() as cursor:
            cursor.execute("SELECT message_id, tableoid::regclass::text FROM customers_event")
            where = dict(cursor.fetchall())
        assert where["ancient"] == "customers_event_default"
        assert where["last-month"] == partitions.partition_name(last_month)
        # Links kept, duplicates of old messageIds still refused, new ids after every id given.
        assert TraitChange.objects.get(pk=old["change_id"]).event_id == old["events"]["last-month"].pk
        source = Source.objects.get(pk=old["source_id"])
        again = services.events_ingest(
            source=source,
            items=[
                {"type": "track", "event": "Order Completed", "userId": "ana", "messageId": "now"},
                {"type": "track", "event": "Order Completed", "userId": "ana", "messageId": "new"},
            ],
            received_at=timezone.now(),
        )
        assert (again.stored, again.duplicates) == (1, 1)
        new_id = Event.objects.get(message_id="new").pk
        assert new_id > max(e.pk for e in old["events"].values()) + 1

        _migrate(BEFORE)
        assert _relkind() == "r"
        after_back = _rows()
        assert [row[0] for row in after_back] == [row[0] for row in before] + [new_id]
        assert after_back[:3] == before
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('customers_event_message_id')")
            assert cursor.fetchone()[0] is None
        # The unique index is back.
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE customers_event SET message_id = 'now' WHERE message_id = 'new'")
    finally:
        _migrate_to_latest()
    assert _relkind() == "p"

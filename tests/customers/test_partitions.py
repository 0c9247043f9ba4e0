"""Events partitioned by month on PostgreSQL: partitions ahead, routing, DEFAULT, dedup, retention.

The migration (0006) made ``customers_event`` a partitioned table when the test database was
built; these tests run only there (SQLite keeps a plain table with its unique index).
"""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from customers import partitions, services
from customers.models import Event, Identity, TraitChange

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite keeps events in a plain table"
    ),
]


def ingest(source, *items, received_at=None):
    return services.events_ingest(source=source, items=list(items), received_at=received_at or timezone.now())


def track(message_id, at, user_id="ana", **extra):
    return {
        "type": "track",
        "event": "Order Completed",
        "userId": user_id,
        "messageId": message_id,
        "timestamp": at.isoformat(),
        **extra,
    }


def where(event_id) -> str:
    """The partition holding the event."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM customers_event WHERE id = %s", [event_id])
        return cursor.fetchone()[0]


def claims(source) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT message_id FROM customers_event_message_id WHERE source_id = %s", [source.pk])
        return {row[0] for row in cursor.fetchall()}


def names() -> set[str]:
    return {p.name for p in partitions.partitions_list()}


# --- partitions ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_table_is_partitioned_with_a_default_partition():
    assert partitions.is_partitioned()
    listed = partitions.partitions_list()
    assert listed[-1].name == "customers_event_default" and listed[-1].is_default
    # The migration made this month's partition and CUSTOMERS_EVENT_PARTITIONS_AHEAD (3) after it.
    this_month = partitions.month_of(timezone.now())
    for i in range(4):
        assert partitions.partition_name(partitions.months_after(this_month, i)) in names()


@pytest.mark.django_db
def test_partitions_are_created_ahead_and_only_once():
    now = datetime(2031, 11, 20, 12, tzinfo=UTC)
    created = partitions.partitions_ensure(now=now, ahead=3)
    assert created == [
        "customers_event_2031_11",
        "customers_event_2031_12",
        "customers_event_2032_01",
        "customers_event_2032_02",
    ]
    bounds = {p.name: (p.start, p.end) for p in partitions.partitions_list()}
    assert bounds["customers_event_2031_12"] == (datetime(2031, 12, 1, tzinfo=UTC), datetime(2032, 1, 1, tzinfo=UTC))
    assert partitions.partitions_ensure(now=now, ahead=3) == []


@pytest.mark.django_db
def test_partitions_ahead_follow_the_setting(settings):
    settings.CUSTOMERS_EVENT_PARTITIONS_AHEAD = 1
    assert services.event_partitions_ensure(now=datetime(2033, 5, 2, tzinfo=UTC)) == [
        "customers_event_2033_05",
        "customers_event_2033_06",
    ]


def test_partition_task_is_scheduled_every_six_hours(settings):
    entries = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "customers.tasks.event_partitions_ensure"
    ]
    assert [e["schedule"] for e in entries] == [6 * 3600.0]


@pytest.mark.django_db
def test_an_event_goes_to_its_months_partition_and_an_unplanned_month_to_default(source):
    partitions.partitions_ensure(now=datetime(2031, 3, 1, tzinfo=UTC), ahead=0)
    result = ingest(
        source,
        track("in-march", datetime(2031, 3, 31, 23, 59, 59, tzinfo=UTC)),
        track("in-april", datetime(2031, 4, 1, 0, 0, tzinfo=UTC)),
    )
    assert result.stored == 2
    by_message = dict(Event.objects.values_list("message_id", "id"))
    assert where(by_message["in-march"]) == "customers_event_2031_03"
    assert where(by_message["in-april"]) == "customers_event_default"


@pytest.mark.django_db
def test_rows_waiting_in_default_move_when_their_month_gets_a_partition(source):
    now = timezone.now()
    waiting = now - timedelta(days=400)  # a history import: no partition for that month yet
    month = partitions.month_of(waiting)
    result = ingest(source, track("late-1", waiting), track("late-2", waiting + timedelta(hours=1)))
    ids = sorted(result.event_ids)
    assert {where(i) for i in ids} == {"customers_event_default"}

    created = partitions.partitions_ensure(now=now)
    assert partitions.partition_name(month) in created
    assert {where(i) for i in ids} == {partitions.partition_name(month)}
    assert sorted(Event.objects.filter(message_id__startswith="late-").values_list("id", flat=True)) == ids
    # The moved rows keep their claims: sending them again stores nothing.
    again = ingest(source, track("late-1", waiting))
    assert (again.stored, again.duplicates) == (0, 1)
    assert Event.objects.count() == 2


@pytest.mark.django_db
def test_far_months_stay_in_default(source, settings):
    now = timezone.now()
    ancient = now - timedelta(days=settings.CUSTOMERS_PAST_TOLERANCE_DAYS + 400)
    result = ingest(source, track("ancient", ancient))
    before = names()
    partitions.partitions_ensure(now=now)
    assert partitions.partition_name(partitions.month_of(ancient)) not in names() - before
    assert where(result.event_ids[0]) == "customers_event_default"


# --- deduplication -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_message_id_is_stored_once_even_with_another_timestamp(source):
    """A retry whose timestamp moved it to another month is still the same event."""
    first = ingest(source, track("m1", timezone.now()))
    retry = ingest(source, track("m1", timezone.now() - timedelta(days=45)), track("m2", timezone.now()))
    assert (first.stored, retry.stored, retry.duplicates) == (1, 1, 1)
    assert sorted(Event.objects.values_list("message_id", flat=True)) == ["m1", "m2"]
    assert Event.objects.get(message_id="m1").pk == first.event_ids[0]
    assert claims(source) == {"m1", "m2"}


@pytest.mark.django_db
def test_the_same_message_id_from_another_source_is_another_event(source, team_a, alice):
    other, _key = services.source_create(team=team_a, actor=alice, name="App")
    ingest(source, track("m1", timezone.now()))
    assert ingest(other, track("m1", timezone.now())).stored == 1
    assert Event.objects.filter(message_id="m1").count() == 2


@pytest.mark.django_db
def test_an_events_key_and_time_cannot_be_rewritten(source):
    from django.db import IntegrityError, transaction

    event_id = ingest(source, track("m1", timezone.now())).event_ids[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=event_id).update(timestamp=timezone.now() - timedelta(days=60))
    # Other columns change as before (stage matching sets matched_at).
    assert Event.objects.filter(pk=event_id).update(matched_at=timezone.now()) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_across_months_store_each_message_id_once(source):
    now = timezone.now()
    n = 8

    def send(i):
        # Every sender posts the same 20 messageIds; half of them with a timestamp a month apart,
        # so copies of one messageId go to different partitions.
        items = [track(f"m{k}", now - timedelta(days=35 * ((i + k) % 2)), user_id=f"u{k % 5}") for k in range(20)]
        return services.events_ingest(source=source, items=items, received_at=timezone.now())

    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def thread(i):
        try:
            barrier.wait()
            results[i] = send(i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Event.objects.count() == 20
    assert sum(r.stored for r in results) == 20
    assert sum(r.duplicates for r in results) == n * 20 - 20
    # Each answer's ids are the rows it stored, and no two answers claim the same row.
    ids = [i for r in results for i in r.event_ids]
    assert sorted(ids) == sorted(Event.objects.values_list("id", flat=True))
    assert claims(source) == {f"m{k}" for k in range(20)}


# --- erasure and retention -----------------------------------------------------------------------


@pytest.mark.django_db
def test_erasure_releases_the_claims_so_a_message_id_sent_again_is_stored_again(source, team_a, alice):
    """Decided: erasure forgets the events, their messageIds included (keeping them would keep a
    trace of the person and refuse their events for ever, see docs/customers.md)."""
    ingest(source, track("m1", timezone.now()), track("m2", timezone.now(), user_id="bob"))
    services.profile_erase(actor=alice, team=team_a, user_id="ana")
    assert claims(source) == {"m2"}
    again = ingest(source, track("m1", timezone.now()))
    assert (again.stored, again.duplicates) == (1, 0)
    assert Event.objects.get(message_id="m1").user_id == "ana"


@pytest.fixture
def old_month_events(source):
    """Events of a month six months back (with its partition), of last week, and a trait change."""
    now = timezone.now()
    old_month = partitions.months_after(partitions.month_of(now), -6)
    partitions.partition_create(month=old_month)
    old_at = old_month + timedelta(days=3)
    result = ingest(
        source,
        track("old-1", old_at),
        {
            "type": "identify",
            "userId": "ana",
            "traits": {"plan": "team"},
            "messageId": "old-2",
            "timestamp": old_at.isoformat(),
        },
        track("recent", now - timedelta(days=7)),
    )
    assert result.stored == 3
    return now, old_month


@pytest.mark.django_db
def test_retention_drops_a_whole_month_when_every_teams_period_allows_it(source, team_a, alice, old_month_events):
    now, old_month = old_month_events
    name = partitions.partition_name(old_month)
    change = TraitChange.objects.get(key="plan")
    assert Event.objects.filter(pk=change.event_id, message_id="old-2").exists()
    services.privacy_settings_update(actor=alice, team=team_a, retention_days=30)

    assert services.events_retention_sweep(now=now) == 2
    assert name not in names()
    assert list(Event.objects.values_list("message_id", flat=True)) == ["recent"]
    assert claims(source) == {"recent"}
    # Rows that pointed at a dropped event stay, unlinked (as a DELETE through Django leaves them).
    change.refresh_from_db()
    assert change.event_id is None and change.value == "team"
    assert Identity.objects.filter(value="ana").exists()
    # A messageId of a dropped month sent again is stored again, as after a batched delete.
    assert ingest(source, track("old-1", now)).stored == 1


@pytest.mark.django_db
def test_retention_deletes_in_batches_when_a_team_keeps_events_for_ever(
    source, team_a, team_b, alice, oscar, old_month_events
):
    now, old_month = old_month_events
    source_b, _key = services.source_create(team=team_b, actor=oscar, name="B site")
    ingest(source_b, track("b-old", old_month + timedelta(days=4)))
    services.privacy_settings_update(actor=alice, team=team_a, retention_days=30)  # team B: for ever

    assert services.events_retention_sweep(now=now, batch_size=1) == 2
    assert partitions.partition_name(old_month) in names()
    assert sorted(Event.objects.values_list("message_id", flat=True)) == ["b-old", "recent"]
    assert claims(source) == {"recent"} and claims(source_b) == {"b-old"}
    assert TraitChange.objects.get(key="plan").event_id is None


@pytest.mark.django_db
def test_retention_keeps_a_month_not_yet_past_every_period(source, team_a, alice, old_month_events):
    now, old_month = old_month_events
    # 200 days: the month six months back ended less than 200 days ago.
    services.privacy_settings_update(actor=alice, team=team_a, retention_days=200)
    assert services.events_retention_sweep(now=now) == 0
    assert partitions.partition_name(old_month) in names()
    assert Event.objects.count() == 3


@pytest.mark.django_db
def test_dropping_a_month_without_partition_does_nothing():
    assert partitions.partition_drop(month=datetime(1999, 1, 1, tzinfo=UTC)) == 0

"""The fast ingestion path: one insert per request, traits and stage entries set-wise, the matching queue."""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from customers import identity, services, stages, tasks
from customers.models import Event, Identity, Profile, ProfileStage, Source, StageTransition, TraitChange
from customers.services import source_create
from journeys.models import JourneyMap, Stage

T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)

needs_redis = pytest.mark.skipif(
    not django_settings.REDIS_URL, reason="the matching queue lives in Redis: run with REDIS_URL set"
)


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def track(message_id, user="ana", name="Viewed", minutes=0):
    return {"type": "track", "event": name, "userId": user, "messageId": message_id, "timestamp": at(minutes)}


def test_batch_counts_duplicates_inside_the_batch_and_across_requests(send):
    first = send("batch", {"batch": [track("m1"), track("m2"), track("m1"), track("m3", user="bo")]})
    assert first.status_code == 200
    assert first.json() | {"refused": []} == {
        "success": True,
        "received": 4,
        "stored": 3,
        "duplicates": 1,
        "refused": [],
    }
    # A retry overlapping the first: m2 and m3 are stored already, m4 is new (twice in the batch).
    again = send("batch", {"batch": [track("m2"), track("m3", user="bo"), track("m4"), track("m4")]})
    assert again.json()["stored"] == 1 and again.json()["duplicates"] == 3 and again.json()["received"] == 4
    assert sorted(Event.objects.values_list("message_id", flat=True)) == ["m1", "m2", "m3", "m4"]
    # The sum of "stored" over the answers is the number of unique messageIds.
    assert first.json()["stored"] + again.json()["stored"] == Event.objects.count()
    assert Event.objects.get(message_id="m3").identity.value == "bo"


def test_insert_returns_only_the_rows_this_call_stored(source):
    received = timezone.now()
    result = services.events_ingest(source=source, items=[track("a"), track("b")], received_at=received)
    stored = dict(Event.objects.values_list("message_id", "id"))
    assert sorted(result.event_ids) == sorted(stored.values())
    retry = services.events_ingest(
        source=source, items=[track("b"), track("c")], received_at=received + timedelta(seconds=1)
    )
    assert retry.stored == 1 and retry.duplicates == 1
    assert retry.event_ids == [Event.objects.get(message_id="c").pk]
    assert Event.objects.get(message_id="b").received_at == received  # the first copy is kept


def test_a_batch_of_known_users_costs_a_few_statements_whatever_its_size(
    source, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    services.events_ingest(
        source=source, items=[track(f"w{i}", user=f"u{i}") for i in range(100)], received_at=timezone.now()
    )
    # As the tracking view reads it: with its team and privacy settings (none saved: the defaults).
    source = Source.objects.select_related("team__customer_privacy").get(pk=source.pk)
    items = [track(f"m{i}", user=f"u{i}", name="Added") for i in range(100)]
    # Savepoint, the identities, the insert, release: no statement per event. On SQLite the insert
    # is split in three (its 999 parameters) and the stored rows are read back.
    with (
        django_capture_on_commit_callbacks(execute=False),
        django_assert_max_num_queries(4 if connection.vendor == "postgresql" else 7),
    ):
        result = services.events_ingest(source=source, items=items, received_at=timezone.now())
    assert result.stored == 100


def test_last_event_at_is_written_at_most_once_a_minute(source):
    t = timezone.now()
    services.events_ingest(source=source, items=[track("1")], received_at=t)
    source.refresh_from_db()
    assert source.last_event_at == t
    services.events_ingest(source=source, items=[track("2")], received_at=t + timedelta(seconds=30))
    source.refresh_from_db()
    assert source.last_event_at == t
    services.events_ingest(source=source, items=[track("3")], received_at=t + timedelta(seconds=61))
    source.refresh_from_db()
    assert source.last_event_at == t + timedelta(seconds=61)


IDENTIFIES = [
    ("kim", {"plan": "free", "country": "LV"}, 0),
    ("kim", {"plan": "team"}, 10),
    ("lea", {"plan": "team"}, 5),
    ("kim", {"plan": "trial"}, 3),  # late: history only
    ("kim", {"plan": "team", "seats": 4}, 20),  # plan unchanged: no change for it
    ("lea", {"plan": "team"}, 30),  # unchanged: nothing
    ("lea", {"plan": "business", "country": "BG"}, 40),
]


def _traits_state(team_id):
    profiles = {p.user_id: p.traits for p in Profile.objects.filter(team_id=team_id)}
    changes = sorted(
        (c.profile.user_id, c.key, repr(c.value), repr(c.previous_value), c.changed_at)
        for c in TraitChange.objects.filter(team_id=team_id).select_related("profile")
    )
    return profiles, changes


def test_traits_applied_set_wise_equal_applying_each_event_in_turn(team_a, team_b, alice, oscar):
    source_a, _ = source_create(team=team_a, actor=alice, name="Set-wise")
    items = [
        {"type": "identify", "userId": user, "traits": traits, "messageId": f"i{n}", "timestamp": at(minutes)}
        for n, (user, traits, minutes) in enumerate(IDENTIFIES)
    ]
    services.events_ingest(source=source_a, items=items, received_at=timezone.now())

    # The reference: the same events on another team, traits applied one event at a time.
    for user in ("kim", "lea"):
        profile = Profile.objects.create(team=team_b, user_id=user)
        Identity.objects.create(team=team_b, profile=profile, kind="user_id", value=user)
    for user, traits, minutes in IDENTIFIES:
        profile = Profile.objects.get(team=team_b, user_id=user)
        identity.traits_apply(
            team_id=team_b.pk, profile_id=profile.pk, traits=traits, at=T0 + timedelta(minutes=minutes)
        )

    set_wise, reference = _traits_state(team_a.pk), _traits_state(team_b.pk)
    assert set_wise == reference
    assert set_wise[0] == {
        "kim": {"plan": "team", "country": "LV", "seats": 4},
        "lea": {"plan": "business", "country": "BG"},
    }
    assert len(set_wise[1]) == 8


def test_traits_before_and_after_a_merge_in_one_batch_follow_the_event_order(source):
    items = [
        {"type": "identify", "anonymousId": "anon-1", "traits": {"plan": "free"}, "messageId": "a", "timestamp": at(0)},
        {"type": "identify", "userId": "max", "traits": {"plan": "team"}, "messageId": "b", "timestamp": at(1)},
        # Joins anon-1's profile to max's: the free plan set first, the team plan later wins.
        {"type": "identify", "userId": "max", "anonymousId": "anon-1", "messageId": "c", "timestamp": at(2)},
        {"type": "identify", "anonymousId": "anon-1", "traits": {"city": "Riga"}, "messageId": "d", "timestamp": at(3)},
    ]
    services.events_ingest(source=source, items=items, received_at=timezone.now())
    profile = Profile.objects.get(user_id="max")
    assert profile.traits == {"plan": "team", "city": "Riga"}
    assert Profile.objects.filter(merged_into__isnull=True).count() == 1


@pytest.fixture
def funnel(team_a, alice):
    journey_map = JourneyMap.objects.create(team=team_a, title="Shop")
    by_name = {
        name: Stage.objects.create(journey_map=journey_map, name=name, position=i)
        for i, name in enumerate(["Awareness", "Consideration", "Decision"])
    }
    for event, stage in (("Viewed", "Awareness"), ("Added", "Consideration"), ("Checkout", "Decision")):
        services.tracking_rule_create(actor=alice, stage=by_name[stage], event_name=event)
    return journey_map, by_name


def test_stage_entries_of_one_call_are_recorded_in_order_set_wise(source, funnel):
    journey_map, by_name = funnel
    items = [
        track("1", user="ana", name="Viewed", minutes=0),
        track("2", user="ana", name="Added", minutes=1),
        track("3", user="ana", name="Added", minutes=2),  # the stage she is in: nothing
        track("4", user="bo", name="Checkout", minutes=1),
        track("5", user="ana", name="Checkout", minutes=3),
    ]
    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        result = services.events_ingest(source=source, items=items, received_at=timezone.now())
        assert stages.events_match(event_ids=result.event_ids) == 4
        # A late event for ana (before her Decision entry) changes nothing.
        late = services.events_ingest(source=source, items=[track("6", "ana", "Viewed", 2)], received_at=timezone.now())
        assert stages.events_match(event_ids=late.event_ids) == 0
    ana = Profile.objects.get(user_id="ana")
    path = list(
        StageTransition.objects.filter(profile=ana).order_by("entered_at").values_list("from_stage", "to_stage")
    )
    assert path == [
        (None, by_name["Awareness"].pk),
        (by_name["Awareness"].pk, by_name["Consideration"].pk),
        (by_name["Consideration"].pk, by_name["Decision"].pk),
    ]
    current = ProfileStage.objects.get(profile=ana, journey_map=journey_map)
    assert current.stage == by_name["Decision"] and current.entered_at == T0 + timedelta(minutes=3)
    assert current.transition.event.message_id == "5"
    assert ProfileStage.objects.get(profile__user_id="bo").stage == by_name["Decision"]


def test_without_redis_each_call_queues_a_task_of_its_own(source, funnel, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks, "_redis_client", return_value=None),
        mock.patch.object(tasks.events_match, "delay") as one_task,
        mock.patch.object(tasks.events_match_queued, "delay") as drain,
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = services.events_ingest(source=source, items=[track("1"), track("2")], received_at=timezone.now())
    one_task.assert_called_once_with(result.event_ids)
    drain.assert_not_called()


@needs_redis
def test_queued_ids_are_drained_and_matched_exactly_once(source, funnel, django_capture_on_commit_callbacks):
    client = tasks._redis_client()
    with (
        mock.patch.object(tasks.events_match_queued, "delay") as drain_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = services.events_ingest(
            source=source, items=[track("1", name="Viewed"), track("2", "bo", "Added")], received_at=timezone.now()
        )
        second = services.events_ingest(source=source, items=[track("3", "cy", "Viewed")], received_at=timezone.now())
        # The same ids queued again (a retried hand-off): they must not be matched twice.
        tasks.events_match_enqueue(first.event_ids)
    assert drain_task.call_count == 1  # one drain queued for the three pushes: the flag was set
    assert client.llen(tasks.MATCH_QUEUE) == 5
    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        assert tasks.events_match_drain(chunk=2, idle=0) == 3
        assert tasks.events_match_drain(idle=0) == 0
    assert client.llen(tasks.MATCH_QUEUE) == 0
    assert StageTransition.objects.count() == 3
    assert not Event.objects.filter(matched_at__isnull=True).exists()
    assert set(first.event_ids + second.event_ids) == set(Event.objects.values_list("id", flat=True))
    # The drain cleared the flag: the next request queues the next drain.
    with (
        mock.patch.object(tasks.events_match_queued, "delay") as next_drain,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.events_ingest(source=source, items=[track("4", "dee", "Viewed")], received_at=timezone.now())
    assert next_drain.call_count == 1


@needs_redis
def test_a_drain_the_broker_refused_lets_the_next_request_queue_one(source, django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    client = tasks._redis_client()
    with (
        mock.patch.object(tasks.events_match_queued, "delay", side_effect=OperationalError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.events_ingest(source=source, items=[track("1")], received_at=timezone.now())
    assert client.get(tasks.MATCH_SCHEDULED) is None
    assert Event.objects.get(message_id="1").matched_at is None  # the sweep's, or the next drain's


def test_the_source_rate_limit_counts_in_the_process(send, settings):
    from teams import ratelimit

    settings.CUSTOMERS_SOURCE_RATE_LIMIT = "2/min"
    with mock.patch.object(ratelimit, "hit_local", wraps=ratelimit.hit_local) as hit:
        assert send("track", track("1")).status_code == 200
    source_id = Source.objects.get().pk
    hit.assert_called_once_with(f"customers:{source_id}", 2, 60)

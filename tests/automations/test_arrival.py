""" "Did an event" triggers evaluated as the events arrive, before (and apart from) the stage matching.

The arrival hook and the matching's hook both see each trigger event; the customer enters once,
whichever runs first, whether the other runs at all, and even when a merge moves the event's
identity to another profile between the two.
"""

import threading
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from automations import engine, outbox
from automations import services as auto
from automations.models import Action, Enrolment
from customers import services, stages, tasks
from customers.models import Event, Identity

from .conftest import identify, track

pytestmark = pytest.mark.django_db


@pytest.fixture
def thanks(shop, alice):
    """Did "Order Completed" → a thank-you email, every time."""
    journey_map, _stages, _ = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Thanks",
        trigger="event_done",
        trigger_config={"event": "Order Completed"},
        reentry="every_time",
    )
    auto.step_add(automation=automation, actor=alice, kind="email", config={"templates": {"en": {"subject": "Thanks"}}})
    return auto.automation_activate(automation=automation, actor=alice)


@pytest.fixture
def store(source):
    """Store events without running what follows the commit: each path is then run by the test."""

    def run(*items):
        # The hand-offs too: in autocommit (a transactional test) on_commit runs at once.
        with (
            mock.patch("webhooks.tasks.webhook_deliver.delay"),
            mock.patch.object(tasks, "events_arrive_enqueue"),
            mock.patch.object(tasks, "events_match_enqueue"),
        ):
            return services.events_ingest(source=source, items=list(items), received_at=timezone.now()).event_ids

    return run


def _match(ids):
    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        stages.events_match(event_ids=ids)


def _send_all():
    engine.advance()
    outbox.actions_send()


def test_the_customer_enters_as_the_event_arrives_before_its_matching(ingest, store, thanks, shop, no_holdout, all_day):
    _journey_map, by_name, _ = shop
    ingest(identify("ana", email="ana@example.com"))
    ids = store(track("ana", "Product Viewed", "a1"), track("ana", "Order Completed", "a2"))
    assert stages.events_arrive(event_ids=ids) == 2
    enrolment = Enrolment.objects.get(automation=thanks)
    order = Event.objects.get(message_id="a2")
    assert order.matched_at is None  # entered before the stage matching saw the event
    assert (enrolment.entry_key, enrolment.status) == (f"e{order.pk}", "active")
    # The stage the event enters them in (Purchase), as the matching will record it.
    assert enrolment.stage_id == by_name["Purchase"].pk
    _match(ids)
    _send_all()
    assert Enrolment.objects.filter(automation=thanks).count() == 1
    assert Action.objects.filter(kind="email").count() == 1
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]


def test_matching_first_then_the_arrival_enrols_once(ingest, store, thanks, no_holdout, all_day):
    ingest(identify("bo", email="bo@example.com"))
    ids = store(track("bo", "Order Completed", "b1"))
    _match(ids)
    assert Enrolment.objects.filter(automation=thanks).count() == 1
    stages.events_arrive(event_ids=ids)
    stages.events_arrive(event_ids=ids)  # a retried hand-off
    _send_all()
    assert Enrolment.objects.filter(automation=thanks).count() == 1
    assert len(mail.outbox) == 1


def test_a_lost_arrival_queue_loses_nobody(ingest, thanks, no_holdout, all_day):
    """The arrival hand-off fails (Redis gone, its worker killed): the matching enrols them."""
    ingest(identify("cy", email="cy@example.com"))
    with mock.patch.object(tasks, "events_arrive_enqueue", side_effect=ConnectionError("down")):
        ingest(track("cy", "Order Completed", "c1"))
    enrolment = Enrolment.objects.get(automation=thanks)
    assert enrolment.status == "completed"
    assert len(mail.outbox) == 1


def test_a_merge_between_the_two_paths_enrols_once(store, thanks, no_holdout, all_day):
    store(identify("dee", email="dee@example.com"))  # the older profile: a merge keeps it
    ids = store({"type": "track", "event": "Order Completed", "anonymousId": "anon-7", "messageId": "d1"})
    stages.events_arrive(event_ids=ids)
    first = Enrolment.objects.get(automation=thanks)
    # identify joins the anonymous history (and its identity) to dee's profile.
    store({"type": "identify", "userId": "dee", "anonymousId": "anon-7", "traits": {}})
    # The event's identity now belongs to another profile than the one the arrival enrolled.
    assert Identity.objects.get(value="anon-7").profile_id != first.profile_id
    _match(ids)
    _send_all()
    assert list(Enrolment.objects.filter(automation=thanks).values_list("pk", flat=True)) == [first.pk]
    assert Action.objects.filter(kind="email").count() == 1


def test_an_automation_reading_the_stage_waits_for_the_matching(ingest, store, shop, alice, no_holdout, all_day):
    journey_map, by_name, _ = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Bought",
        trigger="event_done",
        trigger_config={"event": "Order Completed"},
        conditions=[{"kind": "stage", "stage": by_name["Purchase"].pk}],
    )
    auto.step_add(automation=automation, actor=alice, kind="trait", config={"key": "thanked", "value": True})
    auto.automation_activate(automation=automation, actor=alice)
    assert engine.arrival_events(automation.team_id) == frozenset()
    ids = store(track("eve", "Order Completed", "e1"))
    stages.events_arrive(event_ids=ids)
    assert not Enrolment.objects.filter(automation=automation).exists()
    _match(ids)  # now in Purchase: the condition holds
    assert Enrolment.objects.get(automation=automation).stage_id == by_name["Purchase"].pk


def test_only_the_trigger_events_are_handed_over_and_the_names_follow_the_status(
    source, thanks, alice, django_capture_on_commit_callbacks
):
    assert engine.arrival_events(thanks.team_id) == frozenset({"Order Completed"})
    with (
        mock.patch.object(tasks, "events_arrive_enqueue") as handed,
        mock.patch.object(tasks, "events_match_enqueue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = services.events_ingest(
            source=source,
            items=[track("fi", "Product Viewed", "f1"), track("fi", "Order Completed", "f2")],
            received_at=timezone.now(),
        )
    order = Event.objects.get(message_id="f2")
    handed.assert_called_once_with([order.pk])
    assert len(result.event_ids) == 2
    auto.automation_pause(automation=thanks, actor=alice)
    assert engine.arrival_events(thanks.team_id) == frozenset()
    with (
        mock.patch.object(tasks, "events_arrive_enqueue") as none_handed,
        mock.patch.object(tasks, "events_match_enqueue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.events_ingest(source=source, items=[track("fi", "Order Completed", "f3")], received_at=timezone.now())
    none_handed.assert_not_called()


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="the arrival queue lives in Redis: run with REDIS_URL set")
def test_the_arrival_queue_is_drained_apart_from_the_matching(
    source, thanks, no_holdout, django_capture_on_commit_callbacks
):
    client = tasks._redis_client()
    client.delete(tasks.ARRIVE_QUEUE, tasks.ARRIVE_SCHEDULED, tasks.MATCH_QUEUE, tasks.MATCH_SCHEDULED)
    with (
        mock.patch.object(tasks.events_arrive_queued, "delay") as arrive_task,
        mock.patch.object(tasks.events_match_queued, "delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = services.events_ingest(
            source=source,
            items=[track("gus", "Order Completed", "g1"), track("gus", "Cart Added", "g2")],
            received_at=timezone.now(),
        )
        services.events_ingest(source=source, items=[track("hal", "Order Completed", "h1")], received_at=timezone.now())
    with mock.patch.object(tasks.events_arrive_queued, "delay") as again:
        tasks.events_arrive_enqueue(first.event_ids[:1])  # the same id again (a retried hand-off)
    assert arrive_task.call_count == 1 and not again.called  # one drain for the pushes: the flag was set
    assert client.llen(tasks.ARRIVE_QUEUE) == 3
    assert tasks.events_arrive_drain(chunk=2) == 3
    assert client.llen(tasks.ARRIVE_QUEUE) == 0 and not client.exists(tasks.ARRIVE_SCHEDULED)
    assert client.llen(tasks.MATCH_QUEUE) == 3  # the matching still gets every event
    assert sorted(Enrolment.objects.filter(automation=thanks).values_list("profile__user_id", flat=True)) == [
        "gus",
        "hal",
    ]
    assert not Event.objects.filter(matched_at__isnull=False).exists()
    client.delete(tasks.MATCH_QUEUE, tasks.MATCH_SCHEDULED)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two transactions at once: PostgreSQL (DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_the_two_paths_at_the_same_time_enrol_once(store, thanks, no_holdout):
    """The matching's insert meets the arrival's uncommitted enrolment: it waits, then inserts nothing."""
    ids = store(track("kim", "Order Completed", "k1"))
    entered, release = threading.Event(), threading.Event()

    def arrival():
        try:
            with transaction.atomic():
                stages.events_arrive(event_ids=ids)
                entered.set()
                release.wait(20)
        finally:
            connection.close()

    def matching():
        try:
            _match(ids)
        finally:
            connection.close()

    first = threading.Thread(target=arrival)
    first.start()
    assert entered.wait(20)
    second = threading.Thread(target=matching)
    second.start()
    second.join(1.0)
    assert second.is_alive()  # held by the arrival's key until it commits
    release.set()
    first.join(20)
    second.join(20)
    assert Enrolment.objects.filter(automation=thanks).count() == 1
    assert Event.objects.get(pk=ids[0]).matched_at is not None


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="the arrival queue lives in Redis: run with REDIS_URL set")
def test_ids_popped_by_a_drain_that_died_are_enrolled_by_the_matching(
    source, thanks, no_holdout, django_capture_on_commit_callbacks
):
    client = tasks._redis_client()
    client.delete(tasks.ARRIVE_QUEUE, tasks.ARRIVE_SCHEDULED)
    with (
        mock.patch.object(tasks.events_arrive_queued, "delay"),
        mock.patch.object(tasks, "events_match_enqueue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = services.events_ingest(
            source=source, items=[track("lu", "Order Completed", "l1")], received_at=timezone.now()
        )
    assert client.lpop(tasks.ARRIVE_QUEUE, 10) == [str(result.event_ids[0]).encode()]  # popped, then killed
    client.delete(tasks.ARRIVE_SCHEDULED)
    assert not Enrolment.objects.exists()
    _match(result.event_ids)
    assert Enrolment.objects.get(automation=thanks).entry_key == f"e{result.event_ids[0]}"

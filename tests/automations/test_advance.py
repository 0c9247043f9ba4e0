"""advance: event waits and pending windows read in one query each, the step log and the moves
written in one statement each on PostgreSQL, and a query count that does not grow with the rows due."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from automations import engine, outbox
from automations import services as auto
from automations.models import Action, Enrolment
from customers.models import Profile

from .conftest import identify, track

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the JSON-set statements are PostgreSQL's; set DATABASE_URL"
)


@pytest.fixture
def coupon_wait(shop, alice):
    """Entered Decision → wait up to 48 h for "Coupon Used" → set a trait."""
    journey_map, stages, _ = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Coupon",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
        reentry="every_time",
    )
    auto.step_add(
        automation=automation, actor=alice, kind="wait_event", config={"event": "Coupon Used", "timeout_hours": 48}
    )
    auto.step_add(automation=automation, actor=alice, kind="trait", config={"key": "after_wait", "value": True})
    return auto.automation_activate(automation=automation, actor=alice)


def _wait_results():
    return {
        a.profile.user_id: a.result.get("event_done")
        for a in Action.objects.filter(kind="wait_event").select_related("profile")
    }


def test_an_event_wait_goes_on_once_the_event_is_done_after_it_began(ingest, coupon_wait, no_holdout, all_day):
    ingest(track("kim", "Coupon Used", "k0"))  # before the wait began: does not count
    ingest(track("kim", "Checkout Started", "k1"), track("lee", "Checkout Started", "l1"))
    assert set(Enrolment.objects.values_list("status", flat=True)) == {"active"}
    engine.advance(now=timezone.now() + timedelta(hours=1))
    assert _wait_results() == {}
    ingest(track("kim", "Coupon Used", "k2"))
    assert _wait_results() == {"kim": True}
    kim = Enrolment.objects.get(profile__user_id="kim")
    assert (kim.status, kim.step_id) == ("completed", None)
    assert Enrolment.objects.get(profile__user_id="lee").status == "active"


def test_an_event_wait_times_out_without_the_event(ingest, coupon_wait, no_holdout, all_day):
    ingest(track("lee", "Checkout Started", "l1"))
    later = timezone.now() + timedelta(hours=49)
    counts = engine.advance(now=later)
    assert (counts["enrolments"], counts["completed"], counts["actions"]) == (1, 1, 1)
    assert _wait_results() == {"lee": False}
    outbox.actions_send(now=later)
    assert Profile.objects.get(user_id="lee").traits["after_wait"] is True


def test_an_event_wait_ignores_the_event_done_before_it_began(ingest, coupon_wait, no_holdout, all_day):
    ingest(track("mo", "Coupon Used", "m0"))
    ingest(track("mo", "Checkout Started", "m1"))
    enrolment = Enrolment.objects.get()
    Enrolment.objects.filter(pk=enrolment.pk).update(next_run_at=timezone.now())
    counts = engine.advance(now=timezone.now() + timedelta(hours=1))
    enrolment.refresh_from_db()
    assert counts["enrolments"] == 1
    assert (enrolment.status, enrolment.step.kind) == ("active", "wait_event")
    assert enrolment.next_run_at > timezone.now() + timedelta(hours=46)
    assert _wait_results() == {}


def test_pending_windows_are_decided_per_customer(ingest, shop, alice, no_holdout, all_day):
    journey_map, _stages, _ = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Cart left",
        trigger="event_not_done",
        trigger_config={"event": "Cart Added", "then_event": "Order Completed", "within_hours": 1},
    )
    auto.step_add(automation=automation, actor=alice, kind="trait", config={"key": "nudged", "value": True})
    auto.automation_activate(automation=automation, actor=alice)
    now = timezone.now()
    ingest(
        track("ada", "Cart Added", "a1"),
        track("bob", "Cart Added", "b1"),
        track("cy", "Cart Added", "c1"),
    )
    ingest(track("bob", "Order Completed", "b2"))  # within bob's hour: bob does not enter
    ingest(track("ada", "Order Completed", "a0", timestamp=(now - timedelta(hours=3)).isoformat()))  # before
    later = now + timedelta(hours=2)
    counts = engine.advance(now=later)
    assert (counts["entered"], counts["dropped"]) == (2, 1)
    statuses = {e.profile.user_id: e.status for e in Enrolment.objects.select_related("profile")}
    assert statuses == {"ada": "completed", "bob": "dropped", "cy": "completed"}


def _many_due(shop, alice, ingest, n, first):
    """``n`` customers in ``n`` time zones at a wait-until-9:00 then a branch: every one a group of its own."""
    journey_map, stages, _ = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name=f"Morning {first}",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
    )
    auto.step_add(automation=automation, actor=alice, kind="wait", config={"hours": 1})
    auto.step_add(automation=automation, actor=alice, kind="wait_time", config={"hour": 9})
    auto.step_add(
        automation=automation,
        actor=alice,
        kind="branch",
        config={"condition": {"kind": "trait", "key": "plan", "op": "eq", "value": "pro"}},
    )
    auto.automation_activate(automation=automation, actor=alice)
    zones = ["Europe/Lisbon", "Europe/Paris", "Europe/Riga", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi"]
    zones += ["Asia/Dhaka", "Asia/Bangkok", "Asia/Taipei", "Asia/Tokyo", "America/Lima", "America/Denver"]
    users = [f"u{first + i}" for i in range(n)]
    ingest(*[identify(u, timezone=zones[i % len(zones)], plan="pro") for i, u in enumerate(users)])
    ingest(*[track(u, "Checkout Started", f"{u}-c") for u in users])
    return automation


@pytest.mark.parametrize("n", [2, 12])
def test_the_query_count_does_not_grow_with_the_rows_due(
    ingest, shop, alice, no_holdout, all_day, n, django_assert_max_num_queries
):
    automation = _many_due(shop, alice, ingest, n, 0)
    assert Enrolment.objects.filter(automation=automation, status="active").count() == n
    later = timezone.now() + timedelta(hours=2)
    with django_assert_max_num_queries(9):
        counts = engine.advance(now=later)
    assert counts["enrolments"] == n
    moved = Enrolment.objects.filter(automation=automation)
    assert len({e.next_run_at for e in moved}) == n  # a different 9:00 for every customer
    assert Action.objects.filter(automation=automation, kind="wait").count() == n


def test_a_run_redone_keeps_the_step_log_it_wrote(ingest, decision_email, no_holdout, all_day):
    """The insert skips (enrolment, step) rows already there: the action keeps its first identity."""
    ingest(identify("ana", email="ana@example.com"))
    ingest(track("ana", "Checkout Started", "a1"))
    enrolment = Enrolment.objects.get()
    first = Action.objects.get(enrolment=enrolment)
    Enrolment.objects.filter(pk=enrolment.pk).update(status="active", step=None, step_position=0)
    Enrolment.objects.filter(pk=enrolment.pk).update(next_run_at=timezone.now())
    counts = engine.advance(now=timezone.now() + timedelta(seconds=1))
    assert counts["enrolments"] == 1
    again = Action.objects.get(enrolment=enrolment)
    assert (again.pk, again.created_at, again.status) == (first.pk, first.created_at, first.status)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.ended_at is not None) == ("completed", True)


@needs_postgresql
def test_the_step_log_and_moves_are_one_statement_each(ingest, shop, alice, no_holdout, all_day):
    automation = _many_due(shop, alice, ingest, 5, 100)
    later = timezone.now() + timedelta(hours=2)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        engine.advance(now=later)
    inserts = [q["sql"] for q in queries if q["sql"].startswith("INSERT INTO automations_action")]
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE automations_enrolment")]
    assert (len(inserts), len(updates)) == (1, 1)
    rows = list(Action.objects.filter(automation=automation).order_by("id"))
    assert [(a.kind, a.status, a.done_at == later, a.created_at == later) for a in rows[:1]] == [
        ("wait", "done", True, True)
    ]
    moved = Enrolment.objects.filter(automation=automation)
    assert {e.step.kind for e in moved} == {"wait_time"}
    assert all(e.step_position == e.step.position for e in moved)


@needs_postgresql
def test_the_array_literal_carries_any_text_and_nulls():
    texts = ["plain", 'with "quotes"', "back\\slash", "{braces}, commas", "", None, "NULL", "ünï 中文"]
    with connection.cursor() as cur:
        cur.execute("SELECT unnest(%s::text[])", [engine._pg_array(texts)])
        assert [row[0] for row in cur.fetchall()] == texts
        results = [{"side": "yes"}, {}, {"event_done": False, "note": 'a "b" \\ c'}]
        cur.execute("SELECT unnest(%s::jsonb[])", [engine._pg_array([json.dumps(r) for r in results])])
        assert [json.loads(row[0]) for row in cur.fetchall()] == results
        cur.execute("SELECT unnest(%s::bigint[])", [engine._pg_ints([3, None, 10**12])])
        assert [row[0] for row in cur.fetchall()] == [3, None, 10**12]

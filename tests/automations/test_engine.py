"""The engine: customers enter on their trigger, move through steps, and each action happens once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from automations import engine, outbox
from automations import services as auto
from automations.models import Action, Enrolment, OwnerTask
from customers.models import Profile, ProfileStage

from .conftest import identify, track

pytestmark = pytest.mark.django_db


def test_entering_decision_sends_the_returns_email_in_the_customers_language(
    ingest, decision_email, no_holdout, all_day
):
    ingest(identify("mei", email="mei@example.com", first_name="美玲", locale="zh-Hant"))
    ingest(track("mei", "Checkout Started", "m1"))
    enrolment = Enrolment.objects.get(automation=decision_email)
    assert (enrolment.status, enrolment.is_holdout) == ("completed", False)
    action = Action.objects.get(enrolment=enrolment)
    assert (action.kind, action.status, action.attempts) == ("email", "done", 1)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mei@example.com"]
    assert message.subject == "退貨政策，美玲"
    assert "30 天內可退貨" in message.body
    assert message.extra_headers["Message-ID"] == f"<wm-action-{enrolment.pk}-{action.step_id}@waymark.invalid>"
    assert "/api/public/automations/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert action.result["locale"] == "zh-Hant"


def test_a_trigger_seen_twice_enrols_once_and_acts_once(ingest, decision_email, no_holdout, all_day):
    ingest(identify("ana", email="ana@example.com", first_name="Ana"))
    ingest(track("ana", "Checkout Started", "a1"))
    transition = ProfileStage.objects.get(profile__user_id="ana").transition
    # The hook's input again (a redelivered batch, the sweep beside it): the key is the transition.
    candidate = engine.Candidate(transition.profile_id, f"t{transition.pk}", transition.entered_at)
    assert engine.enrol(decision_email, [candidate]) == [transition.profile_id]
    Enrolment.objects.filter(automation=decision_email).update(status="active", next_run_at=timezone.now(), step=None)
    engine.advance()
    outbox.actions_send()
    assert Enrolment.objects.filter(automation=decision_email).count() == 1
    assert Action.objects.filter(kind="email").count() == 1
    assert len(mail.outbox) == 1


def test_a_held_out_customer_gets_nothing_but_counts_for_the_goal(ingest, decision_email, monkeypatch, all_day):
    monkeypatch.setattr("automations.engine._rolls_holdout", lambda percent: True)
    ingest(identify("bo", email="bo@example.com"))
    ingest(track("bo", "Checkout Started", "b1"))
    enrolment = Enrolment.objects.get(automation=decision_email)
    assert (enrolment.status, enrolment.is_holdout, enrolment.converted_at) == ("holdout", True, None)
    assert not Action.objects.exists() and mail.outbox == []
    ingest(track("bo", "Order Completed", "b2"))
    enrolment.refresh_from_db()
    assert enrolment.converted_at is not None
    assert enrolment.status == "holdout"


def test_a_wait_holds_the_customer_until_its_time(ingest, shop, alice, no_holdout, all_day):
    journey_map, stages, _ = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Nudge",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
    )
    wait = auto.step_add(automation=automation, actor=alice, kind="wait", config={"hours": 24})
    auto.step_add(
        automation=automation, actor=alice, kind="email", config={"templates": {"en": {"subject": "Still there?"}}}
    )
    auto.automation_activate(automation=automation, actor=alice)
    ingest(identify("cy", email="cy@example.com"))
    ingest(track("cy", "Checkout Started", "c1"))
    enrolment = Enrolment.objects.get(automation=automation)
    assert (enrolment.step_id, enrolment.status) == (wait.pk, "active")
    assert enrolment.next_run_at > timezone.now() + timedelta(hours=23)
    assert engine.advance()["enrolments"] == 0  # not due yet
    later = timezone.now() + timedelta(hours=25)
    assert engine.advance(now=later) == {
        "enrolments": 1,
        "actions": 1,
        "completed": 1,
        "exited": 0,
        "entered": 0,
        "dropped": 0,
    }
    outbox.actions_send(now=later)
    assert [m.subject for m in mail.outbox] == ["Still there?"]
    steps = list(Action.objects.filter(enrolment=enrolment).order_by("id").values_list("kind", "status"))
    assert steps == [("wait", "done"), ("email", "done")]


def test_a_branch_sends_each_side_its_own_steps(ingest, shop, alice, no_holdout, all_day):
    journey_map, stages, _ = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="By plan",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
    )
    branch = auto.step_add(
        automation=automation,
        actor=alice,
        kind="branch",
        config={"condition": {"kind": "trait", "key": "plan", "op": "eq", "value": "pro"}},
    )
    auto.step_add(
        automation=automation,
        actor=alice,
        kind="trait",
        config={"key": "route", "value": "pro"},
        parent=branch,
        side="yes",
    )
    auto.step_add(
        automation=automation,
        actor=alice,
        kind="trait",
        config={"key": "route", "value": "free"},
        parent=branch,
        side="no",
    )
    auto.step_add(automation=automation, actor=alice, kind="trait", config={"key": "seen", "value": True})
    auto.automation_activate(automation=automation, actor=alice)
    ingest(identify("pro-1", plan="pro"), identify("free-1", plan="free"))
    ingest(track("pro-1", "Checkout Started", "p1"), track("free-1", "Checkout Started", "f1"))
    traits = {p.user_id: p.traits for p in Profile.objects.all()}
    assert (traits["pro-1"]["route"], traits["pro-1"]["seen"]) == ("pro", True)
    assert (traits["free-1"]["route"], traits["free-1"]["seen"]) == ("free", True)
    sides = sorted(Action.objects.filter(kind="branch").values_list("result__side", flat=True))
    assert sides == ["no", "yes"]


def test_stalled_in_decision_enrols_once_per_stay(ingest, shop, alice, no_holdout, all_day):
    journey_map, stages, checkout = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Stalled",
        trigger="stage_stalled",
        trigger_config={"stage": stages["Decision"].pk},
    )
    auto.step_add(
        automation=automation,
        actor=alice,
        kind="task",
        config={"touchpoint": checkout.pk, "title": "Call {{ first_name }}"},
    )
    auto.automation_activate(automation=automation, actor=alice)
    two_days_ago = (timezone.now() - timedelta(days=2)).isoformat()
    ingest(identify("dee", first_name="Dee"))
    ingest(track("dee", "Checkout Started", "d1", timestamp=two_days_ago))
    ingest(track("eve", "Checkout Started", "e1"))  # entered just now: not stalled (SLA 24 h)
    assert engine.stall_threshold(automation) == timedelta(hours=24)
    assert engine.stalls_enrol() == 1
    assert engine.stalls_enrol() == 0
    engine.advance()
    outbox.actions_send()
    task = OwnerTask.objects.get()
    assert (task.title, task.owner.username, task.profile.user_id) == ("Call Dee", "erin", "dee")
    assert task.due_at > timezone.now() + timedelta(hours=23)


def test_moving_on_to_the_next_stage_exits_early(ingest, shop, alice, no_holdout, all_day):
    journey_map, stages, _ = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Exit",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
        exit_criteria={"next_stage": True},
    )
    auto.step_add(automation=automation, actor=alice, kind="wait", config={"hours": 2})
    auto.step_add(automation=automation, actor=alice, kind="email", config={"templates": {"en": {"subject": "x"}}})
    auto.automation_activate(automation=automation, actor=alice)
    ingest(identify("fay", email="fay@example.com"))
    ingest(track("fay", "Checkout Started", "f1"))
    ingest(track("fay", "Order Completed", "f2"))
    enrolment = Enrolment.objects.get()
    assert (enrolment.status, enrolment.exit_reason) == ("exited", "exit_criteria")
    assert enrolment.converted_at is not None
    engine.advance(now=timezone.now() + timedelta(hours=3))
    assert not Action.objects.filter(kind="email").exists()


def test_did_not_do_an_event_enrols_only_those_who_did_not(ingest, shop, alice, no_holdout, all_day):
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
    ingest(track("gus", "Cart Added", "g1"), track("hal", "Cart Added", "h1"))
    ingest(track("hal", "Order Completed", "h2"))
    assert set(Enrolment.objects.values_list("status", flat=True)) == {"pending"}
    later = timezone.now() + timedelta(hours=2)
    counts = engine.advance(now=later)
    assert (counts["entered"], counts["dropped"]) == (1, 1)
    outbox.actions_send(now=later)
    nudged = {p.user_id: p.traits.get("nudged") for p in Profile.objects.all()}
    assert nudged == {"gus": True, "hal": None}


def test_a_paused_automation_neither_enrols_nor_advances(ingest, decision_email, alice, no_holdout, all_day):
    auto.automation_pause(automation=decision_email, actor=alice)
    ingest(track("ivy", "Checkout Started", "i1"))
    assert not Enrolment.objects.exists()


def test_editing_steps_in_flight_goes_on_after_a_removed_step(ingest, shop, alice, no_holdout, all_day):
    journey_map, stages, _ = shop
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Edit",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
    )
    wait = auto.step_add(automation=automation, actor=alice, kind="wait", config={"hours": 1})
    auto.step_add(automation=automation, actor=alice, kind="trait", config={"key": "after", "value": 1})
    auto.automation_activate(automation=automation, actor=alice)
    ingest(track("jo", "Checkout Started", "j1"))
    auto.step_delete(step=wait, actor=alice)
    later = timezone.now() + timedelta(hours=2)
    engine.advance(now=later)
    outbox.actions_send(now=later)
    assert Profile.objects.get(user_id="jo").traits["after"] == 1
    assert Enrolment.objects.get().status == "completed"

"""An automation's owner task runs under the touchpoint's SLA: due when the SLA says, breached
(the owner is told, in their language) and escalated (the team's admins are told) by owners'
SLA sweep, exactly like a hand-off case, and never once it is done."""

from datetime import timedelta

import pytest
from django.utils import translation

from automations import engine, outbox
from automations import services as auto
from automations.models import OwnerTask
from owners.models import SLA
from owners.services import SweepResult, sla_sweep
from owners.tasks import sla_sweep as sla_sweep_task
from teams.models import UserPreference

from .conftest import track

pytestmark = pytest.mark.django_db


@pytest.fixture
def call_task(ingest, shop, alice, no_holdout, all_day):
    """A customer reaches Decision; the automation opens a task for Checkout's owner (erin)."""
    journey_map, stages, checkout = shop
    SLA.objects.filter(touchpoint=checkout).update(escalation_delay=timedelta(hours=4))
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Call",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
    )
    auto.step_add(
        automation=automation, actor=alice, kind="task", config={"touchpoint": checkout.pk, "title": "Call them"}
    )
    auto.automation_activate(automation=automation, actor=alice)
    ingest(track("dee", "Checkout Started", "d"))
    engine.advance()
    outbox.actions_send()
    return OwnerTask.objects.get()


def test_the_task_is_due_under_the_touchpoints_sla(call_task, erin):
    assert call_task.owner == erin
    sent_at = call_task.action.done_at
    assert timedelta(hours=24) - timedelta(minutes=1) <= call_task.due_at - sent_at <= timedelta(hours=24)
    assert call_task.escalate_at == call_task.due_at + timedelta(hours=4)


def test_owners_sla_sweep_breaches_then_escalates_an_overdue_task_once(call_task, alice, erin, mailoutbox, client_as):
    UserPreference.objects.create(user=erin, language="lv")
    mailoutbox.clear()
    assert sla_sweep(now=call_task.due_at - timedelta(minutes=1)) == SweepResult(breached=0, escalated=0, notified=0)

    late = call_task.due_at + timedelta(minutes=1)
    assert sla_sweep(now=late) == SweepResult(breached=1, escalated=0, notified=1)
    call_task.refresh_from_db()
    assert call_task.breached_at == late and call_task.escalated_at is None
    (breach,) = mailoutbox
    assert breach.to == ["erin@example.com"]
    with translation.override("lv"):
        wanted = translation.gettext("SLA breached: %(what)s") % {
            "what": translation.gettext("Task “%(title)s” of the automation “%(automation)s”")
            % {"title": "Call them", "automation": "Call"}
        }
    assert breach.subject == wanted
    assert not breach.subject.startswith("SLA breached")  # in the owner's language, not English
    assert "/automations/tasks/" in breach.body
    assert sla_sweep(now=late + timedelta(minutes=1)) == SweepResult(breached=0, escalated=0, notified=0)

    escalate = call_task.escalate_at + timedelta(minutes=1)
    assert sla_sweep(now=escalate) == SweepResult(breached=0, escalated=1, notified=1)
    escalation = mailoutbox[1]
    assert escalation.to == ["alice@example.com"]
    assert escalation.subject == "SLA escalation: Task “Call them” of the automation “Call”"
    assert "Owner: erin." in escalation.body
    assert sla_sweep(now=escalate + timedelta(hours=1)) == SweepResult(breached=0, escalated=0, notified=0)
    page = client_as(erin).get("/automations/tasks/").content.decode()
    assert "eskalēts komandas administratoriem" in page  # erin reads Latvian


def test_the_owners_periodic_task_runs_the_automations_sweep(call_task, settings):
    OwnerTask.objects.filter(pk=call_task.pk).update(due_at=call_task.created_at - timedelta(hours=1))
    assert sla_sweep_task.delay().get() == {"breached": 1, "escalated": 0, "notified": 1}
    call_task.refresh_from_db()
    assert call_task.breached_at is not None


def test_a_task_done_in_time_is_never_breached(call_task, erin, mailoutbox):
    auto.owner_task_close(task=call_task, actor=erin)
    mailoutbox.clear()
    assert sla_sweep(now=call_task.escalate_at + timedelta(days=1)) == SweepResult(breached=0, escalated=0, notified=0)
    assert mailoutbox == []

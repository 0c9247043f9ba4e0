"""Issue 21's done-when, end to end on the demo: a customer who stalls in Decision receives the
returns-policy email in their language, the owner gets a task under the touchpoint's SLA if they
still stall (and the SLA sweep escalates it when it runs out), and the automation's page shows
its conversion against the holdout with an interval."""

import math
from datetime import time, timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.template.defaultfilters import floatformat
from django.utils import timezone, translation
from statsmodels.stats.proportion import proportion_confint

from automations import engine, outbox
from automations.demo import RETURNS_POLICY
from automations.models import Action, Automation, Enrolment, OwnerTask, Respect
from customers import services as customers
from customers.models import Profile, ProfileStage, Source
from owners.models import SLA, Ownership
from owners.services import sla_sweep

Z95 = 1.959963984540054


def _ingest(source, items, at):
    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        customers.events_ingest(source=source, items=items, received_at=at)


@pytest.mark.django_db
def test_the_done_when_on_the_demo(client, mailoutbox, monkeypatch, django_capture_on_commit_callbacks):
    call_command("seed_demo", verbosity=0)
    automation = Automation.objects.select_related("team").get(
        team__slug="northwind", name="Stalled in Decision: returns policy"
    )
    team = automation.team
    # The customer is enrolled, not held out, and the clock moved forward may land in quiet hours.
    monkeypatch.setattr("automations.engine._rolls_holdout", lambda percent: False)
    Respect.objects.update_or_create(team=team, defaults={"quiet_start": time(0, 0), "quiet_end": time(0, 0)})

    start = timezone.now()
    source = Source.objects.filter(team=team).order_by("pk").first()
    items = [
        {
            "type": "identify",
            "userId": "e2e-liga",
            "traits": {"email": "liga@example.com", "first_name": "Līga", "locale": "lv"},
        },
        {"type": "page", "userId": "e2e-liga", "properties": {"path": "/shop/cart"}},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        _ingest(source, items, start)
    profile = Profile.objects.get(team=team, user_id="e2e-liga")
    assert ProfileStage.objects.get(profile=profile, journey_map=automation.journey_map).stage.name == "Decision"

    def run_sweeps(now):
        engine.stalls_enrol(now=now)
        engine.advance(now=now)
        ids = list(Action.objects.filter(profile=profile, status="pending").values_list("pk", flat=True))
        return outbox.actions_send(ids=ids, now=now)

    # A day in Decision is the trigger (the cart's SLA): before it, nothing.
    run_sweeps(start + timedelta(hours=23))
    assert not Enrolment.objects.filter(automation=automation, profile=profile).exists()

    stalled = start + timedelta(hours=24, minutes=5)
    mailoutbox.clear()
    assert run_sweeps(stalled)["done"] == 1
    enrolment = Enrolment.objects.get(automation=automation, profile=profile)
    assert (enrolment.status, enrolment.is_holdout) == ("active", False)
    (email,) = [m for m in mailoutbox if m.to == ["liga@example.com"]]
    assert email.subject == RETURNS_POLICY["lv"]["subject"]
    assert RETURNS_POLICY["lv"]["body"] in email.body
    with translation.override("lv"):
        unsubscribe = translation.gettext("Unsubscribe from these emails: %(link)s").split("%(link)s")[0]
    assert unsubscribe.strip() and unsubscribe in email.body and "Unsubscribe" not in email.body
    assert not OwnerTask.objects.filter(profile=profile).exists()

    # Still in Decision a day after the email: a task for the cart's accountable owner, under its SLA.
    still = stalled + timedelta(hours=24, minutes=5)
    assert run_sweeps(still)["done"] == 1
    task = OwnerTask.objects.get(profile=profile)
    cart_owner = Ownership.objects.get(
        journey_map=automation.journey_map, touchpoint__name="Cart and delivery options", role="accountable"
    )
    sla = SLA.objects.get(touchpoint=cart_owner.touchpoint)
    assert task.owner_id == cart_owner.user_id
    assert task.title == "Call Līga: still deciding after the returns email"
    assert not sla.business_hours
    assert task.due_at == still + sla.response_target
    assert task.escalate_at == task.due_at + sla.escalation_delay

    # The owner does not pick it up: owners' SLA sweep tells them once the SLA has run out.
    owner = get_user_model().objects.get(pk=cart_owner.user_id)
    sla_sweep(now=task.due_at - timedelta(minutes=1))
    task.refresh_from_db()
    assert task.breached_at is None
    mailoutbox.clear()
    sla_sweep(now=task.due_at + timedelta(minutes=1))
    task.refresh_from_db()
    assert task.breached_at == task.due_at + timedelta(minutes=1)
    assert any(owner.email in m.to and "Call Līga" in m.subject + m.body for m in mailoutbox)

    # The automation's page: conversion of the enrolled against the holdout, n and 95 % intervals.
    counted = Enrolment.objects.filter(automation=automation).exclude(status__in=["pending", "dropped"])
    groups = {}
    for holdout in (False, True):
        rows = counted.filter(is_holdout=holdout)
        groups[holdout] = (rows.exclude(converted_at=None).count(), rows.count())
    (k_e, n_e), (k_h, n_h) = groups[False], groups[True]
    assert n_e >= 2 and n_h >= 2  # enough for the difference to be computed
    client.force_login(owner)
    html = client.get(automation.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for k, n in ((k_e, n_e), (k_h, n_h)):
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        row = f"<td>{round(100 * k / n)} %</td><td>{n}</td><td>{round(100 * low)}–{round(100 * high)} %</td>"
        assert row in html, row
    p_e, p_h = k_e / n_e, k_h / n_h
    change = 100 * (p_e - p_h)
    half = 100 * Z95 * math.sqrt(p_e * (1 - p_e) / n_e + p_h * (1 - p_h) / n_h)
    sentence = (
        f"Difference: {floatformat(change, 1)} percentage points "
        f"(95 % interval {floatformat(change - half, 1)} to {floatformat(change + half, 1)})."
    )
    assert sentence in html, sentence
    assert ("fewer than 30 in a group" in html) == (min(n_e, n_h) < 30)

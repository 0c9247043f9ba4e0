"""The outbox: claims under a lease, exactly-once writes, and respect for the customer."""

from datetime import time, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from automations import outbox
from automations.models import Action, Enrolment, Respect, Suppression

from .conftest import identify, track

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(ingest, decision_email, no_holdout, monkeypatch):
    """One email action written but not sent (the send task is held back)."""
    monkeypatch.setattr("automations.engine._send_later", lambda: None)

    def make(user_id="kim", **traits):
        ingest(identify(user_id, email=f"{user_id}@example.com", **traits))
        ingest(track(user_id, "Checkout Started", f"{user_id}-co"))
        return Action.objects.get(profile__user_id=user_id, kind="email")

    return make


def test_a_claimed_action_is_not_claimed_again_until_its_lease_runs_out(pending, all_day):
    action = pending()
    assert [a.pk for a in outbox.actions_claim()] == [action.pk]
    assert outbox.actions_claim() == []
    action.refresh_from_db()
    assert (action.status, action.attempts) == ("sending", 1)
    after_lease = timezone.now() + outbox.lease() + timedelta(seconds=1)
    assert outbox.actions_due(now=after_lease) == [action.pk]
    retaken = outbox.actions_claim(now=after_lease)
    assert [(a.pk, a.attempts) for a in retaken] == [(action.pk, 2)]
    # The first worker's late result is dropped: the claim is no longer its own.
    assert outbox._finish(action, "done") is False
    assert outbox.action_perform(retaken[0], now=after_lease) == "done"
    action.refresh_from_db()
    assert (action.status, action.attempts) == ("done", 2)
    assert len(mail.outbox) == 1


def test_an_unsubscribed_customer_is_skipped(pending, all_day):
    action = pending()
    Suppression.objects.create(team_id=action.team_id, profile_id=action.profile_id)
    assert outbox.actions_send() == {"done": 0, "skipped": 1, "deferred": 0, "failed": 0, "retry": 0}
    action.refresh_from_db()
    assert (action.status, action.reason) == ("skipped", "suppressed")
    assert mail.outbox == []


def test_a_customer_without_marketing_consent_is_skipped(pending, all_day):
    action = pending(marketing_consent=False)
    outbox.actions_send()
    action.refresh_from_db()
    assert (action.status, action.reason) == ("skipped", "suppressed")


def test_the_frequency_cap_counts_every_automation(pending, all_day):
    all_day.max_messages = 1
    all_day.save()
    first = pending("lou")
    outbox.actions_send()
    second = Action.objects.create(
        team_id=first.team_id,
        enrolment=Enrolment.objects.create(
            team_id=first.team_id, automation=first.automation, profile_id=first.profile_id, entry_key="again"
        ),
        step=first.step,
        automation=first.automation,
        profile_id=first.profile_id,
        kind="email",
    )
    outbox.actions_send()
    second.refresh_from_db()
    assert (second.status, second.reason) == ("skipped", "frequency_cap")
    assert len(mail.outbox) == 1


def test_quiet_hours_defer_to_their_end_in_the_customers_time_zone(pending, team_a):
    Respect.objects.create(team=team_a, quiet_start=time(21, 0), quiet_end=time(8, 0))
    action = pending(timezone="Asia/Taipei")
    # 23:30 in Taipei is 15:30 UTC: tomorrow's, so the action is due then whenever the test runs.
    night = (timezone.now() + timedelta(days=1)).replace(hour=15, minute=30, second=0, microsecond=0)
    assert outbox.actions_send(now=night)["deferred"] == 1
    action.refresh_from_db()
    assert (action.status, action.reason, action.attempts) == ("pending", "quiet_hours", 0)
    assert action.not_before == night.replace(hour=0, minute=0) + timedelta(days=1)  # 08:00 Taipei
    assert mail.outbox == []


def test_the_daily_limit_defers_to_the_next_day(pending, decision_email, all_day):
    decision_email.daily_send_limit = 1
    decision_email.save()
    pending("max")
    outbox.actions_send()
    late = pending("ned")
    outbox.actions_send()
    late.refresh_from_db()
    assert (late.status, late.reason) == ("pending", "daily_limit")
    assert late.not_before > timezone.now()
    assert len(mail.outbox) == 1


def test_the_unsubscribe_link_asks_first_then_unsubscribes(pending, all_day):
    action = pending()
    outbox.actions_send()
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    path = link[link.index("/api/public/") :]
    client = Client()
    assert client.get(path).status_code == 200
    assert not Suppression.objects.exists()
    assert client.post(path, {"action": "unsubscribe"}).status_code == 200
    assert Suppression.objects.get().profile_id == action.profile_id
    assert client.get(path.replace("unsubscribe/", "unsubscribe/x")).status_code == 404

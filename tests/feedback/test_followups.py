"""Closing the loop: low scores open follow-ups for the accountable owner, under the SLA."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from feedback import services
from feedback.models import FollowUp
from owners.models import Ownership


@pytest.fixture
def emitted(domain_events):
    return domain_events


def test_detractor_opens_followup_for_accountable_owner_due_by_sla(survey, submit, checkout_owned, erin, emitted):
    before = timezone.now()
    response = submit(survey, {"score": 3, "comment": "Delivery takes two weeks"})
    followup = FollowUp.objects.get(response=response)
    assert followup.owner == erin
    assert followup.touchpoint_id == checkout_owned.pk
    assert before + timedelta(hours=48) <= followup.due_at <= timezone.now() + timedelta(hours=48)
    assert followup.escalate_at == followup.due_at + timedelta(hours=24)
    assert [e for _, e, _ in emitted] == ["response.created", "followup.opened"]


def test_promoter_and_passive_open_no_followup(survey, submit, checkout_owned):
    submit(survey, {"score": 9})
    submit(survey, {"score": 7})
    assert FollowUp.objects.count() == 0


def test_followup_without_touchpoint_owner_falls_back_to_stage_owner(survey, submit, checkout, alice, shop_map):
    Ownership.objects.create(journey_map=shop_map, stage=checkout.stage, user=alice, role="accountable")
    followup = FollowUp.objects.get(response=submit(survey, {"score": 1}))
    assert followup.owner == alice
    assert followup.due_at > timezone.now() + timedelta(hours=47)  # the default 48 h target


def test_a_score_retried_opens_only_one_followup(survey, submit, checkout_owned):
    submit(survey, {"score": 2}, submission_id="retry-me-0001", finished=False)
    submit(survey, {"comment": "again"}, submission_id="retry-me-0001", finished=True)
    assert FollowUp.objects.count() == 1


def test_sweep_records_breach_once_emails_owner_then_escalates(survey, submit, checkout_owned, erin, alice, emitted):
    erin.email, alice.email = "erin@example.com", "alice@example.com"
    erin.save(update_fields=["email"])
    alice.save(update_fields=["email"])
    followup = FollowUp.objects.get(response=submit(survey, {"score": 0}))
    assert services.followups_sweep() == {"breached": 0, "escalated": 0, "emails": 0}
    with time_machine.travel(followup.due_at + timedelta(minutes=1)):
        assert services.followups_sweep()["breached"] == 1
        assert services.followups_sweep()["breached"] == 0  # recorded once
    assert [m.to for m in mail.outbox] == [["erin@example.com"]]
    followup.refresh_from_db()
    assert followup.breached_at is not None and followup.escalated_at is None
    with time_machine.travel(followup.escalate_at + timedelta(minutes=1)):
        result = services.followups_sweep()
    assert result["escalated"] == 1
    assert mail.outbox[-1].to == ["alice@example.com"]
    assert "followup.breached" in [e for _, e, _ in emitted]


def test_closed_followup_never_breaches(survey, submit, checkout_owned, erin):
    followup = FollowUp.objects.get(response=submit(survey, {"score": 0}))
    services.followup_close(followup=followup, actor=erin)
    with time_machine.travel(followup.due_at + timedelta(days=3)):
        assert services.followups_sweep() == {"breached": 0, "escalated": 0, "emails": 0}


def test_owner_acknowledges_notes_and_closes_from_my_followups(client_as, survey, submit, checkout_owned, erin):
    followup = FollowUp.objects.get(response=submit(survey, {"score": 4, "comment": "Returns unclear"}))
    client = client_as(erin)
    page = client.get(reverse("feedback:my_followups"))
    assert page.status_code == 200 and b"Returns unclear" in page.content
    url = reverse("feedback:followup_action", args=[followup.pk])
    assert client.post(url, {"action": "acknowledge"}, HTTP_HX_REQUEST="true").status_code == 200
    assert (
        client.post(url, {"action": "note", "note": "Called the customer"}, HTTP_HX_REQUEST="true").status_code == 200
    )
    assert client.post(url, {"action": "note", "note": "  "}, HTTP_HX_REQUEST="true").status_code == 400
    assert client.post(url, {"action": "close"}, HTTP_HX_REQUEST="true").status_code == 200
    followup.refresh_from_db()
    assert followup.status == "closed" and followup.acknowledged_at and followup.closed_at
    assert followup.notes.endswith("erin: Called the customer")


def test_concurrent_notes_both_kept(survey, submit, checkout_owned, erin, alice):
    followup = FollowUp.objects.get(response=submit(survey, {"score": 4}))
    stale = FollowUp.objects.get(pk=followup.pk)
    services.followup_add_note(followup=followup, actor=erin, text="first")
    services.followup_add_note(followup=stale, actor=alice, text="second")
    followup.refresh_from_db()
    assert "first" in followup.notes and "second" in followup.notes


def test_viewer_who_does_not_own_it_cannot_close(client_as, survey, submit, checkout_owned, victor):
    followup = FollowUp.objects.get(response=submit(survey, {"score": 4}))
    response = client_as(victor).post(reverse("feedback:followup_action", args=[followup.pk]), {"action": "close"})
    assert response.status_code == 403
    followup.refresh_from_db()
    assert followup.status == "open"


def test_my_followups_page_query_count_does_not_grow(
    client_as, survey, submit, checkout_owned, erin, django_assert_max_num_queries
):
    for _ in range(8):
        submit(survey, {"score": 1})
    client = client_as(erin)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("feedback:my_followups"))
    assert response.status_code == 200
    assert response.content.count(b'fb-followup"') == 8


def test_sweep_sends_each_owner_one_email_listing_their_breaches(survey, submit, checkout_owned, erin, emitted):
    erin.email = "erin@example.com"
    erin.save(update_fields=["email"])
    followups = [FollowUp.objects.get(response=submit(survey, {"score": score})) for score in (0, 3, 5)]
    with time_machine.travel(max(f.due_at for f in followups) + timedelta(minutes=1)):
        assert services.followups_sweep() == {"breached": 3, "escalated": 0, "emails": 1}
        assert services.followups_sweep()["breached"] == 0
    assert [m.to for m in mail.outbox] == [["erin@example.com"]]
    assert mail.outbox[0].subject == "SLA breached: 3 items"
    for score in (0, 3, 5):
        assert f"Follow-up of a {score} on “Checkout NPS”" in mail.outbox[0].body
    breached = sorted(data["id"] for _, event, data in emitted if event == "followup.breached")
    assert breached == sorted(f.pk for f in followups)

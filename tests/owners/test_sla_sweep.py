"""The SLA clock: due times in business hours, and the sweep that records, notifies and escalates once."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail

from owners import services
from owners.models import Handoff, HandoffCase
from owners.sla import WorkingHours, format_duration, sla_due_at, touchpoint_due_at
from owners.tasks import sla_sweep

from .owners_world import shop_map

FRIDAY_3PM = datetime(2026, 1, 2, 15, 0, tzinfo=UTC)


def test_due_at_counts_wall_clock_time_without_business_hours():
    assert sla_due_at(FRIDAY_3PM, timedelta(hours=16)) == FRIDAY_3PM + timedelta(hours=16)


def test_due_at_skips_nights_and_weekends_in_business_hours():
    due = sla_due_at(FRIDAY_3PM, timedelta(hours=16), business_hours=True, hours=WorkingHours())
    assert due == datetime(2026, 1, 6, 15, 0, tzinfo=UTC)  # Fri 2 h + Mon 8 h + Tue 6 h


def test_due_at_uses_the_teams_time_zone():
    riga = WorkingHours(time_zone="Europe/Riga", start=time(9), end=time(17))
    # 15:00 UTC is 17:00 in Riga: the day is over, so 1 h is due at 10:00 Riga on Monday (08:00 UTC).
    assert sla_due_at(FRIDAY_3PM, timedelta(hours=1), business_hours=True, hours=riga) == datetime(
        2026, 1, 5, 8, 0, tzinfo=UTC
    )


def test_due_at_starting_before_opening_counts_from_opening():
    monday_7am = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
    assert sla_due_at(monday_7am, timedelta(hours=2), business_hours=True) == datetime(2026, 1, 5, 11, 0, tzinfo=UTC)


def test_format_duration_reads_like_people_say_it():
    assert [format_duration(timedelta(hours=h)) for h in (0.5, 48, 96, 1.5)] == ["30 min", "48 h", "4 d", "1 h 30 min"]


@pytest.mark.django_db
def test_touchpoint_due_at_follows_its_sla_and_team_hours(team_a, alice):
    shop = shop_map(team_a)
    tp = shop.touchpoints[0]
    assert touchpoint_due_at(tp.pk, FRIDAY_3PM) is None
    services.sla_set(actor=alice, touchpoint=tp, response_target=timedelta(hours=16), business_hours=True)
    due = touchpoint_due_at(tp.pk, FRIDAY_3PM)
    assert due.due_at == datetime(2026, 1, 6, 15, 0, tzinfo=UTC)
    assert due.escalation_delay == timedelta(hours=24)


@pytest.fixture
def handoff(team_a, alice, erin):
    alice.email, erin.email = "alice@example.com", "erin@example.com"
    alice.save(update_fields=["email"])
    erin.save(update_fields=["email"])
    shop = shop_map(team_a, n_touchpoints=2)
    return services.handoff_create(
        actor=alice,
        from_touchpoint=shop.touchpoints[0],
        to_touchpoint=shop.touchpoints[1],
        to_owner=erin,
        response_target=timedelta(hours=24),
        escalation_delay=timedelta(hours=8),
    )


@pytest.fixture
def received_events(domain_events):
    return domain_events


@pytest.mark.django_db
def test_breached_handoff_gives_exactly_one_notification_and_one_escalation(handoff, alice, received_events):
    with time_machine.travel(FRIDAY_3PM, tick=False):
        case = services.handoff_case_open(actor=alice, handoff=handoff, reference="ORDER-1042")
    assert case.due_at == FRIDAY_3PM + timedelta(hours=24)

    with time_machine.travel(FRIDAY_3PM + timedelta(hours=23), tick=False):
        assert sla_sweep.delay().get() == {"breached": 0, "escalated": 0, "notified": 0}
    assert mail.outbox == []

    breach_time = FRIDAY_3PM + timedelta(hours=25)
    with time_machine.travel(breach_time, tick=False):
        assert sla_sweep.delay().get() == {"breached": 1, "escalated": 0, "notified": 1}
        assert sla_sweep.delay().get() == {"breached": 0, "escalated": 0, "notified": 0}
    case.refresh_from_db()
    assert case.breached_at == breach_time and case.escalated_at is None
    assert [m.to for m in mail.outbox] == [["erin@example.com"]]
    assert "SLA breached" in mail.outbox[0].subject and "ORDER-1042" in mail.outbox[0].subject
    assert [(e[1], e[2]["handoff_case"]) for e in received_events] == [("handoff.breached", case.pk)]

    with time_machine.travel(breach_time + timedelta(hours=7), tick=False):
        assert sla_sweep.delay().get()["escalated"] == 0
    escalation_time = breach_time + timedelta(hours=8)
    with time_machine.travel(escalation_time, tick=False):
        assert sla_sweep.delay().get() == {"breached": 0, "escalated": 1, "notified": 1}
        assert sla_sweep.delay().get() == {"breached": 0, "escalated": 0, "notified": 0}
    case.refresh_from_db()
    assert case.escalated_at == escalation_time
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["alice@example.com"]  # the team admin
    assert "SLA escalation" in mail.outbox[1].subject
    assert len(received_events) == 1


@pytest.mark.django_db
def test_completed_case_is_never_breached(handoff, alice):
    with time_machine.travel(FRIDAY_3PM, tick=False):
        case = services.handoff_case_open(actor=alice, handoff=handoff)
        services.handoff_case_complete(actor=alice, case=case)
    with time_machine.travel(FRIDAY_3PM + timedelta(days=3), tick=False):
        assert services.handoff_cases_sweep().breached == 0
    case.refresh_from_db()
    assert case.breached_at is None and mail.outbox == []


@pytest.mark.django_db
def test_sweep_is_set_based(handoff, alice, django_assert_max_num_queries, without_webhooks):
    # Webhook delivery is measured by its own tests.
    with time_machine.travel(FRIDAY_3PM, tick=False):
        for i in range(30):
            services.handoff_case_open(actor=alice, handoff=handoff, reference=f"C-{i}")
    with time_machine.travel(FRIDAY_3PM + timedelta(days=2), tick=False), django_assert_max_num_queries(8):
        result = services.handoff_cases_sweep()
    assert (result.breached, result.escalated) == (30, 0)
    assert HandoffCase.objects.filter(breached_at__isnull=True).count() == 0
    # One email to the owner listing the 30 breaches, not 30 emails.
    assert [m.to for m in mail.outbox] == [["erin@example.com"]]
    assert mail.outbox[0].subject == "SLA breached: 30 items"
    assert all(f"(C-{i})" in mail.outbox[0].body for i in range(30))
    with time_machine.travel(FRIDAY_3PM + timedelta(days=3), tick=False), django_assert_max_num_queries(8):
        result = services.handoff_cases_sweep()
    assert (result.breached, result.escalated) == (0, 30)
    assert [m.to for m in mail.outbox[1:]] == [["alice@example.com"]]
    assert mail.outbox[1].subject == "SLA escalation: 30 items"
    assert all(f"(C-{i})" in mail.outbox[1].body for i in range(30))


@pytest.mark.django_db
def test_handoff_without_owner_records_the_breach_and_escalates(team_a, alice):
    shop = shop_map(team_a, n_touchpoints=2)
    handoff = Handoff.objects.create(
        journey_map=shop.journey_map,
        from_touchpoint=shop.touchpoints[0],
        to_touchpoint=shop.touchpoints[1],
        escalation_delay=timedelta(0),
    )
    with time_machine.travel(FRIDAY_3PM, tick=False):
        services.handoff_case_open(actor=alice, handoff=handoff)
    with time_machine.travel(FRIDAY_3PM + timedelta(days=2), tick=False):
        result = services.handoff_cases_sweep()
    assert (result.breached, result.escalated) == (1, 1)

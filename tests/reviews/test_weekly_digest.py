"""The weekly digest: rendered per member and sent by a Celery task; one-click unsubscribe."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from feedback.models import FollowUp, Response, Survey
from reviews import services, tasks
from reviews.models import DigestPreference, ReviewSettings

pytestmark = pytest.mark.django_db

# A Monday, 08:30 in Riga (UTC+3 in summer): 05:30 UTC.
MONDAY_0830_RIGA = datetime.datetime(2025, 6, 9, 5, 30, tzinfo=datetime.UTC)


@pytest.fixture
def riga_team(team_a, alice):
    team_a.time_zone = "Europe/Riga"
    team_a.save()
    services.review_settings_update(team=team_a, actor=alice, digest_weekday=1, digest_hour=8)
    return team_a


@pytest.fixture
def erin_has_work(team_a, shop_map, checkout, record, erin):
    with time_machine.travel(MONDAY_0830_RIGA - datetime.timedelta(days=7), tick=False):
        record(
            shop_map,
            items=[
                {"title": "Show the delivery date", "owner": erin, "due_date": datetime.date(2025, 6, 5)},
                {"title": "Check returns analytics", "owner": erin, "due_date": datetime.date(2025, 6, 20)},
            ],
        )
    survey = Survey.objects.create(team=team_a, name="Checkout NPS")
    response = Response.objects.create(team=team_a, survey=survey, submission_id="x", score=3, touchpoint=checkout)
    FollowUp.objects.create(
        team=team_a,
        response=response,
        touchpoint=checkout,
        owner=erin,
        due_at=MONDAY_0830_RIGA - datetime.timedelta(hours=5),
        breached_at=MONDAY_0830_RIGA - datetime.timedelta(hours=4),
    )


def test_task_sends_each_member_their_digest(riga_team, erin_has_work, erin, alice, victor, mailoutbox):
    with time_machine.travel(MONDAY_0830_RIGA, tick=False):
        sent = tasks.send_team_digest.delay(riga_team.pk).get()
    assert sent == 3  # erin has work; alice and victor see the map due for review
    by_person = {m.to[0]: m for m in mailoutbox}
    assert set(by_person) == {"erin@example.com", "alice@example.com", "victor@example.com"}
    mail = by_person["erin@example.com"]
    assert mail.subject == "Team A: your week in Waymark (needs attention)"
    assert "Show the delivery date (Online shop): due Thu 5 Jun - OVERDUE" in mail.body
    assert "Check returns analytics (Online shop): due Fri 20 Jun" in mail.body
    assert "SLA BREACHED" in mail.body
    assert "MAPS DUE FOR REVIEW THIS WEEK (1)" in mail.body
    html, mime = mail.alternatives[0]
    assert mime == "text/html"
    assert "Show the delivery date" in html and "overdue" in html
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Show the delivery date" not in by_person["alice@example.com"].body


def test_members_with_nothing_to_read_get_nothing(riga_team, erin, mailoutbox):
    with time_machine.travel(MONDAY_0830_RIGA, tick=False):
        assert tasks.send_team_digest.delay(riga_team.pk).get() == 0
    assert mailoutbox == []


def test_unsubscribe_link_stops_the_digest(client, riga_team, erin_has_work, erin, mailoutbox):
    with time_machine.travel(MONDAY_0830_RIGA, tick=False):
        tasks.send_team_digest.delay(riga_team.pk).get()
    link = next(m for m in mailoutbox if m.to == ["erin@example.com"]).extra_headers["List-Unsubscribe"].strip("<>")
    path = link[link.index("/api/public/") :]
    page = client.get(path)
    assert page.status_code == 200 and "Unsubscribe from the digest" in page.content.decode()
    assert not DigestPreference.objects.filter(user=erin).exists()  # a GET (mail scanners) changes nothing
    response = client.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert DigestPreference.objects.get(user=erin).unsubscribed is True

    mailoutbox.clear()
    with time_machine.travel(MONDAY_0830_RIGA, tick=False):
        tasks.send_team_digest.delay(riga_team.pk).get()
    assert "erin@example.com" not in {m.to[0] for m in mailoutbox}

    client.post(path, {"action": "subscribe"})
    assert DigestPreference.objects.get(user=erin).unsubscribed is False


def test_forged_unsubscribe_token_is_404(client, erin):
    token = services.unsubscribe_token(erin)
    url = reverse("reviews_public:unsubscribe", args=[token[:-3] + "abc"])
    assert client.post(url).status_code == 404
    assert not DigestPreference.objects.exists()


def test_dispatch_sends_at_the_teams_day_and_hour_once(
    riga_team, erin_has_work, mailoutbox, django_capture_on_commit_callbacks
):
    sunday = MONDAY_0830_RIGA - datetime.timedelta(days=1)
    with time_machine.travel(sunday, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_weekly_digests.delay().get() == {"teams": []}
    early = MONDAY_0830_RIGA - datetime.timedelta(hours=1)  # 07:30 in Riga
    with time_machine.travel(early, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_weekly_digests.delay().get() == {"teams": []}
    assert mailoutbox == []
    with time_machine.travel(MONDAY_0830_RIGA, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_weekly_digests.delay().get() == {"teams": [riga_team.pk]}
    assert len(mailoutbox) == 2  # alice and erin
    later = MONDAY_0830_RIGA + datetime.timedelta(hours=2)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_weekly_digests.delay().get() == {"teams": []}
    assert len(mailoutbox) == 2  # alice and erin
    local = MONDAY_0830_RIGA.astimezone(zoneinfo.ZoneInfo("Europe/Riga")).date()
    assert ReviewSettings.objects.get(team=riga_team).digest_last_sent_on == local


def test_disabled_digest_is_not_sent(riga_team, alice, erin_has_work, mailoutbox, django_capture_on_commit_callbacks):
    services.review_settings_update(team=riga_team, actor=alice, digest_enabled=False)
    with time_machine.travel(MONDAY_0830_RIGA, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.dispatch_weekly_digests.delay().get() == {"teams": []}
    assert mailoutbox == []


def test_beat_schedules_the_dispatch(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reviews-weekly-digest"]
    assert entry["task"] == "reviews.tasks.dispatch_weekly_digests"
    assert entry["schedule"] == 3600.0
    assert timezone.now()  # the schedule is hourly; the team's day and hour decide

"""Privacy: erasure by user id, export as JSON, consent at ingestion, IP truncation, retention."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.ingest import consent_denied
from customers.models import (
    Erasure,
    Event,
    Identity,
    PrivacySettings,
    Profile,
    ProfileMerge,
    ProfileStage,
    StageTransition,
    TraitChange,
    erasure_hash,
)
from feedback.models import Display, FollowUp, Response, Survey
from journeys.models import JourneyMap, Stage
from teams.net import truncate_ip

T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)


@pytest.fixture
def ingest(source, django_capture_on_commit_callbacks):
    """Store events as the tracking API does, and match them to stages after the commit."""

    def run(*items, received_at=None):
        with (
            mock.patch("webhooks.tasks.webhook_deliver.delay"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return services.events_ingest(source=source, items=list(items), received_at=received_at or timezone.now())

    return run


@pytest.fixture
def journey(team_a, alice):
    journey_map = JourneyMap.objects.create(team=team_a, title="Furniture shop")
    awareness = Stage.objects.create(journey_map=journey_map, name="Awareness", position=0)
    purchase = Stage.objects.create(journey_map=journey_map, name="Purchase", position=1)
    services.tracking_rule_create(actor=alice, stage=awareness, event_type="page", path_pattern="/*")
    services.tracking_rule_create(actor=alice, stage=purchase, event_name="Order Completed")
    return journey_map


def _answer(team, survey, respondent_id, score, n):
    response = Response.objects.create(
        team=team, survey=survey, submission_id=f"sub-{n}", score=score, metric="nps", respondent_id=respondent_id
    )
    if score < 7:
        FollowUp.objects.create(team=team, response=response, due_at=timezone.now())
    return response


@pytest.fixture
def two_people(team_a, ingest, journey):
    """Ana (anonymous visits, then identified, merged, with traits, stages and answers) and Ben."""
    ingest(
        {"type": "page", "anonymousId": "anon-ana", "properties": {"path": "/"}, "timestamp": T0.isoformat()},
        {"type": "page", "anonymousId": "anon-ana-phone", "properties": {"path": "/"}, "timestamp": T0.isoformat()},
        {"type": "page", "anonymousId": "anon-ben", "properties": {"path": "/"}, "timestamp": T0.isoformat()},
    )
    ingest(
        {"type": "identify", "userId": "ana", "anonymousId": "anon-ana", "traits": {"plan": "team"}},
        {"type": "identify", "userId": "ben", "anonymousId": "anon-ben", "traits": {"plan": "free"}},
        {"type": "track", "userId": "ana", "event": "Order Completed"},
        {"type": "track", "userId": "ben", "event": "Order Completed"},
    )
    # A second device joins Ana later: a recorded merge.
    ingest({"type": "identify", "userId": "ana", "anonymousId": "anon-ana-phone", "traits": {"plan": "business"}})
    survey = Survey.objects.create(team=team_a, name="NPS", kind="nps", status="active")
    _answer(team_a, survey, "ana", 3, 1)
    _answer(team_a, survey, "anon-ana-phone", 9, 2)
    _answer(team_a, survey, "ben", 2, 3)
    Display.objects.create(team=team_a, survey=survey, respondent_id="ana")
    Display.objects.create(team=team_a, survey=survey, respondent_id="ben")
    return Profile.objects.get(team=team_a, user_id="ana"), Profile.objects.get(team=team_a, user_id="ben")


def _counts_for(profile):
    return {
        "events": Event.objects.filter(identity__profile=profile).count(),
        "identities": Identity.objects.filter(profile=profile).count(),
        "trait_changes": TraitChange.objects.filter(profile=profile).count(),
        "stage_transitions": StageTransition.objects.filter(profile=profile).count(),
        "current_stages": ProfileStage.objects.filter(profile=profile).count(),
    }


# --- erasure ------------------------------------------------------------------------------------


def test_erase_deletes_exactly_the_persons_rows_and_records_it(two_people, team_a, alice):
    ana, ben = two_people
    ana_before, ben_before = _counts_for(ana), _counts_for(ben)
    assert ana_before == {
        "events": 5,
        "identities": 3,
        "trait_changes": 2,
        # Awareness on each device, then Purchase; the phone's was kept through the merge.
        "stage_transitions": 3,
        "current_stages": 1,
    }
    # The phone's profile was merged into Ana's (the first identify absorbed a profile of its own request).
    assert ProfileMerge.objects.filter(into_profile=ana, status="merged").count() == 1
    merged_away = set(Profile.objects.filter(merged_into=ana).values_list("pk", flat=True))
    assert len(merged_away) == 1
    totals = {
        model: model.objects.count()
        for model in (Event, Identity, TraitChange, StageTransition, ProfileStage, ProfileMerge, Profile)
    }

    erasure = services.profile_erase(actor=alice, team=team_a, user_id="ana")

    assert erasure.counts == {
        "profiles": 2,
        "identities": 3,
        "events": 5,
        "trait_changes": 2,
        "stage_transitions": 3,
        "current_stages": 1,
        "merges": 1,
        "responses": 2,
        "follow_ups": 1,
        "displays": 1,
    }
    assert Event.objects.count() == totals[Event] - 5
    assert Identity.objects.count() == totals[Identity] - 3
    assert TraitChange.objects.count() == totals[TraitChange] - 2
    assert StageTransition.objects.count() == totals[StageTransition] - 3
    assert ProfileStage.objects.count() == totals[ProfileStage] - 1
    assert ProfileMerge.objects.count() == totals[ProfileMerge] - 1
    assert Profile.objects.count() == totals[Profile] - 2
    assert not Profile.objects.filter(pk__in={ana.pk, *merged_away}).exists()
    assert not Event.objects.filter(user_id="ana").exists()
    assert not Event.objects.filter(anonymous_id__in=["anon-ana", "anon-ana-phone"]).exists()
    # Ben is untouched.
    assert _counts_for(ben) == ben_before
    assert list(Response.objects.values_list("respondent_id", flat=True)) == ["ben"]
    assert FollowUp.objects.filter(response__respondent_id="ben").count() == 1
    assert list(Display.objects.values_list("respondent_id", flat=True)) == ["ben"]
    # The record keeps a keyed hash, never the id.
    stored = Erasure.objects.get()
    assert stored.identifier_hash == erasure_hash(team_a.pk, "ana") != "ana"
    assert "ana" not in json.dumps(stored.counts) and stored.erased_by == alice and stored.team == team_a


def test_a_later_event_from_an_erased_user_id_starts_a_new_profile(two_people, team_a, alice, ingest):
    ana, _ben = two_people
    services.profile_erase(actor=alice, team=team_a, user_id="ana")
    ingest({"type": "track", "userId": "ana", "event": "Signed In"})
    fresh = Profile.objects.get(team=team_a, user_id="ana")
    assert fresh.pk != ana.pk
    assert fresh.traits == {}
    assert Event.objects.filter(identity__profile=fresh).count() == 1


def test_erasing_an_unknown_id_is_recorded_with_nothing_deleted(two_people, team_a, alice):
    events = Event.objects.count()
    erasure = services.profile_erase(actor=alice, team=team_a, user_id="nobody")
    assert erasure.total == 0 and Event.objects.count() == events


def test_erasure_needs_a_team_admin(two_people, team_a, erin, victor, oscar):
    for person in (erin, victor):
        with pytest.raises(PermissionDenied):
            services.profile_erase(actor=person, team=team_a, user_id="ana")
    with pytest.raises(Http404):
        services.profile_erase(actor=oscar, team=team_a, user_id="ana")
    assert Profile.objects.filter(user_id="ana").exists() and not Erasure.objects.exists()


def test_erasure_api_statuses(two_people, team_a, alice, erin, victor, oscar, api_as):
    url = reverse("erasure-list")
    body = {"team": team_a.pk, "user_id": "ana"}
    assert api_as(victor).post(url, body, format="json").status_code == 403
    assert api_as(erin).post(url, body, format="json").status_code == 403
    outsider = api_as(oscar).post(url, body, format="json")
    assert outsider.status_code == 400 and "team" in outsider.json()["errors"]
    assert Profile.objects.filter(user_id="ana").exists() and not Erasure.objects.exists()
    blank = api_as(alice).post(url, {"team": team_a.pk, "user_id": ""}, format="json")
    assert blank.status_code == 400 and "user_id" in blank.json()["errors"]

    response = api_as(alice).post(url, body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["counts"]["events"] == 5 and data["erased_by"] == alice.username
    assert "ana" not in json.dumps(data)
    assert not Profile.objects.filter(user_id="ana").exists()
    listed = api_as(victor).get(url).json()["results"]
    assert [row["id"] for row in listed] == [data["id"]]
    assert api_as(oscar).get(reverse("erasure-detail", args=[data["id"]])).status_code == 404


def test_erasure_page_statuses(two_people, team_a, alice, erin, victor, oscar, client):
    url = reverse("customers:profile_erase")
    ana = Profile.objects.get(user_id="ana")
    client.force_login(erin)
    page = client.get(reverse("customers:profile_detail", args=[ana.pk])).content.decode()
    assert reverse("customers:profile_export", args=[ana.pk]) in page and url not in page
    for person, status in ((victor, 403), (erin, 403)):
        client.force_login(person)
        assert client.post(url, {"user_id": "ana"}).status_code == status
    # An outsider naming team A gets a 404; without a team the erasure acts in their own team.
    client.force_login(oscar)
    assert client.post(url, {"user_id": "ana", "team": team_a.pk}).status_code == 404
    assert client.post(url, {"user_id": "ana"}).status_code == 302
    assert Profile.objects.filter(team=team_a, user_id="ana").exists()
    assert Erasure.objects.get().team_id == oscar.memberships.get().team_id
    Erasure.objects.all().delete()

    client.force_login(alice)
    blank = client.post(url, {"user_id": ""})
    assert blank.status_code == 400
    profile_page = client.get(reverse("customers:profile_detail", args=[ana.pk]))
    assert reverse("customers:profile_erase") in profile_page.content.decode()
    response = client.post(url, {"user_id": "ana", "team": team_a.pk})
    assert response.status_code == 302 and response["Location"] == reverse("customers:privacy")
    assert not Profile.objects.filter(user_id="ana").exists()
    page = client.get(reverse("customers:privacy"))
    assert page.status_code == 200
    assert Erasure.objects.get().identifier_hash[:12] in page.content.decode()


# --- export -------------------------------------------------------------------------------------


def _export(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(b"".join(response.streaming_content))


def test_export_holds_everything_about_the_person(two_people, victor, client):
    ana, _ben = two_people
    client.force_login(victor)
    data = _export(client, reverse("customers:profile_export", args=[ana.pk]))
    assert data["profile"]["id"] == ana.pk and data["profile"]["user_id"] == "ana"
    assert data["traits"] == {"plan": "business"}
    assert {(i["kind"], i["value"]) for i in data["identities"]} == {
        ("user_id", "ana"),
        ("anonymous_id", "anon-ana"),
        ("anonymous_id", "anon-ana-phone"),
    }
    assert [(c["key"], c["value"]) for c in data["trait_history"]] == [("plan", "team"), ("plan", "business")]
    assert len(data["events"]) == 5 and {e["user_id"] for e in data["events"]} == {"", "ana"}
    assert [t["to_stage__name"] for t in data["stage_transitions"]] == ["Awareness", "Awareness", "Purchase"]
    assert [s["stage__name"] for s in data["current_stages"]] == ["Purchase"]
    assert [m["identifier"] for m in data["merges"]] == ["anonymous_id:anon-ana-phone"]
    assert sorted(a["score"] for a in data["survey_responses"]) == [3, 9]
    assert [f["status"] for f in data["follow_ups"]] == ["open"]
    assert "ben" not in json.dumps(data)


def test_export_api_and_outsider(two_people, alice, oscar, api_as, client):
    ana, _ben = two_people
    url = reverse("profile-export", args=[ana.pk])
    data = _export(api_as(alice), url)
    assert data["profile"]["id"] == ana.pk and len(data["events"]) == 5
    assert api_as(oscar).get(url).status_code == 404
    client.force_login(oscar)
    assert client.get(reverse("customers:profile_export", args=[ana.pk])).status_code == 404


# --- consent ------------------------------------------------------------------------------------


def test_consent_reading_follows_segments_shape():
    prefs = {"consent": {"categoryPreferences": {"Analytics": False, "Advertising": True}}}
    assert consent_denied(prefs, "analytics") is True
    assert consent_denied(prefs, "Advertising") is False
    assert consent_denied(prefs, "") is False
    assert consent_denied({"consent": {"categoryPreferences": {"Advertising": True}}}, "Analytics") is True
    assert consent_denied({"consent": {"categoryPreferences": {"Analytics": "yes"}}}, "Analytics") is True
    assert consent_denied({}, "Analytics") is False
    assert consent_denied({"consent": {}}, "Analytics") is False


def test_a_batch_refuses_events_whose_consent_says_no(team_a, alice, send):
    services.privacy_settings_update(actor=alice, team=team_a, consent_category="Analytics")
    no = {"consent": {"categoryPreferences": {"Analytics": False}}}
    yes = {"consent": {"categoryPreferences": {"Analytics": True}}}
    response = send(
        "batch",
        {
            "batch": [
                {"type": "track", "event": "A", "userId": "u1", "messageId": "m1", "context": no},
                {"type": "track", "event": "B", "userId": "u1", "messageId": "m2", "context": yes},
                {"type": "track", "event": "C", "userId": "u1", "messageId": "m3"},
            ]
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["stored"] == 2
    assert [(r["index"], r["messageId"], r["code"], r["field"]) for r in body["refused"]] == [
        (0, "m1", "consent_denied", "context.consent")
    ]
    assert set(Event.objects.values_list("message_id", flat=True)) == {"m2", "m3"}
    # The batch's outer context counts too.
    outer = send(
        "batch", {"context": no, "batch": [{"type": "track", "event": "D", "userId": "u1", "messageId": "m4"}]}
    )
    assert outer.status_code == 400 and outer.json()["refused"][0]["code"] == "consent_denied"
    single = send("track", {"event": "E", "userId": "u1", "messageId": "m5", "context": no})
    assert single.status_code == 400 and single.json()["code"] == "consent_denied"
    assert Event.objects.count() == 2


def test_without_a_required_category_consent_is_not_checked(send):
    no = {"consent": {"categoryPreferences": {"Analytics": False}}}
    assert send("track", {"event": "A", "userId": "u1", "context": no}).status_code == 200
    assert Event.objects.count() == 1


# --- IP addresses -------------------------------------------------------------------------------


def test_ip_truncation():
    assert truncate_ip("203.0.113.57") == "203.0.113.0"
    assert truncate_ip("2001:db8:85a3:1234:5678:8a2e:370:7334") == "2001:db8:85a3::"
    assert truncate_ip("not an ip") == ""
    assert truncate_ip(None) == ""


def test_ips_are_stored_truncated_unless_the_team_opts_in(team_a, alice, send):
    send("track", {"event": "A", "userId": "u1", "messageId": "v4", "context": {"ip": "203.0.113.57"}})
    send(
        "batch",
        {
            "batch": [{"type": "track", "event": "B", "userId": "u1", "messageId": "v6"}],
            "context": {"ip": "2001:db8:85a3:1234:5678:8a2e:370:7334"},
        },
    )
    stored = dict(Event.objects.values_list("message_id", "context"))
    assert stored["v4"]["ip"] == "203.0.113.0"
    assert stored["v6"]["ip"] == "2001:db8:85a3::"

    services.privacy_settings_update(actor=alice, team=team_a, store_full_ip=True)
    send("track", {"event": "C", "userId": "u1", "messageId": "full", "context": {"ip": "203.0.113.57"}})
    assert Event.objects.get(message_id="full").context["ip"] == "203.0.113.57"


# --- retention ----------------------------------------------------------------------------------


def test_retention_sweep_deletes_only_old_events_of_teams_with_a_period(team_a, team_b, alice, oscar, ingest):
    from customers.services import source_create

    now = timezone.now()
    old, recent = (now - timedelta(days=40)).isoformat(), (now - timedelta(days=5)).isoformat()
    ingest(
        {"type": "track", "event": "Old", "userId": "u1", "messageId": "a-old", "timestamp": old},
        {"type": "track", "event": "New", "userId": "u1", "messageId": "a-new", "timestamp": recent},
    )
    source_b, _key = source_create(team=team_b, actor=oscar, name="B site")
    services.events_ingest(
        source=source_b,
        items=[{"type": "track", "event": "Old", "userId": "u1", "messageId": "b-old", "timestamp": old}],
        received_at=now,
    )
    services.privacy_settings_update(actor=alice, team=team_a, retention_days=30)

    assert services.events_retention_sweep(now=now, batch_size=1) == 1
    assert set(Event.objects.values_list("message_id", flat=True)) == {"a-new", "b-old"}
    # The profile stays: retention ages events out, erasure removes people.
    assert Profile.objects.filter(team=team_a, user_id="u1").exists()


def test_retention_sweep_is_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "customers.tasks.events_retention_sweep" in tasks


# --- settings -----------------------------------------------------------------------------------


def test_settings_page_and_api(team_a, alice, erin, victor, oscar, client, api_as):
    url = reverse("customers:privacy")
    client.force_login(victor)
    assert client.get(url).status_code == 200
    assert client.post(url, {"retention_days": "30"}).status_code == 403
    client.force_login(erin)
    assert client.post(url, {"retention_days": "30"}).status_code == 403
    client.force_login(alice)
    bad = client.post(url, {"retention_days": "0", "consent_category": "Analytics"})
    assert bad.status_code == 400 and not PrivacySettings.objects.exists()
    saved = client.post(url, {"retention_days": "30", "consent_category": " Analytics ", "store_full_ip": "on"})
    assert saved.status_code == 302
    row = PrivacySettings.objects.get(team=team_a)
    assert (row.retention_days, row.consent_category, row.store_full_ip) == (30, "Analytics", True)

    detail = reverse("privacy-settings-detail", args=[team_a.pk])
    assert api_as(victor).get(detail).json() == {
        "id": team_a.pk,
        "team": team_a.pk,
        "store_full_ip": True,
        "consent_category": "Analytics",
        "retention_days": 30,
    }
    assert api_as(victor).patch(detail, {"retention_days": None}, format="json").status_code == 403
    assert api_as(erin).patch(detail, {"retention_days": None}, format="json").status_code == 403
    assert api_as(oscar).patch(detail, {"retention_days": None}, format="json").status_code == 404
    refused = api_as(alice).patch(detail, {"retention_days": 0}, format="json")
    assert refused.status_code == 400 and "retention_days" in refused.json()["errors"]
    changed = api_as(alice).patch(detail, {"retention_days": None, "store_full_ip": False}, format="json")
    assert changed.status_code == 200 and changed.json()["retention_days"] is None
    row.refresh_from_db()
    assert (row.retention_days, row.consent_category, row.store_full_ip) == (None, "Analytics", False)
    listed = api_as(oscar).get(reverse("privacy-settings-list")).json()["results"]
    assert team_a.pk not in [entry["id"] for entry in listed]
    assert [entry["store_full_ip"] for entry in listed] == [False]


def test_answers_under_an_id_without_a_profile_are_erased(team_a, alice):
    survey = Survey.objects.create(team=team_a, name="NPS", kind="nps", status="active")
    _answer(team_a, survey, "ghost@example.com", 2, 1)
    _answer(team_a, survey, "someone-else", 9, 2)
    erasure = services.profile_erase(actor=alice, team=team_a, user_id="ghost@example.com")
    assert (erasure.counts["profiles"], erasure.counts["responses"], erasure.counts["follow_ups"]) == (0, 1, 1)
    assert list(Response.objects.values_list("respondent_id", flat=True)) == ["someone-else"]


def test_privacy_page_speaks_the_readers_language(team_a, victor, client):
    client.force_login(victor)
    page = client.get(reverse("customers:privacy"), HTTP_ACCEPT_LANGUAGE="lv").content.decode()
    assert "Privātums" in page and "Ko komanda glabā" in page

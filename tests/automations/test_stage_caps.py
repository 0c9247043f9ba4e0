"""Frequency caps per stage: the cap of the customer's current stage replaces the team's."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from automations import outbox, services
from automations.models import Action, Enrolment, Respect, StageCap
from customers.models import ProfileStage
from journeys.models import JourneyMap, Stage

from .conftest import identify, track

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def in_decision(ingest, decision_email, no_holdout, monkeypatch, all_day):
    """A customer now in Decision who was sent the returns email; a second email waits to go."""
    monkeypatch.setattr("automations.engine._send_later", lambda: None)

    def make(user_id="kim"):
        ingest(identify(user_id, email=f"{user_id}@example.com"))
        ingest(track(user_id, "Checkout Started", f"{user_id}-co"))
        first = Action.objects.get(profile__user_id=user_id, kind="email")
        assert outbox.actions_send()["done"] == 1
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
        return first, second

    return make


def _other_map_stage(team, profile, name):
    journey_map = JourneyMap.objects.create(team=team, title=f"Map {name}")
    stage = Stage.objects.create(journey_map=journey_map, name=name, position=0)
    ProfileStage.objects.create(
        team=team, profile=profile, journey_map=journey_map, stage=stage, entered_at=timezone.now()
    )
    return stage


# --- the outbox -------------------------------------------------------------------------------------------


def test_the_stage_cap_skips_where_the_team_cap_would_send(in_decision, shop, alice):
    _map, stages, _checkout = shop
    services.stage_cap_create(stage=stages["Decision"], actor=alice, max_messages=1, per_days=7)
    _first, second = in_decision()
    assert Respect.objects.get().max_messages == 10
    assert outbox.actions_send() == {"done": 0, "skipped": 1, "deferred": 0, "failed": 0, "retry": 0}
    second.refresh_from_db()
    assert (second.status, second.reason) == ("skipped", "frequency_cap")
    assert len(mail.outbox) == 1


def test_a_cap_on_another_stage_leaves_the_team_cap(in_decision, shop, alice):
    _map, stages, _checkout = shop
    services.stage_cap_create(stage=stages["Purchase"], actor=alice, max_messages=1, per_days=7)
    _first, second = in_decision()
    assert outbox.actions_send()["done"] == 1
    second.refresh_from_db()
    assert (second.status, second.reason) == ("done", "")
    assert len(mail.outbox) == 2


def test_a_looser_stage_cap_replaces_the_team_cap(in_decision, shop, alice, all_day):
    _map, stages, _checkout = shop
    all_day.max_messages = 1
    all_day.save()
    services.stage_cap_create(stage=stages["Decision"], actor=alice, max_messages=5, per_days=7)
    _first, second = in_decision()
    assert outbox.actions_send()["done"] == 1
    second.refresh_from_db()
    assert second.status == "done"


def test_in_several_maps_the_strictest_cap_decides(in_decision, shop, team_a, alice):
    _map, stages, _checkout = shop
    services.stage_cap_create(stage=stages["Decision"], actor=alice, max_messages=5, per_days=7)
    first, second = in_decision()
    strict = _other_map_stage(team_a, first.profile, "Renewal")
    services.stage_cap_create(stage=strict, actor=alice, max_messages=1, per_days=30)
    # The first email is older than the loose cap's week but inside the strict cap's month.
    Action.objects.filter(pk=first.pk).update(done_at=timezone.now() - timedelta(days=10))
    assert outbox.actions_send()["skipped"] == 1
    second.refresh_from_db()
    assert second.reason == "frequency_cap"


def test_the_check_costs_the_same_queries_however_many_caps_apply(
    in_decision, shop, team_a, alice, django_assert_max_num_queries
):
    _map, stages, _checkout = shop
    services.stage_cap_create(stage=stages["Decision"], actor=alice, max_messages=5, per_days=7)
    first, second = in_decision()
    action = Action.objects.select_related("automation__team", "profile").get(pk=second.pk)
    now = timezone.now()
    with django_assert_max_num_queries(4):
        assert outbox.respect_check(action, action.profile, action.automation, now) is None
    for days, name in ((30, "Renewal"), (14, "Support"), (60, "Referral")):
        services.stage_cap_create(
            stage=_other_map_stage(team_a, first.profile, name), actor=alice, max_messages=1, per_days=days
        )
    action = Action.objects.select_related("automation__team", "profile").get(pk=second.pk)
    with django_assert_max_num_queries(4):
        assert outbox.respect_check(action, action.profile, action.automation, now) == ("skip", "frequency_cap")


def test_a_cap_of_another_team_does_not_apply(in_decision, shop, team_b, oscar):
    first, _second = in_decision()
    stage = _other_map_stage(team_b, first.profile, "Elsewhere")
    StageCap.objects.create(team=team_b, stage=stage, max_messages=0, per_days=7)
    assert outbox.actions_send()["done"] == 1


# --- the API ----------------------------------------------------------------------------------------------


def test_api_creates_changes_and_deletes_a_cap(api_as, shop, alice):
    journey_map, stages, _checkout = shop
    client = api_as(alice)
    created = client.post(
        "/api/v1/stage-caps/", {"stage": stages["Decision"].pk, "max_messages": 2, "per_days": 14}, format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["stage"], body["journey_map"], body["max_messages"], body["per_days"]) == (
        stages["Decision"].pk,
        journey_map.pk,
        2,
        14,
    )
    cap = StageCap.objects.get()
    assert (cap.team_id, cap.stage_id, cap.max_messages, cap.per_days) == (
        journey_map.team_id,
        stages["Decision"].pk,
        2,
        14,
    )
    changed = client.patch(f"/api/v1/stage-caps/{cap.pk}/", {"max_messages": 1}, format="json")
    assert changed.status_code == 200 and changed.json()["max_messages"] == 1
    cap.refresh_from_db()
    assert (cap.max_messages, cap.per_days) == (1, 14)
    listed = client.get("/api/v1/stage-caps/", {"map": journey_map.pk}).json()
    assert [row["id"] for row in listed["results"]] == [cap.pk]
    assert client.delete(f"/api/v1/stage-caps/{cap.pk}/").status_code == 204
    assert not StageCap.objects.exists()


def test_api_bad_values_are_400s_naming_the_field(api_as, shop, alice):
    _map, stages, _checkout = shop
    client = api_as(alice)
    response = client.post(
        "/api/v1/stage-caps/", {"stage": stages["Decision"].pk, "max_messages": -1, "per_days": 91}, format="json"
    )
    assert response.status_code == 400
    assert {"max_messages", "per_days"} <= set(response.json()["errors"])
    services.stage_cap_create(stage=stages["Decision"], actor=alice, max_messages=2, per_days=7)
    again = client.post(
        "/api/v1/stage-caps/", {"stage": stages["Decision"].pk, "max_messages": 3, "per_days": 7}, format="json"
    )
    assert again.status_code == 400 and "stage" in again.json()["errors"]
    assert client.get("/api/v1/stage-caps/", {"ordering": "colour"}).status_code == 400
    assert StageCap.objects.count() == 1


def test_api_a_stage_of_another_team_is_a_400_not_a_leak(api_as, shop, team_b, alice):
    other = Stage.objects.create(journey_map=JourneyMap.objects.create(team=team_b, title="B's map"), name="Decision")
    response = api_as(alice).post(
        "/api/v1/stage-caps/", {"stage": other.pk, "max_messages": 1, "per_days": 7}, format="json"
    )
    assert response.status_code == 400 and "stage" in response.json()["errors"]
    assert not StageCap.objects.exists()


def test_api_access(api_as, shop, alice, erin, victor, oscar):
    _map, stages, _checkout = shop
    cap = services.stage_cap_create(stage=stages["Decision"], actor=alice, max_messages=2, per_days=7)
    url = f"/api/v1/stage-caps/{cap.pk}/"
    assert api_as(oscar).get(url).status_code == 404
    assert api_as(oscar).patch(url, {"max_messages": 9}, format="json").status_code == 404
    assert api_as(victor).get(url).status_code == 200
    assert api_as(victor).patch(url, {"max_messages": 9}, format="json").status_code == 403
    assert api_as(erin).delete(url).status_code == 403
    payload = {"stage": stages["Purchase"].pk, "max_messages": 1, "per_days": 7}
    assert api_as(erin).post("/api/v1/stage-caps/", payload, format="json").status_code == 403
    assert api_as(alice).put(url, payload, format="json").status_code == 405
    cap.refresh_from_db()
    assert (StageCap.objects.count(), cap.max_messages) == (1, 2)


# --- the contact rules page ---------------------------------------------------------------------------------


def test_page_lists_adds_edits_and_removes_caps(client, shop, alice):
    _map, stages, _checkout = shop
    client.force_login(alice)
    page = client.get(reverse("automations:contact_rules"))
    assert page.status_code == 200
    assert "Furniture shop — Decision" in page.content.decode()
    added = client.post(
        reverse("automations:stage_cap_create"),
        {"stage": stages["Decision"].pk, "max_messages": 2, "per_days": 14},
        **HTMX,
    )
    assert added.status_code == 200 and added["HX-Redirect"] == reverse("automations:contact_rules")
    cap = StageCap.objects.get()
    assert (cap.stage_id, cap.max_messages, cap.per_days) == (stages["Decision"].pk, 2, 14)
    listed = client.get(reverse("automations:contact_rules")).content.decode()
    assert "2 in 14 days" in listed and reverse("automations:stage_cap_edit", args=[cap.pk]) in listed
    edited = client.post(
        reverse("automations:stage_cap_edit", args=[cap.pk]),
        {"stage": stages["Purchase"].pk, "max_messages": 1, "per_days": 7},
    )
    assert edited.status_code == 302
    cap.refresh_from_db()
    assert (cap.stage_id, cap.max_messages, cap.per_days) == (stages["Purchase"].pk, 1, 7)
    removed = client.post(reverse("automations:stage_cap_delete", args=[cap.pk]))
    assert removed.status_code == 302
    assert not StageCap.objects.exists()


def test_page_form_errors_name_the_fields(client, shop, alice):
    _map, stages, _checkout = shop
    client.force_login(alice)
    services.stage_cap_create(stage=stages["Decision"], actor=alice, max_messages=2, per_days=7)
    response = client.post(
        reverse("automations:stage_cap_create"),
        {"stage": stages["Decision"].pk, "max_messages": 3, "per_days": 0},
        **HTMX,
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="cap_per_days-error"' in body and "<html" not in body
    duplicate = client.post(
        reverse("automations:stage_cap_create"), {"stage": stages["Decision"].pk, "max_messages": 3, "per_days": 7}
    )
    assert duplicate.status_code == 400 and 'id="cap_stage-error"' in duplicate.content.decode()
    assert StageCap.objects.get().max_messages == 2


def test_page_access(client, shop, alice, erin, victor, oscar):
    _map, stages, _checkout = shop
    cap = services.stage_cap_create(stage=stages["Decision"], actor=alice, max_messages=2, per_days=7)
    edit = reverse("automations:stage_cap_edit", args=[cap.pk])
    delete = reverse("automations:stage_cap_delete", args=[cap.pk])
    client.force_login(oscar)
    assert client.get(edit).status_code == 404 and client.post(delete).status_code == 404
    client.force_login(victor)
    page = client.get(reverse("automations:contact_rules")).content.decode()
    assert "2 in 7 days" in page and edit not in page
    assert client.post(edit, {"stage": stages["Decision"].pk, "max_messages": 9, "per_days": 7}).status_code == 403
    assert client.post(delete).status_code == 403
    client.force_login(erin)
    create = {"stage": stages["Purchase"].pk, "max_messages": 1, "per_days": 7}
    assert client.post(reverse("automations:stage_cap_create"), create).status_code == 403
    client.force_login(alice)
    assert client.get(delete).status_code == 405
    cap.refresh_from_db()
    assert (StageCap.objects.count(), cap.max_messages) == (1, 2)

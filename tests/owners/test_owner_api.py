"""REST API of ownerships, SLAs, hand-offs, cases, breaches and playbooks."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from owners import services
from owners.models import SLA, Handoff, HandoffCase, Ownership, Playbook
from teams.models import Membership

from .owners_world import shop_map

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(team_a):
    return shop_map(team_a, n_touchpoints=4)


def test_create_accountable_ownership_replaces_the_current_one(api_as, shop, erin, victor):
    tp = shop.touchpoints[0]
    client = api_as(erin)
    first = client.post("/api/v1/ownerships/", {"touchpoint": tp.pk, "user": erin.pk, "role": "accountable"})
    assert first.status_code == 201, first.json()
    assert first.json()["owner"]["username"] == "erin"
    second = client.post("/api/v1/ownerships/", {"touchpoint": tp.pk, "user": victor.pk})
    assert second.status_code == 201
    assert list(Ownership.objects.filter(touchpoint=tp).values_list("user__username", flat=True)) == ["victor"]


def test_ownership_of_someone_outside_the_team_is_a_400_naming_user(api_as, shop, erin, oscar, team_b):
    Membership.objects.create(team=team_b, user=erin, role="viewer")  # erin can see oscar: they share team B
    response = api_as(erin).post("/api/v1/ownerships/", {"touchpoint": shop.touchpoints[0].pk, "user": oscar.pk})
    assert response.status_code == 400
    assert "user" in response.json()["errors"]
    assert not Ownership.objects.exists()


def test_ownership_needs_exactly_one_of_touchpoint_or_stage(api_as, shop, erin):
    response = api_as(erin).post("/api/v1/ownerships/", {"user": erin.pk})
    assert response.status_code == 400
    assert "touchpoint" in response.json()["errors"]


def test_ownership_list_filters_by_map_role_and_departed(
    api_as, shop, alice, erin, victor, django_assert_max_num_queries
):
    for tp in shop.touchpoints:
        services.ownership_assign(actor=alice, touchpoint=tp, user=erin)
    services.ownership_assign(actor=alice, touchpoint=shop.touchpoints[0], user=victor, role="consulted")
    Membership.objects.filter(user=victor).delete()
    client = api_as(alice)
    with django_assert_max_num_queries(8):
        body = client.get(f"/api/v1/ownerships/?map={shop.journey_map.pk}").json()
    assert body["count"] == 5
    departed = client.get("/api/v1/ownerships/?departed=true").json()["results"]
    assert [(o["owner"]["username"], o["departed"]) for o in departed] == [("victor", True)]
    assert client.get("/api/v1/ownerships/?role=accountable").json()["count"] == 4


def test_sla_create_update_and_bad_duration(api_as, shop, erin):
    client = api_as(erin)
    tp = shop.touchpoints[0]
    created = client.post("/api/v1/slas/", {"touchpoint": tp.pk, "response_target": "48:00:00", "business_hours": True})
    assert created.status_code == 201, created.json()
    assert created.json()["response_target_label"] == "48 h"
    changed = client.patch(f"/api/v1/slas/{created.json()['id']}/", {"response_target": "PT24H"})
    assert changed.status_code == 200
    assert SLA.objects.get(touchpoint=tp).response_target == timedelta(hours=24)
    bad = client.post("/api/v1/slas/", {"touchpoint": shop.touchpoints[1].pk, "response_target": "00:00:00"})
    assert bad.status_code == 400 and "response_target" in bad.json()["errors"]
    assert SLA.objects.count() == 1


def test_handoff_defaults_owners_to_accountable_owners_and_opens_cases(api_as, shop, alice, erin, victor):
    services.ownership_assign(actor=alice, touchpoint=shop.touchpoints[0], user=erin)
    services.ownership_assign(actor=alice, touchpoint=shop.touchpoints[1], user=victor)
    client = api_as(erin)
    response = client.post(
        "/api/v1/handoffs/",
        {
            "from_touchpoint": shop.touchpoints[0].pk,
            "to_touchpoint": shop.touchpoints[1].pk,
            "response_target": "24:00:00",
        },
    )
    assert response.status_code == 201, response.json()
    handoff = Handoff.objects.get()
    assert (handoff.from_owner, handoff.to_owner) == (erin, victor)
    with time_machine.travel(timezone.now(), tick=False):
        case = client.post("/api/v1/handoff-cases/", {"handoff": handoff.pk, "reference": "LOAN-1"})
        assert case.status_code == 201
        assert case.json()["due_at"] is not None
        stored = HandoffCase.objects.get()
        assert stored.due_at - stored.started_at == timedelta(hours=24)
    done = client.post(f"/api/v1/handoff-cases/{stored.pk}/complete/")
    assert done.status_code == 200 and done.json()["is_open"] is False


def test_handoff_to_the_same_touchpoint_or_twice_is_a_400(api_as, shop, erin):
    client = api_as(erin)
    pair = {"from_touchpoint": shop.touchpoints[0].pk, "to_touchpoint": shop.touchpoints[1].pk}
    assert client.post("/api/v1/handoffs/", pair).status_code == 201
    again = client.post("/api/v1/handoffs/", pair)
    assert again.status_code == 400 and "to_touchpoint" in again.json()["errors"]
    same = client.post("/api/v1/handoffs/", {**pair, "to_touchpoint": shop.touchpoints[0].pk})
    assert same.status_code == 400
    assert Handoff.objects.count() == 1


def test_breaches_list_shows_breached_cases_only(api_as, shop, alice, erin, django_assert_max_num_queries):
    handoff = services.handoff_create(
        actor=alice, from_touchpoint=shop.touchpoints[0], to_touchpoint=shop.touchpoints[1], to_owner=erin
    )
    late = services.handoff_case_open(
        actor=alice, handoff=handoff, reference="late", started_at=timezone.now() - timedelta(days=3)
    )
    services.handoff_case_open(actor=alice, handoff=handoff, reference="fine")
    services.handoff_cases_sweep()
    client = api_as(erin)
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/sla-breaches/").json()
    assert [(b["id"], b["owner"], b["kind"]) for b in body["results"]] == [(late.pk, "erin", "handoff")]
    assert client.get("/api/v1/handoff-cases/?breached=false").json()["count"] == 1
    assert client.post("/api/v1/sla-breaches/", {}).status_code == 405


def test_playbook_steps_are_rendered_without_scripts(api_as, shop, erin):
    client = api_as(erin)
    steps = "1. Apologise **within 2 h**\n2. <script>alert(1)</script>[Refund](javascript:alert(1))"
    response = client.post(
        "/api/v1/playbooks/",
        {"journey_map": shop.journey_map.pk, "name": "First order late", "steps": steps, "owner": erin.pk},
    )
    assert response.status_code == 201, response.json()
    html = response.json()["steps_html"]
    assert "<strong>within 2 h</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    assert Playbook.objects.get().owner == erin


def test_playbook_on_a_stage_of_another_map_is_a_400(api_as, team_a, shop, erin):
    other = shop_map(team_a, title="Bank: loan application")
    response = api_as(erin).post(
        "/api/v1/playbooks/",
        {"journey_map": shop.journey_map.pk, "name": "Renewal questions", "stage": other.decision.pk},
    )
    assert response.status_code == 400 and "stage" in response.json()["errors"]
    assert not Playbook.objects.exists()


def test_read_only_key_cannot_assign_owners(key_client, shop, erin):
    response = key_client(scope="read").post(
        "/api/v1/ownerships/", {"touchpoint": shop.touchpoints[0].pk, "user": erin.pk}
    )
    assert response.status_code == 403
    assert not Ownership.objects.exists()


def test_handoff_notes_have_a_length_limit(api_as, shop, erin):
    client = api_as(erin)
    pair = {"from_touchpoint": shop.touchpoints[0].pk, "to_touchpoint": shop.touchpoints[1].pk}
    too_long = client.post("/api/v1/handoffs/", {**pair, "notes": "x" * 2001})
    assert too_long.status_code == 400 and list(too_long.json()["errors"]) == ["notes"]
    assert not Handoff.objects.exists()
    assert client.post("/api/v1/handoffs/", {**pair, "notes": "x" * 2000}).status_code == 201
    assert len(Handoff.objects.get().notes) == 2000
    with pytest.raises(ValidationError) as refused:
        services.handoff_update(actor=erin, handoff=Handoff.objects.get(), notes="y" * 2001)
    assert "notes" in refused.value.message_dict


def test_an_integration_finds_the_owner_id_in_memberships(key_client, shop, erin):
    """The user id that ownerships/ takes is readable with a key, without the admin."""
    client = key_client(scope="read_write")
    members = client.get("/api/v1/memberships/?search=erin").json()["results"]
    assert [(m["username"], m["user_id"]) for m in members] == [("erin", erin.pk)]
    tp = shop.touchpoints[0]
    created = client.post("/api/v1/ownerships/", {"touchpoint": tp.pk, "user": members[0]["user_id"]}, format="json")
    assert created.status_code == 201, created.json()
    assert Ownership.objects.get(touchpoint=tp).user == erin

"""The owners admin: reassign ten touchpoints in one action, with the admin in the history."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse

from owners import services
from owners.models import HandoffCase, Ownership

from .owners_world import shop_map

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(alice):
    alice.is_staff = alice.is_superuser = True
    alice.save(update_fields=["is_staff", "is_superuser"])
    return alice


def test_admin_reassigns_ten_touchpoints_in_one_action_and_history_records_the_admin(
    client, team_a, staff, erin, victor
):
    shop = shop_map(team_a, n_touchpoints=10)
    ownerships = [services.ownership_assign(actor=erin, touchpoint=tp, user=erin) for tp in shop.touchpoints]
    client.force_login(staff)
    url = reverse("admin:owners_ownership_changelist")
    selected = {ACTION_CHECKBOX_NAME: [o.pk for o in ownerships], "action": "reassign_accountable"}

    page = client.post(url, selected)
    assert page.status_code == 200
    assert "New accountable owner" in page.content.decode()
    assert Ownership.objects.filter(user=victor).count() == 0

    done = client.post(url, {**selected, "apply": "1", "user": victor.pk})
    assert done.status_code == 302
    assert Ownership.objects.filter(role="accountable", user=victor).count() == 10
    assert Ownership.objects.filter(role="accountable").count() == 10
    for ownership in ownerships:
        latest = ownership.history.latest()
        assert (latest.user_id, latest.history_user_id) == (victor.pk, staff.pk)

    history_page = client.get(reverse("admin:owners_ownership_history", args=[ownerships[0].pk]))
    assert history_page.status_code == 200
    assert "alice" in history_page.content.decode()


def test_reassign_choices_are_only_members_of_the_team(client, team_a, staff, erin, oscar):
    shop = shop_map(team_a, n_touchpoints=1)
    ownership = services.ownership_assign(actor=erin, touchpoint=shop.touchpoints[0], user=erin)
    client.force_login(staff)
    url = reverse("admin:owners_ownership_changelist")
    response = client.post(
        url, {ACTION_CHECKBOX_NAME: [ownership.pk], "action": "reassign_accountable", "apply": "1", "user": oscar.pk}
    )
    assert response.status_code == 200  # the form again, with an error
    assert "Select a valid choice" in response.content.decode()
    assert Ownership.objects.get(pk=ownership.pk).user == erin


def test_admin_pages_list_filter_and_search(client, team_a, staff, erin):
    shop = shop_map(team_a, n_touchpoints=2)
    services.ownership_assign(actor=erin, touchpoint=shop.touchpoints[0], user=erin)
    client.force_login(staff)
    for name in ("ownership", "sla", "handoff", "handoffcase", "playbook"):
        assert client.get(reverse(f"admin:owners_{name}_changelist")).status_code == 200, name
        assert client.get(reverse(f"admin:owners_{name}_add")).status_code == 200, name
    found = client.get(
        reverse("admin:owners_ownership_changelist"), {"q": "erin", "team": team_a.pk, "role": "accountable"}
    )
    assert "Touchpoint 0" in found.content.decode()


def test_user_autocomplete_offers_only_team_members(client, team_a, staff, erin, oscar):
    client.force_login(staff)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "owners", "model_name": "ownership", "field_name": "user", "term": ""},
    )
    assert response.status_code == 200
    names = {row["text"] for row in response.json()["results"]}
    assert "erin" in names
    # oscar is in team B; a superuser sees members of every team, so he is offered too.
    assert oscar.username in names
    # A staff member of team A only sees team A's people.
    erin.is_staff = True
    erin.save(update_fields=["is_staff"])
    erin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_ownership", "change_ownership", "view_user"])
    )
    client.force_login(erin)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "owners", "model_name": "ownership", "field_name": "user", "term": ""},
    )
    assert response.status_code == 200
    names = {row["text"] for row in response.json()["results"]}
    assert "erin" in names and "oscar" not in names


def test_admin_add_ownership_refuses_a_non_member(client, team_a, staff, oscar):
    shop = shop_map(team_a, n_touchpoints=1)
    client.force_login(staff)
    response = client.post(
        reverse("admin:owners_ownership_add"),
        {"touchpoint": shop.touchpoints[0].pk, "user": oscar.pk, "role": "accountable"},
    )
    assert response.status_code == 200
    assert "is not a member" in response.content.decode()
    assert not Ownership.objects.exists()


def test_the_admins_old_journeys_addresses_redirect_to_owners(client_as, staff):
    client = client_as(staff)
    response = client.get("/admin/journeys/ownership/?q=erin")
    assert (response.status_code, response["Location"]) == (301, "/admin/owners/ownership/?q=erin")
    response = client.get("/admin/journeys/handoffcase/12/change/")
    assert (response.status_code, response["Location"]) == (301, "/admin/owners/handoffcase/12/change/")
    # journeys' own models keep their addresses.
    assert client.get("/admin/journeys/journeymap/").status_code == 200


def test_handoff_cases_change_in_the_admin_only_through_the_services(client, team_a, staff, erin):
    shop = shop_map(team_a, n_touchpoints=2)
    handoff = services.handoff_create(
        actor=erin, from_touchpoint=shop.touchpoints[0], to_touchpoint=shop.touchpoints[1], to_owner=erin
    )
    client.force_login(staff)

    added = client.post(
        reverse("admin:owners_handoffcase_add"),
        {"handoff": handoff.pk, "reference": " ORD-1 ", "started_at_0": "2026-11-02", "started_at_1": "09:00:00"},
    )
    assert added.status_code == 302
    case = HandoffCase.objects.get()
    # Opened by the service: the due time follows from the hand-off's SLA, the opener is recorded.
    assert (case.reference, case.opened_by, case.history.latest().history_user) == ("ORD-1", staff, staff)
    assert case.due_at > case.started_at

    started, due = case.started_at, case.due_at
    changed = client.post(
        reverse("admin:owners_handoffcase_change", args=[case.pk]),
        {"reference": "ORD-2", "handoff": 0, "started_at_0": "2020-01-01", "started_at_1": "00:00:00"},
    )
    assert changed.status_code == 302
    case.refresh_from_db()
    assert (case.reference, case.started_at, case.due_at, case.handoff_id) == ("ORD-2", started, due, handoff.pk)

    completed = client.post(
        reverse("admin:owners_handoffcase_changelist"),
        {ACTION_CHECKBOX_NAME: [case.pk], "action": "complete_cases"},
    )
    assert completed.status_code == 302
    case.refresh_from_db()
    assert (case.completed_by, case.completed_at is not None) == (staff, True)

    # The hand-off's page lists its cases but cannot add or edit them there.
    page = client.get(reverse("admin:owners_handoff_change", args=[handoff.pk]))
    assert page.status_code == 200
    assert 'name="cases-0-reference"' not in page.content.decode()

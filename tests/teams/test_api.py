from django.utils import timezone

from teams.models import ApiKey, Membership, Role, Team
from teams.services import api_key_create


def test_team_list_shows_only_my_teams_with_my_role(api_as, alice, oscar, team_a, team_b):
    response = api_as(alice).get("/api/v1/teams/")
    assert response.status_code == 200
    assert [(t["name"], t["role"]) for t in response.json()["results"]] == [("Team A", "admin")]


def test_create_team_makes_me_admin(api_as, erin):
    response = api_as(erin).post("/api/v1/teams/", {"name": "Growth", "accent_color": "#0f766e"}, format="json")
    assert response.status_code == 201
    team = Team.objects.get(pk=response.json()["id"])
    assert (team.name, team.slug, team.accent_color) == ("Growth", "growth", "#0f766e")
    assert Membership.objects.get(team=team, user=erin).role == Role.ADMIN


def test_create_team_rejects_bad_colour_naming_the_field(api_as, erin):
    response = api_as(erin).post("/api/v1/teams/", {"name": "X", "accent_color": "red"}, format="json")
    assert response.status_code == 400
    assert "accent_color" in response.json()["errors"]
    assert not Team.objects.filter(name="X").exists()


def test_admin_adds_member_by_email_and_changes_role(api_as, alice, team_a, oscar):
    client = api_as(alice)
    response = client.post(
        "/api/v1/memberships/", {"team": team_a.pk, "user": "OSCAR@example.com", "role": "editor"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["username"] == "oscar"
    membership = Membership.objects.get(team=team_a, user=oscar)
    assert membership.role == Role.EDITOR

    response = client.patch(f"/api/v1/memberships/{membership.pk}/", {"role": "viewer"}, format="json")
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER


def test_adding_unknown_user_names_the_field(api_as, alice, team_a):
    response = api_as(alice).post("/api/v1/memberships/", {"team": team_a.pk, "user": "nobody"}, format="json")
    assert response.status_code == 400
    assert "user" in response.json()["errors"]


def test_adding_existing_member_is_400_not_500(api_as, alice, erin, team_a):
    response = api_as(alice).post("/api/v1/memberships/", {"team": team_a.pk, "user": "erin"}, format="json")
    assert response.status_code == 400
    assert Membership.objects.filter(team=team_a, user=erin).count() == 1


def test_last_admin_cannot_be_removed_or_demoted(api_as, alice, team_a):
    membership = Membership.objects.get(team=team_a, user=alice)
    client = api_as(alice)
    assert client.delete(f"/api/v1/memberships/{membership.pk}/").status_code == 400
    assert client.patch(f"/api/v1/memberships/{membership.pk}/", {"role": "viewer"}, format="json").status_code == 400
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_admin_removes_member(api_as, alice, victor, team_a):
    membership = Membership.objects.get(team=team_a, user=victor)
    assert api_as(alice).delete(f"/api/v1/memberships/{membership.pk}/").status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_memberships_for_another_team_cannot_be_created(api_as, oscar, team_a):
    response = api_as(oscar).post("/api/v1/memberships/", {"team": team_a.pk, "user": "oscar"}, format="json")
    assert response.status_code == 400
    assert "team" in response.json()["errors"]


def test_api_key_is_shown_once_and_stored_as_hash(api_as, alice, team_a):
    response = api_as(alice).post("/api/v1/api-keys/", {"team": team_a.pk, "name": "Warehouse", "scope": "read"})
    assert response.status_code == 201
    raw = response.json()["key"]
    key = ApiKey.objects.get(pk=response.json()["id"])
    assert raw.startswith(f"wm_{key.prefix}_")
    assert key.hashed_key == ApiKey.hash(raw) and raw not in key.hashed_key
    listed = api_as(alice).get("/api/v1/api-keys/").json()["results"]
    assert "key" not in listed[0]


def test_key_lists_its_team_data_only_and_records_last_use(key_client, team_a, team_b, alice):
    client = key_client(scope="read")
    response = client.get("/api/v1/teams/")
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["results"]] == [team_a.pk]
    assert client.get(f"/api/v1/teams/{team_b.pk}/").status_code == 404
    key = ApiKey.objects.get(team=team_a)
    assert key.last_used_at is not None and (timezone.now() - key.last_used_at).total_seconds() < 60


def test_read_key_cannot_write_and_revoked_key_gets_401(api_as, alice, team_a):
    key, raw = api_key_create(team=team_a, actor=alice, name="ci", scope="read_write")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    from rest_framework.test import APIClient

    client = APIClient()
    assert client.get("/api/v1/memberships/", **headers).status_code == 200
    # Keys never manage members, whatever their scope.
    assert client.post("/api/v1/memberships/", {"team": team_a.pk, "user": "x"}, **headers).status_code == 403
    assert api_as(alice).post(f"/api/v1/api-keys/{key.pk}/revoke/").status_code == 200
    response = client.get("/api/v1/memberships/", **headers)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_malformed_keys_are_401(api_client, team_a):
    for header in ("Bearer", "Bearer a b", "Bearer wm_nope_nope", "Bearer nonsense", "Bearer wm_"):
        response = api_client.get("/api/v1/teams/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header


def test_editor_does_not_see_api_keys(api_as, erin, alice, team_a):
    api_key_create(team=team_a, actor=alice, name="x", scope="read")
    assert api_as(erin).get("/api/v1/api-keys/").json()["results"] == []


def test_error_body_is_consistent(api_client):
    response = api_client.get("/api/v1/teams/")
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"detail", "code", "errors"}


def test_schema_and_docs_render_offline(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/teams/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html


def test_out_of_range_ids_and_filters_are_4xx_not_500(api_as, alice, team_a):
    client = api_as(alice)
    assert client.get(f"/api/v1/teams/{10**30}/").status_code == 404
    assert client.get("/api/v1/teams/0.5/").status_code == 404
    response = client.get(f"/api/v1/memberships/?team={10**30}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_api_key_without_scope_is_a_400_naming_scope(api_as, alice, team_a):
    response = api_as(alice).post("/api/v1/api-keys/", {"team": team_a.pk, "name": "Warehouse"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["scope"]
    assert not ApiKey.objects.exists()

from django.urls import reverse

from teams.middleware import SESSION_KEY
from teams.models import ApiKey, Membership, Role, Team


def test_login_page_and_demo_login(client, alice):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "alice", "password": "waymark-demo"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert b"Team A" in home.content


def test_person_without_team_is_told_what_to_do(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="lonely"))
    response = client.get(reverse("home"))
    assert b"not in a team yet" in response.content


def test_switch_team_is_remembered(client, alice, team_b):
    Membership.objects.create(team=team_b, user=alice, role=Role.VIEWER)
    client.force_login(alice)
    response = client.post(reverse("teams:switch"), {"team": team_b.pk, "next": "/"})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == team_b.pk
    assert "<h1>Team B</h1>" in client.get("/").content.decode()


def test_switch_to_a_team_you_are_not_in_is_404(client, alice, team_b):
    client.force_login(alice)
    assert client.post(reverse("teams:switch"), {"team": team_b.pk}).status_code == 404
    assert client.post(reverse("teams:switch"), {"team": "abc"}).status_code == 404


def test_switch_ignores_offsite_next(client, alice, team_a):
    client.force_login(alice)
    response = client.post(reverse("teams:switch"), {"team": team_a.pk, "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_switch_with_htmx_uses_hx_redirect(client, alice, team_a):
    client.force_login(alice)
    response = client.post(reverse("teams:switch"), {"team": team_a.pk, "next": "/"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"] == "/"


def test_create_team_in_ui(client, victor):
    client.force_login(victor)
    response = client.post(reverse("teams:create"), {"name": "Support", "accent_color": "#123456"})
    team = Team.objects.get(name="Support")
    assert response.status_code == 302
    assert Membership.objects.get(team=team, user=victor).role == Role.ADMIN


def test_admin_invites_member_with_htmx_and_gets_toast(client, alice, oscar, team_a):
    client.force_login(alice)
    url = reverse("teams:members", args=[team_a.slug])
    response = client.post(url, {"identifier": "oscar", "role": "editor"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "oscar" in response.content.decode()
    assert "oscar joined Team A as editor" in response["HX-Trigger"]
    assert Membership.objects.get(team=team_a, user=oscar).role == Role.EDITOR


def test_invite_unknown_user_shows_error_next_to_field(client, alice, team_a):
    client.force_login(alice)
    url = reverse("teams:members", args=[team_a.slug])
    response = client.post(url, {"identifier": "ghost", "role": "editor"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "No single user has the username or email “ghost”" in response.content.decode()
    assert 'id="id_identifier-error"' in response.content.decode()


def test_admin_changes_role_and_removes_member(client, alice, victor, team_a):
    client.force_login(alice)
    membership = Membership.objects.get(team=team_a, user=victor)
    client.post(reverse("teams:member_role", args=[team_a.slug, membership.pk]), {"role": "editor"})
    membership.refresh_from_db()
    assert membership.role == Role.EDITOR
    client.post(reverse("teams:member_remove", args=[team_a.slug, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_viewer_sees_members_without_controls(client, victor, team_a):
    client.force_login(victor)
    html = client.get(reverse("teams:members", args=[team_a.slug])).content.decode()
    assert "victor" in html and "Add member" not in html


def test_api_key_created_in_ui_is_shown_once(client, alice, team_a):
    client.force_login(alice)
    url = reverse("teams:api_keys", args=[team_a.slug])
    html = client.post(url, {"name": "BI", "scope": "read_write"}).content.decode()
    key = ApiKey.objects.get(team=team_a, name="BI")
    assert key.scope == "read_write"
    assert f"wm_{key.prefix}_" in html and 'id="new-api-key"' in html
    assert 'id="new-api-key"' not in client.get(url).content.decode()


def test_api_key_revoked_in_ui(client, alice, team_a):
    from teams.services import api_key_create

    key, _ = api_key_create(team=team_a, actor=alice, name="old", scope="read")
    client.force_login(alice)
    client.post(reverse("teams:api_key_revoke", args=[team_a.slug, key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_editor_cannot_open_api_keys(client, erin, team_a):
    client.force_login(erin)
    assert client.get(reverse("teams:api_keys", args=[team_a.slug])).status_code == 403


def test_seed_demo_is_idempotent(db):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from feedback.models import FollowUp, Response, Survey
    from journeys.models import JourneyMap
    from personas.models import Persona
    from reviews.models import Review

    call_command("seed_demo")
    counts = (Team.objects.count(), Membership.objects.count(), get_user_model().objects.count())
    zh_hant = Team.objects.get(slug="morning-light")
    zh_models = [(Persona, "team"), (JourneyMap, "team"), (Survey, "team"), (Response, "team"), (FollowUp, "team")]
    zh_counts = [m.objects.filter(**{field: zh_hant}).count() for m, field in zh_models]
    zh_counts.append(Review.objects.filter(journey_map__team=zh_hant).count())
    call_command("seed_demo")
    assert (Team.objects.count(), Membership.objects.count(), get_user_model().objects.count()) == counts
    assert get_user_model().objects.get(username="demo").check_password("waymark-demo")
    again = [m.objects.filter(**{field: zh_hant}).count() for m, field in zh_models]
    again.append(Review.objects.filter(journey_map__team=zh_hant).count())
    assert again == zh_counts and all(zh_counts)
    # A second team works in Traditional Chinese, with the same people in the same roles.
    assert (zh_hant.name, zh_hant.language, zh_hant.time_zone) == ("晨光選物", "zh-hant", "Asia/Taipei")
    assert dict(Membership.objects.filter(team=zh_hant).values_list("user__username", "role")) == {
        "demo": "admin",
        "editor": "editor",
        "viewer": "viewer",
    }
    assert JourneyMap.objects.filter(team=zh_hant, title="行銷漏斗：新客從認識品牌到回購").exists()
    # The English demo team is as it was.
    northwind = Team.objects.get(slug="northwind")
    assert (northwind.name, northwind.language) == ("Northwind Journeys", "")
    assert JourneyMap.objects.filter(team=northwind).count() == 3

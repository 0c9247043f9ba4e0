"""Which language the interface speaks: the person's choice, the team's default, then the browser's."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from teams.models import Team, UserPreference
from teams.services import user_language_set


def page_language(response) -> str:
    assert response.status_code == 200
    return response["Content-Language"]


@pytest.mark.django_db
def test_the_login_page_follows_the_browser(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="bg,en;q=0.5")
    assert page_language(response) == "bg"
    assert b'<html lang="bg"' in response.content


@pytest.mark.django_db
def test_an_unknown_browser_language_falls_back_to_english(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ar")
    assert page_language(response) == "en"


def test_the_persons_choice_wins_over_the_browser(client_as, alice):
    user_language_set(actor=alice, language="lv")
    client = client_as(alice)
    assert page_language(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="bg")) == "lv"


def test_the_team_default_applies_to_members_without_a_choice(client_as, alice, erin, team_a):
    Team.objects.filter(pk=team_a.pk).update(language="zh-hant")
    user_language_set(actor=erin, language="bg")
    assert page_language(client_as(alice).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="lv")) == "zh-hant"
    assert page_language(client_as(erin).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="lv")) == "bg"


def test_the_api_honours_accept_language_before_the_persons_choice(api_as, alice):
    user_language_set(actor=alice, language="lv")
    client = api_as(alice)
    assert client.get("/api/v1/teams/", HTTP_ACCEPT_LANGUAGE="zh-hans")["Content-Language"] == "zh-hans"
    assert client.get("/api/v1/teams/")["Content-Language"] == "lv"


def test_choosing_a_language_is_stored_and_used(client_as, alice):
    client = client_as(alice)
    response = client.post(reverse("language"), {"language": "zh-hans", "next": reverse("home")})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert UserPreference.objects.get(user=alice).language == "zh-hans"
    assert page_language(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="bg")) == "zh-hans"

    client.post(reverse("language"), {"language": ""})
    assert UserPreference.objects.get(user=alice).language == ""
    assert page_language(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="bg")) == "bg"


def test_a_choice_made_elsewhere_is_read_at_login(client, alice):
    UserPreference.objects.create(user=alice, language="bg")
    client.force_login(alice)
    assert page_language(client.get(reverse("home"))) == "bg"


def test_the_choice_costs_no_query_per_page(client_as, alice):
    user_language_set(actor=alice, language="lv")
    client = client_as(alice)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        page_language(client.get(reverse("home")))
    assert not [q for q in queries.captured_queries if "userpreference" in q["sql"]]


@pytest.mark.django_db
def test_an_anonymous_choice_is_a_cookie(client):
    response = client.post(reverse("language"), {"language": "lv", "next": reverse("login")})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "lv"
    assert UserPreference.objects.count() == 0
    assert page_language(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="bg")) == "lv"


def test_an_unknown_language_is_a_400_naming_the_field(client_as, alice):
    response = client_as(alice).post(reverse("language"), {"language": "xx"})
    assert response.status_code == 400
    assert b"language" in response.content
    assert not UserPreference.objects.filter(user=alice).exists()


def test_next_may_not_leave_the_site(client_as, alice):
    response = client_as(alice).post(reverse("language"), {"language": "bg", "next": "//evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_team_admins_set_the_team_default(client_as, alice, team_a):
    response = client_as(alice).post(
        reverse("teams:settings", args=[team_a.slug]),
        {"name": team_a.name, "accent_color": team_a.accent_color, "language": "lv"},
    )
    assert response.status_code == 302
    team_a.refresh_from_db()
    assert team_a.language == "lv"

"""Which team a person works in: where a login lands, and following the object on screen."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from feedback import services as feedback_services
from journeys.models import JourneyMap
from teams.middleware import SESSION_KEY
from teams.models import Membership, Role, Team
from tests.experiments.factories import ExperimentFactory


def _selected_team(html: str) -> str:
    """Return the name of the team the header's switcher shows as current."""
    start = html.index('id="team-switcher"')
    selected = html.index("selected>", start)
    return html[selected + len("selected>") : html.index("</option>", selected)].rsplit(" (", 1)[0]


def test_demo_login_lands_on_the_team_with_the_maps(client, db):
    call_command("seed_demo", verbosity=0)
    demo_teams = set(Membership.objects.filter(user__username="demo").values_list("team__name", flat=True))
    assert demo_teams == {"Acme Support", "Northwind Journeys", "晨光選物"}  # Acme Support sorts first

    response = client.post(reverse("login"), {"username": "demo", "password": "waymark-demo"}, follow=True)

    assert response.status_code == 200
    northwind = Team.objects.get(slug="northwind")
    assert response.context["current_team"] == northwind
    assert _selected_team(response.content.decode()) == "Northwind Journeys"
    maps = client.get(reverse("journeys:map_list"))
    assert maps.context["current_team"] == northwind
    titles = set(JourneyMap.objects.filter(team=northwind).values_list("title", flat=True))
    assert titles and all(title in maps.content.decode() for title in titles)


def test_login_lands_on_the_team_last_worked_in(client, alice, team_a, team_b):
    Membership.objects.create(team=team_b, user=alice, role=Role.VIEWER)
    client.force_login(alice)
    assert client.get("/").context["current_team"] == team_a  # joined first
    client.post(reverse("teams:switch"), {"team": team_b.pk, "next": "/"})
    client.post(reverse("logout"))

    client.post(reverse("login"), {"username": "alice", "password": "waymark-demo"})

    assert client.get("/").context["current_team"] == team_b
    assert Membership.objects.get(team=team_b, user=alice).last_active_at is not None


def test_first_team_is_the_one_joined_first_not_the_first_by_name(client, oscar, team_a, team_b):
    # oscar's own team is "Team B"; being added to "Team A" later does not move him there.
    Membership.objects.create(team=team_a, user=oscar, role=Role.VIEWER)
    client.force_login(oscar)
    assert client.get("/").context["current_team"] == team_b


def _team_b_map(team_b):
    return reverse("journeys:map_detail", args=[JourneyMap.objects.create(team=team_b, title="B's map").pk])


def _team_b_survey(team_b):
    survey = feedback_services.survey_create(
        team=team_b, actor=team_b.memberships.first().user, name="B's survey", kind="nps"
    )
    return reverse("feedback:survey_detail", args=[survey.pk])


def _team_b_experiment(team_b):
    owner = team_b.memberships.first().user
    return reverse("experiments:detail", args=[ExperimentFactory(team=team_b, owner=owner, created_by=owner).pk])


@pytest.mark.parametrize("make_url", [_team_b_map, _team_b_survey, _team_b_experiment])
def test_opening_another_teams_object_makes_it_the_current_team(client, alice, oscar, team_a, team_b, make_url):
    Membership.objects.create(team=team_b, user=alice, role=Role.EDITOR)
    client.force_login(alice)
    client.post(reverse("teams:switch"), {"team": team_a.pk, "next": "/"})
    url = make_url(team_b)

    response = client.get(url)

    assert response.status_code == 200
    assert response.context["current_team"] == team_b
    assert response.context["current_membership"].role == Role.EDITOR
    assert _selected_team(response.content.decode()) == "Team B"
    assert f"--wm-accent: {team_b.accent_color}" in response.content.decode()
    assert client.session[SESSION_KEY] == team_b.pk
    # The next page without an object stays in that team.
    assert client.get(reverse("journeys:map_list")).context["current_team"] == team_b


def test_an_outsiders_object_is_404_and_leaves_the_current_team(client, alice, oscar, team_a, team_b):
    client.force_login(alice)
    client.get("/")
    url = _team_b_map(team_b)

    assert client.get(url).status_code == 404
    assert client.get("/").context["current_team"] == team_a
    assert client.session.get(SESSION_KEY) in (None, team_a.pk)


def test_a_team_page_makes_its_team_current(client, alice, team_a, team_b):
    Membership.objects.create(team=team_b, user=alice, role=Role.ADMIN)
    client.force_login(alice)
    client.post(reverse("teams:switch"), {"team": team_a.pk, "next": "/"})

    response = client.get(reverse("teams:members", args=[team_b.slug]))

    assert response.context["current_team"] == team_b
    assert _selected_team(response.content.decode()) == "Team B"

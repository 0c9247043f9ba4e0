"""The icon browsers ask for on every page."""

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from feedback import services


@pytest.fixture
def survey_page_url(team_a, alice):
    survey = services.survey_create(team=team_a, actor=alice, name="Checkout NPS", kind="nps")
    services.survey_set_status(survey=survey, actor=alice, status="active")
    return reverse("feedback_public:survey_page", args=[survey.public_key])


def test_favicon_ico_points_at_the_static_icon(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/waymark/favicon.svg"
    assert finders.find("waymark/favicon.svg") is not None
    assert client.post("/favicon.ico").status_code == 405


def test_pages_link_the_icon(client, alice, survey_page_url):
    icon = '<link rel="icon" href="/static/waymark/favicon.svg" type="image/svg+xml">'
    assert icon in client.get(reverse("login")).content.decode()
    client.force_login(alice)
    assert icon in client.get("/").content.decode()
    assert icon in client.get(survey_page_url).content.decode()

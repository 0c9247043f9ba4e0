"""The shared HTMX helpers: the form flow's statuses, the page-or-fragment choice, the no-team page."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from teams.htmx import INVALID_FORM_STATUS, form_flow, render_page_or_partial, team_required
from teams.models import Membership, Role, Team
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


class NameForm(forms.Form):
    name = forms.CharField()


def _request(method: str = "post", data=None, htmx: bool = False):
    factory = RequestFactory()
    request = getattr(factory, method)("/somewhere/", data or {}, **(HTMX if htmx else {}))
    request.htmx = HtmxDetails(request)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _flow(request, save, **kwargs):
    form = NameForm(request.POST if request.method == "POST" else None)
    response = form_flow(
        request,
        form,
        save=save,
        render=lambda status: HttpResponse(str(form.errors.as_data()), status=status),
        **kwargs,
    )
    return response, form


@pytest.mark.parametrize("htmx", [False, True])
def test_an_invalid_form_answers_400_on_htmx_and_full_page_requests(db, htmx):
    saved = []
    response, form = _flow(_request(data={}, htmx=htmx), saved.append, message="Saved.", redirect_to="/done/")
    assert INVALID_FORM_STATUS == 400
    assert response.status_code == 400
    assert "name" in form.errors
    assert saved == []


@pytest.mark.parametrize("htmx", [False, True])
def test_a_service_validation_error_lands_on_the_named_field_with_400(db, htmx):
    def save(data):
        raise ValidationError({"title": "Taken."})

    response, form = _flow(
        _request(data={"name": "x"}, htmx=htmx), save, rename={"title": "name"}, message="Saved.", redirect_to="/done/"
    )
    assert response.status_code == 400
    assert form.errors["name"] == ["Taken."]


def test_on_error_chooses_the_status_of_a_service_error(db):
    def save(data):
        raise ValidationError({"revision": "Stale."})

    response, form = _flow(_request(data={"name": "x"}), save, on_error=lambda exc: 409, redirect_to="/done/")
    assert response.status_code == 409
    assert form.non_field_errors() == ["Stale."]


class Conflict(Exception):
    pass


def test_caught_exceptions_go_to_on_error_and_leave_the_form_alone(db):
    def save(data):
        raise Conflict()

    seen = []
    response, form = _flow(
        _request(data={"name": "x"}),
        save,
        catch=(Conflict,),
        on_error=lambda exc: seen.append(exc) or 409,
        redirect_to="/done/",
    )
    assert response.status_code == 409
    assert len(seen) == 1 and isinstance(seen[0], Conflict)
    assert not form.errors


def test_a_get_renders_the_form_with_200_and_saves_nothing(db):
    saved = []
    response, form = _flow(_request("get"), saved.append, redirect_to="/done/")
    assert response.status_code == 200
    assert saved == [] and not form.is_bound


def test_success_sends_the_message_and_redirects_by_the_result(db):
    request = _request(data={"name": "Maps"})
    response, _form = _flow(
        request, lambda data: data["name"], message=lambda made: f"{made} saved.", redirect_to=lambda made: f"/{made}/"
    )
    assert response.status_code == 302 and response["Location"] == "/Maps/"
    assert [str(m) for m in get_messages(request)] == ["Maps saved."]


def test_success_on_htmx_redirects_with_hx_redirect(db):
    response, _form = _flow(_request(data={"name": "Maps"}, htmx=True), lambda data: None, redirect_to="/done/")
    assert response.status_code == 200 and response["HX-Redirect"] == "/done/"


def test_respond_replaces_the_redirect(db):
    response, _form = _flow(
        _request(data={"name": "Maps"}), lambda data: 7, respond=lambda made: HttpResponse(str(made), status=201)
    )
    assert response.status_code == 201 and response.content == b"7"


def test_render_page_or_partial_renders_the_fragment_only_for_htmx(client, alice, team_a):
    page = _request("get")
    page.user = alice
    fragment = _request("get", htmx=True)
    fragment.user = alice
    context = {"team": team_a, "form": None, "keys": [], "created_key": None}
    full = render_page_or_partial(page, "teams/api_keys.html", "key-section", context)
    part = render_page_or_partial(fragment, "teams/api_keys.html", "key-section", context, status=400)
    assert b"<html" in full.content and b"<html" not in part.content
    assert part.status_code == 400 and full.status_code == 200


def test_team_required_shows_the_no_team_page_and_skips_the_view(db):
    called = []
    view = team_required(lambda request: called.append(request) or HttpResponse("view"))
    request = _request("get")
    request.user = UserFactory(username="lonely")
    request.team = None
    response = view(request)
    assert response.status_code == 200
    assert b"not in a team yet" in response.content and reverse("teams:create").encode() in response.content
    assert called == []


def test_team_required_sends_an_htmx_request_home(db):
    view = team_required(lambda request: HttpResponse("view"))
    request = _request("get", htmx=True)
    request.user = UserFactory(username="lonely")
    request.team = None
    response = view(request)
    assert response["HX-Redirect"] == reverse("home")


NO_TEAM_PAGES = [
    ("get", "home"),
    ("get", "journeys:map_list"),
    ("get", "journeys:map_create"),
    ("post", "journeys:map_create"),
    ("get", "journeys:map_import"),
    ("get", "experiments:list"),
    ("get", "experiments:create"),
    ("post", "experiments:create"),
    ("get", "experiments:metric_list"),
    ("get", "personas:list"),
    ("get", "personas:create"),
    ("get", "feedback:survey_list"),
    ("get", "feedback:survey_create"),
    ("get", "reviews:list"),
    ("get", "reviews:action_items"),
    ("get", "reviews:settings"),
    ("get", "customers:profile_list"),
    ("get", "customers:source_list"),
]


@pytest.mark.parametrize(("method", "name"), NO_TEAM_PAGES)
def test_every_team_page_answers_a_person_without_a_team_the_same_way(client, db, method, name):
    client.force_login(UserFactory(username="lonely"))
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 200, name
    assert b"not in a team yet" in response.content, name
    assert not Team.objects.exists() and not Membership.objects.exists()


def test_team_create_answers_an_invalid_form_with_400_whether_htmx_or_not(client, db):
    client.force_login(UserFactory(username="lonely"))
    assert client.post(reverse("teams:create"), {"name": "", "accent_color": "#4f46e5"}).status_code == 400
    htmx = client.post(reverse("teams:create"), {"name": "", "accent_color": "#4f46e5"}, **HTMX)
    assert htmx.status_code == 400
    assert not Team.objects.exists()


def test_member_invite_answers_an_invalid_form_with_400_on_full_page_loads_too(client, alice, team_a):
    client.force_login(alice)
    url = reverse("teams:members", args=[team_a.slug])
    response = client.post(url, {"identifier": "nobody-here", "role": Role.EDITOR})
    assert response.status_code == 400
    assert Membership.objects.filter(team=team_a).count() == 1


def test_team_required_with_a_role_refuses_a_viewer_of_the_current_team(client, victor, erin):
    client.force_login(victor)
    assert client.get(reverse("journeys:map_create")).status_code == 403
    client.force_login(erin)
    assert client.get(reverse("journeys:map_create")).status_code == 200

"""Every URL the project serves, probed as anonymous, outsider, viewer and with the wrong method.

The routes come from the URL resolver, so a page or endpoint added later is covered without
anyone remembering to add it here. A route whose keyword argument or model is unknown fails with
a message saying what to add to tests/world.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.viewsets import ViewSetMixin

from teams.models import Role

from .world import API_KWARGS, QUERIES, URL_KWARGS, build_world

# Reachable without signing in, on purpose.
PUBLIC = {
    "login",
    "logout",
    "api-schema",
    "api-docs",
    "favicon",
    "language",
    "javascript-catalog",
    "shared_map",
    "shared_map_pdf",
    "shared_map_png",
}
PUBLIC_PREFIXES = ("api/public/",)
# Pages about the person, not a team's object: any signed-in person may post to them.
PERSONAL = {
    "logout",
    "teams:switch",
    "teams:create",
    "language",
    # One's own notifications, and saying one has a map open (viewers are present too).
    "discussions:notification_open",
    "discussions:notifications_read_all",
    "discussions:presence",
}
# API lists any signed-in person may post to (creating a team makes you its admin).
# Marking one's own notifications read and saying one has a map open are a person's, not writes to
# the team's data: viewers do them too (an API key still gets a 403).
API_PERSONAL = {"team-list", "notification-read", "notification-read-all", "presence-list"}
# Not probed here: the admin (tests/test_access_admin.py walks it, history pages included) and static media.
SKIP_NAMESPACES = {"admin"}


@dataclass
class Route:
    name: str
    route: str
    kwargs: tuple[str, ...]
    callback: object

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/v1/")

    @property
    def is_public(self) -> bool:
        return self.name in PUBLIC or self.route.startswith(PUBLIC_PREFIXES)

    @property
    def viewset(self):
        cls = getattr(self.callback, "cls", None)
        return cls if cls is not None and issubclass(cls, ViewSetMixin) else None


KWARG_RE = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def _walk(patterns, namespace=None, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, ns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            route = (prefix + str(pattern.pattern)).lstrip("^").replace("\\", "")
            kwargs = tuple(a or b for a, b in KWARG_RE.findall(route))
            yield Route(name, route, kwargs, pattern.callback)


def all_routes() -> list[Route]:
    routes, seen = [], set()
    for route in _walk(get_resolver().url_patterns):
        if route.name.split(":")[0] in SKIP_NAMESPACES or "format" in route.kwargs or route.name in seen:
            continue
        seen.add(route.name)
        routes.append(route)
    return routes


ROUTES = all_routes()
# The tracking API (v1/, customers/public.py) authenticates by write key: tests/customers cover it.
UI_ROUTES = [r for r in ROUTES if not r.is_api and not r.route.startswith(("api/", "v1/"))]
API_ROUTES = [r for r in ROUTES if r.is_api and r.name != "api-root"]


def _model(route: Route):
    viewset = route.viewset
    return viewset.queryset.model if viewset is not None and viewset.queryset is not None else None


def url_for(route: Route, world) -> str:
    kwargs = {}
    for kwarg in route.kwargs:
        if route.is_api and kwarg == "pk":
            model = _model(route)
            assert model in world, f"{route.name}: add a builder for {model} to tests/world.py BUILDERS"
            kwargs[kwarg] = world[model].pk
        else:
            table = API_KWARGS if route.is_api else URL_KWARGS
            assert kwarg in table, f"{route.name}: add the URL argument {kwarg!r} to tests/world.py"
            kwargs[kwarg] = table[kwarg](world)
    url = reverse(route.name, kwargs=kwargs)
    return f"{url}?{QUERIES[route.name](world)}" if route.name in QUERIES else url


@pytest.fixture
def world(people, team_a):
    return build_world({**people, "team": team_a})


def row_counts(world) -> dict:
    return {model: model.objects.count() for model in world}


def test_routes_are_found():
    names = {r.name for r in ROUTES}
    assert {"home", "teams:members", "team-list", "team-detail", "membership-list"} <= names


@pytest.mark.parametrize("route", [r for r in UI_ROUTES if not r.is_public], ids=lambda r: r.name)
def test_ui_anonymous_is_sent_to_login(client, world, route):
    response = client.get(url_for(route, world))
    assert response.status_code == 302, route.name
    assert response["Location"].startswith(reverse("login"))


# Public routes with an argument (a share link's token) open for whoever holds it: their own tests
# cover forged, revoked and expired tokens.
@pytest.mark.parametrize("route", [r for r in UI_ROUTES if r.kwargs and not r.is_public], ids=lambda r: r.name)
def test_ui_outsider_gets_404(client, world, route, oscar):
    client.force_login(oscar)
    url = url_for(route, world)
    assert client.get(url).status_code in (404, 405), route.name
    before = row_counts(world)
    assert client.post(url, {"name": "x", "role": "admin"}).status_code in (404, 405), route.name
    assert row_counts(world) == before


@pytest.mark.parametrize(
    "route", [r for r in UI_ROUTES if not r.is_public and r.name not in PERSONAL], ids=lambda r: r.name
)
def test_ui_viewer_cannot_write(client, world, route, victor):
    client.force_login(victor)
    before = row_counts(world)
    response = client.post(url_for(route, world), {"name": "x", "role": "admin", "title": "x"})
    assert response.status_code in (403, 405), route.name
    assert row_counts(world) == before


@pytest.mark.parametrize("route", [r for r in UI_ROUTES if not r.is_public], ids=lambda r: r.name)
def test_ui_wrong_method_is_405(client, world, route, alice):
    client.force_login(alice)
    assert client.put(url_for(route, world)).status_code == 405, route.name


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.name)
def test_api_anonymous_is_refused(api_client, world, route):
    response = api_client.get(url_for(route, world))
    assert response.status_code in (401, 403, 405), route.name
    if response.status_code != 405:
        assert response.json()["code"] in ("not_authenticated", "authentication_failed", "permission_denied")


@pytest.mark.parametrize("route", [r for r in API_ROUTES if "pk" in r.kwargs], ids=lambda r: r.name)
def test_api_outsider_gets_404(api_as, world, route, oscar):
    client = api_as(oscar)
    url = url_for(route, world)
    before = row_counts(world)
    for method in ("get", "post", "patch", "put", "delete"):
        response = getattr(client, method)(url, {}, format="json")
        assert response.status_code in (404, 405), f"{method.upper()} {route.name}: {response.status_code}"
    assert row_counts(world) == before


@pytest.mark.parametrize("route", [r for r in API_ROUTES if r.name.endswith("-list")], ids=lambda r: r.name)
def test_api_outsider_lists_none_of_team_a(api_as, world, route, oscar):
    response = api_as(oscar).get(url_for(route, world))
    if response.status_code == 405:
        return
    assert response.status_code == 200, route.name
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    model = _model(route)
    if model in world:
        assert world[model].pk not in {row.get("id") for row in rows}, route.name


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.name)
def test_api_viewer_cannot_write(api_as, key_client, world, route, victor):
    url = url_for(route, world)
    clients = (api_as(victor), key_client(scope="read"))
    before = row_counts(world)
    for client in clients:
        for method in ("post", "put", "patch", "delete"):
            if method == "post" and route.name in API_PERSONAL and client is clients[0]:
                continue
            response = getattr(client, method)(url, {}, format="json")
            assert response.status_code in (403, 405), f"{method.upper()} {route.name}: {response.status_code}"
    assert row_counts(world) == before


@pytest.mark.parametrize(
    "route",
    [r for r in API_ROUTES if r.viewset is not None and getattr(r.viewset, "write_role", None) == Role.ADMIN],
    ids=lambda r: r.name,
)
def test_api_editor_cannot_do_admin_writes(api_as, world, route, erin):
    url = url_for(route, world)
    before = row_counts(world)
    for method in ("post", "put", "patch", "delete"):
        if method == "post" and route.name in API_PERSONAL:
            continue
        response = getattr(api_as(erin), method)(url, {}, format="json")
        assert response.status_code in (403, 404, 405), f"{method.upper()} {route.name}: {response.status_code}"
    assert row_counts(world) == before


@pytest.mark.parametrize("route", [r for r in API_ROUTES if r.viewset is not None], ids=lambda r: r.name)
def test_api_wrong_method_is_405(api_as, world, route, alice):
    url = url_for(route, world)
    viewset = route.viewset
    allowed = {m.upper() for m in viewset.http_method_names}
    for method in ("PUT", "POST", "DELETE"):
        handler_methods = set(route.callback.actions) if hasattr(route.callback, "actions") else set()
        if method.lower() in handler_methods and method in allowed:
            continue
        response = getattr(api_as(alice), method.lower())(url, {}, format="json")
        assert response.status_code == 405, f"{method} {route.name}: {response.status_code}"
        return

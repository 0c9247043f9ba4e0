"""Query parameters the API cannot honour are a 400 naming the parameter, on every list."""

import pytest
from django_filters import rest_framework as filters

from config.urls import router
from teams.filters import FilterSet, OrderingFilter, StrictBooleanField


def _list_prefixes():
    return sorted(
        prefix for prefix, viewset, _basename in router.registry if hasattr(viewset, "list") and "(" not in prefix
    )


@pytest.mark.parametrize("prefix", _list_prefixes())
def test_unknown_ordering_field_is_a_400_naming_ordering(api_as, alice, prefix):
    response = api_as(alice).get(f"/api/v1/{prefix}/?ordering=no_such_field")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["ordering"]
    assert "no_such_field" in response.json()["errors"]["ordering"][0]


def test_known_ordering_fields_still_order(api_as, alice, team_a):
    from journeys.models import JourneyMap

    JourneyMap.objects.create(team=team_a, title="Alpha")
    JourneyMap.objects.create(team=team_a, title="Beta")
    body = api_as(alice).get("/api/v1/maps/?ordering=-title,created_at").json()
    assert [m["title"] for m in body["results"]] == ["Beta", "Alpha"]


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("touchpoints", "is_moment"),
        ("follow-ups", "breached"),
        ("responses", "finished"),
        ("handoff-cases", "breached"),
        ("ownerships", "departed"),
        ("personas", "archived"),
        ("action-items", "done"),
    ],
)
def test_junk_boolean_filter_is_a_400_naming_it(api_as, alice, path, param):
    response = api_as(alice).get(f"/api/v1/{path}/?{param}=maybe")
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == [param]


@pytest.mark.parametrize(("value", "count"), [("true", 1), ("false", 1), ("1", 1), ("0", 1), ("TRUE", 1), ("", 2)])
def test_boolean_filter_values_still_filter(api_as, alice, team_a, value, count):
    from journeys.models import JourneyMap, Stage, Touchpoint

    stage = Stage.objects.create(journey_map=JourneyMap.objects.create(team=team_a, title="M"), name="S")
    Touchpoint.objects.create(stage=stage, name="moment", is_moment=True, metric_name="x")
    Touchpoint.objects.create(stage=stage, name="other", position=1)
    response = api_as(alice).get(f"/api/v1/touchpoints/?is_moment={value}")
    assert response.status_code == 200
    names = [t["name"] for t in response.json()["results"]]
    assert len(names) == count
    if value in ("true", "1", "TRUE"):
        assert names == ["moment"]
    elif value in ("false", "0"):
        assert names == ["other"]


def test_every_filterset_is_strict():
    """Every list's FilterSet builds on the shared strict base, so no boolean filter is lenient."""
    checked = 0
    for _prefix, viewset, _basename in router.registry:
        filterset_class = getattr(viewset, "filterset_class", None)
        if filterset_class is None:
            continue
        assert issubclass(filterset_class, FilterSet), viewset
        for name, filter_ in filterset_class.base_filters.items():
            if isinstance(filter_, filters.BooleanFilter):
                assert isinstance(filter_.field, StrictBooleanField), (viewset, name)
                checked += 1
    assert checked >= 8


def test_ordering_backend_is_the_strict_one():
    from rest_framework.settings import api_settings

    assert OrderingFilter in api_settings.DEFAULT_FILTER_BACKENDS


@pytest.mark.parametrize(("raw", "selected"), [("true", "true"), ("1", "true"), ("false", "false"), ("maybe", "")])
def test_a_bound_boolean_filter_renders_the_chosen_option(raw, selected):
    from django.http import QueryDict

    from journeys.filters import TouchpointFilter
    from journeys.models import Touchpoint

    form = TouchpointFilter(QueryDict(f"is_moment={raw}"), queryset=Touchpoint.objects.none()).form
    html = str(form["is_moment"])
    assert f'value="{selected}" selected' in html

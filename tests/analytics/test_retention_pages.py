"""Pages and API of retention, lifecycle and moments: same query object, CSV, scoping, query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from analytics.retention import RetentionQuery, retention_table
from customers.services import source_create
from journeys.models import JourneyMap, Stage, Touchpoint

from .retention_data import World, local

PARAMS = {"start": "2026-03-02", "end": "2026-04-12", "period": "week", "event": "Order Completed"}


@pytest.fixture
def shop(team_a, alice):
    team_a.time_zone = "Europe/Riga"
    team_a.save(update_fields=["time_zone"])
    world = World(team_a, source_create(team=team_a, actor=alice, name="Shop")[0])
    for i in range(6):
        world.person(f"p{i}")
        world.event(f"p{i}", "Product Viewed", local(dt.date(2026, 3, 2 + 7 * (i % 3)), 10), "page")
        if i % 2:
            world.event(f"p{i}", "Order Completed", local(dt.date(2026, 3, 10 + 7 * (i % 3)), 10))
    world.store()
    return world


def test_api_retention_is_the_table_of_the_same_query(api_as, alice, team_a, shop):
    url = reverse("analytics-retention-retention", args=[team_a.pk])
    response = api_as(alice).get(url, PARAMS)
    assert response.status_code == 200
    body = response.json()
    table = retention_table(
        RetentionQuery(team=team_a, start=dt.date(2026, 3, 2), end=dt.date(2026, 4, 12), event="Order Completed")
    )
    assert [c["size"] for c in body["cohorts"]] == [c["size"] for c in table["cohorts"]] == [2, 2, 2, 0, 0, 0]
    cell = body["cohorts"][0]["cells"][1]
    assert (cell["k"], cell["n"]) == (1, 2) and cell["value"] == 0.5
    assert cell["low"] == pytest.approx(table["cohorts"][0]["cells"][1]["low"])
    assert body["cohorts"][3]["reason"] and body["cohorts"][3]["cells"][0]["value"] is None


def test_api_retention_csv(api_as, alice, team_a, shop):
    url = reverse("analytics-retention-retention", args=[team_a.pk])
    response = api_as(alice).get(url, {**PARAMS, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["cohort_start", "cohort_size", "period_index", "period_start", "retained"]
    assert rows[2][:5] == ["2026-03-02", "2", "1", "2026-03-09", "1"] and float(rows[2][5]) == 0.5


def test_api_lifecycle_and_moments(api_as, victor, team_a, shop):
    client = api_as(victor)
    body = client.get(reverse("analytics-retention-lifecycle", args=[team_a.pk]), PARAMS).json()
    assert [p["new"] for p in body["periods"][:3]] == [0, 0, 0]  # first seen by a page view, ordered later
    assert sum(p["resurrected"] for p in body["periods"]) == 3
    assert "new_customers" in body
    moments = client.get(reverse("analytics-retention-moments", args=[team_a.pk]), {**PARAMS, "window_days": 14}).json()
    assert (moments["overall"]["activation"]["k"], moments["overall"]["activation"]["n"]) == (3, 6)
    assert moments["overall"]["time_to_first_value"]["median"]["days"] == pytest.approx(8.0)


def test_api_other_team_is_404_and_bad_query_400(api_as, oscar, alice, team_a, shop):
    url = reverse("analytics-retention-retention", args=[team_a.pk])
    assert api_as(oscar).get(url).status_code == 404
    response = api_as(alice).get(url, {"start": "2026-04-01", "end": "2026-03-01"})
    assert response.status_code == 400
    assert api_as(alice).post(url, {}).status_code == 405


def test_api_key_of_the_team_reads(key_client, team_a, shop):
    response = key_client(scope="read").get(reverse("analytics-retention-lifecycle", args=[team_a.pk]), PARAMS)
    assert response.status_code == 200


def test_pages_render_and_htmx_partial(client_as, alice, team_a, shop, django_assert_max_num_queries):
    client = client_as(alice)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("analytics:retention"), PARAMS)
    assert response.status_code == 200
    assert b"rt-chart-data" in response.content and b"Retention" in response.content
    partial = client.get(reverse("analytics:retention"), PARAMS, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"<html" not in partial.content and b'id="results"' in partial.content
    with django_assert_max_num_queries(20):
        assert client.get(reverse("analytics:lifecycle"), PARAMS).status_code == 200
    response = client.get(reverse("analytics:moments"), {**PARAMS, "window_days": "14"})
    assert response.status_code == 200 and b"3/6" in response.content


def test_moments_page_measures_a_moment_by_its_rule(client_as, alice, team_a, shop):
    from customers.services import tracking_rule_create

    stage = Stage.objects.create(journey_map=JourneyMap.objects.create(team=team_a, title="Shop"), name="Purchase")
    moment = Touchpoint.objects.create(stage=stage, name="First order", is_moment=True)
    tracking_rule_create(actor=alice, stage=stage, touchpoint=moment, event_name="Order Completed")
    response = client_as(alice).get(
        reverse("analytics:moments"),
        {"moment": moment.pk, "start": "2026-03-02", "end": "2026-04-12", "window_days": 14},
    )
    assert response.status_code == 200
    assert response.context["report"]["overall"]["activation"]["k"] == 3


def test_page_form_errors_are_shown(client_as, alice, team_a):
    response = client_as(alice).get(reverse("analytics:retention"), {"cohort_by": "stage"})
    assert response.status_code == 200
    assert response.context["table"] is None and "stage" in response.context["form"].errors


def test_dashboard_shows_activation_and_time_to_first_value(client_as, alice, team_a, shop, monkeypatch):
    from customers.services import tracking_rule_create

    stage = Stage.objects.create(journey_map=JourneyMap.objects.create(team=team_a, title="Shop"), name="Purchase")
    moment = Touchpoint.objects.create(stage=stage, name="First order", is_moment=True)
    tracking_rule_create(actor=alice, stage=stage, touchpoint=moment, event_name="Order Completed")
    # The home counts the profiles first seen in the last four weeks (+ the 7-day window): 5 April.
    monkeypatch.setattr("django.utils.timezone.now", lambda: local(dt.date(2026, 4, 5), 12))
    response = client_as(alice).get(reverse("home"))
    assert response.status_code == 200
    panel = response.context["board"].moments
    assert [m["touchpoint"] for m in panel] == [moment]
    activation = panel[0]["summary"]["activation"]
    # First seen 2, 9, 16 March; orders 8 days later: none within 7 days.
    assert (activation["k"], activation["n"]) == (0, 6)
    assert b"First order" in response.content

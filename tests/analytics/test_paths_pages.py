"""The Paths pages and API: same query, team scoping, detours added as touchpoints in one click."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import TrackingRule
from journeys.models import JourneyMap, Stage, Touchpoint

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def shop(team_a, alice):
    journey_map = JourneyMap.objects.create(team=team_a, title="Furniture shop")
    decision = Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
    purchase = Stage.objects.create(journey_map=journey_map, name="Purchase", position=1)
    cart = Touchpoint.objects.create(stage=decision, name="Cart")
    checkout = Touchpoint.objects.create(stage=decision, name="Checkout")
    services.tracking_rule_create(actor=alice, stage=decision, touchpoint=cart, event_type="page", path_pattern="/cart")
    services.tracking_rule_create(
        actor=alice, stage=decision, touchpoint=checkout, event_type="page", path_pattern="/checkout"
    )
    source = services.source_create(team=team_a, actor=alice, name="Shop")[0]
    items = []
    for n, then in enumerate(["/returns", "/returns", "/checkout"]):
        start = NOW - timedelta(hours=2, minutes=n)
        items += [
            {"type": "page", "anonymousId": f"v{n}", "properties": {"path": "/cart"}, "timestamp": start.isoformat()},
            {
                "type": "page",
                "anonymousId": f"v{n}",
                "properties": {"path": then},
                "timestamp": (start + timedelta(minutes=1)).isoformat(),
            },
        ]
    services.events_ingest(source=source, items=items, received_at=NOW)
    return {"map": journey_map, "decision": decision, "purchase": purchase, "cart": cart}


# --- the service ----------------------------------------------------------------------------------


def test_touchpoint_from_event_adds_touchpoint_and_rule(shop, erin):
    touchpoint, _rule = services.touchpoint_from_event(
        actor=erin, journey_map=shop["map"], stage=shop["purchase"], event_type="page", path="/returns"
    )
    assert (touchpoint.stage, touchpoint.name, touchpoint.channel) == (shop["purchase"], "/returns", "page")
    rule = TrackingRule.objects.get(touchpoint=touchpoint)
    assert (rule.journey_map, rule.stage, rule.event_type, rule.event_name, rule.path_pattern) == (
        shop["map"],
        shop["purchase"],
        "page",
        "",
        "/returns",
    )
    shop["map"].refresh_from_db()
    assert shop["map"].revision >= 1  # made through journeys' service: the map's revision moved


def test_touchpoint_from_event_track_binds_the_name(shop, erin):
    touchpoint, _rule = services.touchpoint_from_event(
        actor=erin, journey_map=shop["map"], stage=shop["decision"], event_type="track", event_name="Coupon Applied"
    )
    assert (touchpoint.name, touchpoint.channel) == ("Coupon Applied", "other")
    assert TrackingRule.objects.get(touchpoint=touchpoint).event_name == "Coupon Applied"


def test_touchpoint_from_event_refuses_viewer_and_outsider(shop, victor, oscar):
    before = (Touchpoint.objects.count(), TrackingRule.objects.count())
    with pytest.raises(PermissionDenied):
        services.touchpoint_from_event(
            actor=victor, journey_map=shop["map"], stage=shop["purchase"], event_type="page", path="/returns"
        )
    with pytest.raises(Http404):
        services.touchpoint_from_event(
            actor=oscar, journey_map=shop["map"], stage=shop["purchase"], event_type="page", path="/returns"
        )
    assert (Touchpoint.objects.count(), TrackingRule.objects.count()) == before


def test_touchpoint_from_event_validates(shop, erin, alice, team_a):
    other_map = JourneyMap.objects.create(team=team_a, title="Other")
    other_stage = Stage.objects.create(journey_map=other_map, name="Elsewhere")
    before = (Touchpoint.objects.count(), TrackingRule.objects.count())
    cases = [
        ({"stage": other_stage, "event_type": "page", "path": "/x"}, "stage"),
        ({"stage": shop["purchase"], "event_type": "identify", "event_name": "x"}, "event_type"),
        ({"stage": shop["purchase"], "event_type": "page", "event_name": "x"}, "path"),
        ({"stage": shop["purchase"], "event_type": "track", "path": "/x"}, "event_name"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as caught:
            services.touchpoint_from_event(actor=erin, journey_map=shop["map"], **kwargs)
        assert field in caught.value.error_dict
    assert (Touchpoint.objects.count(), TrackingRule.objects.count()) == before


# --- the page ------------------------------------------------------------------------------------------


def test_map_paths_page_draws_sankey_table_and_detours(client, shop, erin, django_assert_max_num_queries):
    client.force_login(erin)
    url = reverse("analytics:map_paths", args=[shop["map"].pk])
    with django_assert_max_num_queries(25):
        response = client.get(url, {"from": f"touchpoint:{shop['cart'].pk}"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="paths-sankey"' in body and 'id="paths-data"' in body
    assert "vendor/sankey/chartjs-chart-sankey.min.js" in body
    assert 'data-testid="paths-table"' in body
    assert "not on the map" in body
    assert "Add as touchpoint" in body
    result = response.context["result"]
    assert [(t["to_label"], t["profiles"], t["detour"]) for t in result.transitions] == [
        ("/returns", 2, True),
        ("Checkout", 1, False),
    ]
    # The starting touchpoint's stage is chosen already: one click adds the detour there.
    assert response.context["default_stage"] == shop["decision"].pk


def test_page_without_query_invites_a_choice(client, shop, victor):
    client.force_login(victor)
    response = client.get(reverse("analytics:map_paths", args=[shop["map"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Choose a starting point" in body
    assert "Choose where the paths start" not in body  # no error before anything was asked
    assert response.context["result"] is None


def test_viewer_sees_detours_without_add_button(client, shop, victor):
    client.force_login(victor)
    response = client.get(reverse("analytics:map_paths", args=[shop["map"].pk]), {"from": "page:/cart"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Detours the map does not show" in body
    assert "Add as touchpoint" not in body


def test_empty_result_says_why(client, shop, erin):
    client.force_login(erin)
    response = client.get(reverse("analytics:paths"), {"from": "event:Never Sent"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="paths-reason"' in body
    assert "No customer reached the starting point" in body
    assert 'id="paths-sankey"' not in body


def test_team_page_htmx_returns_the_partial(client, shop, erin):
    client.force_login(erin)
    response = client.get(
        reverse("analytics:paths"), {"map": shop["map"].pk, "from": "page:/cart"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="paths-result"')
    assert "<html" not in body


def test_map_page_links_to_paths(client, shop, erin):
    client.force_login(erin)
    response = client.get(reverse("journeys:map_detail", args=[shop["map"].pk]))
    assert reverse("analytics:map_paths", args=[shop["map"].pk]) in response.content.decode()


def test_add_touchpoint_in_one_click(client, shop, erin):
    client.force_login(erin)
    back = reverse("analytics:map_paths", args=[shop["map"].pk]) + "?from=page%3A%2Fcart"
    response = client.post(
        reverse("analytics:paths_add_touchpoint", args=[shop["map"].pk]),
        {"stage": shop["decision"].pk, "event_type": "page", "path": "/returns", "back": back},
    )
    assert response.status_code == 302
    assert response["Location"] == back
    touchpoint = Touchpoint.objects.get(stage=shop["decision"], name="/returns")
    assert TrackingRule.objects.get(touchpoint=touchpoint).path_pattern == "/returns"
    # Drawn again, the returns page is on the map now: no detour left.
    result = client.get(back).context["result"]
    assert [(t["to_label"], t["detour"]) for t in result.transitions] == [("/returns", False), ("Checkout", False)]


def test_add_touchpoint_viewer_403_outsider_404(client, shop, victor, oscar):
    url = reverse("analytics:paths_add_touchpoint", args=[shop["map"].pk])
    data = {"stage": shop["decision"].pk, "event_type": "page", "path": "/returns"}
    before = Touchpoint.objects.count()
    client.force_login(victor)
    assert client.post(url, data).status_code == 403
    client.force_login(oscar)
    assert client.post(url, data).status_code == 404
    assert client.get(reverse("analytics:map_paths", args=[shop["map"].pk])).status_code == 404
    assert Touchpoint.objects.count() == before


def test_add_touchpoint_refuses_an_outside_back_url(client, shop, erin):
    client.force_login(erin)
    response = client.post(
        reverse("analytics:paths_add_touchpoint", args=[shop["map"].pk]),
        {"stage": shop["decision"].pk, "event_type": "page", "path": "/returns", "back": "https://evil.example/"},
    )
    assert response["Location"] == reverse("analytics:map_paths", args=[shop["map"].pk])


# --- the API -------------------------------------------------------------------------------------------


def test_api_json_same_as_page(api_as, client, shop, victor):
    params = {"map": shop["map"].pk, "from": "page:/cart", "steps": 2}
    response = api_as(victor).get("/api/v1/paths/", params)
    assert response.status_code == 200
    body = response.json()
    assert body["profiles"] == 3
    assert body["query"]["anchor"] == {"kind": "page", "value": "/cart", "label": "/cart"}
    assert [(r["from_label"], r["to_label"], r["profiles"], r["detour"]) for r in body["results"]] == [
        ("Cart", "/returns", 2, True),
        ("Cart", "Checkout", 1, False),
    ]
    share = body["results"][0]["share"]
    assert share["n"] == 3 and share["value"] == pytest.approx(2 / 3)
    assert 0 < share["low"] < 2 / 3 < share["high"] < 1
    client.force_login(victor)
    page = client.get(reverse("analytics:map_paths", args=[shop["map"].pk]), params).context["result"]
    assert [t["profiles"] for t in page.transitions] == [r["profiles"] for r in body["results"]]


def test_api_csv(api_as, shop, victor):
    response = api_as(victor).get("/api/v1/paths/", {"map": shop["map"].pk, "from": "page:/cart", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["from_step", "from", "to_step", "to", "profiles"]
    assert rows[1][:5] == ["0", "Cart", "1", "/returns", "2"]
    assert rows[1][-1] == "no"


def test_api_bad_query_is_400(api_as, shop, victor):
    response = api_as(victor).get("/api/v1/paths/", {"map": shop["map"].pk, "steps": 99})
    assert response.status_code == 400
    body = response.json()
    assert "anchor" in str(body) and "steps" in str(body)


def test_api_other_teams_map_answers_nothing(api_as, shop, oscar):
    response = api_as(oscar).get("/api/v1/paths/", {"map": shop["map"].pk, "from": "page:/cart"})
    assert response.status_code == 200
    body = response.json()
    assert body["results"] == [] and body["profiles"] == 0
    assert "No journey map with this id" in body["reason"]


def test_api_needs_a_map_or_team(api_as, shop, team_a, victor):
    assert api_as(victor).get("/api/v1/paths/", {"from": "page:/cart"}).status_code == 400
    response = api_as(victor).get("/api/v1/paths/", {"team": team_a.pk, "from": "page:/cart"})
    assert response.status_code == 200
    assert response.json()["results"][0]["to_on_map"] is None  # no map: nothing judged


def test_api_write_methods_refused(api_as, shop, alice, victor):
    assert api_as(victor).post("/api/v1/paths/", {}, format="json").status_code == 403
    assert api_as(alice).post("/api/v1/paths/", {}, format="json").status_code == 405

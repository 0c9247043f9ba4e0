"""Paths in the browser on a 390 px phone: the Sankey drawn, the table, axe clean, a detour added in one click."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers import services
from customers.models import TrackingRule
from journeys.models import JourneyMap, Stage, Touchpoint

from .axe import describe, violations

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shop(team_a, alice):
    journey_map = JourneyMap.objects.create(team=team_a, title="Furniture shop")
    decision = Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
    cart = Touchpoint.objects.create(stage=decision, name="Cart")
    checkout = Touchpoint.objects.create(stage=decision, name="Checkout")
    services.tracking_rule_create(actor=alice, stage=decision, touchpoint=cart, event_type="page", path_pattern="/cart")
    services.tracking_rule_create(
        actor=alice, stage=decision, touchpoint=checkout, event_type="page", path_pattern="/checkout"
    )
    source = services.source_create(team=team_a, actor=alice, name="Shop")[0]
    now = timezone.now().replace(microsecond=0)
    items = []
    for n, then in enumerate(["/delivery-times", "/delivery-times", "/checkout", "/returns-policy"]):
        start = now - timedelta(hours=3, minutes=n)
        for offset, path in enumerate(["/cart", then]):
            items.append(
                {
                    "type": "page",
                    "anonymousId": f"visitor-{n}",
                    "properties": {"path": path},
                    "timestamp": (start + timedelta(minutes=offset)).isoformat(),
                }
            )
    services.events_ingest(source=source, items=items, received_at=now)
    return journey_map, decision, cart


@pytest.mark.django_db(transaction=True)
def test_paths_on_a_phone_draws_sankey_and_adds_a_detour(page, login, alice, shop, screenshot):
    journey_map, decision, _cart = shop
    page.set_viewport_size(PHONE)
    # The first page of a live server also compiles the templates and the Sankey page's query; on a
    # shared 2-core machine that can pass the suite's 10 s default.
    page.set_default_timeout(30_000)
    login(alice)
    page.goto(f"/maps/{journey_map.pk}/")
    # The map page's actions are links drawn as buttons (role="button"), from journeys' link registry.
    page.get_by_role("button", name="Paths").click()
    expect(page.locator("h1")).to_have_text("Paths")

    page.get_by_label("Starting point").select_option(label="Decision › Cart")
    page.get_by_role("button", name="Show paths").click()
    table = page.get_by_test_id("paths-table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tr.an-detour")).to_have_count(2)
    # The Sankey is drawn by the vendored chart type on the canvas (not only the table).
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('paths-sankey'))?.config.type === 'sankey'"
    )
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    found = violations(page)
    assert not found, describe({"paths": found})
    screenshot(page, "analytics-paths-phone")

    detour = page.locator(".an-detour-list li", has_text="/delivery-times")
    detour.get_by_role("button", name="Add as touchpoint").click()
    expect(page.get_by_text("is now a touchpoint of Decision")).to_be_visible()
    touchpoint = Touchpoint.objects.get(stage=decision, name="/delivery-times")
    assert TrackingRule.objects.get(touchpoint=touchpoint).path_pattern == "/delivery-times"
    # Drawn again: the delivery page is on the map now, one detour is left.
    expect(page.get_by_test_id("paths-table").locator("tr.an-detour")).to_have_count(1)

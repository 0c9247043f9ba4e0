"""The tracking plan on the map at 390 px: the overlay's numbers and sparkline, the period selector
(an HTMX swap of the board), the unmapped events and the source's live debugger — each fitting the
phone's width with no serious or critical axe-core violation."""

import re
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from customers import services
from customers.stages import events_match
from journeys.models import JourneyMap, Stage, Touchpoint

from .axe import describe, violations

PHONE = {"width": 390, "height": 844}


def _world(team, actor):
    journey_map = JourneyMap.objects.create(team=team, title="Shop")
    decision = Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
    checkout = Touchpoint.objects.create(stage=decision, name="Checkout")
    Touchpoint.objects.create(stage=decision, name="Returns policy", position=1)
    services.tracking_rule_create(actor=actor, stage=decision, touchpoint=checkout, event_name="Checkout Started")
    source = services.source_create(team=team, actor=actor, name="Shop website")[0]
    today = timezone.now().date()
    items = []
    for i, ago in enumerate([0, 0, 1, 3, 12, 20]):
        day = today - timedelta(days=ago)
        at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC).isoformat()
        items.append({"type": "track", "event": "Checkout Started", "anonymousId": f"a{i % 4}", "timestamp": at})
    items.append({"type": "track", "event": "Returns Viewed", "anonymousId": "a9", "timestamp": items[0]["timestamp"]})
    items.append({"type": "track", "anonymousId": "a9", "messageId": "no-name"})  # refused: no event name
    result = services.events_ingest(source=source, items=items, received_at=timezone.now())
    events_match(event_ids=result.event_ids)
    services.refusals_record(source=source, received_at=timezone.now(), refusals=result.refused)
    return journey_map, source


def test_overlay_period_unmapped_and_debugger_on_a_phone(page, login, alice, team_a, screenshot):
    journey_map, source = _world(team_a, alice)
    page.set_viewport_size(PHONE)
    login(alice)
    found = {}

    page.goto(f"/maps/{journey_map.pk}/")
    overlay = page.get_by_test_id("overlay")
    expect(overlay).to_contain_text("6 events · 4 customers")
    expect(overlay.get_by_role("img")).to_have_attribute(
        "aria-label", f"6 events from 4 customers in the last 30 days; busiest day {timezone.now().date()} (UTC): 2"
    )
    expect(page.get_by_test_id("not-instrumented")).to_contain_text("Not instrumented: no tracking rule")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    found["map"] = violations(page)
    screenshot(page, "map-tracking-overlay-phone")

    page.get_by_label("Tracking period").select_option("7")
    expect(page.get_by_test_id("overlay")).to_contain_text("4 events · 4 customers")
    expect(page).to_have_url(re.compile(r"[?&]period=7"))

    page.goto(f"/customers/maps/{journey_map.pk}/unmapped/")
    expect(page.get_by_test_id("unmapped")).to_contain_text("Returns Viewed")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    found["unmapped"] = violations(page)

    page.goto(f"/customers/sources/{source.pk}/")
    expect(page.get_by_test_id("refusals")).to_contain_text("missing_event")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    found["debugger"] = violations(page)

    assert not any(found.values()), describe(found)

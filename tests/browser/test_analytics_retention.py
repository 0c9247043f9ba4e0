"""Retention, lifecycle and moments pages on a 390 px phone: no horizontal overflow, a drawn chart,
no serious or critical axe-core violation, and the HTMX form swaps the results in."""

import datetime as dt

import pytest

from customers.services import source_create, tracking_rule_create
from journeys.models import JourneyMap, Stage, Touchpoint
from tests.analytics.retention_data import generated
from tests.browser.axe import describe, violations


@pytest.mark.django_db(transaction=True)
def test_retention_pages_on_a_phone(page, login, team_a, alice):
    alice.set_password("waymark-demo")
    alice.save()
    team_a.time_zone = "Europe/Riga"
    team_a.save(update_fields=["time_zone"])
    generated(team_a, source_create(team=team_a, actor=alice, name="Shop")[0], people=30)
    stage = Stage.objects.create(journey_map=JourneyMap.objects.create(team=team_a, title="Shop"), name="Purchase")
    moment = Touchpoint.objects.create(stage=stage, name="First order", is_moment=True)
    tracking_rule_create(actor=alice, stage=stage, touchpoint=moment, event_name="Order Completed")

    page.set_viewport_size({"width": 390, "height": 844})
    login(alice)
    window = "start=2026-03-02&end=2026-04-26"
    found = {}
    for name, url in (
        ("retention", f"/analytics/retention/?{window}"),
        ("lifecycle", f"/analytics/lifecycle/?{window}&period=month"),
        ("moments", f"/analytics/moments/?{window}&moment={moment.pk}&window_days=14"),
    ):
        page.goto(url)
        page.wait_for_function("() => document.getElementById('rt-chart')?.dataset.drawn === '1'")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, name
        found[name] = violations(page)
    assert not any(found.values()), describe(found)

    # The form swaps only the results in (HTMX) and pushes the query to the address bar.
    page.goto(f"/analytics/retention/?{window}")
    page.get_by_label("Period", exact=True).select_option("month")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**period=month**")
    page.wait_for_function("() => document.getElementById('rt-chart')?.dataset.drawn === '1'")
    assert dt.date(2026, 3, 1).strftime("%Y") in page.locator("#results").inner_text()

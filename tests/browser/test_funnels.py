"""The funnel pages in a browser: real bars with the drop-off between them, a drop-off saved as a
cohort, on a desktop and a 390 px phone, with no serious or critical axe-core finding."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import Cohort
from customers.models import Profile, StageTransition
from journeys.models import JourneyMap, Stage

from .axe import describe, violations

PHONE = {"width": 390, "height": 844}


@pytest.mark.django_db(transaction=True)
def test_map_funnel_bars_drop_off_to_cohort_on_desktop_and_phone(page, login, team_a, alice, screenshot):
    journey_map = JourneyMap.objects.create(team=team_a, title="Online furniture order")
    stages = [
        Stage.objects.create(journey_map=journey_map, name=name, position=i)
        for i, name in enumerate(["Awareness", "Consideration", "Decision", "Purchase"])
    ]
    now = timezone.now() - timedelta(days=2)
    for n in range(10):
        profile = Profile.objects.create(team=team_a, user_id=f"shopper-{n}")
        for index in range(1 + n % 4):
            StageTransition.objects.create(
                team=team_a,
                profile=profile,
                journey_map=journey_map,
                to_stage=stages[index],
                entered_at=now + timedelta(hours=index),
            )
    login(alice)
    found = {}
    page.goto(f"/maps/{journey_map.pk}/")
    page.get_by_role("button", name="Conversion funnel").click()
    expect(page.locator("h1")).to_have_text("Funnel of Online furniture order")
    expect(page.locator(".an-bar")).to_have_count(4)
    expect(page.get_by_role("table").first).to_contain_text("Decision")
    found["map funnel"] = violations(page)
    screenshot(page, "analytics-funnel")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    found["map funnel (phone)"] = violations(page)
    page.set_viewport_size({"width": 1366, "height": 900})

    # Three of ten did not get past Awareness: save them as a cohort.
    page.get_by_role("row", name="2. Consideration").get_by_role("button", name="Save as cohort").click()
    page.wait_for_url("**/analytics/cohorts/*/")
    cohort = Cohort.objects.get()
    assert cohort.members.count() == 3
    expect(page.get_by_text("3 profiles.", exact=True)).to_be_visible()
    found["cohort"] = violations(page)
    page.goto("/analytics/funnels/")
    found["funnel builder"] = violations(page)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    found["funnel builder (phone)"] = violations(page)
    assert not any(found.values()), describe(found)

"""The rule cohort form, two versions side by side and the map's stage columns in a browser, on a
desktop and a 390 px phone, with no serious or critical axe-core finding."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import Cohort
from analytics.stages import stage_stats_refresh
from customers.models import Profile, ProfileStage, StageTransition
from journeys.models import JourneyMap, MapVersion, Stage
from journeys.services import map_publish

from .axe import describe, violations

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]


@pytest.mark.django_db(transaction=True)
def test_cohort_form_versions_and_stage_columns_on_desktop_and_phone(page, login, team_a, alice, screenshot):
    journey_map = JourneyMap.objects.create(team=team_a, title="Online furniture order")
    stages = [
        Stage.objects.create(journey_map=journey_map, name=name, position=i)
        for i, name in enumerate(["Awareness", "Consideration", "Decision", "Purchase"])
    ]
    first = map_publish(journey_map=journey_map, actor=alice, note="v1")
    journey_map.refresh_from_db()
    Stage.objects.filter(pk=stages[3].pk).update(name="Purchase and delivery date")
    journey_map.refresh_from_db()
    second = map_publish(journey_map=journey_map, actor=alice, note="v2")
    now = timezone.now()
    MapVersion.objects.filter(pk=first.pk).update(created_at=now - timedelta(days=20))
    MapVersion.objects.filter(pk=second.pk).update(created_at=now - timedelta(days=10))
    for n in range(24):
        profile = Profile.objects.create(
            team=team_a, user_id=f"shopper-{n}", traits={"plan": "trade" if n % 3 else "guest"}
        )
        at = now - timedelta(days=19 - (n % 18), hours=n)
        last = None
        for index in range(1 + n % 4):
            last = StageTransition.objects.create(
                team=team_a, profile=profile, journey_map=journey_map, to_stage=stages[index], entered_at=at
            )
            at += timedelta(hours=5 + n)
        ProfileStage.objects.create(
            team=team_a, profile=profile, journey_map=journey_map, stage=last.to_stage, entered_at=last.entered_at
        )
    stage_stats_refresh(journey_map=journey_map)
    login(alice)
    found = {}

    page.goto("/analytics/cohorts/new/")
    expect(page.locator("h1")).to_have_text("New cohort")
    page.locator("#id_name").fill("Trade buyers at Decision")
    page.locator("#id_c-0-type").select_option("trait")
    page.locator("#id_c-0-key").fill("plan")
    page.locator("#id_c-0-value").fill("trade")
    page.locator("#id_c-1-type").select_option("stage")
    page.locator("#id_c-1-stage").select_option(str(stages[2].pk))
    page.get_by_role("button", name="Preview count").click()
    expect(page.locator("#cohort-preview")).to_contain_text("profiles meet these rules now")
    found["cohort form"] = violations(page)
    screenshot(page, "analytics-cohort-form")
    page.set_viewport_size(PHONE)
    assert _fits(page)
    found["cohort form (phone)"] = violations(page)
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Save cohort").click()
    page.wait_for_url("**/analytics/cohorts/*/")
    assert Cohort.objects.get().kind == "rules"

    page.goto(f"/analytics/funnels/map/{journey_map.pk}/versions/")
    expect(page.locator("h1")).to_contain_text("side by side")
    expect(page.get_by_role("table")).to_contain_text("Decision")
    found["versions"] = violations(page)
    screenshot(page, "analytics-versions")
    page.set_viewport_size(PHONE)
    assert _fits(page)
    found["versions (phone)"] = violations(page)

    page.set_viewport_size(DESKTOP)
    page.goto(f"/maps/{journey_map.pk}/")
    expect(page.locator('[data-testid="stage-stats"]')).to_have_count(4)
    expect(page.locator('[data-testid="stage-stats"]').first).to_contain_text("To the next stage")
    found["map stage columns"] = violations(page)
    screenshot(page, "analytics-map-stage-columns")
    page.set_viewport_size(PHONE)
    assert _fits(page)
    found["map stage columns (phone)"] = violations(page)
    assert not any(found.values()), describe(found)

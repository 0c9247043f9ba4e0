"""Journey maps in the browser: build, publish, change, compare, restore; two people, one touchpoint."""

import re

import pytest
from playwright.sync_api import expect

from journeys import services
from journeys.models import JourneyMap, MapVersion, Touchpoint


def _add_touchpoint(page, stage_name, name, emotion):
    stage = page.locator(".wm-stage", has=page.get_by_role("heading", name=stage_name, exact=True))
    stage.get_by_role("button", name="+ Add touchpoint").click()
    panel = page.locator("#panel")
    panel.get_by_label("Name").fill(name)
    panel.get_by_label("How the customer feels").select_option(emotion)
    panel.get_by_role("button", name="Save").click()
    expect(page.locator(".wm-tp", has_text=name)).to_be_visible()


def _publish(page, note):
    page.get_by_role("button", name="Publish", exact=True).click()
    page.locator("#panel").get_by_label("What changed and why").fill(note)
    page.locator("#panel").get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r"/versions/$"))


@pytest.mark.django_db(transaction=True)
def test_build_publish_change_compare_and_restore(page, login, erin, team_a, screenshot):
    login(erin)
    page.goto("/maps/")
    expect(page.get_by_text("No journey maps yet")).to_be_visible()
    page.get_by_role("button", name="Create your first map").click()
    page.get_by_label("Title").fill("Online furniture order")
    page.get_by_role("button", name="Create map").click()
    expect(page.locator("h1")).to_have_text("Online furniture order")

    _add_touchpoint(page, "Decision", "Cart and delivery options", "anxious")
    _add_touchpoint(page, "Decision", "Returns policy page", "confused")
    _add_touchpoint(page, "Purchase", "Checkout", "confident")
    expect(page.locator("#emotion-curve")).to_be_visible()
    _publish(page, "Baseline")
    expect(page.get_by_role("link", name="v1")).to_be_visible()

    journey_map = JourneyMap.objects.get(title="Online furniture order")
    page.goto(f"/maps/{journey_map.pk}/")
    # Change: rename a touchpoint, move another with the keyboard buttons, add one.
    page.get_by_role("button", name="Cart and delivery options: open details and edit").click()
    page.locator("#panel").get_by_label("Name").fill("Delivery date on the product page")
    page.locator("#panel").get_by_role("button", name="Save").click()
    expect(page.locator(".wm-tp", has_text="Delivery date on the product page")).to_be_visible()
    page.get_by_role("button", name="Move Returns policy page up").click()
    expect(page.locator("#wm-toasts")).to_contain_text("Moved")
    _add_touchpoint(page, "Consideration", "Customer reviews", "curious")
    screenshot(page, "map")
    _publish(page, "Delivery dates shown")

    page.get_by_role("link", name="Compare with v1").click()
    summary = page.locator(".wm-diff-summary")
    expect(summary).to_contain_text("1 added")
    expect(summary).to_contain_text("1 moved")
    expect(summary).to_contain_text("1 changed")
    changes = page.locator(".wm-change-list")
    expect(changes).to_contain_text("Customer reviews")
    expect(changes).to_contain_text("Cart and delivery options")
    expect(changes).to_contain_text("Delivery date on the product page")
    expect(page.locator(".wm-side-by-side .wm-mark-added")).to_contain_text("Customer reviews")
    screenshot(page, "compare")

    page.goto(f"/maps/{journey_map.pk}/versions/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Restore v1").click()
    page.wait_for_url(re.compile(rf"/maps/{journey_map.pk}/$"))
    expect(page.locator(".wm-tp", has_text="Cart and delivery options")).to_be_visible()
    expect(page.locator(".wm-tp", has_text="Customer reviews")).to_have_count(0)
    assert MapVersion.objects.filter(journey_map=journey_map).count() == 2

    page.goto("/maps/")
    expect(page.get_by_role("link", name="Online furniture order")).to_be_visible()
    screenshot(page, "map_list")


@pytest.mark.django_db(transaction=True)
def test_two_people_editing_one_touchpoint_see_the_conflict(page, login, erin, alice, team_a):
    journey_map = services.map_create(team=team_a, actor=erin, title="Home loan application")
    stage = journey_map.stages.get(name="Decision")
    tp = services.touchpoint_create(stage=stage, actor=erin, revision=None, name="Online loan application")
    login(erin)
    page.goto(f"/maps/{journey_map.pk}/")
    page.get_by_role("button", name="Online loan application: open details and edit").click()
    panel = page.locator("#panel")
    panel.get_by_label("Name").fill("Loan application with checklist")

    # Meanwhile Alice saves her change to the same touchpoint.
    current = JourneyMap.objects.get(pk=journey_map.pk).revision
    services.touchpoint_update(touchpoint=tp, actor=alice, revision=current, name="Loan application, plain language")

    panel.get_by_role("button", name="Save").click()
    alert = panel.get_by_role("alert")
    expect(alert).to_contain_text("Someone else changed this map")
    expect(alert).to_contain_text("Loan application, plain language")
    expect(panel.get_by_label("Name")).to_have_value("Loan application with checklist")
    tp.refresh_from_db()
    assert tp.name == "Loan application, plain language"

    # Saving again is a deliberate choice and now goes through.
    panel.get_by_role("button", name="Save").click()
    expect(page.locator(".wm-tp", has_text="Loan application with checklist")).to_be_visible()
    assert Touchpoint.objects.get(pk=tp.pk).name == "Loan application with checklist"

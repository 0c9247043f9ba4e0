"""Presentation mode and printing of the map page, in Chromium."""

import pytest
from playwright.sync_api import expect

from journeys import services
from tests.browser.axe import describe, violations

STAGES = {
    "Discover": ["Search ad", "Friend's recommendation"],
    "Compare": ["Pricing page"],
    "Buy": ["Checkout with saved card", "Order confirmation e-mail"],
    "Use": ["First login"],
}


@pytest.fixture
def review_map(team_a, erin):
    """Four stages with touchpoints, one of them with a pain point."""
    journey_map = services.map_create(team=team_a, actor=erin, title="Weekly review map", stages=list(STAGES))
    for stage in journey_map.stages.order_by("position"):
        for name in STAGES[stage.name]:
            tp = services.touchpoint_create(stage=stage, actor=erin, revision=None, name=name, emotion_label="anxious")
    services.pain_point_create(touchpoint=tp, actor=erin, revision=None, title="Password reset loops", severity=4)
    return journey_map


@pytest.mark.django_db(transaction=True)
def test_present_fits_the_screen_moves_by_stage_and_escape_exits(page, login, victor, review_map, screenshot):
    page.set_viewport_size({"width": 1280, "height": 720})
    login(victor)
    page.goto(f"/maps/{review_map.pk}/")
    page.get_by_role("button", name="Present").click()
    page.wait_for_url(f"**/maps/{review_map.pk}/?present=1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly review map")
    expect(page.locator(".wm-topbar")).to_have_count(0)
    expect(page.get_by_role("button", name="Exit presentation")).to_be_visible()
    expect(page.locator("#emotion-curve")).to_be_visible()
    # The board fills the width and the document does not scroll sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    stages = page.locator(".wm-stage[tabindex='0']")
    expect(stages).to_have_count(4)
    boxes = [stages.nth(i).bounding_box() for i in range(4)]
    assert len({round(b["y"]) for b in boxes}) == 1  # the four stages side by side
    assert boxes[-1]["x"] + boxes[-1]["width"] <= 1280

    found = violations(page)
    assert not found, describe({"presentation": found})

    stages.nth(0).focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("listitem", name="Stage Compare")).to_be_focused()
    page.keyboard.press("PageDown")
    expect(page.get_by_role("listitem", name="Stage Buy")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("listitem", name="Stage Compare")).to_be_focused()
    screenshot(page, "map-presentation")

    page.keyboard.press("Escape")
    page.wait_for_url(f"**/maps/{review_map.pk}/")
    expect(page.locator(".wm-topbar")).to_be_visible()
    expect(page.get_by_role("button", name="Present")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_present_a_ten_stage_map_wraps_rows_instead_of_scrolling_sideways(page, login, erin, team_a):
    journey_map = services.map_create(
        team=team_a, actor=erin, title="Long journey", stages=[f"Step {i + 1}" for i in range(10)]
    )
    page.set_viewport_size({"width": 1280, "height": 720})
    login(erin)
    page.goto(f"/maps/{journey_map.pk}/?present=1")
    stages = page.locator(".wm-stage[tabindex='0']")
    expect(stages).to_have_count(10)
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    rights = page.eval_on_selector_all(".wm-stage", "els => els.map(e => e.getBoundingClientRect().right)")
    assert max(rights) <= 1280


@pytest.mark.django_db(transaction=True)
def test_print_shows_the_board_without_navigation_or_buttons(page, login, erin, review_map, screenshot):
    page.set_viewport_size({"width": 1280, "height": 720})
    login(erin)
    page.goto(f"/maps/{review_map.pk}/")
    expect(page.locator("#emotion-curve")).to_be_visible()
    page.emulate_media(media="print")
    hidden = [".wm-topbar", ".wm-actions", "#map-filters", ".wm-stage-tools", ".wm-add-tp", ".wm-stage-new", ".wm-move"]
    for selector in hidden:
        displays = page.eval_on_selector_all(selector, "els => els.map(e => getComputedStyle(e).display)")
        assert displays and set(displays) == {"none"}, (selector, displays)
    # No button shows but the touchpoints' names and the emotion chips, which an editor's board
    # makes buttons (both are the map's content: text on paper).
    shown = page.eval_on_selector_all(
        "button:not(.wm-tp-open):not(.wm-emotion-edit)",
        "els => els.filter(e => e.offsetParent !== null).map(e => e.outerHTML.slice(0, 80))",
    )
    assert shown == []
    expect(page.locator(".wm-stage:not(.wm-stage-new)")).to_have_count(4)
    expect(page.locator(".wm-pains")).to_contain_text("Password reset loops")
    expect(page.locator("#emotion-curve")).to_be_visible()
    adjust = page.eval_on_selector(".wm-emotion", "e => getComputedStyle(e).printColorAdjust")
    assert adjust == "exact"
    boxes = [page.locator(".wm-stage").nth(i).bounding_box() for i in range(4)]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # stages as columns
    screenshot(page, "map-print")

"""The map page's layout: curve names that never overlap, a board that says it scrolls, quiet
"no feedback" text and toasts that leave the cards reachable."""

import pytest
from playwright.sync_api import expect

from journeys import services

LONG_NAMES = {
    "Consideration": ["Comparison of delivery options and prices", "Customer reviews of the sofa fabric"],
    "Decision": [
        "Cart and delivery options with dates",
        "Returns policy page in the footer",
        "Financing calculator for large orders",
    ],
    "Purchase": ["Checkout with saved card"],
}


@pytest.fixture
def crowded_map(team_a, erin):
    """The six default stages, three of them with long-named touchpoints (two or three in a stage)."""
    journey_map = services.map_create(team=team_a, actor=erin, title="Online furniture order")
    for stage_name, names in LONG_NAMES.items():
        stage = journey_map.stages.get(name=stage_name)
        for name in names:
            services.touchpoint_create(stage=stage, actor=erin, revision=None, name=name, emotion_label="anxious")
    return journey_map


def _boxes(page, selector):
    return page.eval_on_selector_all(
        selector,
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return {text: e.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom}; })",
    )


def _overlap(a, b) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5 and (
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [1366, 390])
def test_curve_names_do_not_overlap(page, login, erin, crowded_map, width):
    page.set_viewport_size({"width": width, "height": 900})
    login(erin)
    page.goto(f"/maps/{crowded_map.pk}/")
    expect(page.locator("#emotion-curve")).to_be_visible()
    expect(page.locator(".wm-curve-label-stage")).to_have_count(3)  # a stage's name once
    labels = _boxes(page, ".wm-curve-label")
    assert len(labels) == 6 + 3
    canvas = page.locator(".wm-curve-canvas").bounding_box()
    for i, a in enumerate(labels):
        assert a["right"] > a["left"]
        assert canvas["x"] - 0.5 <= a["left"] and a["right"] <= canvas["x"] + canvas["width"] + 0.5
        for b in labels[i + 1 :]:
            assert not _overlap(a, b), (a, b)
    stage_names = [label["text"] for label in _boxes(page, ".wm-curve-label-stage")]
    assert stage_names == ["Consideration", "Decision", "Purchase"]


# Resolve once the element's scroll position holds still over two frames (a smooth scroll has ended).
SETTLED = """el => new Promise(resolve => {
  let last = -1;
  const tick = () => {
    if (el.scrollLeft === last) { resolve(); return; }
    last = el.scrollLeft;
    requestAnimationFrame(() => requestAnimationFrame(tick));
  };
  tick();
})"""


@pytest.mark.django_db(transaction=True)
def test_board_wider_than_the_screen_shows_that_it_scrolls(page, login, erin, crowded_map):
    page.set_viewport_size({"width": 1440, "height": 900})
    login(erin)
    page.goto(f"/maps/{crowded_map.pk}/")
    region = page.get_by_role("region", name="Stages (scrolls sideways)")
    expect(region).to_have_attribute("tabindex", "0")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate("document.scrollingElement.scrollWidth") == 1440  # the board scrolls, not the page
    earlier = page.get_by_role("button", name="← Earlier stages")
    later = page.get_by_role("button", name="Later stages →")
    expect(later).to_be_visible()
    expect(earlier).to_be_disabled()
    frame = page.locator(".wm-board-frame")
    expect(frame).to_have_class("wm-board-frame wm-more-right")  # a shadow on the edge with more stages

    region.focus()
    page.keyboard.press("ArrowRight")  # a focused scroll region scrolls with the keyboard
    page.wait_for_function("() => document.getElementById('map-board').scrollLeft > 0")
    expect(earlier).to_be_enabled()
    region.evaluate(SETTLED)  # the key's smooth scroll would carry on past a scroll back started now
    region.evaluate("el => el.scrollTo({left: 0, behavior: 'instant'})")
    expect(earlier).to_be_disabled()

    later.click()
    page.wait_for_function("() => document.getElementById('map-board').scrollLeft > 0")
    expect(earlier).to_be_enabled()
    region.evaluate(SETTLED)
    region.evaluate("el => el.scrollTo({left: el.scrollWidth, behavior: 'instant'})")
    expect(later).to_be_disabled()
    expect(frame).to_have_class("wm-board-frame wm-more-left")


@pytest.mark.django_db(transaction=True)
def test_no_feedback_note_is_small_and_muted(page, login, erin, crowded_map):
    login(erin)
    page.goto(f"/maps/{crowded_map.pk}/")
    card = page.locator(".wm-tp", has_text="Checkout with saved card")
    size = "el => parseFloat(getComputedStyle(el).fontSize)"
    note = card.locator(".wm-score-none")
    expect(note).to_have_text("No feedback in 90 days")
    assert note.evaluate(size) < card.locator(".wm-tp-title").evaluate(size)
    assert note.evaluate(size) <= card.locator(".wm-chip").first.evaluate(size)
    muted = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--wm-muted').trim()")
    assert muted == "#5b6472"
    expect(note).to_have_css("color", "rgb(91, 100, 114)")


@pytest.mark.django_db(transaction=True)
def test_toast_is_narrow_away_from_the_panel_lets_clicks_through_and_goes(page, login, erin, crowded_map):
    page.set_viewport_size({"width": 1366, "height": 700})
    login(erin)
    page.goto(f"/maps/{crowded_map.pk}/")
    page.get_by_role("button", name="Move Returns policy page in the footer up").click()
    toast = page.locator("#wm-toasts .wm-toast")
    expect(toast).to_contain_text("Moved")
    box = toast.bounding_box()
    rem = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert box["width"] <= 22 * rem + 0.5
    assert box["x"] < 1366 / 2  # bottom left: the editing panel opens on the right
    assert box["y"] + box["height"] <= 700
    # Clicks and hovers reach whatever is under the toast.
    under = page.evaluate(
        "([x, y]) => !document.getElementById('wm-toasts').contains(document.elementFromPoint(x, y))",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert under is True
    expect(toast).to_have_count(0, timeout=15_000)  # dismissed by itself, 5 s after it appeared

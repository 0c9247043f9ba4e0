"""The map pages in Traditional Chinese and Bulgarian: translated, and the layout holds.

Bulgarian labels are the longest of the five languages and Chinese has no spaces to break at: the
page must not grow sideways (the board scrolls in its own frame), and no button or stage title may
spill out of its box. Screenshots go to docs/screenshots/ (map-zh-hant.png, map-bg.png, ...).
"""

import pytest
from django.utils import translation

from journeys import services

from .shots import capture

LANGUAGES = {"zh-hant": ("zh-TW", "旅程地圖"), "bg": ("bg-BG", "Карти на пътуването")}


@pytest.fixture
def translated_map(team_a, erin):
    def make(language):
        with translation.override(language):
            journey_map = services.map_create(team=team_a, actor=erin, title="Online furniture order")
        stages = list(journey_map.stages.order_by("position"))
        for stage, names in zip(
            stages[1:4], [["Product page", "Size guide"], ["Cart and delivery options"], ["Checkout"]], strict=True
        ):
            for name in names:
                tp = services.touchpoint_create(
                    stage=stage, actor=erin, revision=None, name=name, emotion_label="anxious", is_moment=True
                )
                services.pain_point_create(
                    touchpoint=tp, actor=erin, revision=None, title="Delivery cost late", severity=4
                )
        return journey_map

    return make


def _spills(page, selector) -> list[str]:
    """Return the texts of ``selector`` elements whose content is wider than their box."""
    return page.eval_on_selector_all(
        selector, "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim())"
    )


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_map_pages_in_another_language_keep_their_layout(browser, live_server, translated_map, erin, language):
    locale, heading = LANGUAGES[language]
    journey_map = translated_map(language)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900}, locale=locale)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", erin.username)
        page.fill("input[name=password]", "waymark-demo")
        page.click("form [type=submit]")
        page.wait_for_load_state()

        page.goto("/maps/")
        assert heading in page.inner_text("h1")
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        capture(page, f"maps-{language}")

        page.goto(f"/maps/{journey_map.pk}/")
        assert page.evaluate("() => document.documentElement.lang") == language
        # The page itself never scrolls sideways: only the board does, inside its frame.
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert _spills(page, ".wm-actions a, .wm-actions summary, .wm-actions button, .wm-stage-title h2") == []
        capture(page, f"map-{language}")

        page.goto(f"/maps/{journey_map.pk}/owners/")
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert _spills(page, ".wm-tabs a") == []
        capture(page, f"owners-{language}")
    finally:
        context.close()

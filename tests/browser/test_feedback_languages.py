"""The map's Scores page in Bulgarian, whose labels are the longest of the five languages: the period
picker shows its whole option ("Последните 365 дни") on a phone and on a desktop."""

import pytest

from journeys.models import JourneyMap, Stage

LONGEST_OPTION = """() => {
  const select = document.querySelector('select[name=days]');
  const style = getComputedStyle(select);
  const context = document.createElement('canvas').getContext('2d');
  context.font = style.font;
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  const widest = Math.max(...[...select.options].map(o => context.measureText(o.text).width));
  return {room, widest, texts: [...select.options].map(o => o.text)};
}"""


@pytest.mark.parametrize("language", ["bg", "lv", "zh-hant", "en"])
@pytest.mark.parametrize("width", [390, 1366])
def test_the_period_picker_shows_its_longest_option_whole(browser, live_server, team_a, erin, language, width):
    journey_map = JourneyMap.objects.create(team=team_a, title="Shop")
    Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.set_extra_http_headers({"Accept-Language": language})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", erin.username)
        page.fill("input[name=password]", "waymark-demo")
        page.click("form [type=submit]")
        page.wait_for_load_state()
        page.goto(f"/feedback/maps/{journey_map.pk}/scores/")
        picker = page.evaluate(LONGEST_OPTION)
        if language == "bg":
            assert "Последните 365 дни" in picker["texts"]
        assert picker["widest"] <= picker["room"], picker
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()

"""Start a map from a template, then send it to an executive without an account as a read-only link."""

import pytest
from playwright.sync_api import expect

from journeys.models import JourneyMap, ShareLink, ShareLinkView
from tests.browser.axe import describe, violations


@pytest.mark.django_db(transaction=True)
def test_start_from_a_template_share_it_and_open_it_signed_out_on_a_phone(page, login, erin, team_a, screenshot):
    login(erin)
    page.goto("/maps/")
    page.get_by_role("button", name="Start from a template").first.click()
    card = page.locator("article", has=page.get_by_role("heading", name="Bank loan application"))
    card.get_by_label("Title of the new map").fill("Mortgage application")
    card.get_by_role("button", name="Use this template").click()
    expect(page.locator("h1")).to_have_text("Mortgage application")
    expect(page.locator(".wm-tp", has_text="Application form")).to_be_visible()
    journey_map = JourneyMap.objects.get(title="Mortgage application")

    page.goto(f"/maps/{journey_map.pk}/share/")
    page.get_by_label("For").fill("The board")
    page.get_by_label("Expires after").select_option("7")
    page.get_by_role("button", name="Make link").click()
    link_box = page.get_by_label("Link to copy")
    expect(link_box).to_be_visible()
    found = violations(page)
    assert found == [], describe({"share page": found})
    url = link_box.input_value()
    assert url.endswith(f"/share/{ShareLink.objects.get().token}/")

    # The executive: no account, a phone.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    expect(page.locator("h1")).to_have_text("Mortgage application")
    expect(page.get_by_text("Required documents unclear")).to_be_visible()
    # Nothing leads into the team's Waymark: the only links are the map's own PDF and PNG.
    hrefs = page.locator("a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == sorted(f"/share/{ShareLink.objects.get().token}/map.{fmt}" for fmt in ("pdf", "png"))
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    found = violations(page)
    assert found == [], describe({"shared map": found})
    screenshot(page, "shared-map-phone")
    assert ShareLinkView.objects.filter(link__journey_map=journey_map).count() == 1

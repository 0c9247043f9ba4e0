"""Search from the header box and the portfolio of maps, on the demo data: in English and in
Traditional Chinese (substrings without spaces), on a desktop and on a 390 px phone, with axe."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.axe import violations

PHONE = {"width": 390, "height": 844}


def _page_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


@pytest.mark.django_db(transaction=True)
def test_search_and_portfolio(page, login, screenshot):
    call_command("seed_demo", verbosity=0)
    demo = get_user_model().objects.get(username="demo")
    login(demo)
    page.get_by_label("Switch team").select_option(label="Northwind Journeys (admin)")
    expect(page.locator("h1")).to_have_text("Northwind Journeys")
    page.wait_for_load_state("networkidle")

    # The header's box searches the current team; results come grouped by kind.
    box = page.get_by_label("Search this team")
    box.fill("delivery")
    box.press("Enter")
    page.wait_for_url("**/search/?q=delivery")
    expect(page.locator("h1")).to_have_text("Search")
    results = page.locator("#search-results")
    expect(results).to_contain_text("results for “delivery”")
    expect(results.locator("h2").first).to_be_visible()
    expect(results.locator("mark").first).to_be_visible()
    assert results.locator("a[href^='/maps/']").count() > 0
    assert violations(page) == []
    screenshot(page, "search")

    # One kind's tab lists all of that kind.
    results.get_by_role("link", name="Pain points").click()
    page.wait_for_url("**kind=pain_point**")
    expect(page.locator("#search-results h2")).to_have_count(1)

    page.goto("/maps/portfolio/")
    expect(page.locator("h1")).to_have_text("Portfolio")
    groups = page.locator(".wm-portfolio-group h2")
    expect(groups).to_have_text(["Lending", "Online store"])
    expect(page.locator("table.wm-portfolio").first).to_contain_text("n =")
    assert violations(page) == []
    screenshot(page, "portfolio")

    page.set_viewport_size(PHONE)
    for url in ("/maps/portfolio/", "/search/?q=delivery"):
        page.goto(url)
        assert _page_width(page) <= PHONE["width"], url

    # The Traditional Chinese team: a two-character word inside a sentence is found.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/")
    page.get_by_label("Switch team").select_option(label="晨光選物 (admin)")
    page.wait_for_load_state("networkidle")
    page.goto("/search/?q=到貨")
    expect(page.locator("#search-results mark").first).to_have_text("到貨")
    assert violations(page) == []
    screenshot(page, "search-zh-hant")

"""Every main page on a 390 px phone: nothing wider than the screen, and the team and account
menus reachable through the navigation's menu button."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from experiments.models import Experiment, Metric
from feedback.models import Survey
from journeys.models import JourneyMap
from teams.models import Team

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


def _page_width(page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def _open_menu(page):
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")


@pytest.mark.django_db(transaction=True)
def test_every_main_page_fits_a_phone_and_the_menus_are_reachable(phone, login, screenshot):
    call_command("seed_demo", verbosity=0)
    demo = get_user_model().objects.get(username="demo")
    team = Team.objects.get(name="Northwind Journeys")
    shop = JourneyMap.objects.get(title="Online furniture order")
    page = login(demo)

    # The links and menus are folded away until the menu button opens them.
    expect(page.get_by_label("Switch team")).to_be_hidden()
    _open_menu(page)
    page.get_by_label("Switch team").select_option(label="Northwind Journeys (admin)")
    expect(page.locator("h1")).to_have_text("Northwind Journeys")
    # The switch's redirect can still be loading when the heading matches: a goto then aborts it.
    page.wait_for_load_state("networkidle")

    pages = {
        "dashboard": "/",
        "map list": "/maps/",
        "map templates": "/maps/templates/",
        "map": f"/maps/{shop.pk}/",
        "funnel layout": f"/maps/{shop.pk}/?layout=funnel",
        "personas": "/personas/",
        "surveys": "/feedback/",
        "survey results": f"/feedback/surveys/{Survey.objects.filter(team=team).order_by('pk').first().pk}/",
        "follow-ups": "/feedback/follow-ups/",
        "experiments": "/experiments/",
        "experiment": f"/experiments/{Experiment.objects.filter(team=team).order_by('pk').first().pk}/",
        "metric": f"/experiments/metrics/{Metric.objects.filter(team=team).order_by('pk').first().pk}/",
        "map owners": f"/maps/{shop.pk}/owners/",
        "map scores": f"/feedback/maps/{shop.pk}/scores/",
        "review": f"/reviews/maps/{shop.pk}/",
        "webhooks": f"/teams/{team.slug}/webhooks/",
        "members": f"/teams/{team.slug}/members/",
    }
    widths = {}
    for name, url in pages.items():
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        widths[name] = _page_width(page)
        if name == "dashboard":
            screenshot(page, "dashboard-mobile")
        elif name == "map":
            # The board scrolls sideways in its own box; the page does not.
            board = page.locator("#map-board")
            assert board.evaluate("el => el.scrollWidth > el.clientWidth")
            screenshot(page, "map-mobile")
    assert widths == dict.fromkeys(pages, PHONE["width"])

    # Open menus stay inside the screen too, and their entries work: the account menu's Members.
    page.goto("/maps/")
    _open_menu(page)
    page.locator(".wm-nav-menu details.dropdown > summary").click()
    assert _page_width(page) == PHONE["width"]
    page.get_by_role("link", name="Members").click()
    page.wait_for_url(f"**/teams/{team.slug}/members/")
    expect(page.locator("h1")).to_have_text("Northwind Journeys")
    expect(page.locator("#member-section")).to_contain_text("demo")


@pytest.mark.django_db(transaction=True)
def test_menu_button_works_from_the_keyboard(phone, login, alice, team_a):
    page = login(alice)
    toggle = page.get_by_role("button", name="Menu")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Maps", exact=True)).to_be_visible()
    page.keyboard.press("Tab")  # into the menu: the first link
    expect(page.get_by_role("link", name="Home", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(page.get_by_role("link", name="Maps", exact=True)).to_be_hidden()


@pytest.mark.django_db(transaction=True)
def test_wide_screen_shows_the_navigation_without_the_menu_button(page, login, alice, team_a):
    login(alice)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("link", name="Maps", exact=True)).to_be_visible()
    expect(page.get_by_label("Switch team")).to_be_visible()

"""The customers pages on a 390 px phone with the demo's customers: nothing wider than the screen
(wide tables scroll in their own box) and no serious or critical axe-core violation."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from playwright.sync_api import expect

from customers.models import Profile
from tests.browser.axe import describe, violations

PHONE = {"width": 390, "height": 844}


@pytest.mark.django_db(transaction=True)
def test_customers_pages_fit_a_phone_with_no_serious_axe_violation(page, login, screenshot):
    call_command("seed_demo", verbosity=0)
    page.set_viewport_size(PHONE)
    login(get_user_model().objects.get(username="demo"))
    # The person with the most to show: merged devices, traits, stages, a long timeline.
    person = (
        Profile.objects.filter(team__slug="northwind", merged_into__isnull=True, merges_in__isnull=False)
        .annotate(n=Count("identities"))
        .order_by("-n", "pk")
        .first()
    )
    assert person is not None and person.user_id
    pages = {
        "profiles": "/customers/",
        "profiles by stage and trait": "/customers/?q=plan:member",
        "profile": f"/customers/profiles/{person.pk}/",
        "sources": "/customers/sources/",
        "privacy": "/customers/privacy/",
    }
    found, widths = {}, {}
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, f"{name} ({url}) answered {response.status}"
        expect(page.locator("h1")).to_be_visible()
        page.wait_for_load_state("networkidle")
        widths[name] = page.evaluate("document.scrollingElement.scrollWidth")
        found[name] = violations(page)
        if name == "profile":
            screenshot(page, "customer-profile-mobile")

    # A source's own moment: created, its write key and setup snippets shown once.
    page.goto("/customers/sources/")
    page.get_by_label("Name").fill("Phone shop")
    page.get_by_role("button", name="Create source").click()
    expect(page.locator("#new-write-key")).to_be_visible()
    expect(page.locator("#source-section pre")).to_contain_text("waymark-track.js")
    widths["new source"] = page.evaluate("document.scrollingElement.scrollWidth")
    found["new source"] = violations(page)

    found = {where: items for where, items in found.items() if items}
    assert not found, "axe-core found serious or critical violations:\n" + describe(found)
    assert widths == dict.fromkeys(widths, PHONE["width"])

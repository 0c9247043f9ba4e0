"""The weekly review in the browser: this week's agenda for a demo map, recording the review with
two action items in one form, and next week's agenda carrying the open one over."""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from journeys.models import JourneyMap
from reviews.models import ActionItem, Review


@pytest.mark.django_db(transaction=True)
def test_weekly_review_flow(page, login, screenshot):
    call_command("seed_demo", verbosity=0)
    demo = get_user_model().objects.get(username="demo")
    shop = JourneyMap.objects.get(title="Online furniture order")
    before = Review.objects.filter(journey_map=shop).count()

    login(demo)
    page.get_by_label("Switch team").select_option(label="Northwind Journeys (admin)")
    expect(page.locator("h1")).to_have_text("Northwind Journeys")
    expect(page.get_by_role("heading", name="Reviews due this week")).to_be_visible()
    expect(page.locator("#overdue-title")).to_be_visible()
    screenshot(page, "dashboard")

    page.goto(f"/reviews/maps/{shop.pk}/")
    expect(page.locator("h1")).to_have_text("Online furniture order")
    changes = page.locator("section[aria-labelledby=diff-title]")
    # The demo's last review saw v1; v2 added the delivery date to the product page.
    expect(changes).to_contain_text("v1 → v2")
    expect(changes).to_contain_text("Delivery date and free returns on the product page")
    carried = page.locator("#rv-carried")
    expect(carried).to_contain_text("Interview five customers who abandoned at checkout")
    screenshot(page, "review")

    form = page.locator("#rv-record")
    form.get_by_label("Notes").fill("Delivery date shipped; abandonment at Decision is down.")
    form.get_by_label("Decisions").fill("Keep the delivery date. Test free returns next.")
    titles = form.get_by_label("Action item")
    titles.nth(0).fill("Measure cart-to-checkout after the delivery date change")
    titles.nth(1).fill("Draft the free-returns experiment")
    form.get_by_label("Owner").nth(1).select_option(label="Emil Petrov")
    form.get_by_role("button", name="Record review").click()

    expect(page.locator("h1")).to_contain_text("Review of")
    expect(page.locator(".wm-flash")).to_contain_text("Review recorded with 2 action items")
    review = Review.objects.filter(journey_map=shop).order_by("-id").first()
    assert Review.objects.filter(journey_map=shop).count() == before + 1
    assert sorted(review.action_items.values_list("title", flat=True)) == [
        "Draft the free-returns experiment",
        "Measure cart-to-checkout after the delivery date change",
    ]
    assert review.action_items.get(title="Draft the free-returns experiment").owner.username == "editor"

    # During the week one item gets done, with the keyboard.
    done_button = page.get_by_role("button", name="Mark done: Measure cart-to-checkout after the delivery date change")
    done_button.focus()
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("button", name="Reopen: Measure cart-to-checkout after the delivery date change")
    ).to_be_visible()
    assert ActionItem.objects.get(title__startswith="Measure cart").done

    with time_machine.travel(timezone.now() + datetime.timedelta(days=7)):
        page.goto(f"/reviews/maps/{shop.pk}/")
        period = page.locator("#rv-agenda-period")
        expect(period).to_contain_text(f"Since the weekly review of {timezone.localdate():%A} ")
        carried = page.locator("#rv-carried")
        open_part = carried.locator("ul").first
        expect(open_part).to_contain_text("Draft the free-returns experiment")
        expect(open_part).not_to_contain_text("Measure cart-to-checkout")
        expect(carried).to_contain_text("Done since the last review")
        changes = page.locator("section[aria-labelledby=diff-title]")
        expect(changes).to_contain_text("No new version since the last review")

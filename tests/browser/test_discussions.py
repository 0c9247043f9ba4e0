"""Discussing a pain point on the board: a thread with a mention that notifies the touchpoint's owner.

At desktop width and at 390 px, axe-clean, with screenshots in docs/screenshots/.
"""

import pytest
from playwright.sync_api import expect

from discussions.models import Notification, Thread
from journeys import services
from owners.services import ownership_assign
from tests.browser.axe import describe, violations


@pytest.fixture
def checkout_map(team_a, erin, alice, victor):
    """A shop's map whose checkout touchpoint has a pain point and an accountable owner (Victor)."""
    journey_map = services.map_create(team=team_a, actor=erin, title="Online shop", stages=["Consider", "Decide"])
    consider, decide = journey_map.stages.order_by("position")
    services.touchpoint_create(stage=consider, actor=erin, revision=None, name="Product page", emotion_label="curious")
    checkout = services.touchpoint_create(
        stage=decide, actor=erin, revision=None, name="Checkout", emotion_label="frustrated"
    )
    services.pain_point_create(
        touchpoint=checkout, actor=erin, revision=None, title="Delivery date unknown until payment", severity=5
    )
    ownership_assign(actor=alice, user=victor, touchpoint=checkout)
    journey_map.refresh_from_db()
    return {"map": journey_map, "checkout": checkout}


def _discuss(page, checkout_map, victor, htmx_idle):
    checkout = checkout_map["checkout"]
    page.goto(f"/maps/{checkout_map['map'].pk}/")
    badge = page.locator(f"#discuss-touchpoint-{checkout.pk}")
    expect(badge).to_have_accessible_name("Comments on Checkout: 0")
    badge.click()
    expect(page.get_by_role("heading", name="Discussion: Checkout")).to_be_visible()
    htmx_idle()
    page.get_by_label("About").select_option(label="Pain point: Delivery date unknown until payment")
    page.get_by_role("textbox", name="Comment").fill(
        f"@{victor.username} customers leave here when they see the delivery date. Can we show it on the product page?"
    )
    page.get_by_role("button", name="Start thread").click()
    expect(page.locator(".wm-thread")).to_have_count(1)
    expect(page.locator(".wm-mention")).to_have_text(f"@{victor.username}")
    # The count on the board followed (out of band) without a reload.
    expect(badge).to_have_accessible_name("Comments on Checkout: 1 (open threads: 1)")


@pytest.mark.django_db(transaction=True)
def test_discuss_a_pain_point_and_the_owner_is_notified(
    page, browser, live_server, login, erin, victor, checkout_map, screenshot, htmx_idle
):
    login(erin)
    _discuss(page, checkout_map, victor, htmx_idle)
    thread = Thread.objects.get()
    assert thread.target == Thread.Target.PAIN_POINT and thread.journey_map == checkout_map["map"]
    notification = Notification.objects.get()
    assert notification.recipient == victor and notification.read_at is None
    found = violations(page)
    assert not found, describe({"thread panel": found})
    screenshot(page, "discussion-thread")

    # Victor, the touchpoint's owner, sees the bell, his notification, and the thread.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    other = context.new_page()
    other.goto("/accounts/login/")
    other.get_by_label("Username").fill(victor.username)
    other.get_by_label("Password").fill("waymark-demo")
    other.get_by_role("button", name="Log in").click()
    other.wait_for_url("**/")
    bell = other.locator("#wm-bell a")
    expect(bell).to_have_accessible_name("Notifications: 1 unread")
    bell.click()
    other.wait_for_url("**/discussions/notifications/")
    expect(other.get_by_text("customers leave here")).to_be_visible()
    found = violations(other)
    assert not found, describe({"notifications": found})
    screenshot(other, "discussion-notifications")
    other.get_by_role("button", name="Open the thread").click()
    other.wait_for_url(f"**/maps/{checkout_map['map'].pk}/?thread={thread.pk}")
    expect(other.locator(f"#thread-{thread.pk}")).to_be_visible()
    expect(other.get_by_role("heading", name="Discussion: Checkout")).to_be_visible()
    notification.refresh_from_db()
    assert notification.read_at is not None
    # Erin's page shows him there (presence polls every 10 s; reload to ask now).
    page.reload()
    expect(page.locator("#presence")).to_contain_text(victor.get_full_name())
    # Victor is a viewer: he reads the thread but the reply box is not his.
    expect(other.get_by_text("Viewers read the discussion; editors take part in it.")).to_be_visible()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_discussion_at_390_px_resolves_and_fits(page, login, erin, victor, checkout_map, screenshot, htmx_idle):
    page.set_viewport_size({"width": 390, "height": 844})
    login(erin)
    _discuss(page, checkout_map, victor, htmx_idle)
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    found = violations(page)
    assert not found, describe({"thread panel at 390 px": found})
    screenshot(page, "discussion-thread-mobile")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".wm-thread-resolved")).to_have_count(1)
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    assert Thread.objects.get().status == Thread.Status.RESOLVED

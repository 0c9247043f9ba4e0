import pytest
from playwright.sync_api import expect

from tests.events import send_event
from tests.webhooks.conftest import receiver  # noqa: F401 (the localhost receiver fixture)
from webhooks.models import WebhookDelivery, WebhookEndpoint


@pytest.mark.django_db(transaction=True)
def test_admin_registers_an_endpoint_and_reads_its_delivery_log(page, login, alice, team_a, receiver, screenshot):  # noqa: F811
    login(alice)
    page.goto(f"/teams/{team_a.slug}/members/")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.locator(".wm-empty")).to_contain_text("No webhook endpoints yet")

    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description").fill("CRM sync")
    page.get_by_label("map.published").check()
    page.get_by_label("followup.breached").check()
    page.get_by_role("button", name="Register endpoint").click()

    expect(page.locator("h2 code")).to_have_text(receiver.url)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["followup.breached", "map.published"]

    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("Test event delivered (200).")).to_be_visible()
    send_event(team_id=team_a.pk, event="map.published", data={"map": {"id": 1, "title": "Checkout"}})
    receiver.status = 500
    send_event(team_id=team_a.pk, event="followup.breached", data={"follow_up": {"id": 3}})
    page.reload()

    log = page.locator("#delivery-log")
    expect(log).to_contain_text("webhook.test")
    expect(log).to_contain_text("map.published")
    expect(log).to_contain_text("↻ Retrying")
    expect(log.locator("text=✓ Succeeded")).to_have_count(2)
    assert len(receiver.requests) == 3
    assert WebhookDelivery.objects.filter(status="retrying").count() == 1
    screenshot(page, "webhooks")

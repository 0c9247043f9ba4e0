"""The team admin's webhook pages: register, edit, delivery log, replay, test event."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.events import send_event
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint


@pytest.fixture
def endpoint(receiver, team_a, alice):
    return services.webhook_endpoint_register(team=team_a, actor=alice, url=receiver.url, event_types=["map.published"])


def test_admin_registers_an_endpoint(client_as, alice, receiver):
    response = client_as(alice).post(
        "/teams/team-a/webhooks/",
        {"url": receiver.url, "description": "CRM", "event_types": ["map.published", "review.recorded"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/teams/team-a/webhooks/{endpoint.pk}/"
    assert endpoint.event_types == ["map.published", "review.recorded"]
    assert endpoint.description == "CRM"
    assert endpoint.created_by == alice
    assert endpoint.secret.startswith("whsec_")


def test_private_url_is_refused_next_to_the_field(client_as, alice):
    response = client_as(alice).post(
        "/teams/team-a/webhooks/",
        {"url": "http://169.254.169.254/latest/", "event_types": ["map.published"]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_url-error"' in html
    assert "169.254.169.254 is a link-local address" in html
    assert WebhookEndpoint.objects.count() == 0


def test_missing_events_are_an_error_next_to_the_field(client_as, alice):
    response = client_as(alice).post("/teams/team-a/webhooks/", {"url": "https://93.184.215.14/x"})
    assert response.status_code == 400  # a full page load answers an invalid form as HTMX does
    html = response.content.decode()
    assert "wm-webhook-events has-error" in html and "This field is required." in html
    assert "<html" in html
    assert WebhookEndpoint.objects.count() == 0


def test_editor_cannot_see_webhooks(client_as, erin, endpoint):
    assert client_as(erin).get("/teams/team-a/webhooks/").status_code == 403
    assert client_as(erin).get(f"/teams/team-a/webhooks/{endpoint.pk}/").status_code == 403


def test_tab_is_shown_to_admins_only(client_as, alice, erin):
    assert "/teams/team-a/webhooks/" in client_as(alice).get("/teams/team-a/members/").content.decode()
    assert "/teams/team-a/webhooks/" not in client_as(erin).get("/teams/team-a/members/").content.decode()


def test_delivery_log_shows_status_code_duration_and_attempts(
    client_as, alice, endpoint, team_a, django_capture_on_commit_callbacks, django_assert_max_num_queries
):

    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            send_event(team_id=team_a.pk, event="map.published", data={})
    client = client_as(alice)
    with django_assert_max_num_queries(12):
        response = client.get(f"/teams/team-a/webhooks/{endpoint.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("✓ Succeeded") == 3
    assert html.count(">200</td>") == 3
    assert " ms</td>" in html
    assert endpoint.secret in html  # behind "Reveal"

    filtered = client.get(f"/teams/team-a/webhooks/{endpoint.pk}/?status=failed", HTTP_HX_REQUEST="true")
    assert filtered.status_code == 200
    assert "No deliveries match these filters" in filtered.content.decode()
    assert "<html" not in filtered.content.decode()


def test_send_test_event_and_replay_from_the_page(
    client_as, alice, endpoint, receiver, django_capture_on_commit_callbacks
):
    client = client_as(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/teams/team-a/webhooks/{endpoint.pk}/test/")
    assert response.status_code == 302
    test_delivery = WebhookDelivery.objects.get()
    assert test_delivery.is_test
    assert receiver.requests[0].headers["Waymark-Event"] == "webhook.test"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/teams/team-a/webhooks/{endpoint.pk}/deliveries/{test_delivery.pk}/replay/")
    assert response.status_code == 302
    replay = WebhookDelivery.objects.exclude(pk=test_delivery.pk).get()
    assert replay.replay_of == test_delivery
    assert replay.status == "succeeded"
    assert len(receiver.requests) == 2

    page = client.get(f"/teams/team-a/webhooks/{endpoint.pk}/deliveries/{test_delivery.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert str(test_delivery.pk) in html
    assert "A test event from Waymark" in html
    assert str(replay.pk) in html


def test_edit_disables_and_enables_again(client_as, alice, endpoint, receiver):
    client = client_as(alice)
    url = f"/teams/team-a/webhooks/{endpoint.pk}/edit/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"url": receiver.url, "event_types": ["no.such.event"]})
    assert refused.status_code == 400 and "wm-webhook-events has-error" in refused.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.event_types == ["map.published"]
    response = client.post(url, {"url": receiver.url, "event_types": ["review.recorded"]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.event_types) == (False, ["review.recorded"])
    assert endpoint.disabled_reason == "Disabled by alice."

    client.post(url, {"url": receiver.url, "event_types": ["review.recorded"], "is_active": "on"})
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.disabled_reason) == (True, "")


def test_rotate_secret_and_delete(client_as, alice, endpoint):
    client = client_as(alice)
    old = endpoint.secret
    assert client.post(f"/teams/team-a/webhooks/{endpoint.pk}/rotate-secret/").status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    response = client.post(f"/teams/team-a/webhooks/{endpoint.pk}/delete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/teams/team-a/webhooks/"
    assert WebhookEndpoint.objects.count() == 0


def test_outsider_cannot_replay_team_a_delivery(client_as, oscar, endpoint, team_a):
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="map.published", payload={})
    response = client_as(oscar).post(f"/teams/team-a/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/replay/")
    assert response.status_code == 404
    assert WebhookDelivery.objects.count() == 1


def test_the_team_tabs_link_the_webhooks_for_admins_only(client_as, alice, victor, team_a):
    members = reverse("teams:members", args=[team_a.slug])
    webhooks_list = reverse("webhooks:list", args=[team_a.slug])
    admin_page = client_as(alice).get(members)
    viewer_page = client_as(victor).get(members)
    assert (admin_page.status_code, viewer_page.status_code) == (200, 200)
    assert f'href="{webhooks_list}"' in admin_page.content.decode()
    assert f'href="{webhooks_list}"' not in viewer_page.content.decode()

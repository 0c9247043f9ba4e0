"""The webhooks API: admins register endpoints, read the delivery log, replay, send tests."""

from __future__ import annotations

import pytest

from tests.events import send_event
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint


@pytest.fixture
def endpoint(receiver, team_a, alice):
    return services.webhook_endpoint_register(team=team_a, actor=alice, url=receiver.url, event_types=["map.published"])


def test_admin_registers_and_gets_the_secret_once(api_as, alice, team_a, receiver):
    client = api_as(alice)
    response = client.post(
        "/api/v1/webhooks/",
        {"team": team_a.pk, "url": receiver.url, "event_types": ["followup.breached", "response.created"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body["id"] == endpoint.pk
    assert body["secret"] == endpoint.secret
    assert body["event_types"] == ["response.created", "followup.breached"]
    assert body["is_active"] is True

    detail = client.get(f"/api/v1/webhooks/{endpoint.pk}/").json()
    assert "secret" not in detail
    assert detail["url"] == receiver.url


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "http://127.0.0.1/x", "event_types": ["map.published"]}, "url"),
        ({"url": "not a url", "event_types": ["map.published"]}, "url"),
        ({"url": "https://93.184.215.14/x", "event_types": ["map.deleted"]}, "event_types"),
        ({"url": "https://93.184.215.14/x", "event_types": []}, "event_types"),
        ({"url": "https://93.184.215.14/x", "event_types": "map.published"}, "event_types"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_as, alice, team_a, payload, field):
    response = api_as(alice).post("/api/v1/webhooks/", {"team": team_a.pk, **payload}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    assert WebhookEndpoint.objects.count() == 0


def test_other_team_is_does_not_exist(api_as, alice, team_b):
    response = api_as(alice).post(
        "/api/v1/webhooks/", {"team": team_b.pk, "url": "https://93.184.215.14/", "event_types": ["map.published"]}
    )
    assert response.status_code == 400
    assert "team" in response.json()["errors"]


def test_editor_and_keys_cannot_manage_webhooks(api_as, erin, key_client, team_a, endpoint):
    payload = {"team": team_a.pk, "url": "https://93.184.215.14/", "event_types": ["map.published"]}
    assert api_as(erin).post("/api/v1/webhooks/", payload, format="json").status_code == 403
    assert key_client().post("/api/v1/webhooks/", payload, format="json").status_code == 403
    # Endpoints carry secrets: not even listed to editors and keys.
    assert api_as(erin).get("/api/v1/webhooks/").json()["count"] == 0
    assert key_client().get("/api/v1/webhooks/").json()["count"] == 0
    assert api_as(erin).get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
    assert WebhookEndpoint.objects.count() == 1


def test_patch_disables_and_enables(api_as, alice, endpoint):
    client = api_as(alice)
    response = client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert response.json()["disabled_reason"] == "Disabled by alice."
    response = client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": True, "event_types": ["review.recorded"]})
    assert response.json()["is_active"] is True
    endpoint.refresh_from_db()
    assert endpoint.event_types == ["review.recorded"]


def test_delivery_log_filters_and_replay(
    api_as, alice, endpoint, team_a, receiver, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            send_event(team_id=team_a.pk, event="map.published", data={"n": 1})
    client = api_as(alice)
    with django_assert_max_num_queries(8):
        body = client.get(f"/api/v1/webhook-deliveries/?endpoint={endpoint.pk}&status=succeeded").json()
    assert body["count"] == 3
    row = body["results"][0]
    assert (row["status"], row["response_code"], row["attempts"]) == ("succeeded", 200, 1)
    assert row["duration_ms"] is not None
    assert row["payload"]["data"] == {"n": 1}
    assert client.get("/api/v1/webhook-deliveries/?status=failed").json()["count"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/webhook-deliveries/{row['id']}/replay/")
    assert response.status_code == 202
    assert response.json()["replay_of"] == row["id"]
    assert WebhookDelivery.objects.get(pk=response.json()["id"]).status == "succeeded"
    assert len(receiver.requests) == 4


def test_test_action_and_rotate_secret(api_as, alice, endpoint, receiver, django_capture_on_commit_callbacks):
    client = api_as(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    assert response.status_code == 202
    assert response.json()["event"] == "webhook.test"
    assert WebhookDelivery.objects.get(pk=response.json()["id"]).status == "succeeded"
    assert receiver.requests[0].headers["Waymark-Event"] == "webhook.test"

    response = client.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/")
    endpoint.refresh_from_db()
    assert response.json()["secret"] == endpoint.secret


def test_outsider_cannot_see_or_replay(api_as, oscar, endpoint):
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="map.published", payload={})
    client = api_as(oscar)
    assert client.get("/api/v1/webhook-deliveries/").json()["count"] == 0
    assert client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/").status_code == 404
    assert client.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404
    assert WebhookDelivery.objects.count() == 1


def test_delete_removes_the_log(api_as, alice, endpoint):
    WebhookDelivery.objects.create(endpoint=endpoint, event="map.published", payload={})
    assert api_as(alice).delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 204
    assert WebhookEndpoint.objects.count() == WebhookDelivery.objects.count() == 0


def test_unknown_api_url_is_json_404(api_as, alice):
    r = api_as(alice).get("/api/v1/no-such-resource/1/")
    assert r.status_code == 404
    assert r.json() == {"detail": "No such endpoint.", "code": "not_found", "errors": {}}


def test_api_key_lists_no_keys_and_no_webhooks(key_client, endpoint):
    client = key_client(scope="read")
    for url in ("/api/v1/api-keys/", "/api/v1/webhooks/", "/api/v1/webhook-deliveries/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.json()["count"] == 0, url
    assert client.get(f"/api/v1/api-keys/{endpoint.pk}/").status_code == 404


def test_unknown_api_url_post_with_a_session_is_json_not_a_csrf_page(api_as, alice):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/api/v1/no-such-resource/1/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"

"""Webhook deliveries: signed, sent after commit, retried with back-off, disabled, replayed, SSRF-safe."""

from __future__ import annotations

import hashlib
import hmac
import socket
import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from config import celery_app
from teams.signals import DomainEvent
from tests.events import send_event
from webhooks import delivery as sending
from webhooks import services, tasks
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent


@pytest.fixture
def endpoint(receiver, team_a, alice):
    return services.webhook_endpoint_register(
        team=team_a, actor=alice, url=receiver.url, event_types=list(WebhookEvent.values), description="test receiver"
    )


def emit_committed(capture, **kwargs):
    with capture(execute=True):
        send_event(**kwargs)


def independent_signature(secret: str, header: str, body: bytes) -> bool:
    """Verify as a receiver would, written from docs/api.md without Waymark's code."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


@pytest.mark.parametrize("event", WebhookEvent.values)
def test_each_event_reaches_the_receiver_signed(event, endpoint, receiver, team_a, django_capture_on_commit_callbacks):
    emit_committed(django_capture_on_commit_callbacks, team_id=team_a.pk, event=event, data={"thing": {"id": 7}})

    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.path == "/hooks/waymark"
    assert got.headers["Waymark-Event"] == event
    assert got.headers["Content-Type"] == "application/json"
    assert independent_signature(endpoint.secret, got.headers["Waymark-Signature"], got.body)
    payload = got.json
    delivery = WebhookDelivery.objects.get()
    assert got.headers["Waymark-Delivery"] == str(delivery.pk) == payload["id"]
    assert payload["event"] == event
    assert payload["version"] == 1
    assert payload["team"] == {"id": team_a.pk, "slug": "team-a", "name": "Team A"}
    assert payload["data"] == {"thing": {"id": 7}}
    assert payload["created_at"].endswith("Z")
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert (delivery.response_code, delivery.attempts, delivery.error) == (200, 1, "")
    assert delivery.duration_ms is not None
    assert delivery.response_excerpt == '{"ok": true}'


def test_only_active_subscribed_endpoints_of_the_team_get_the_event(
    receiver, team_a, team_b, alice, oscar, django_capture_on_commit_callbacks
):
    subscribed = services.webhook_endpoint_register(
        team=team_a, actor=alice, url=receiver.url + "?a", event_types=["map.published"]
    )
    services.webhook_endpoint_register(
        team=team_a, actor=alice, url=receiver.url + "?b", event_types=["review.recorded"]
    )
    disabled = services.webhook_endpoint_register(
        team=team_a, actor=alice, url=receiver.url + "?c", event_types=["map.published"]
    )
    services.webhook_endpoint_update(endpoint=disabled, actor=alice, is_active=False)
    services.webhook_endpoint_register(team=team_b, actor=oscar, url=receiver.url + "?d", event_types=["map.published"])

    emit_committed(django_capture_on_commit_callbacks, team_id=team_a.pk, event="map.published", data={})

    assert [r.path for r in receiver.requests] == ["/hooks/waymark?a"]
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [subscribed.pk]


def test_nothing_is_sent_for_a_change_that_rolls_back(endpoint, receiver, team_a, django_capture_on_commit_callbacks):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_event(team_id=team_a.pk, event="map.published", data={})
        raise RuntimeError("the service failed")
    assert callbacks == []
    assert receiver.requests == []
    assert WebhookDelivery.objects.count() == 0


def test_published_map_is_delivered_end_to_end(endpoint, receiver, team_a, alice, django_capture_on_commit_callbacks):
    from journeys import services as journey_services

    journey_map = journey_services.map_create(team=team_a, actor=alice, title="Checkout")
    with django_capture_on_commit_callbacks(execute=True):
        journey_services.map_publish(journey_map=journey_map, actor=alice, note="First")

    assert len(receiver.requests) == 1
    payload = receiver.requests[0].json
    assert payload["event"] == "map.published"
    assert payload["data"]["map"] == {"id": journey_map.pk, "title": "Checkout"}
    assert payload["data"]["version"]["number"] == 1


def test_failing_delivery_is_retried_with_exponential_back_off(
    endpoint, receiver, team_a, settings, monkeypatch, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to("2026-03-02 09:00:00+00:00", tick=False)
    settings.WEBHOOK_MAX_ATTEMPTS = 8
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    receiver.status = 500
    scheduled = []
    monkeypatch.setattr(
        tasks, "retry_later", lambda delivery_id, attempt, countdown: scheduled.append((attempt, countdown))
    )

    emit_committed(django_capture_on_commit_callbacks, team_id=team_a.pk, event="response.created", data={})
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert (delivery.attempts, delivery.response_code) == (1, 500)
    assert delivery.error == "The receiver answered 500."
    assert delivery.next_attempt_at.isoformat() == "2026-03-02T09:01:00+00:00"

    # The worker runs each scheduled attempt when its countdown ends.
    while scheduled and scheduled[-1][0] <= settings.WEBHOOK_MAX_ATTEMPTS and len(scheduled) < 20:
        tasks.webhook_deliver(str(delivery.pk), scheduled[-1][0])
        if WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED:
            break

    assert scheduled == [(2, 60), (3, 240), (4, 960), (5, 3840), (6, 15360), (7, 21600), (8, 21600)]
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 8
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 8
    # Every attempt carries the same delivery id, so the receiver can dedupe.
    assert {r.headers["Waymark-Delivery"] for r in receiver.requests} == {str(delivery.pk)}
    endpoint.refresh_from_db()
    assert endpoint.failure_count == 8
    assert endpoint.is_active


def test_retry_is_queued_with_its_countdown_when_a_broker_runs():
    celery_app.conf.task_always_eager = False
    try:
        with mock.patch.object(tasks.webhook_deliver, "apply_async") as apply_async:
            tasks.retry_later("abc", 3, 240)
    finally:
        celery_app.conf.task_always_eager = True
    apply_async.assert_called_once_with(args=["abc", 3], countdown=240)


def test_without_a_broker_the_retry_waits_for_the_sweep():
    with mock.patch.object(tasks.webhook_deliver, "apply_async") as apply_async:
        tasks.retry_later("abc", 3, 240)
    apply_async.assert_not_called()


def test_same_attempt_queued_twice_is_sent_once(endpoint, receiver, team_a, monkeypatch):
    receiver.status = 503
    monkeypatch.setattr(tasks, "retry_later", lambda *args: None)
    send_event(team_id=team_a.pk, event="review.recorded", data={})  # not committed: nothing queued yet
    delivery = WebhookDelivery.objects.get()

    tasks.webhook_deliver(str(delivery.pk), 1)
    tasks.webhook_deliver(str(delivery.pk), 1)

    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().attempts == 1


def test_due_retries_are_sent_by_the_sweep(endpoint, receiver, team_a, monkeypatch, time_machine):
    monkeypatch.setattr(tasks, "retry_later", lambda *args: None)
    receiver.status = 500
    send_event(team_id=team_a.pk, event="review.recorded", data={})
    delivery = WebhookDelivery.objects.get()
    tasks.webhook_deliver(str(delivery.pk), 1)
    assert tasks.webhook_deliveries_retry_due() == 0  # not due yet

    receiver.status = 204
    time_machine.move_to(WebhookDelivery.objects.get().next_attempt_at, tick=False)
    assert tasks.webhook_deliveries_retry_due() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 2, 204)
    endpoint.refresh_from_db()
    assert endpoint.failure_count == 0
    assert endpoint.last_success_at is not None


def test_time_out_is_a_failure_and_retried(endpoint, receiver, team_a, settings, monkeypatch):
    settings.WEBHOOK_TIMEOUT = 0.2
    receiver.delay = 1.0
    scheduled = []
    monkeypatch.setattr(tasks, "retry_later", lambda delivery_id, attempt, countdown: scheduled.append(countdown))
    send_event(team_id=team_a.pk, event="followup.opened", data={})
    delivery = WebhookDelivery.objects.get()

    tasks.webhook_deliver(str(delivery.pk), 1)

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert delivery.error == "Timed out after 0.2 s."
    assert delivery.response_code is None
    assert scheduled == [60]


def test_redirects_are_not_followed(endpoint, receiver, team_a, monkeypatch):
    monkeypatch.setattr(tasks, "retry_later", lambda *args: None)
    receiver.status = 302
    receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
    send_event(team_id=team_a.pk, event="followup.opened", data={})
    delivery = WebhookDelivery.objects.get()

    tasks.webhook_deliver(str(delivery.pk), 1)

    delivery.refresh_from_db()
    assert delivery.response_code == 302
    assert "Redirects are not followed" in delivery.error
    assert len(receiver.requests) == 1


def test_endpoint_that_keeps_failing_is_disabled_and_admins_told(
    endpoint, receiver, team_a, alice, erin, settings, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.status = 500
    monkeypatch.setattr(tasks, "retry_later", lambda *args: None)

    for _ in range(3):
        emit_committed(django_capture_on_commit_callbacks, team_id=team_a.pk, event="map.published", data={})

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.failure_count == 3
    assert endpoint.disabled_reason.startswith("Disabled after 3 failed attempts in a row.")
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [alice.email]  # the admin, not the editor
    assert endpoint.url in mailoutbox[0].subject

    # Disabled: a new event makes no delivery; enabling again clears the failures.
    emit_committed(django_capture_on_commit_callbacks, team_id=team_a.pk, event="map.published", data={})
    assert WebhookDelivery.objects.count() == 3
    services.webhook_endpoint_update(endpoint=endpoint, actor=alice, is_active=True)
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.failure_count, endpoint.disabled_reason) == (True, 0, "")


def test_replay_sends_the_event_again_with_a_new_id(
    endpoint, receiver, team_a, alice, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks, "retry_later", lambda *args: None)
    receiver.status = 500
    emit_committed(django_capture_on_commit_callbacks, team_id=team_a.pk, event="experiment.concluded", data={"x": 1})
    original = WebhookDelivery.objects.get()
    receiver.status = 200

    with django_capture_on_commit_callbacks(execute=True):
        replay = services.webhook_delivery_replay(delivery=original, actor=alice)

    replay.refresh_from_db()
    assert replay.replay_of == original
    assert replay.status == WebhookDelivery.Status.SUCCEEDED
    assert len(receiver.requests) == 2
    sent = receiver.requests[1]
    assert sent.json["id"] == str(replay.pk) != str(original.pk)
    assert sent.json["data"] == {"x": 1}
    assert sent.json["event"] == "experiment.concluded"
    assert independent_signature(endpoint.secret, sent.headers["Waymark-Signature"], sent.body)


def test_test_event_is_sent_once_whatever_the_subscription(
    receiver, team_a, alice, monkeypatch, django_capture_on_commit_callbacks
):
    endpoint = services.webhook_endpoint_register(
        team=team_a, actor=alice, url=receiver.url, event_types=["review.recorded"]
    )
    receiver.status = 500
    scheduled = []
    monkeypatch.setattr(tasks, "retry_later", lambda *args: scheduled.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.webhook_endpoint_send_test(endpoint=endpoint, actor=alice)

    delivery.refresh_from_db()
    assert receiver.requests[0].headers["Waymark-Event"] == "webhook.test"
    assert (delivery.status, delivery.attempts, delivery.is_test) == ("failed", 1, True)
    assert scheduled == []  # a test is not retried …
    endpoint.refresh_from_db()
    assert endpoint.failure_count == 0  # … and does not count towards disabling


def test_rotated_secret_signs_the_next_delivery(endpoint, receiver, team_a, alice, django_capture_on_commit_callbacks):
    old = endpoint.secret
    services.webhook_endpoint_rotate_secret(endpoint=endpoint, actor=alice)
    endpoint.refresh_from_db()
    emit_committed(django_capture_on_commit_callbacks, team_id=team_a.pk, event="map.published", data={})
    header, body = receiver.requests[0].headers["Waymark-Signature"], receiver.requests[0].body
    assert endpoint.secret != old
    assert independent_signature(endpoint.secret, header, body)
    assert not independent_signature(old, header, body)


# Signing ------------------------------------------------------------------------------------------


def test_verify_signature_refuses_tampering_and_stale_timestamps():
    body = b'{"id":"1"}'
    header = sending.signature_header(secret="whsec_x", timestamp=1_700_000_000, body=body)
    assert sending.verify_signature(secret="whsec_x", header=header, body=body, now=1_700_000_100)
    assert not sending.verify_signature(secret="whsec_x", header=header, body=b'{"id":"2"}', now=1_700_000_100)
    assert not sending.verify_signature(secret="whsec_y", header=header, body=body, now=1_700_000_100)
    assert not sending.verify_signature(secret="whsec_x", header=header, body=body, now=1_700_000_400)
    assert not sending.verify_signature(secret="whsec_x", header="garbage", body=body)


# Server-side request forgery ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not a public"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:a00:1::", "private"),
    ],
)
def test_non_public_addresses_are_refused(address, kind):
    assert kind in sending.address_refusal(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert sending.address_refusal(address) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://[::ffff:7f00:1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/hook",
        "http://0.0.0.0/",
    ],
)
def test_registration_refuses_private_urls_by_default(url, team_a, alice):
    with pytest.raises(ValidationError) as info:
        services.webhook_endpoint_register(team=team_a, actor=alice, url=url, event_types=["map.published"])
    assert "url" in info.value.message_dict
    assert "not sent to" in info.value.message_dict["url"][0]
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://93.184.215.14/x", "http:// or https://"),
        ("https://user:pw@93.184.215.14/x", "credentials"),
        ("https://", "http:// or https://"),
        ("http://93.184.215.14:99999/", "valid URL"),
        ("https://no-such-host.invalid/x", "cannot be resolved"),
    ],
)
def test_registration_refuses_bad_urls(url, message, team_a, alice):
    with pytest.raises(ValidationError) as info:
        services.webhook_endpoint_register(team=team_a, actor=alice, url=url, event_types=["map.published"])
    assert message in info.value.message_dict["url"][0]


def test_registration_refuses_unknown_or_no_events(team_a, alice):
    with pytest.raises(ValidationError) as info:
        services.webhook_endpoint_register(team=team_a, actor=alice, url="https://93.184.215.14/", event_types=[])
    assert "event_types" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.webhook_endpoint_register(
            team=team_a, actor=alice, url="https://93.184.215.14/", event_types=["map.deleted"]
        )
    assert "map.deleted" in info.value.message_dict["event_types"][0]


def test_host_that_resolves_to_a_private_address_is_refused(team_a, alice, monkeypatch):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(ValidationError) as info:
        services.webhook_endpoint_register(
            team=team_a, actor=alice, url="https://hooks.example.com/x", event_types=["map.published"]
        )
    assert "10.0.0.5 is a private address" in info.value.message_dict["url"][0]


def test_send_time_check_refuses_when_dns_now_points_inside(endpoint, receiver, team_a, settings, monkeypatch):
    """Registered while allowed (or while DNS pointed outside); at send time the address is private."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    monkeypatch.setattr(tasks, "retry_later", lambda *args: None)
    send_event(team_id=team_a.pk, event="map.published", data={})
    delivery = WebhookDelivery.objects.get()

    tasks.webhook_deliver(str(delivery.pk), 1)

    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert "127.0.0.1 is a loopback address" in delivery.error


def test_a_send_of_many_items_looks_the_endpoints_up_once_and_queues_in_one_callback(
    endpoint, team_a, django_capture_on_commit_callbacks, django_assert_num_queries
):
    items = [{"id": i} for i in range(25)]
    with (
        mock.patch.object(tasks.webhook_deliver, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        django_assert_num_queries(2),  # the endpoints (with their team), one bulk INSERT
    ):
        send_event(team_id=team_a.pk, event="followup.breached", items=items)
    assert len(callbacks) == 1
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert sorted(d.payload["data"]["id"] for d in deliveries) == list(range(25))
    assert len({d.payload["id"] for d in deliveries}) == 25  # each event has its own delivery id
    assert sorted(call.args for call in delay.call_args_list) == sorted((str(d.pk), 1) for d in deliveries)


def test_a_send_without_items_writes_nothing(endpoint, team_a, django_assert_num_queries):
    with django_assert_num_queries(0):
        send_event(team_id=team_a.pk, event=DomainEvent.HANDOFF_BREACHED, items=[])
    assert WebhookDelivery.objects.count() == 0


def test_every_domain_event_can_be_subscribed_to():
    assert set(WebhookEvent.values) == {event.value for event in DomainEvent}

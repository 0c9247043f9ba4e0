"""A delivery whose worker dies mid-attempt is sent again once its claim's lease has run out."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from webhooks import delivery as sending
from webhooks import selectors, services, tasks
from webhooks.models import WebhookDelivery, WebhookEndpoint


class WorkerDied(BaseException):
    """Stands for a kill -9 between the claim and the result: nothing after the claim runs."""


@pytest.fixture
def endpoint(receiver, team_a, alice):
    return services.webhook_endpoint_register(team=team_a, actor=alice, url=receiver.url, event_types=["map.published"])


@pytest.fixture
def delivery(endpoint):
    return WebhookDelivery.objects.create(endpoint=endpoint, event="map.published", payload={"id": "x"})


def die_during_attempt(delivery, attempt):
    with mock.patch.object(sending, "send", side_effect=WorkerDied), pytest.raises(WorkerDied):
        sending.webhook_delivery_attempt(delivery_id=delivery.pk, attempt=attempt)


def test_an_abandoned_claim_is_due_again_after_its_lease(delivery, receiver, settings, time_machine):
    time_machine.move_to("2026-03-02T09:00:00Z", tick=False)
    die_during_attempt(delivery, 1)
    delivery.refresh_from_db()
    claimed_at = timezone.now()
    lease_end = claimed_at + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("pending", 1, lease_end)

    # While the lease runs, nobody else sends it (the worker may only be slow).
    assert selectors.deliveries_due(now=lease_end - timedelta(seconds=1)) == []
    assert selectors.deliveries_due(now=lease_end) == [(str(delivery.pk), 2)]

    time_machine.move_to(lease_end, tick=False)
    assert tasks.webhook_deliveries_retry_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("succeeded", 2, None)
    assert [r.headers["Waymark-Delivery"] for r in receiver.requests] == [str(delivery.pk)]


def test_a_retry_interrupted_is_due_again_too(delivery, receiver, settings, time_machine):
    time_machine.move_to("2026-03-02T09:00:00Z", tick=False)
    receiver.status = 500
    sending.webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1)
    delivery.refresh_from_db()
    assert delivery.status == "retrying"
    time_machine.move_to(delivery.next_attempt_at, tick=False)
    die_during_attempt(delivery, 2)
    assert selectors.deliveries_due(now=timezone.now()) == []
    lease_end = timezone.now() + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    assert selectors.deliveries_due(now=lease_end) == [(str(delivery.pk), 3)]


def test_a_result_after_the_lease_was_taken_over_is_dropped(delivery, receiver):
    """A slow attempt whose lease ran out must not overwrite the attempt that replaced it."""

    real_send = sending.send
    calls = []

    def slow_send(**kwargs):
        calls.append(kwargs)
        if len(calls) > 1:
            return real_send(**kwargs)
        # Meanwhile the lease ran out and the sweep made attempt 2, which reached the receiver.
        sending.webhook_delivery_attempt(delivery_id=delivery.pk, attempt=2)
        return sending.SendResult(ok=False, status=503, error="The receiver answered 503.")

    with mock.patch.object(sending, "send", side_effect=slow_send):
        assert sending.webhook_delivery_attempt(delivery_id=delivery.pk, attempt=1) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 2, 200)
    assert WebhookEndpoint.objects.get(pk=delivery.endpoint_id).failure_count == 0


def test_interrupted_attempts_end_after_one_extra(delivery, receiver, settings, time_machine):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    time_machine.move_to("2026-03-02T09:00:00Z", tick=False)
    for attempt in (1, 2):
        die_during_attempt(delivery, attempt)
        time_machine.shift(timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS))
        assert selectors.deliveries_due() == [(str(delivery.pk), attempt + 1)]
    tasks.webhook_deliveries_retry_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 3, None)
    assert "interrupted" in delivery.error
    assert receiver.requests == []
    assert selectors.deliveries_due(now=timezone.now() + timedelta(days=1)) == []

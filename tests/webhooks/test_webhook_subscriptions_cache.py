"""The cached set of a team's subscribed event types: no query without endpoints, no missed event."""

from __future__ import annotations

from tests.events import send_event
from webhooks import services
from webhooks.models import WebhookDelivery


def emit_committed(capture, **kwargs):
    with capture(execute=True):
        send_event(**kwargs)


def test_a_team_without_endpoints_costs_no_query_once_cached(team_a, django_assert_num_queries):
    send_event(team_id=team_a.pk, event="response.created", data={"id": 1})  # fills the cache
    with django_assert_num_queries(0):
        send_event(team_id=team_a.pk, event="response.created", data={"id": 2})


def test_a_newly_registered_endpoint_receives_the_very_next_event(
    receiver, team_a, alice, django_capture_on_commit_callbacks
):
    send_event(team_id=team_a.pk, event="map.published", data={"n": 0})  # cached: no endpoints
    endpoint = services.webhook_endpoint_register(
        team=team_a, actor=alice, url=receiver.url, event_types=["map.published"]
    )
    emit_committed(django_capture_on_commit_callbacks, team_id=team_a.pk, event="map.published", data={"n": 1})
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
    assert len(receiver.requests) == 1


def test_changed_subscriptions_and_disabling_take_effect_at_once(
    receiver, team_a, alice, django_capture_on_commit_callbacks
):
    endpoint = services.webhook_endpoint_register(
        team=team_a, actor=alice, url=receiver.url, event_types=["map.published"]
    )
    send_event(team_id=team_a.pk, event="review.recorded", data={})  # cached: map.published only
    services.webhook_endpoint_update(endpoint=endpoint, actor=alice, event_types=["review.recorded"])
    send_event(team_id=team_a.pk, event="review.recorded", data={})
    assert WebhookDelivery.objects.filter(endpoint=endpoint, event="review.recorded").count() == 1
    services.webhook_endpoint_update(endpoint=endpoint, actor=alice, is_active=False)
    send_event(team_id=team_a.pk, event="review.recorded", data={})
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
    services.webhook_endpoint_update(endpoint=endpoint, actor=alice, is_active=True)
    send_event(team_id=team_a.pk, event="review.recorded", data={})
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2
    services.webhook_endpoint_delete(endpoint=endpoint, actor=alice)
    send_event(team_id=team_a.pk, event="review.recorded", data={})  # no endpoint left: no error

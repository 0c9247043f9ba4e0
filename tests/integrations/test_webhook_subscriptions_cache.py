"""The cached set of a team's subscribed event types: no query without endpoints, no missed event."""

from __future__ import annotations

from teams import events, webhooks
from teams.models import WebhookDelivery


def emit_committed(capture, **kwargs):
    with capture(execute=True):
        events.emit(**kwargs)


def test_a_team_without_endpoints_costs_no_query_once_cached(team_a, django_assert_num_queries):
    events.emit(team_id=team_a.pk, event="response.created", data={"id": 1})  # fills the cache
    with django_assert_num_queries(0):
        events.emit(team_id=team_a.pk, event="response.created", data={"id": 2})


def test_a_newly_registered_endpoint_receives_the_very_next_event(
    receiver, team_a, alice, django_capture_on_commit_callbacks
):
    events.emit(team_id=team_a.pk, event="map.published", data={"n": 0})  # cached: no endpoints
    endpoint = webhooks.webhook_endpoint_register(
        team=team_a, actor=alice, url=receiver.url, event_types=["map.published"]
    )
    emit_committed(django_capture_on_commit_callbacks, team_id=team_a.pk, event="map.published", data={"n": 1})
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
    assert len(receiver.requests) == 1


def test_changed_subscriptions_and_disabling_take_effect_at_once(
    receiver, team_a, alice, django_capture_on_commit_callbacks
):
    endpoint = webhooks.webhook_endpoint_register(
        team=team_a, actor=alice, url=receiver.url, event_types=["map.published"]
    )
    events.emit(team_id=team_a.pk, event="review.recorded", data={})  # cached: map.published only
    webhooks.webhook_endpoint_update(endpoint=endpoint, actor=alice, event_types=["review.recorded"])
    events.emit(team_id=team_a.pk, event="review.recorded", data={})
    assert WebhookDelivery.objects.filter(endpoint=endpoint, event="review.recorded").count() == 1
    webhooks.webhook_endpoint_update(endpoint=endpoint, actor=alice, is_active=False)
    events.emit(team_id=team_a.pk, event="review.recorded", data={})
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
    webhooks.webhook_endpoint_update(endpoint=endpoint, actor=alice, is_active=True)
    events.emit(team_id=team_a.pk, event="review.recorded", data={})
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2
    webhooks.webhook_endpoint_delete(endpoint=endpoint, actor=alice)
    events.emit(team_id=team_a.pk, event="review.recorded", data={})  # no endpoint left: no error

"""Reads of the webhooks app: which events a team's endpoints want, which deliveries are due."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from teams import local_cache

from .models import WebhookDelivery, WebhookEndpoint

# The event types each team's active endpoints subscribe to, kept in each process's memory
# (``teams.local_cache``) so an event no endpoint wants (most teams have none) costs no query and
# no round trip. Every change to an endpoint through the services (register, update, rotate,
# delete, disable) bumps the shared version: the next event in every process reloads.
ENDPOINTS = "webhooks.endpoints"
_subscribed_events = local_cache.LocalCache(ENDPOINTS, ttl=60)


def subscribed_events_forget(team_id: int) -> None:
    """Forget every process's cached subscriptions (call after any endpoint change of ``team_id``)."""
    local_cache.bump(ENDPOINTS)


def _active_endpoints(team_id: int) -> list[WebhookEndpoint]:
    # JSON "contains" is not portable to SQLite; a team has at most a handful of endpoints.
    return list(WebhookEndpoint.objects.filter(team_id=team_id, is_active=True).select_related("team"))


def _event_types(endpoints: list[WebhookEndpoint]) -> frozenset[str]:
    return frozenset(event for endpoint in endpoints for event in (endpoint.event_types or ()))


def subscribed_event_types(team_id: int) -> frozenset[str]:
    """The event types the team's active endpoints subscribe to."""
    return _subscribed_events.get(team_id, lambda: _event_types(_active_endpoints(team_id)))


def wants(team_id: int, event: str) -> bool:
    """Whether any active endpoint of the team would receive ``event`` (no query while cached)."""
    return event in subscribed_event_types(team_id)


def subscribed_endpoints(team_id: int, event: str) -> list[WebhookEndpoint]:
    """The team's active endpoints subscribed to ``event`` (no query while the team wants none)."""
    loaded: list[WebhookEndpoint] = []

    def load() -> frozenset[str]:  # a miss loads the endpoints once, for the set and for this event
        loaded.extend(_active_endpoints(team_id))
        return _event_types(loaded)

    if event not in _subscribed_events.get(team_id, load):
        return []
    active = loaded or _active_endpoints(team_id)
    return [ep for ep in active if ep.subscribes_to(event)]


def deliveries_due(*, now=None) -> list[tuple[str, int]]:
    """Return the deliveries (and their next attempt number) whose retry is due, whose attempt's
    lease ran out (its worker died), or whose first send seems lost."""
    now = now or timezone.now()
    retrying = WebhookDelivery.objects.filter(
        Q(status=WebhookDelivery.Status.RETRYING, endpoint__is_active=True) | Q(status=WebhookDelivery.Status.PENDING),
        next_attempt_at__lte=now,
    )
    stale = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, attempts=0, created_at__lte=now - timedelta(minutes=5)
    )
    rows = [*retrying.values_list("pk", "attempts")[:500], *stale.values_list("pk", "attempts")[:500]]
    return [(str(pk), attempts + 1) for pk, attempts in rows]

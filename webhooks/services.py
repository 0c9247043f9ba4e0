"""State-changing operations of the webhooks app: endpoints, deliveries, replays, test events.

A domain event (``teams.signals.domain_event``) becomes one ``WebhookDelivery`` per active endpoint
of the team that subscribes to it (the endpoints looked up once per send), created in the sending
service's transaction and queued to Celery with ``transaction.on_commit``, so nothing is sent for a
change that rolls back. Sending, signing and the retries are in ``webhooks.delivery``.
"""

from __future__ import annotations

import logging
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from teams.access import require_role
from teams.models import Role, Team

from . import selectors
from .delivery import build_payload, url_validate
from .messages import message, render_english
from .models import WEBHOOK_TEST_EVENT, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .selectors import subscribed_events_forget

logger = logging.getLogger(__name__)

MAX_ENDPOINTS_PER_TEAM = 20


# Endpoints ------------------------------------------------------------------------------------


def _clean_event_types(event_types) -> list[str]:
    if not isinstance(event_types, list | tuple) or not event_types:
        raise ValidationError({"event_types": _("Choose at least one event.")})
    unknown = [e for e in event_types if e not in WebhookEvent.values]
    if unknown:
        raise ValidationError(
            {
                "event_types": _("Unknown event %(event)r; choose from %(events)s.")
                % {"event": unknown[0], "events": ", ".join(WebhookEvent.values)}
            }
        )
    return [e for e in WebhookEvent.values if e in event_types]


@transaction.atomic
def webhook_endpoint_register(
    *, team: Team, actor, url: str, event_types: list[str], description: str = ""
) -> WebhookEndpoint:
    """Register a URL to receive the team's events; its signing secret is generated here."""
    require_role(actor, team.pk, Role.ADMIN)
    events = _clean_event_types(event_types)
    url = url_validate(url)
    # Lock the team row so two concurrent registrations cannot pass the cap together.
    Team.objects.select_for_update().filter(pk=team.pk).first()
    if WebhookEndpoint.objects.filter(team=team).count() >= MAX_ENDPOINTS_PER_TEAM:
        raise ValidationError(
            {"url": _("A team can have at most %(max)d webhook endpoints.") % {"max": MAX_ENDPOINTS_PER_TEAM}}
        )
    subscribed_events_forget(team.pk)
    return WebhookEndpoint.objects.create(
        team=team,
        url=url,
        description=(description or "").strip()[:200],
        event_types=events,
        secret=WebhookEndpoint.generate_secret(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint; enabling it again clears its failures and the reason it was disabled."""
    require_role(actor, endpoint.team_id, Role.ADMIN)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not None and url.strip() != endpoint.url:
        endpoint.url = url_validate(url)
    if event_types is not None:
        endpoint.event_types = _clean_event_types(event_types)
    if description is not None:
        endpoint.description = description.strip()[:200]
    if is_active is not None and is_active != endpoint.is_active:
        endpoint.is_active = is_active
        if is_active:
            endpoint.failure_count = 0
            endpoint.disabled_reason = ""
            endpoint.disabled_message = {}
            endpoint.disabled_at = None
        else:
            endpoint.disabled_message = message("disabled_by", user=getattr(actor, "username", "an admin"))
            endpoint.disabled_reason = render_english(endpoint.disabled_message)[:300]
            endpoint.disabled_at = timezone.now()
    endpoint.save()
    subscribed_events_forget(endpoint.team_id)
    return endpoint


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor) -> WebhookEndpoint:
    """Give the endpoint a new signing secret (the old one stops working at once)."""
    require_role(actor, endpoint.team_id, Role.ADMIN)
    endpoint.secret = WebhookEndpoint.generate_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    subscribed_events_forget(endpoint.team_id)
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    """Delete the endpoint and its delivery log."""
    require_role(actor, endpoint.team_id, Role.ADMIN)
    endpoint.delete()
    subscribed_events_forget(endpoint.team_id)


# Deliveries -----------------------------------------------------------------------------------


def _queue(delivery_ids: list) -> None:
    """Queue one Celery task per delivery once the transaction commits, all in one callback."""
    from .tasks import webhook_deliver  # the tasks call the delivery code, which the services use

    ids = [str(delivery_id) for delivery_id in delivery_ids]

    def send():
        try:
            for delivery_id in ids:
                webhook_deliver.delay(delivery_id, 1)
        except Exception:
            # The broker is down: the rows are committed and still pending, and the periodic
            # sweep (``deliveries_due``) sends them; the request that sent the event succeeds.
            logger.warning("webhooks: could not queue %d deliveries; the sweep will send them", len(ids), exc_info=True)

    transaction.on_commit(send)


def deliveries_create_for_events(*, team_id: int, event: str, items: list[dict]) -> list[WebhookDelivery]:
    """Create and queue a delivery of each item's ``event`` for each subscribed active endpoint.

    The team's endpoints are looked up once for all the items, the deliveries inserted in bulk
    and queued in one ``on_commit`` callback (the SLA sweeps send thousands of events at once).
    """
    if not items:
        return []
    endpoints = selectors.subscribed_endpoints(team_id, event)
    if not endpoints:
        return []
    deliveries = []
    for data in items:
        for endpoint in endpoints:
            delivery_id = uuid.uuid4()
            payload = build_payload(delivery_id=delivery_id, event=event, team=endpoint.team, data=data)
            deliveries.append(WebhookDelivery(id=delivery_id, endpoint=endpoint, event=event, payload=payload))
    WebhookDelivery.objects.bulk_create(deliveries, batch_size=500)
    _queue([d.id for d in deliveries])
    return deliveries


def on_domain_event(sender, *, team_id: int, event: str, items: list[dict], **kwargs) -> None:
    """The ``domain_event`` receiver: one bulk operation per send, however many items it carries."""
    deliveries_create_for_events(team_id=team_id, event=str(event), items=items)


def on_needs_transaction(sender, *, team_id: int, event: str, **kwargs) -> bool:
    """The ``domain_event_needs_transaction`` receiver: deliveries are written with the sender's rows."""
    return selectors.wants(team_id, str(event))


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery, actor) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery with its own id (receivers dedupe on it)."""
    endpoint = delivery.endpoint
    require_role(actor, endpoint.team_id, Role.ADMIN)
    replay_id = uuid.uuid4()
    payload = {**delivery.payload, "id": str(replay_id)}
    replay = WebhookDelivery.objects.create(
        id=replay_id,
        endpoint=endpoint,
        event=delivery.event,
        payload=payload,
        replay_of=delivery,
        is_test=delivery.is_test,
    )
    _queue([replay.id])
    return replay


@transaction.atomic
def webhook_endpoint_send_test(*, endpoint: WebhookEndpoint, actor) -> WebhookDelivery:
    """Send a ``webhook.test`` event to the endpoint, whatever it subscribes to."""
    require_role(actor, endpoint.team_id, Role.ADMIN)
    delivery_id = uuid.uuid4()
    data = {
        "message": "A test event from Waymark. If you can read this, your endpoint receives deliveries.",
        "endpoint": {"id": endpoint.pk, "url": endpoint.url},
        "sent_by": getattr(actor, "username", None),
    }
    payload = build_payload(delivery_id=delivery_id, event=WEBHOOK_TEST_EVENT, team=endpoint.team, data=data)
    delivery = WebhookDelivery.objects.create(
        id=delivery_id, endpoint=endpoint, event=WEBHOOK_TEST_EVENT, payload=payload, is_test=True
    )
    _queue([delivery.id])
    return delivery

"""The webhooks' rows for tests/test_access.py: one endpoint of the team and one delivery to it."""

from webhooks.models import WebhookDelivery, WebhookEndpoint

BUILDERS = [
    (
        WebhookEndpoint,
        lambda world, people: WebhookEndpoint.objects.create(
            team=people["team"], url="https://93.184.215.14/hook", event_types=["map.published"], secret="whsec_probe"
        ),
    ),
    (
        WebhookDelivery,
        lambda world, people: WebhookDelivery.objects.create(
            endpoint=world[WebhookEndpoint], event="map.published", payload={"event": "map.published"}, status="failed"
        ),
    ),
]

URL_KWARGS = {
    "endpoint_pk": lambda world: world[WebhookEndpoint].pk,
    "delivery_pk": lambda world: world[WebhookDelivery].pk,
}

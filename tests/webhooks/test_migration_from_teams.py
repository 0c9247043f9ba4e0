"""The webhook models moved from teams to their own app: their tables, rows and content types stay."""

import uuid
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from webhooks.models import WebhookDelivery, WebhookEndpoint

# The last state in which teams held the webhook models (and the content types as they were then).
BEFORE = [("teams", "0006_translatable_labels"), ("webhooks", None)]
BEFORE_STATE = [("teams", "0006_translatable_labels"), ("contenttypes", "0002_remove_content_type_name")]
SENT_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_endpoints_deliveries_and_content_types_survive_the_move(django_user_model):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old_apps = migrate(BEFORE).loader.project_state(BEFORE_STATE).apps
        Team = old_apps.get_model("teams", "Team")
        OldEndpoint = old_apps.get_model("teams", "WebhookEndpoint")
        OldDelivery = old_apps.get_model("teams", "WebhookDelivery")
        OldContentType = old_apps.get_model("contenttypes", "ContentType")
        user = django_user_model.objects.create(username="ada")
        team = Team.objects.create(name="Shop", slug="shop")
        endpoint = OldEndpoint.objects.create(
            team=team,
            url="https://hooks.example.com/waymark",
            description="CRM sync",
            secret="whsec_old",
            event_types=["map.published", "review.recorded"],
            is_active=False,
            disabled_reason="Disabled after 20 failed attempts in a row.",
            failure_count=20,
            created_by_id=user.pk,
        )
        first_id, replay_id = uuid.uuid4(), uuid.uuid4()
        first = OldDelivery.objects.create(
            id=first_id,
            endpoint=endpoint,
            event="map.published",
            payload={"id": str(first_id), "event": "map.published", "data": {"map": {"id": 7}}},
            status="failed",
            response_code=503,
            response_excerpt="busy",
            duration_ms=812,
            attempts=8,
            last_attempt_at=SENT_AT,
            error="The receiver answered 503.",
        )
        OldDelivery.objects.create(
            id=replay_id, endpoint=endpoint, event="map.published", payload={"id": str(replay_id)}, replay_of=first
        )
        old_type = OldContentType.objects.get_or_create(app_label="teams", model="webhookendpoint")[0]
    finally:
        migrate(latest)

    moved = WebhookEndpoint.objects.get()
    assert (moved.pk, moved.team_id, moved.created_by_id) == (endpoint.pk, team.pk, user.pk)
    assert (moved.url, moved.description, moved.secret) == (
        "https://hooks.example.com/waymark",
        "CRM sync",
        "whsec_old",
    )
    assert moved.event_types == ["map.published", "review.recorded"]
    assert (moved.is_active, moved.failure_count) == (False, 20)
    assert moved.disabled_reason == "Disabled after 20 failed attempts in a row."
    original = WebhookDelivery.objects.get(pk=first_id)
    assert original.endpoint_id == endpoint.pk and original.payload["data"] == {"map": {"id": 7}}
    assert (original.status, original.response_code, original.response_excerpt) == ("failed", 503, "busy")
    assert (original.duration_ms, original.attempts, original.last_attempt_at) == (812, 8, SENT_AT)
    assert original.error == "The receiver answered 503."
    assert WebhookDelivery.objects.get(pk=replay_id).replay_of_id == first_id
    assert set(moved.deliveries.values_list("pk", flat=True)) == {first_id, replay_id}
    # The content type row moved with its id, so the permissions granted on it still apply.
    ContentType.objects.clear_cache()
    content_type = ContentType.objects.get_for_model(WebhookEndpoint)
    assert (content_type.pk, content_type.app_label) == (old_type.pk, "webhooks")
    assert not ContentType.objects.filter(app_label="teams", model__startswith="webhook").exists()
    assert Permission.objects.filter(content_type=content_type, codename="change_webhookendpoint").exists()

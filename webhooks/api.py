"""REST API of webhook endpoints and their deliveries (team admins, signed in; never API keys)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from teams.access import admin_team_ids, require_role
from teams.api_base import TeamField, TeamScopedModelViewSet, TeamScopedReadOnlyViewSet
from teams.filters import FilterSet
from teams.models import Role
from teams.permissions import TeamRolePermission

from . import services
from .models import WebhookDelivery, WebhookEndpoint, WebhookEvent


class PeoplePermission(TeamRolePermission):
    """Webhooks are managed by people signed in, never by API keys (they act as editors at most)."""

    def has_permission(self, request, view) -> bool:
        if request.method not in permissions.SAFE_METHODS and getattr(request.user, "api_key", None):
            return False
        return super().has_permission(request, view)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    team = TeamField()
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        allow_empty=False,
        max_length=len(WebhookEvent.values),
        help_text="The events this endpoint receives.",
    )
    url = serializers.URLField(
        max_length=500, help_text="An http(s) URL on a public address; redirects are not followed."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "team",
            "url",
            "description",
            "event_types",
            "is_active",
            "disabled_reason",
            "disabled_at",
            "failure_count",
            "last_success_at",
            "last_failure_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "disabled_reason",
            "disabled_at",
            "failure_count",
            "last_success_at",
            "last_failure_at",
            "created_at",
            "updated_at",
        ]


class WebhookEndpointUpdateSerializer(WebhookEndpointSerializer):
    """The team of an endpoint cannot change."""

    team = serializers.PrimaryKeyRelatedField(read_only=True)


class WebhookEndpointSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The signing secret. Returned on creation and rotation only; keep it safe."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "payload",
            "status",
            "response_code",
            "response_excerpt",
            "duration_ms",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "error",
            "replay_of",
            "is_test",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointFilter(FilterSet):
    class Meta:
        model = WebhookEndpoint
        fields = ["team", "is_active"]


class WebhookDeliveryFilter(FilterSet):
    event = filters.CharFilter(help_text="An event name, e.g. map.published or webhook.test.")
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "status", "event", "is_test"]


ENDPOINT_EXAMPLE = OpenApiExample(
    "Register an endpoint",
    value={
        "team": 1,
        "url": "https://hooks.example.com/waymark",
        "description": "CRM sync",
        "event_types": ["response.created", "followup.breached"],
    },
    request_only=True,
)


def _raise_drf(exc: ValidationError):
    raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc


@extend_schema_view(
    list=extend_schema(
        summary="List webhook endpoints",
        description="The endpoints of the teams you administer. The signing secret is not listed.",
    ),
    retrieve=extend_schema(summary="Get a webhook endpoint"),
    create=extend_schema(
        summary="Register a webhook endpoint",
        description=(
            "Team admins only. The URL must resolve to a public address (no loopback or private "
            "addresses). The answer carries the signing `secret`, shown this once."
        ),
        examples=[ENDPOINT_EXAMPLE],
        responses={201: WebhookEndpointSecretSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a webhook endpoint",
        description="Change its URL, description or events, or disable it (`is_active: false`). "
        "Enabling it again clears its failure count.",
        examples=[
            OpenApiExample("Enable again", value={"is_active": True}, request_only=True),
            OpenApiExample("Change events", value={"event_types": ["map.published"]}, request_only=True),
        ],
    ),
    update=extend_schema(
        summary="Replace a webhook endpoint",
        examples=[
            OpenApiExample(
                "Replace",
                value={"url": "https://hooks.example.com/waymark", "event_types": ["map.published"], "is_active": True},
                request_only=True,
            )
        ],
    ),
    destroy=extend_schema(summary="Delete a webhook endpoint", description="Its delivery log is deleted with it."),
)
class WebhookEndpointViewSet(TeamScopedModelViewSet):
    """Webhook endpoints: where Waymark POSTs signed events. Managed by team admins."""

    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    permission_classes = [PeoplePermission]
    filterset_class = WebhookEndpointFilter
    write_role = Role.ADMIN
    search_fields = ["url", "description"]
    ordering_fields = ["created_at", "url", "failure_count"]
    ordering = ["-created_at"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        # Endpoints carry secrets: only the team's admins see them.
        return queryset.filter(team_id__in=admin_team_ids(self.request.user))

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return WebhookEndpointUpdateSerializer
        return WebhookEndpointSerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_role(request.user, data["team"].pk, Role.ADMIN)
        try:
            endpoint = services.webhook_endpoint_register(
                team=data["team"],
                actor=request.user,
                url=data["url"],
                event_types=data["event_types"],
                description=data.get("description", ""),
            )
        except ValidationError as exc:
            _raise_drf(exc)
        out = WebhookEndpointSecretSerializer(endpoint, context=self.get_serializer_context())
        return Response(out.data, status=status.HTTP_201_CREATED)

    def update_object(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = services.webhook_endpoint_update(
                endpoint=serializer.instance,
                actor=self.request.user,
                url=data.get("url"),
                event_types=data.get("event_types"),
                description=data.get("description"),
                is_active=data.get("is_active"),
            )
        except ValidationError as exc:
            _raise_drf(exc)

    def perform_destroy(self, instance):
        services.webhook_endpoint_delete(endpoint=instance, actor=self.request.user)

    @extend_schema(
        summary="Send a test event",
        description="Queue a `webhook.test` delivery to this endpoint, whatever events it subscribes to. "
        "It is tried once (no retries) and appears in the delivery log.",
        request=None,
        responses={202: WebhookDeliverySerializer},
        examples=[OpenApiExample("No body", value=None, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        endpoint = self.get_object()
        delivery = services.webhook_endpoint_send_test(endpoint=endpoint, actor=request.user)
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Rotate the signing secret",
        description="Make a new signing secret; the old one stops signing at once. The answer carries the new secret.",
        request=None,
        responses={200: WebhookEndpointSecretSerializer},
        examples=[OpenApiExample("No body", value=None, request_only=True)],
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = services.webhook_endpoint_rotate_secret(endpoint=self.get_object(), actor=request.user)
        return Response(WebhookEndpointSecretSerializer(endpoint, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(
        summary="List webhook deliveries",
        description="The delivery log of the endpoints you administer, newest first: status, response code, "
        "duration, attempts, next attempt and error.",
    ),
    retrieve=extend_schema(summary="Get a webhook delivery", description="With the payload that was sent."),
)
class WebhookDeliveryViewSet(TeamScopedReadOnlyViewSet):
    """The delivery log; a delivery can be replayed."""

    queryset = WebhookDelivery.objects.all()
    serializer_class = WebhookDeliverySerializer
    permission_classes = [PeoplePermission]
    lookup_value_regex = r"[0-9a-fA-F-]{32,36}"  # deliveries are identified by their UUID
    filterset_class = WebhookDeliveryFilter
    write_role = Role.ADMIN
    ordering_fields = ["created_at", "status", "attempts", "duration_ms"]
    ordering = ["-created_at"]

    def scope_queryset(self, queryset):
        return queryset.filter(endpoint__team_id__in=admin_team_ids(self.request.user)).select_related("endpoint")

    @extend_schema(
        summary="Replay a delivery",
        description="Send the same event again as a new delivery with its own id (the payload's `id` and the "
        "`Waymark-Delivery` header are new, so receivers that dedupe on them accept it). Tried once.",
        request=None,
        responses={202: WebhookDeliverySerializer},
        examples=[OpenApiExample("No body", value=None, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        replay = services.webhook_delivery_replay(delivery=self.get_object(), actor=request.user)
        replay.refresh_from_db()
        return Response(WebhookDeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)


routes = [
    ("webhooks", WebhookEndpointViewSet, "webhook"),
    ("webhook-deliveries", WebhookDeliveryViewSet, "webhook-delivery"),
]

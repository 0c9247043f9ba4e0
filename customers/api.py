"""REST API of sources, profiles (with their timeline), events and the tracking plan."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from journeys.models import JourneyMap, Stage, Touchpoint
from teams.access import require_role
from teams.api_base import (
    ScopedPrimaryKeyRelatedField,
    TeamField,
    TeamScopedModelViewSet,
    TeamScopedReadOnlyViewSet,
    TeamScopedViewSetMixin,
)
from teams.filters import OrderingFilter
from teams.models import Role, Team

from . import selectors, services
from .extensions import TimelineCursor
from .filters import EventFilter, ProfileFilter, SourceFilter, TrackingRuleFilter
from .models import (
    Erasure,
    Event,
    Identity,
    IngestRefusal,
    PrivacySettings,
    Profile,
    ProfileMerge,
    ProfileStage,
    Source,
    TrackingRule,
)
from .views import export_response

# --- sources ------------------------------------------------------------------------------------


class IngestRefusalSerializer(serializers.ModelSerializer):
    class Meta:
        model = IngestRefusal
        fields = ["id", "source", "received_at", "code", "field", "message", "message_id", "payload"]
        read_only_fields = fields


class SourceSerializer(serializers.ModelSerializer):
    team = TeamField(help_text="The team that owns the source.")
    is_active = serializers.BooleanField(read_only=True, help_text="False once revoked.")

    class Meta:
        model = Source
        fields = ["id", "team", "name", "kind", "prefix", "created_at", "last_event_at", "revoked_at", "is_active"]
        read_only_fields = ["id", "prefix", "created_at", "last_event_at", "revoked_at"]


class SourceUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["name", "kind"]


class SourceCreatedSerializer(SourceSerializer):
    write_key = serializers.CharField(
        read_only=True, help_text="Shown this once: the SDKs send it as the HTTP Basic user or as writeKey."
    )

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "write_key"]


SOURCE_EXAMPLE = OpenApiExample(
    "A website", value={"team": 1, "name": "Shop website", "kind": "web"}, request_only=True
)
RULE_EXAMPLE = OpenApiExample(
    "Checkout completed enters Purchase",
    value={"stage": 12, "touchpoint": 40, "event_type": "track", "event_name": "Order Completed", "conditions": []},
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List your teams' sources", description="Name, kind, key prefix and last event."),
    retrieve=extend_schema(summary="Get a source", description="Its name, kind, key prefix and last event."),
    create=extend_schema(
        summary="Create a source (its write key is shown once)",
        description="Team admins only. The answer carries `write_key` this once; only its hash is kept.",
        examples=[SOURCE_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary="Rename a source",
        description="Team admins only.",
        examples=[OpenApiExample("Rename", value={"name": "Shop website (EU)"}, request_only=True)],
    ),
    revoke=extend_schema(description="Team admins only: events sent with its key are refused from now on."),
)
class SourceViewSet(TeamScopedModelViewSet):
    """Where events come from. The write key is returned once, on creation; only admins manage sources."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    search_fields = ["name"]
    write_role = Role.ADMIN
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_class(self):
        if self.action == "partial_update":
            return SourceUpdateSerializer
        return SourceSerializer

    @extend_schema(responses={201: SourceCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        require_role(request.user, data["team"].pk, Role.ADMIN)
        source, raw = services.source_create(
            team=data["team"], actor=request.user, name=data["name"], kind=data.get("kind", Source.Kind.WEB)
        )
        source.write_key = raw
        return Response(SourceCreatedSerializer(source, context=self.get_serializer_context()).data, status=201)

    @extend_schema(request=SourceUpdateSerializer, responses=SourceSerializer)
    def partial_update(self, request, *args, **kwargs):
        source = self.get_object()
        serializer = SourceUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        source = services.source_update(source=source, actor=request.user, **serializer.validated_data)
        return Response(SourceSerializer(source, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=SourceSerializer, summary="Revoke a source's write key")
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        source = self.get_object()
        services.source_revoke(source=source, actor=request.user)
        return Response(SourceSerializer(source, context=self.get_serializer_context()).data, status=status.HTTP_200_OK)

    @extend_schema(
        summary="List a source's last refusals",
        description=(
            "The live debugger: the last 100 events (or requests) the tracking API refused from this source, newest "
            "first, with the code, field and message the sender got and the first 2 KB of what was sent. "
            "Every member of the source's team may read them."
        ),
        request=None,
        responses=IngestRefusalSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def refusals(self, request, pk=None):
        source = self.get_object()
        return Response(IngestRefusalSerializer(selectors.refusal_list(source=source), many=True).data)


# --- profiles -----------------------------------------------------------------------------------


class IdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Identity
        fields = ["kind", "value", "created_at"]


class CurrentStageSerializer(serializers.ModelSerializer):
    stage_name = serializers.CharField(source="stage.name", read_only=True)

    class Meta:
        model = ProfileStage
        fields = ["journey_map", "stage", "stage_name", "entered_at"]


class MergeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProfileMerge
        fields = ["id", "from_profile", "into_profile", "status", "trigger", "identifier", "reason", "created_at"]


class ProfileSerializer(serializers.ModelSerializer):
    persona = serializers.IntegerField(
        source="persona_id",
        read_only=True,
        allow_null=True,
        help_text="The persona whose trait rules the traits meet (lowest priority first); null when none does.",
    )
    persona_name = serializers.CharField(
        source="persona.name", read_only=True, allow_null=True, default=None, help_text="That persona's name."
    )

    class Meta:
        model = Profile
        fields = [
            "id",
            "team",
            "user_id",
            "traits",
            "persona",
            "persona_name",
            "first_seen_at",
            "last_seen_at",
            "merged_into",
        ]


class ProfileDetailSerializer(ProfileSerializer):
    identities = serializers.SerializerMethodField()
    stages = serializers.SerializerMethodField()
    merges = serializers.SerializerMethodField()

    class Meta(ProfileSerializer.Meta):
        fields = [*ProfileSerializer.Meta.fields, "identities", "stages", "merges"]

    def _details(self, profile):
        if not hasattr(profile, "_details"):
            profile._details = selectors.profile_details(profile)
        return profile._details

    @extend_schema_field(IdentitySerializer(many=True))
    def get_identities(self, profile):
        return IdentitySerializer(self._details(profile)["identities"], many=True).data

    @extend_schema_field(CurrentStageSerializer(many=True))
    def get_stages(self, profile):
        return CurrentStageSerializer(self._details(profile)["stages"], many=True).data

    @extend_schema_field(MergeSerializer(many=True))
    def get_merges(self, profile):
        return MergeSerializer(self._details(profile)["merges"], many=True).data


class TimelineItemSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="event, stage, merge, or what another app adds (response, followup …).")
    id = serializers.IntegerField(read_only=True, help_text="The row's id among items of its kind.")
    at = serializers.DateTimeField()
    title = serializers.CharField()
    data = serializers.DictField()
    cursor = serializers.CharField(
        read_only=True, help_text="Pass the last item's cursor as `before` to read the next (older) page."
    )


@extend_schema_view(
    list=extend_schema(
        summary="List and search profiles",
        description="Search by identifier, trait, persona, map and stage; merged profiles are left out.",
    ),
    retrieve=extend_schema(summary="Get a profile", description="Its identities, traits, current stages and merges."),
)
class ProfileViewSet(TeamScopedReadOnlyViewSet):
    """One profile per person: identities, traits (latest value), current stages, merges and timeline."""

    queryset = Profile.objects.all()
    serializer_class = ProfileSerializer
    filterset_class = ProfileFilter
    ordering_fields = ["last_seen_at", "first_seen_at"]

    def scope_queryset(self, queryset):
        if self.action == "list":
            queryset = queryset.filter(merged_into__isnull=True)
        return queryset.select_related("persona")

    def get_serializer_class(self):
        return ProfileDetailSerializer if self.action == "retrieve" else ProfileSerializer

    @extend_schema(
        summary="Export everything kept about a profile",
        description=(
            "One JSON document, streamed: the profile, identities, traits and their history, current stages, "
            "stage transitions, merges, events, and the survey answers and follow-ups under its identifiers."
        ),
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        return export_response(self.get_object())

    @extend_schema(
        summary="A profile's timeline",
        description="Its events, stage changes and merges, survey answers and follow-ups (and what other apps "
        "add), newest first; items at the same time are ordered by kind and id, so paging by `cursor` loses none.",
        parameters=[
            OpenApiParameter(
                "before",
                OpenApiTypes.STR,
                description="Paging: the `cursor` of the last item read (items after it), or an ISO 8601 time "
                "(items before it).",
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many items (1–500, default 100)."),
        ],
        responses=TimelineItemSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        profile = self.get_object()
        params = TimelineParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        items = selectors.profile_timeline(
            profile=profile, before=params.validated_data.get("before"), limit=params.validated_data["limit"]
        )
        return Response(TimelineItemSerializer(items, many=True).data)


class TimelineParams(serializers.Serializer):
    before = serializers.CharField(required=False, max_length=100)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=500, default=100)

    def validate_before(self, value: str) -> TimelineCursor:
        cursor = TimelineCursor.parse(value)
        if cursor is None:
            raise serializers.ValidationError(_("Give an item's cursor or an ISO 8601 time."))
        return cursor


# --- events -------------------------------------------------------------------------------------


class EventSerializer(serializers.ModelSerializer):
    profile = serializers.IntegerField(source="identity.profile_id", read_only=True, help_text="Its profile now.")

    class Meta:
        model = Event
        fields = [
            "id",
            "team",
            "source",
            "message_id",
            "type",
            "event",
            "anonymous_id",
            "user_id",
            "profile",
            "group_id",
            "previous_id",
            "path",
            "properties",
            "traits",
            "context",
            "timestamp",
            "original_timestamp",
            "sent_at",
            "received_at",
            "clock_skew_suspect",
            "flags",
        ]


@extend_schema_view(
    list=extend_schema(summary="Query events", description="Events as received, newest first, with filters."),
    retrieve=extend_schema(summary="Get an event", description="One event as received and stored."),
)
class EventViewSet(TeamScopedReadOnlyViewSet):
    """Events as received (read only: sources send through the tracking API at /v1/)."""

    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filterset_class = EventFilter
    ordering_fields = ["timestamp", "received_at"]

    def scope_queryset(self, queryset):
        return queryset.select_related("identity")


# --- the tracking plan --------------------------------------------------------------------------


class ConditionSerializer(serializers.Serializer):
    property = serializers.CharField(max_length=200)
    op = serializers.ChoiceField(choices=services.CONDITION_OPS, default="eq")
    value = serializers.JSONField(required=False, allow_null=True)


class TrackingRuleSerializer(serializers.ModelSerializer):
    stage = ScopedPrimaryKeyRelatedField(queryset=Stage.objects.all(), help_text="The stage a match enters.")
    touchpoint = ScopedPrimaryKeyRelatedField(
        queryset=Touchpoint.objects.all(), required=False, allow_null=True, help_text="The touchpoint (of that stage)."
    )
    conditions = ConditionSerializer(many=True, required=False, help_text="All must hold on the event's properties.")

    class Meta:
        model = TrackingRule
        fields = [
            "id",
            "team",
            "journey_map",
            "stage",
            "touchpoint",
            "event_type",
            "event_name",
            "path_pattern",
            "conditions",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "team", "journey_map", "created_at"]


@extend_schema_view(
    list=extend_schema(summary="List tracking rules", description="Which events bind to which stages and touchpoints."),
    retrieve=extend_schema(summary="Get a tracking rule", description="Its event, path pattern and conditions."),
    create=extend_schema(
        summary="Bind events to a stage or touchpoint",
        description="Editors: a matching event moves the profile into the stage.",
        examples=[RULE_EXAMPLE],
    ),
    update=extend_schema(summary="Replace a tracking rule", description="Editors.", examples=[RULE_EXAMPLE]),
    partial_update=extend_schema(
        summary="Change a tracking rule",
        description="Editors.",
        examples=[OpenApiExample("Turn off", value={"is_active": False}, request_only=True)],
    ),
    destroy=extend_schema(summary="Delete a tracking rule", description="Editors; the transitions it made stay."),
)
class TrackingRuleViewSet(TeamScopedModelViewSet):
    """The tracking plan: which events mean a customer reached a touchpoint or entered a stage."""

    queryset = TrackingRule.objects.all()
    serializer_class = TrackingRuleSerializer
    filterset_class = TrackingRuleFilter
    search_fields = ["event_name", "path_pattern"]

    def scope_queryset(self, queryset):
        return queryset.select_related("stage", "touchpoint", "journey_map")

    def team_id_from_data(self, validated_data):
        stage = validated_data.get("stage")
        return stage.journey_map.team_id if stage is not None else None

    def create_object(self, serializer):
        serializer.instance = services.tracking_rule_create(actor=self.request.user, **serializer.validated_data)

    def update_object(self, serializer):
        serializer.instance = services.tracking_rule_update(
            rule=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.tracking_rule_delete(rule=instance, actor=self.request.user)


# --- privacy ------------------------------------------------------------------------------------


class ErasureSerializer(serializers.ModelSerializer):
    erased_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="Rows deleted per kind (events, identities …)."
    )

    class Meta:
        model = Erasure
        fields = ["id", "team", "identifier_hash", "erased_by", "erased_at", "counts"]
        read_only_fields = fields


class ErasureCreateSerializer(serializers.Serializer):
    team = TeamField(help_text="The team whose customer is erased.")
    user_id = serializers.CharField(
        max_length=255, help_text="The person's user id (or an anonymous id of theirs), as the sources send it."
    )


@extend_schema_view(
    list=extend_schema(summary="List erasures", description="Who erased whom (as a keyed hash), when, and the counts."),
    retrieve=extend_schema(summary="Get an erasure", description="Its hash, who did it, when, rows deleted per kind."),
)
class ErasureViewSet(TeamScopedModelViewSet):
    """Erasures of customers on request; the record keeps a keyed hash of the id, never the id."""

    queryset = Erasure.objects.all()
    serializer_class = ErasureSerializer
    write_role = Role.ADMIN
    http_method_names = ["get", "post", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("erased_by")

    @extend_schema(
        summary="Erase a customer by user id",
        description=(
            "Team admins. Deletes the profile holding the id (and profiles merged into it): events, identities, "
            "trait history, stage records, merges, and survey answers and follow-ups under its identifiers. "
            "An id nobody holds is recorded with nothing deleted."
        ),
        request=ErasureCreateSerializer,
        responses={201: ErasureSerializer},
        examples=[OpenApiExample("Erase", value={"team": 1, "user_id": "ana@example.com"}, request_only=True)],
    )
    def create(self, request, *args, **kwargs):
        serializer = ErasureCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        erasure = services.profile_erase(actor=request.user, team=data["team"], user_id=data["user_id"])
        return Response(ErasureSerializer(erasure, context=self.get_serializer_context()).data, status=201)


class PrivacySettingsSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="team_id", read_only=True, help_text="The team's id.")

    class Meta:
        model = PrivacySettings
        fields = ["id", "team", "store_full_ip", "consent_category", "retention_days"]
        read_only_fields = ["id", "team"]


class PrivacySettingsUpdateSerializer(serializers.Serializer):
    store_full_ip = serializers.BooleanField(required=False)
    consent_category = serializers.CharField(max_length=100, allow_blank=True, required=False)
    retention_days = serializers.IntegerField(min_value=1, allow_null=True, required=False)


@extend_schema_view(
    list=extend_schema(summary="List your teams' privacy settings", description="One entry per team, by team id."),
    retrieve=extend_schema(
        summary="Get a team's privacy settings", description="The id is the team's: IP, consent, retention."
    ),
)
class PrivacySettingsViewSet(TeamScopedModelViewSet):
    """Each team's IP truncation opt-out, required consent category and event retention (by team id)."""

    queryset = Team.objects.all()
    serializer_class = PrivacySettingsSerializer
    write_role = Role.ADMIN
    http_method_names = ["get", "patch", "head", "options"]
    # Ordered by the team's name or id; an unknown ordering field is a 400 like everywhere else.
    filter_backends = [OrderingFilter]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def scope_queryset(self, queryset):
        return queryset.select_related("customer_privacy")

    def _out(self, team):
        return PrivacySettingsSerializer(PrivacySettings.for_team(team), context=self.get_serializer_context()).data

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([self._out(team) for team in page])

    def retrieve(self, request, *args, **kwargs):
        return Response(self._out(self.get_object()))

    @extend_schema(
        summary="Change a team's privacy settings",
        description="Team admins. `retention_days` null keeps events forever.",
        request=PrivacySettingsUpdateSerializer,
        responses=PrivacySettingsSerializer,
        examples=[OpenApiExample("Keep 13 months", value={"retention_days": 395}, request_only=True)],
    )
    def partial_update(self, request, *args, **kwargs):
        team = self.get_object()
        serializer = PrivacySettingsUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.privacy_settings_update(actor=request.user, team=team, **serializer.validated_data)
        return Response(self._out(Team.objects.select_related("customer_privacy").get(pk=team.pk)))


# --- the tracking plan: unmapped events ----------------------------------------------------------


class UnmappedEventSerializer(serializers.Serializer):
    event_type = serializers.CharField(help_text="track (an event name) or page (a page path).")
    name = serializers.CharField(help_text="The event's name, or the page's path.")
    events = serializers.IntegerField(help_text="Events received in the period.")
    profiles = serializers.IntegerField(help_text="Unique customers (profiles) who sent them.")
    last_seen = serializers.DateTimeField(help_text="The latest event's time.")


class UnmappedListSerializer(serializers.Serializer):
    map = serializers.IntegerField()
    days = serializers.IntegerField(help_text="The period: the last 7, 30 or 90 UTC days, today included.")
    results = UnmappedEventSerializer(many=True)


class UnmappedParams(serializers.Serializer):
    days = serializers.ChoiceField(choices=[7, 30, 90], default=30, help_text="The period in days: 7, 30 or 90.")


class UnmappedAddSerializer(serializers.Serializer):
    stage = ScopedPrimaryKeyRelatedField(queryset=Stage.objects.all(), help_text="The map's stage to add it to.")
    event_type = serializers.ChoiceField(choices=["track", "page"])
    event_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    path = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class UnmappedAddedSerializer(serializers.Serializer):
    touchpoint = serializers.IntegerField(help_text="The touchpoint created.")
    tracking_rule = TrackingRuleSerializer(help_text="The rule that binds it to the event.")


@extend_schema_view(
    retrieve=extend_schema(
        summary="List a map's unmapped events",
        description=(
            "Event names (track) and page paths (page) received in the period that no active tracking rule of the "
            "map binds, most frequent first, with their events and unique customers (at most 100). Judged on the "
            "name or path alone: property conditions do not make a name unmapped. The id is the map's."
        ),
        parameters=[UnmappedParams],
        responses=UnmappedListSerializer,
    ),
)
class UnmappedEventViewSet(TeamScopedViewSetMixin, viewsets.GenericViewSet):
    """The tracking plan's gaps: what customers do that the map does not show yet."""

    queryset = JourneyMap.objects.all()
    # What OPTIONS describes (DRF's metadata reads it); the actions build their own serializers.
    serializer_class = UnmappedAddSerializer
    http_method_names = ["get", "post", "head", "options"]

    def retrieve(self, request, pk=None):
        journey_map = self.get_object()
        params = UnmappedParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        days = params.validated_data["days"]
        found = selectors.unmapped_events(journey_map=journey_map, days=days)
        return Response(
            UnmappedListSerializer({"map": journey_map.pk, "days": days, "results": [u.__dict__ for u in found]}).data
        )

    @extend_schema(
        summary="Add an unmapped event as a touchpoint",
        description=(
            "Editors. Creates a touchpoint named after the event (or path) in the given stage of the map, through "
            "the map's own service (its revision and history record it), and a tracking rule binding it: "
            "`event_name` for track, the exact `path` for page."
        ),
        request=UnmappedAddSerializer,
        responses={201: UnmappedAddedSerializer},
        examples=[
            OpenApiExample(
                "A page path into Decision",
                value={"stage": 12, "event_type": "page", "path": "/returns"},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def add(self, request, pk=None):
        journey_map = self.get_object()
        require_role(request.user, journey_map.team_id, Role.EDITOR)
        serializer = UnmappedAddSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        touchpoint, rule = services.touchpoint_from_event(
            actor=request.user, journey_map=journey_map, **serializer.validated_data
        )
        body = {"touchpoint": touchpoint.pk, "tracking_rule": TrackingRuleSerializer(rule).data}
        return Response(body, status=status.HTTP_201_CREATED)


routes = [
    ("sources", SourceViewSet, "source"),
    ("profiles", ProfileViewSet, "profile"),
    ("events", EventViewSet, "event"),
    ("tracking-rules", TrackingRuleViewSet, "tracking-rule"),
    ("erasures", ErasureViewSet, "erasure"),
    ("privacy-settings", PrivacySettingsViewSet, "privacy-settings"),
    ("unmapped-events", UnmappedEventViewSet, "unmapped-event"),
]

"""REST API of ownerships, SLAs, hand-offs (and their cases), SLA breaches and playbooks.

``routes`` are registered by config/urls.py under /api/v1/. Writes call ``owners.services``.
"""

from __future__ import annotations

from django.utils.translation import gettext
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from journeys.models import JourneyMap, Stage, Touchpoint
from teams.api_base import ScopedPrimaryKeyRelatedField, TeamScopedModelViewSet, TeamScopedReadOnlyViewSet
from teams.fields import MemberField, PersonSerializer
from teams.filters import FilterSet

from . import selectors, services
from .models import SLA, Handoff, HandoffCase, Ownership, Playbook
from .sla import format_duration

DURATION_HELP = "A duration: `HH:MM:SS` (e.g. `48:00:00`), `D HH:MM:SS` or ISO 8601 (`P2D`, `PT48H`)."


# --- ownerships ----------------------------------------------------------------------------


class OwnershipSerializer(serializers.ModelSerializer):
    touchpoint = ScopedPrimaryKeyRelatedField(
        queryset=Touchpoint.objects.select_related("stage__journey_map"),
        required=False,
        allow_null=True,
        help_text="The touchpoint owned (give this or `stage`).",
    )
    stage = ScopedPrimaryKeyRelatedField(
        queryset=Stage.objects.select_related("journey_map"),
        required=False,
        allow_null=True,
        help_text="The stage owned (give this or `touchpoint`).",
    )
    user = MemberField(help_text="The owner: a member of the map's team.")
    owner = PersonSerializer(source="user", read_only=True)
    departed = serializers.SerializerMethodField(help_text="True when the owner is no longer in the map's team.")

    class Meta:
        model = Ownership
        fields = ["id", "journey_map", "touchpoint", "stage", "user", "owner", "role", "departed", "created_at"]
        read_only_fields = ["journey_map", "created_at"]
        validators = []  # uniqueness is the service's job (a new accountable owner replaces the old)
        extra_kwargs = {
            "role": {
                "help_text": "accountable (one per touchpoint/stage; a new one replaces the old), "
                "responsible or consulted."
            }
        }

    def get_departed(self, ownership) -> bool:
        return bool(getattr(ownership, "departed", False))

    def validate(self, attrs):
        if bool(attrs.get("touchpoint")) == bool(attrs.get("stage")):
            raise serializers.ValidationError({"touchpoint": gettext("Give either a touchpoint or a stage.")})
        return attrs


class OwnershipFilter(FilterSet):
    team = filters.NumberFilter(field_name="journey_map__team", help_text="Team id.")
    map = filters.NumberFilter(field_name="journey_map", help_text="Map id.")
    departed = filters.BooleanFilter(field_name="departed", help_text="Only owners who left the team (or not).")

    class Meta:
        model = Ownership
        fields = ["team", "map", "touchpoint", "stage", "user", "role", "departed"]


@extend_schema_view(
    list=extend_schema(summary="List ownerships", description="Who owns which touchpoint or stage, by role."),
    retrieve=extend_schema(summary="Get an ownership"),
    create=extend_schema(
        summary="Assign an owner",
        description="Give a team member a role on a touchpoint or stage. Assigning an **accountable** owner "
        "replaces the current one (there is exactly one). The user must be a member of the map's team (400).",
        examples=[OpenApiExample("Accountable owner", value={"touchpoint": 12, "user": 3, "role": "accountable"})],
    ),
    destroy=extend_schema(summary="Remove an ownership"),
)
class OwnershipViewSet(TeamScopedModelViewSet):
    """Owners of touchpoints and stages: one accountable, any number responsible or consulted."""

    queryset = Ownership.objects.all()
    serializer_class = OwnershipSerializer
    filterset_class = OwnershipFilter
    search_fields = ["user__username", "user__first_name", "user__last_name", "touchpoint__name", "stage__name"]
    ordering_fields = ["created_at", "role", "id"]
    ordering = ["id"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return selectors.with_departed(queryset.select_related("user", "journey_map"))

    def team_id_from_data(self, validated_data):
        target = validated_data.get("touchpoint")
        if target is not None:
            return target.stage.journey_map.team_id
        stage = validated_data.get("stage")
        return stage.journey_map.team_id if stage is not None else None

    def create_object(self, serializer):
        data = serializer.validated_data
        ownership = services.ownership_assign(
            actor=self.request.user,
            user=data["user"],
            touchpoint=data.get("touchpoint"),
            stage=data.get("stage"),
            role=data.get("role", Ownership.Role.ACCOUNTABLE),
        )
        serializer.instance = selectors.with_departed(Ownership.objects.filter(pk=ownership.pk)).get()

    def perform_destroy(self, instance):
        services.ownership_remove(actor=self.request.user, ownership=instance)


# --- SLAs ----------------------------------------------------------------------------------


class SLASerializer(serializers.ModelSerializer):
    touchpoint = ScopedPrimaryKeyRelatedField(
        queryset=Touchpoint.objects.select_related("stage__journey_map"), help_text="The touchpoint."
    )
    response_target_label = serializers.SerializerMethodField(help_text='The target as people say it ("48 h").')

    class Meta:
        model = SLA
        fields = ["id", "touchpoint", "response_target", "response_target_label", "business_hours", "escalation_delay"]
        extra_kwargs = {
            "response_target": {"help_text": f"How fast the owner must respond. {DURATION_HELP}"},
            "escalation_delay": {"help_text": f"After a breach, when the team admins are told. {DURATION_HELP}"},
        }

    def get_response_target_label(self, sla) -> str:
        return format_duration(sla.response_target)


class SLAFilter(FilterSet):
    team = filters.NumberFilter(field_name="touchpoint__stage__journey_map__team", help_text="Team id.")
    map = filters.NumberFilter(field_name="touchpoint__stage__journey_map", help_text="Map id.")

    class Meta:
        model = SLA
        fields = ["team", "map", "touchpoint", "business_hours"]


@extend_schema_view(
    list=extend_schema(summary="List SLAs", description="Response targets of touchpoints."),
    retrieve=extend_schema(summary="Get an SLA"),
    create=extend_schema(
        summary="Set a touchpoint's SLA",
        description="A touchpoint has at most one SLA: a second one is a 400; change it with PATCH.",
        examples=[
            OpenApiExample(
                "48 hours, working hours only",
                value={
                    "touchpoint": 12,
                    "response_target": "48:00:00",
                    "business_hours": True,
                    "escalation_delay": "24:00:00",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change an SLA", examples=[OpenApiExample("Faster", value={"response_target": "24:00:00"})]
    ),
    destroy=extend_schema(summary="Remove an SLA"),
)
class SLAViewSet(TeamScopedModelViewSet):
    """Service-level targets: how fast a touchpoint's owner must respond."""

    queryset = SLA.objects.all()
    serializer_class = SLASerializer
    filterset_class = SLAFilter
    ordering_fields = ["response_target", "id"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("touchpoint")

    def team_id_from_data(self, validated_data):
        touchpoint = validated_data.get("touchpoint")
        return touchpoint.stage.journey_map.team_id if touchpoint is not None else None

    def _save(self, serializer, instance=None):
        data = serializer.validated_data
        current = instance or SLA()
        serializer.instance = services.sla_set(
            actor=self.request.user,
            touchpoint=data.get("touchpoint") or instance.touchpoint,
            response_target=data.get("response_target", current.response_target),
            business_hours=data.get("business_hours", current.business_hours),
            escalation_delay=data.get("escalation_delay", current.escalation_delay),
        )

    def create_object(self, serializer):
        self._save(serializer)

    def update_object(self, serializer):
        if (
            "touchpoint" in serializer.validated_data
            and serializer.validated_data["touchpoint"] != serializer.instance.touchpoint
        ):
            raise serializers.ValidationError({"touchpoint": gettext("An SLA cannot move to another touchpoint.")})
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.sla_remove(actor=self.request.user, sla=instance)


# --- hand-offs -----------------------------------------------------------------------------


class HandoffSerializer(serializers.ModelSerializer):
    from_touchpoint = ScopedPrimaryKeyRelatedField(
        queryset=Touchpoint.objects.select_related("stage__journey_map"), help_text="Where the case comes from."
    )
    to_touchpoint = ScopedPrimaryKeyRelatedField(
        queryset=Touchpoint.objects.select_related("stage__journey_map"),
        help_text="Where it goes: a touchpoint of the same map.",
    )
    from_owner = MemberField(
        required=False, allow_null=True, help_text="Default: the accountable owner of `from_touchpoint`."
    )
    to_owner = MemberField(
        required=False,
        allow_null=True,
        help_text="Who picks it up. Default: the accountable owner of `to_touchpoint`.",
    )
    response_target_label = serializers.SerializerMethodField()

    class Meta:
        model = Handoff
        fields = [
            "id",
            "journey_map",
            "from_touchpoint",
            "to_touchpoint",
            "from_owner",
            "to_owner",
            "response_target",
            "response_target_label",
            "business_hours",
            "escalation_delay",
            "notes",
            "created_at",
        ]
        read_only_fields = ["journey_map", "created_at"]
        validators = []  # the service answers a duplicate pair with an error on to_touchpoint
        extra_kwargs = {
            "response_target": {"help_text": f"How long the receiving owner has. {DURATION_HELP}"},
            "escalation_delay": {"help_text": f"After a breach, when the team admins are told. {DURATION_HELP}"},
        }

    def get_response_target_label(self, handoff) -> str:
        return format_duration(handoff.response_target)


class HandoffFilter(FilterSet):
    team = filters.NumberFilter(field_name="journey_map__team", help_text="Team id.")
    map = filters.NumberFilter(field_name="journey_map", help_text="Map id.")

    class Meta:
        model = Handoff
        fields = ["team", "map", "from_touchpoint", "to_touchpoint", "from_owner", "to_owner"]


HANDOFF_FIELDS = (
    "from_touchpoint",
    "to_touchpoint",
    "from_owner",
    "to_owner",
    "response_target",
    "business_hours",
    "escalation_delay",
    "notes",
)


@extend_schema_view(
    list=extend_schema(summary="List hand-offs", description="Passages between touchpoints that change hands."),
    retrieve=extend_schema(summary="Get a hand-off"),
    create=extend_schema(
        summary="Create a hand-off",
        description="From one touchpoint to another of the same map, owner to owner, with its own SLA.",
        examples=[
            OpenApiExample(
                "Sales to onboarding in 24 h",
                value={"from_touchpoint": 12, "to_touchpoint": 15, "response_target": "24:00:00"},
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a hand-off", examples=[OpenApiExample("New SLA", value={"response_target": "08:00:00"})]
    ),
    destroy=extend_schema(summary="Delete a hand-off and its cases"),
)
class HandoffViewSet(TeamScopedModelViewSet):
    """Hand-offs between touchpoints, each with its own SLA; cases passed along them are `handoff-cases`."""

    queryset = Handoff.objects.all()
    serializer_class = HandoffSerializer
    filterset_class = HandoffFilter
    search_fields = ["from_touchpoint__name", "to_touchpoint__name", "notes"]
    ordering_fields = ["created_at", "response_target", "id"]
    ordering = ["id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("journey_map")

    def team_id_from_data(self, validated_data):
        touchpoint = validated_data.get("from_touchpoint")
        return touchpoint.stage.journey_map.team_id if touchpoint is not None else None

    def create_object(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k in HANDOFF_FIELDS}
        serializer.instance = services.handoff_create(actor=self.request.user, **data)

    def update_object(self, serializer):
        data = {k: v for k, v in serializer.validated_data.items() if k in HANDOFF_FIELDS}
        serializer.instance = services.handoff_update(actor=self.request.user, handoff=serializer.instance, **data)

    def perform_destroy(self, instance):
        services.handoff_delete(actor=self.request.user, handoff=instance)


class HandoffCaseSerializer(serializers.ModelSerializer):
    handoff = ScopedPrimaryKeyRelatedField(
        queryset=Handoff.objects.select_related("journey_map__team"), help_text="The hand-off it passes along."
    )
    map = serializers.IntegerField(source="handoff.journey_map_id", read_only=True)
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = HandoffCase
        fields = [
            "id",
            "handoff",
            "map",
            "reference",
            "started_at",
            "due_at",
            "completed_at",
            "breached_at",
            "escalated_at",
            "is_open",
        ]
        read_only_fields = ["due_at", "completed_at", "breached_at", "escalated_at"]
        extra_kwargs = {"started_at": {"required": False, "help_text": "When the case was handed over (default: now)."}}

    def get_is_open(self, case) -> bool:
        return case.completed_at is None


class HandoffCaseFilter(FilterSet):
    team = filters.NumberFilter(field_name="handoff__journey_map__team", help_text="Team id.")
    map = filters.NumberFilter(field_name="handoff__journey_map", help_text="Map id.")
    open = filters.BooleanFilter(field_name="completed_at", lookup_expr="isnull", help_text="Not completed yet.")
    breached = filters.BooleanFilter(
        field_name="breached_at", lookup_expr="isnull", exclude=True, help_text="Missed the SLA."
    )
    owner = filters.NumberFilter(field_name="handoff__to_owner", help_text="User id of the receiving owner.")

    class Meta:
        model = HandoffCase
        fields = ["team", "map", "handoff", "open", "breached", "owner"]


@extend_schema_view(
    list=extend_schema(
        summary="List hand-off cases", description="Cases passed along hand-offs, with their SLA clock."
    ),
    retrieve=extend_schema(summary="Get a hand-off case"),
    create=extend_schema(
        summary="Pass a case along a hand-off",
        description="Opens the case; `due_at` is computed from the hand-off's SLA (working hours when it says so).",
        examples=[OpenApiExample("Order handed to the courier desk", value={"handoff": 4, "reference": "ORDER-1042"})],
    ),
)
class HandoffCaseViewSet(TeamScopedModelViewSet):
    """Cases passed along hand-offs; the SLA sweep marks the overdue ones breached."""

    queryset = HandoffCase.objects.all()
    serializer_class = HandoffCaseSerializer
    filterset_class = HandoffCaseFilter
    search_fields = ["reference"]
    ordering_fields = ["due_at", "started_at", "breached_at", "id"]
    ordering = ["due_at", "id"]
    http_method_names = ["get", "post", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("handoff")

    def team_id_from_data(self, validated_data):
        handoff = validated_data.get("handoff")
        return handoff.journey_map.team_id if handoff is not None else None

    def create_object(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.handoff_case_open(
            actor=self.request.user,
            handoff=data["handoff"],
            reference=data.get("reference", ""),
            started_at=data.get("started_at"),
        )

    @extend_schema(
        request=None,
        responses=HandoffCaseSerializer,
        summary="Mark a case picked up",
        description="Stops its SLA clock. Completing twice keeps the first time.",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        case = self.get_object()
        case = services.handoff_case_complete(actor=request.user, case=case)
        return Response(self.get_serializer(case).data, status=status.HTTP_200_OK)


class BreachSerializer(serializers.ModelSerializer):
    map = serializers.IntegerField(source="handoff.journey_map_id", read_only=True)
    map_title = serializers.CharField(source="handoff.journey_map.title", read_only=True)
    from_touchpoint = serializers.CharField(source="handoff.from_touchpoint.name", read_only=True)
    to_touchpoint = serializers.CharField(source="handoff.to_touchpoint.name", read_only=True)
    owner = serializers.SerializerMethodField()
    kind = serializers.SerializerMethodField(help_text="What breached: `handoff` (follow-ups are in `follow-ups`).")

    class Meta:
        model = HandoffCase
        fields = [
            "id",
            "kind",
            "handoff",
            "map",
            "map_title",
            "from_touchpoint",
            "to_touchpoint",
            "owner",
            "reference",
            "due_at",
            "breached_at",
            "escalated_at",
            "completed_at",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_owner(self, case) -> str | None:
        owner = case.handoff.to_owner
        return owner.get_username() if owner else None

    def get_kind(self, case) -> str:
        return "handoff"


class BreachFilter(HandoffCaseFilter):
    class Meta(HandoffCaseFilter.Meta):
        fields = ["team", "map", "handoff", "open", "owner"]


@extend_schema_view(
    list=extend_schema(
        summary="List SLA breaches",
        description="Hand-off cases that missed their SLA, newest first, recorded once by the SLA sweep.",
    ),
    retrieve=extend_schema(summary="Get an SLA breach"),
)
class BreachViewSet(TeamScopedReadOnlyViewSet):
    """SLA breaches found by the periodic sweep (read only)."""

    queryset = HandoffCase.objects.filter(breached_at__isnull=False)
    serializer_class = BreachSerializer
    filterset_class = BreachFilter
    search_fields = ["reference"]
    ordering_fields = ["breached_at", "due_at", "id"]
    ordering = ["-breached_at", "-id"]

    def scope_queryset(self, queryset):
        return queryset.select_related(
            "handoff__journey_map", "handoff__from_touchpoint", "handoff__to_touchpoint", "handoff__to_owner"
        )


# --- playbooks -----------------------------------------------------------------------------


class PlaybookSerializer(serializers.ModelSerializer):
    journey_map = ScopedPrimaryKeyRelatedField(queryset=JourneyMap.objects.all(), help_text="The map it belongs to.")
    stage = ScopedPrimaryKeyRelatedField(
        queryset=Stage.objects.all(), required=False, allow_null=True, help_text="Optional: a stage of the map."
    )
    touchpoint = ScopedPrimaryKeyRelatedField(
        queryset=Touchpoint.objects.select_related("stage"),
        required=False,
        allow_null=True,
        help_text="Optional: a touchpoint of the map (not with `stage`).",
    )
    owner = MemberField(required=False, allow_null=True, help_text="Who keeps the playbook: a team member.")
    steps_html = serializers.SerializerMethodField(help_text="The steps rendered from Markdown, sanitised.")

    class Meta:
        model = Playbook
        fields = [
            "id",
            "journey_map",
            "stage",
            "touchpoint",
            "name",
            "trigger",
            "steps",
            "steps_html",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"steps": {"help_text": "Markdown."}, "trigger": {"help_text": "When this branch starts."}}

    def get_steps_html(self, playbook) -> str:
        return str(selectors.render_markdown(playbook.steps))


class PlaybookFilter(FilterSet):
    team = filters.NumberFilter(field_name="journey_map__team", help_text="Team id.")
    map = filters.NumberFilter(field_name="journey_map", help_text="Map id.")

    class Meta:
        model = Playbook
        fields = ["team", "map", "stage", "touchpoint", "owner"]


PLAYBOOK_FIELDS = ("name", "trigger", "steps", "owner", "stage", "touchpoint")


@extend_schema_view(
    list=extend_schema(summary="List playbooks", description="Documented branches of the journey."),
    retrieve=extend_schema(summary="Get a playbook"),
    create=extend_schema(
        summary="Create a playbook",
        examples=[
            OpenApiExample(
                "First order late",
                value={
                    "journey_map": 1,
                    "name": "First order late",
                    "trigger": "Delivery promise missed",
                    "steps": "1. Apologise within 2 h\n2. Offer free returns",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a playbook", examples=[OpenApiExample("Rename", value={"name": "First order late (EU)"})]
    ),
    destroy=extend_schema(summary="Delete a playbook"),
)
class PlaybookViewSet(TeamScopedModelViewSet):
    """Playbooks: a named branch (trigger, Markdown steps, owner) on a map, stage or touchpoint."""

    queryset = Playbook.objects.all()
    serializer_class = PlaybookSerializer
    filterset_class = PlaybookFilter
    search_fields = ["name", "trigger", "steps"]
    ordering_fields = ["name", "created_at", "updated_at", "id"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("journey_map")

    def team_id_from_data(self, validated_data):
        journey_map = validated_data.get("journey_map")
        return journey_map.team_id if journey_map is not None else None

    def create_object(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.playbook_create(
            actor=self.request.user,
            journey_map=data["journey_map"],
            **{k: v for k, v in data.items() if k in PLAYBOOK_FIELDS},
        )

    def update_object(self, serializer):
        data = serializer.validated_data
        if "journey_map" in data and data["journey_map"] != serializer.instance.journey_map:
            raise serializers.ValidationError({"journey_map": gettext("A playbook cannot move to another map.")})
        serializer.instance = services.playbook_update(
            actor=self.request.user,
            playbook=serializer.instance,
            **{k: v for k, v in data.items() if k in PLAYBOOK_FIELDS},
        )

    def perform_destroy(self, instance):
        services.playbook_delete(actor=self.request.user, playbook=instance)


routes = [
    ("ownerships", OwnershipViewSet, "ownership"),
    ("slas", SLAViewSet, "sla"),
    ("handoffs", HandoffViewSet, "handoff"),
    ("handoff-cases", HandoffCaseViewSet, "handoff-case"),
    ("sla-breaches", BreachViewSet, "sla-breach"),
    ("playbooks", PlaybookViewSet, "playbook"),
]

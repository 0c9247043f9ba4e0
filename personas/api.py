"""REST API of personas and scenarios (`/api/v1/personas/`, `/api/v1/scenarios/`)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from teams.api_base import ScopedPrimaryKeyRelatedField, TeamField, TeamScopedModelViewSet
from teams.api_errors import conflict

from . import rules, selectors, services
from .filters import PersonaFilter, ScenarioFilter
from .models import Persona, Scenario

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The revision the change is based on, as returned in the ETag (e.g. `"3"`). '
    "A change based on an older revision is refused with 409 Conflict.",
)
CONFLICT = OpenApiResponse(description="Someone changed the row since the given revision; nothing was saved.")
IN_USE = OpenApiResponse(description="Journey maps are drawn for it; the error names them. Nothing was deleted.")


class ScenarioBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scenario
        fields = ["id", "name"]


class TraitConditionSerializer(serializers.Serializer):
    """One condition on a customer's traits (all of a persona's conditions must hold)."""

    trait = serializers.CharField(
        max_length=rules.MAX_TRAIT_LENGTH,
        help_text="The trait's key as sent in identify calls, e.g. `plan`; `address.city` reads a nested trait.",
    )
    op = serializers.ChoiceField(
        choices=list(rules.OPERATORS),
        help_text="`eq` equals, `neq` does not equal, `in` is one of, `not_in` is none of, `contains` (text or "
        "list), `exists` is set, `gt` greater than, `lt` less than. Every operator but `exists` needs the trait.",
    )
    value = serializers.JSONField(
        required=False,
        help_text="A text, number or boolean; a list for `in` / `not_in`; a number for `gt` / `lt`; none for "
        '`exists`. Text compares without case, and 50 equals "50".',
    )


class PersonaSerializer(serializers.ModelSerializer):
    team = TeamField(help_text="The team the persona belongs to (set on create; it cannot move).")
    photo = serializers.ImageField(
        required=False,
        allow_null=True,
        help_text="JPEG, PNG or WebP, at most 2 MB (multipart upload). Send null to remove the photo.",
    )
    initials = serializers.CharField(read_only=True, help_text="Initials shown on the avatar when there is no photo.")
    scenario_count = serializers.IntegerField(read_only=True, help_text="How many scenarios the persona has.")
    map_count = serializers.IntegerField(read_only=True, help_text="How many journey maps are drawn for it.")
    scenarios = ScenarioBriefSerializer(many=True, read_only=True, help_text="The persona's scenarios.")
    trait_rules = TraitConditionSerializer(
        many=True,
        required=False,
        max_length=rules.MAX_CONDITIONS,
        help_text="Customer profiles whose traits meet every condition are assigned this persona; an empty list "
        "assigns nobody. A change reassigns the team's profiles in the background.",
    )

    class Meta:
        model = Persona
        fields = [
            "id",
            "team",
            "name",
            "summary",
            "role",
            "market",
            "avatar_color",
            "initials",
            "photo",
            "jobs_to_be_done",
            "goals",
            "obstacles",
            "success_markers",
            "typical_deviations",
            "quotes",
            "trait_rules",
            "priority",
            "archived",
            "revision",
            "scenario_count",
            "map_count",
            "scenarios",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["archived", "revision", "created_at", "updated_at"]
        extra_kwargs = {
            "revision": {"help_text": "Raised by every change; send it back in If-Match to refuse stale writes."},
            "archived": {"help_text": "Archived personas are hidden in the UI; use the archive/restore actions."},
            "priority": {"help_text": "When a profile meets the rules of several personas, the lowest number wins."},
        }

    def validate(self, attrs):
        # Model-level checks (photo size, colour format, uniqueness, the rules' values) run in the service.
        if "trait_rules" in attrs:
            attrs["trait_rules"] = [dict(condition) for condition in attrs["trait_rules"]]
        return attrs


SHOPPER_EXAMPLE = OpenApiExample(
    "Online shopper",
    request_only=True,
    value={
        "team": 1,
        "name": "Careful online shopper",
        "summary": "Buys home goods online after comparing delivery times and return terms.",
        "role": "Urban professional, 30–45",
        "market": "b2c",
        "avatar_color": "#0f766e",
        "goals": "Get the order by the weekend\nReturn it easily if it does not fit",
        "obstacles": "Delivery date shown only at checkout\nReturns policy hard to find",
        "quotes": "I won't pay until I know when it arrives.",
        "trait_rules": [{"trait": "product", "op": "eq", "value": "furniture"}],
        "priority": 10,
    },
)
RULES_EXAMPLE = OpenApiExample(
    "Trait rules",
    request_only=True,
    value={
        "trait_rules": [
            {"trait": "plan", "op": "in", "value": ["team", "business"]},
            {"trait": "seats", "op": "gt", "value": 10},
            {"trait": "company", "op": "exists"},
        ],
        "priority": 20,
    },
)
SCENARIO_EXAMPLE = OpenApiExample(
    "First order",
    request_only=True,
    value={
        "persona": 1,
        "name": "First order on mobile",
        "kind": "first_time",
        "trigger": "Sees a sofa in an Instagram ad",
        "goal": "Order it with delivery before the weekend",
        "expected_outcome": "Pays with confidence and knows the return terms",
        "success_markers": "Completes checkout\nDoes not contact support about delivery",
    },
)


def _revision_from(request) -> int | None:
    """Return the revision named by ``If-Match`` (or ``revision`` in the body), or None."""
    raw = request.headers.get("If-Match") or request.data.get("revision")
    if raw in (None, "", "*"):
        return None
    try:
        return int(str(raw).removeprefix("W/").strip('"'))
    except ValueError as exc:
        raise ValidationError({"revision": _('If-Match must be a revision number, e.g. "3".')}) from exc


class RevisionedMixin:
    """ETag on reads, If-Match on writes, 409 when a write is based on an older revision."""

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = f'"{response.data["revision"]}"'
        return response

    def update(self, request, *args, **kwargs):
        try:
            response = super().update(request, *args, **kwargs)
        except services.StaleRevision as exc:
            return conflict(
                _("%(object)s was changed by someone else; read it again and reapply your change.")
                % {"object": exc.current},
                revision=exc.current.revision,
            )
        response["ETag"] = f'"{response.data["revision"]}"'
        return response


@extend_schema_view(
    list=extend_schema(
        summary="List personas",
        description="Personas of your teams, with their scenarios and how many maps are drawn for them. "
        "Filter by `team`, `archived`, `market` and `search`; order by `name`, `created_at`, `updated_at`.",
    ),
    retrieve=extend_schema(summary="Get a persona", description="The `ETag` header carries its revision."),
    create=extend_schema(
        summary="Create a persona",
        description="Editors of the team create personas. Names are unique in a team (case-insensitive).",
        examples=[SHOPPER_EXAMPLE],
    ),
    update=extend_schema(
        summary="Replace a persona",
        parameters=[IF_MATCH],
        responses={200: PersonaSerializer, 409: CONFLICT},
        examples=[SHOPPER_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary="Change some fields of a persona",
        description="Send only the fields to change; with `If-Match` the change is refused (409) when the "
        "persona changed since that revision.",
        parameters=[IF_MATCH],
        responses={200: PersonaSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "New obstacle", request_only=True, value={"obstacles": "Returns cost €5\nNo courier choice"}
            ),
            RULES_EXAMPLE,
        ],
    ),
    destroy=extend_schema(
        summary="Delete a persona",
        description="Deletes the persona and its scenarios. Refused (400, naming the maps) while journey maps "
        "are drawn for it or for one of its scenarios: archive it instead.",
        responses={204: None, 400: IN_USE},
    ),
)
class PersonaViewSet(RevisionedMixin, TeamScopedModelViewSet):
    """Personas: customer archetypes with jobs to be done, goals, obstacles and success markers."""

    queryset = Persona.objects.all()
    serializer_class = PersonaSerializer
    filterset_class = PersonaFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["name"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return selectors.persona_list(user=self.request.user).prefetch_related("scenarios")

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        team = data.pop("team")
        persona = services.persona_create(team=team, actor=self.request.user, **data)
        serializer.instance = self._reload(persona)

    def update_object(self, serializer):
        data = dict(serializer.validated_data)
        team = data.pop("team", None)
        persona = serializer.instance
        if team is not None and team.pk != persona.team_id:
            raise ValidationError({"team": _("A persona cannot move to another team.")})
        services.persona_update(persona=persona, actor=self.request.user, revision=_revision_from(self.request), **data)
        serializer.instance = self._reload(persona)

    def perform_destroy(self, instance):
        services.persona_delete(persona=instance, actor=self.request.user)

    def _reload(self, persona: Persona) -> Persona:
        return self.get_queryset().get(pk=persona.pk)

    @extend_schema(
        summary="Archive a persona",
        description="Hide the persona from lists and pickers; maps drawn for it keep it. Idempotent.",
        request=None,
        responses=PersonaSerializer,
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        persona = self.get_object()
        services.persona_archive(persona=persona, actor=request.user)
        return Response(self.get_serializer(self._reload(persona)).data, status=status.HTTP_200_OK)

    @extend_schema(
        summary="Restore an archived persona", description="Idempotent.", request=None, responses=PersonaSerializer
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        persona = self.get_object()
        services.persona_restore(persona=persona, actor=request.user)
        return Response(self.get_serializer(self._reload(persona)).data, status=status.HTTP_200_OK)


class ScenarioSerializer(serializers.ModelSerializer):
    persona = ScopedPrimaryKeyRelatedField(
        queryset=Persona.objects.all(), help_text="The persona in this situation (set on create; it cannot move)."
    )
    team = serializers.IntegerField(source="persona.team_id", read_only=True, help_text="The persona's team.")
    persona_name = serializers.CharField(source="persona.name", read_only=True)
    map_count = serializers.IntegerField(read_only=True, help_text="How many journey maps are drawn for it.")

    class Meta:
        model = Scenario
        fields = [
            "id",
            "team",
            "persona",
            "persona_name",
            "name",
            "kind",
            "trigger",
            "goal",
            "expected_outcome",
            "success_markers",
            "revision",
            "map_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["revision", "created_at", "updated_at"]
        extra_kwargs = {"revision": {"help_text": "Raised by every change; send it back in If-Match."}}

    def validate(self, attrs):
        return attrs


@extend_schema_view(
    list=extend_schema(
        summary="List scenarios",
        description="Scenarios of your teams' personas. Filter by `team`, `persona`, `archived` (the persona's), "
        "`kind` and `search`; order by `name`, `created_at`.",
    ),
    retrieve=extend_schema(summary="Get a scenario", description="The `ETag` header carries its revision."),
    create=extend_schema(
        summary="Add a scenario to a persona",
        description="Names are unique for a persona (case-insensitive).",
        examples=[SCENARIO_EXAMPLE],
    ),
    update=extend_schema(
        summary="Replace a scenario",
        parameters=[IF_MATCH],
        responses={200: ScenarioSerializer, 409: CONFLICT},
        examples=[SCENARIO_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary="Change some fields of a scenario",
        parameters=[IF_MATCH],
        responses={200: ScenarioSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Sharper goal", request_only=True, value={"goal": "Know the delivery date up front"})],
    ),
    destroy=extend_schema(
        summary="Delete a scenario",
        description="Refused (400, naming the maps) while journey maps are drawn for it.",
        responses={204: None, 400: IN_USE},
    ),
)
class ScenarioViewSet(RevisionedMixin, TeamScopedModelViewSet):
    """Scenarios: the situations a persona is in (first-time user, switching from a competitor …)."""

    queryset = Scenario.objects.all()
    serializer_class = ScenarioSerializer
    filterset_class = ScenarioFilter
    ordering_fields = ["name", "created_at", "updated_at"]
    ordering = ["persona__name", "name"]
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def scope_queryset(self, queryset):
        return selectors.scenario_list(user=self.request.user)

    def team_id_from_data(self, validated_data: dict) -> int | None:
        persona = validated_data.get("persona")
        return persona.team_id if persona is not None else None

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        persona = data.pop("persona")
        scenario = services.scenario_create(persona=persona, actor=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=scenario.pk)

    def update_object(self, serializer):
        data = dict(serializer.validated_data)
        persona = data.pop("persona", None)
        scenario = serializer.instance
        if persona is not None and persona.pk != scenario.persona_id:
            raise ValidationError({"persona": _("A scenario cannot move to another persona.")})
        services.scenario_update(
            scenario=scenario, actor=self.request.user, revision=_revision_from(self.request), **data
        )
        serializer.instance = self.get_queryset().get(pk=scenario.pk)

    def perform_destroy(self, instance):
        services.scenario_delete(scenario=instance, actor=self.request.user)


routes = [
    ("personas", PersonaViewSet, "persona"),
    ("scenarios", ScenarioViewSet, "scenario"),
]

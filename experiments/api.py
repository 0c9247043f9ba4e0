"""REST API of the experiment log: `/api/v1/metrics/`, `/api/v1/observations/`, `/api/v1/experiments/`."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from analytics.models import Cohort
from feedback.models import Survey
from journeys.models import JourneyMap, MapVersion, PainPoint, Stage, Touchpoint
from teams.access import require_role
from teams.api_base import ScopedPrimaryKeyRelatedField, TeamField, TeamScopedModelViewSet
from teams.fields import MemberField, require_member
from teams.models import Role

from . import selectors, services
from .filters import ExperimentFilter, MetricFilter, ObservationFilter
from .models import Deviation, Experiment, Metric, Observation

_REVISION_ETAG = re.compile(r'^(?:W/)?"?([0-9]{1,9})"?$')


def if_match_revision(request) -> int | None:
    """Return the revision in ``If-Match`` (``"7"``, as the ETag, or bare 7); None without one."""
    raw = (request.headers.get("If-Match") or "").strip()
    if not raw or raw == "*":
        return None
    match = _REVISION_ETAG.match(raw)
    if match is None:
        raise ValidationError({"If-Match": gettext('Send the experiment\'s ETag, its revision in quotes, e.g. "7".')})
    return int(match.group(1))


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("Someone else changed this since you read it.")
    default_code = "conflict"


def _scoped(model, **kwargs):
    return ScopedPrimaryKeyRelatedField(queryset=model.objects.all(), required=False, allow_null=True, **kwargs)


# --- Metrics ------------------------------------------------------------------------------------


class MetricSerializer(serializers.ModelSerializer):
    team = TeamField(help_text="The team the metric belongs to (id); fixed once created.")
    journey_map = _scoped(JourneyMap, help_text="The map the metric lives on (id).")
    stage = _scoped(Stage, help_text="The stage the metric lives on (id); implies its map.")
    touchpoint = _scoped(Touchpoint, help_text="The touchpoint the metric lives on (id); implies its stage.")
    survey = _scoped(Survey, help_text="NPS metrics only: the survey whose answers give the score (id).")

    class Meta:
        model = Metric
        fields = [
            "id",
            "team",
            "name",
            "key",
            "kind",
            "unit",
            "better",
            "description",
            "journey_map",
            "stage",
            "touchpoint",
            "survey",
            "behaviour",
            "event_name",
            "window_days",
            "segment_trait",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        # Uniqueness per team is checked by the service, which names the field.
        validators = []


METRIC_EXAMPLE = OpenApiExample(
    "Activation rate",
    value={"team": 1, "name": "Activation rate", "key": "activation", "kind": "proportion", "unit": "%"},
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List metrics", description="Metrics of your teams; filter by kind and journey place."),
    retrieve=extend_schema(summary="Get a metric"),
    create=extend_schema(summary="Create a metric", examples=[METRIC_EXAMPLE]),
    partial_update=extend_schema(summary="Change a metric", examples=[METRIC_EXAMPLE]),
    update=extend_schema(summary="Replace a metric", examples=[METRIC_EXAMPLE]),
    destroy=extend_schema(summary="Delete a metric", description="Refused (400) while an experiment measures it."),
)
class MetricViewSet(TeamScopedModelViewSet):
    """What the team measures on the journey: rates, means, counts and NPS."""

    queryset = Metric.objects.all()
    serializer_class = MetricSerializer
    filterset_class = MetricFilter
    search_fields = ["name", "key"]
    ordering_fields = ["name", "key", "created_at"]
    ordering = ["name"]

    def scope_queryset(self, queryset):
        return queryset.select_related("team")

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        team = data.pop("team")
        serializer.instance = services.metric_create(team=team, actor=self.request.user, **data)

    def update_object(self, serializer):
        data = dict(serializer.validated_data)
        if "team" in data and data.pop("team").pk != serializer.instance.team_id:
            raise ValidationError({"team": gettext("A metric cannot move to another team.")})
        serializer.instance = services.metric_update(metric=serializer.instance, actor=self.request.user, **data)

    def perform_destroy(self, instance):
        services.metric_delete(metric=instance, actor=self.request.user)


# --- Observations -------------------------------------------------------------------------------


class ObservationSerializer(serializers.ModelSerializer):
    metric = ScopedPrimaryKeyRelatedField(queryset=Metric.objects.all(), help_text="The metric measured (id).")
    value = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="The measured value. Computed from successes/sample_size (proportions) or "
        "promoters/detractors (NPS) when those are given.",
    )

    class Meta:
        model = Observation
        fields = [
            "id",
            "metric",
            "period_start",
            "period_end",
            "segment",
            "value",
            "sample_size",
            "successes",
            "mean",
            "sd",
            "promoters",
            "detractors",
            "source",
            "updated_at",
        ]
        read_only_fields = ["source", "updated_at"]
        validators = []  # the service replaces an observation of the same period and segment


BULK_MAX_ROWS = 5000


class ObservationBulkSerializer(serializers.Serializer):
    observations = ObservationSerializer(
        many=True, help_text="1 to 5 000 observations, of one team's metrics.", max_length=BULK_MAX_ROWS
    )


OBSERVATION_EXAMPLE = {
    "metric": 1,
    "period_start": "2025-03-03",
    "period_end": "2025-03-09",
    "segment": "treatment",
    "sample_size": 1200,
    "successes": 444,
}

BULK_RESULT = inline_serializer(
    "ObservationBulkResult",
    {
        "created": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "observations": ObservationSerializer(many=True),
    },
)


@extend_schema_view(
    list=extend_schema(
        summary="List observations", description="Measured values, filterable by metric, segment and period."
    ),
    retrieve=extend_schema(summary="Get an observation"),
    create=extend_schema(
        summary="Store an observation",
        description="Idempotent per metric, period and segment: sending the same period again replaces the "
        "stored observation (200) instead of adding one (201).",
        examples=[OpenApiExample("Treatment week", value=OBSERVATION_EXAMPLE, request_only=True)],
        responses={201: ObservationSerializer, 200: ObservationSerializer},
    ),
    partial_update=extend_schema(
        summary="Change an observation",
        description="The value is recomputed from the counts for the metric's kind; successes cannot exceed the "
        "sample size.",
        examples=[OpenApiExample("Corrected count", value={"sample_size": 1210, "successes": 450}, request_only=True)],
    ),
    update=extend_schema(
        summary="Replace an observation",
        description="Every field at once; the metric cannot change.",
        examples=[OpenApiExample("Treatment week", value=OBSERVATION_EXAMPLE, request_only=True)],
    ),
    destroy=extend_schema(summary="Delete an observation"),
)
class ObservationViewSet(TeamScopedModelViewSet):
    """Measured values of metrics for a period and a segment, pushed by integrations."""

    queryset = Observation.objects.all()
    serializer_class = ObservationSerializer
    filterset_class = ObservationFilter
    ordering_fields = ["period_start", "period_end", "updated_at", "segment"]
    ordering = ["metric", "period_start", "segment"]

    def scope_queryset(self, queryset):
        return queryset.select_related("metric")

    def team_id_from_data(self, validated_data):
        metric = validated_data.get("metric")
        return metric.team_id if metric is not None else None

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_write_team(serializer)
        data = dict(serializer.validated_data)
        obs, created = services.observation_upsert(
            metric=data.pop("metric"), actor=self.request.user, source=Observation.Source.API, **data
        )
        body = ObservationSerializer(obs, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def update_object(self, serializer):
        instance = serializer.instance
        data = {
            f: getattr(instance, f) for f in ("period_start", "period_end", "segment", *services.OBSERVATION_FIELDS)
        }
        data.update(serializer.validated_data)
        metric = data.pop("metric", instance.metric)
        if metric.pk != instance.metric_id:
            raise ValidationError({"metric": gettext("An observation cannot move to another metric.")})
        if not {"successes", "promoters", "detractors", "mean"} & set(serializer.validated_data):
            data["value"] = serializer.validated_data.get("value", instance.value)
        key = (data["period_start"], data["period_end"], data["segment"])
        if key != (instance.period_start, instance.period_end, instance.segment) and (
            Observation.objects.filter(metric=metric, period_start=key[0], period_end=key[1], segment=key[2]).exists()
        ):
            raise ValidationError(
                {"period_start": gettext("Another observation already covers this period and segment.")}
            )
        clean = services.observation_clean(metric, data)
        for field, value in clean.items():
            setattr(instance, field, value)
        instance.source = Observation.Source.API
        instance.save()

    def perform_destroy(self, instance):
        services.observation_delete(observation=instance, actor=self.request.user)

    @extend_schema(
        summary="Store observations in bulk",
        description="All or nothing. Idempotent per metric, period and segment: pushing the same periods again "
        "replaces them, never duplicates. A 400's `errors.observations` has one object per row sent, in order "
        "(`{}` for a good row, `{field: [messages]}` for a bad one); a problem with the request as a whole (no "
        "list, no rows, more than 5 000) is in `errors.non_field_errors`.",
        request=ObservationBulkSerializer,
        responses={200: BULK_RESULT},
        examples=[
            OpenApiExample(
                "Two segments of one week",
                value={
                    "observations": [
                        OBSERVATION_EXAMPLE,
                        {**OBSERVATION_EXAMPLE, "segment": "control", "successes": 401},
                    ]
                },
                request_only=True,
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        # One error shape: what is wrong with a row is in errors.observations[<its index>], what is
        # wrong with the request as a whole in errors.non_field_errors.
        raw = request.data.get("observations") if isinstance(request.data, dict) else None
        if not isinstance(raw, list) or not 1 <= len(raw) <= BULK_MAX_ROWS:
            raise exceptions.ValidationError(
                {"non_field_errors": [gettext("Send observations: a list of 1 to 5 000 rows.")]}
            )
        serializer = ObservationBulkSerializer(data=request.data, context=self.get_serializer_context())
        if not serializer.is_valid():
            # DRF keys a list's errors by the index of each bad row; give every row its place.
            found = serializer.errors.get("observations", {})
            by_index = dict(enumerate(found)) if isinstance(found, list) else found
            rows = [by_index.get(str(i), by_index.get(i, {})) for i in range(len(raw))]
            raise exceptions.ValidationError({"observations": rows})
        rows = [dict(row) for row in serializer.validated_data["observations"]]
        team_id = rows[0]["metric"].team_id
        require_role(request.user, team_id, Role.EDITOR)
        try:
            outcome = services.observations_bulk_upsert(
                rows=rows, actor=self.request.user, source=Observation.Source.API, team_id=team_id
            )
        except services.ObservationRowsInvalid as exc:
            raise exceptions.ValidationError({"observations": exc.rows}) from None
        context = self.get_serializer_context()
        return Response(
            {
                "created": outcome["created"],
                "updated": outcome["updated"],
                "observations": ObservationSerializer(outcome["observations"], many=True, context=context).data,
            }
        )


# --- Experiments --------------------------------------------------------------------------------


class DeviationSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = Deviation
        fields = ["field", "old_value", "new_value", "reason", "user", "created_at"]
        read_only_fields = fields


class TagListField(serializers.ListField):
    def to_representation(self, data):
        return sorted(tag.name for tag in data.all())


class ExperimentSerializer(serializers.ModelSerializer):
    team = TeamField(help_text="The team the experiment belongs to (id); fixed once created.")
    primary_metric = _scoped(Metric, help_text="The metric the hypothesis says will move (id).")
    guardrail_metrics = ScopedPrimaryKeyRelatedField(
        queryset=Metric.objects.all(), many=True, required=False, help_text="Metrics that must not get worse (ids)."
    )
    population = _scoped(
        Cohort, help_text="A cohort (id): metrics computed from events count only its profiles; null: everyone."
    )
    journey_map = _scoped(JourneyMap, help_text="The map the change acts on (id).")
    stage = _scoped(Stage, help_text="The stage the change acts on (id); implies its map.")
    touchpoint = _scoped(Touchpoint, help_text="The touchpoint the change acts on (id); implies its stage.")
    pain_point = _scoped(PainPoint, help_text="The pain point the change addresses (id); implies its touchpoint.")
    owner = MemberField(
        required=False,
        allow_null=True,
        help_text="The accountable team member (user id); defaults to you. Not a member of the team: 400.",
    )
    owner_name = serializers.SerializerMethodField()
    tags = TagListField(
        child=serializers.CharField(max_length=40), required=False, help_text='Tag names, e.g. ["onboarding"].'
    )
    hypothesis = serializers.CharField(read_only=True, help_text="The hypothesis as one sentence.")
    deviations = DeviationSerializer(many=True, read_only=True)
    deviation_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Why a frozen field changes after the start; recorded as a visible deviation.",
    )
    map_version = serializers.SerializerMethodField(help_text="Number of the map version that carried the change.")
    # Declared, not generated: DRF drops allow_blank from read-only model fields, and the schema
    # must admit the blank outcome/decision of an experiment not concluded yet.
    outcome = serializers.ChoiceField(choices=Experiment.Outcome.choices, allow_blank=True, read_only=True)
    decision = serializers.ChoiceField(choices=Experiment.Decision.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Experiment
        fields = [
            "id",
            "team",
            "title",
            "hypothesis",
            "change",
            "primary_metric",
            "expected_direction",
            "expected_effect",
            "expected_effect_unit",
            "rationale",
            "guardrail_metrics",
            "population",
            "design",
            "significance_level",
            "control_segment",
            "treatment_segment",
            "planned_split",
            "baseline_start",
            "baseline_end",
            "test_start",
            "test_end",
            "journey_map",
            "stage",
            "touchpoint",
            "pain_point",
            "owner",
            "owner_name",
            "tags",
            "status",
            "result",
            "outcome",
            "decision",
            "learning",
            "map_version",
            "deviations",
            "deviation_reason",
            "revision",
            "created_at",
            "updated_at",
            "started_at",
            "concluded_at",
        ]
        read_only_fields = [
            "result",
            "outcome",
            "decision",
            "learning",
            "revision",
            "created_at",
            "updated_at",
            "started_at",
            "concluded_at",
        ]
        extra_kwargs = {
            "status": {"help_text": "idea or planned on create; change it with the transition action."},
        }

    def validate(self, attrs):
        team = attrs.get("team") or getattr(self.instance, "team", None)
        if team is not None:
            require_member(attrs.get("owner"), team.pk, "owner", gettext("The owner must be a member of the team."))
        return attrs

    def get_map_version(self, obj) -> int | None:
        return obj.map_version.number if obj.map_version_id else None

    def get_owner_name(self, obj) -> str | None:
        if obj.owner is None:
            return None
        return obj.owner.get_full_name() or obj.owner.username


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Experiment.Status.choices,
        help_text="The next status: planned, running, analysing, archived (or back to idea / running); "
        "concluded only through the conclude action.",
    )


class ConcludeInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Experiment.Decision.choices, help_text="Ship, iterate or revert.")
    learning = serializers.CharField(help_text="What the team learned, for whoever asks “why is it like this?”.")
    map_version = ScopedPrimaryKeyRelatedField(
        queryset=MapVersion.objects.all(),
        required=False,
        allow_null=True,
        help_text="The published map version that carried the change (id).",
    )
    outcome = serializers.ChoiceField(
        choices=Experiment.Outcome.choices,
        required=False,
        allow_blank=True,
        help_text="Overrides the outcome computed from the primary metric.",
    )


class ConcludeOutputSerializer(serializers.ModelSerializer):
    result = serializers.JSONField(help_text="Per metric: the test, change, CI, p-value; SRM and ITS where they apply.")
    outcome = serializers.ChoiceField(choices=Experiment.Outcome.choices, allow_blank=True, read_only=True)
    decision = serializers.ChoiceField(choices=Experiment.Decision.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Experiment
        fields = ["id", "status", "outcome", "decision", "learning", "map_version", "result", "concluded_at"]
        read_only_fields = fields


CREATE_EXAMPLE = OpenApiExample(
    "Shorter onboarding",
    value={
        "team": 1,
        "title": "Three-step onboarding",
        "change": "Cut onboarding from 4 steps to 3",
        "primary_metric": 1,
        "expected_direction": "increase",
        "expected_effect": 8,
        "expected_effect_unit": "relative",
        "rationale": "step 3 is where most people stop",
        "design": "ab",
        "test_start": "2025-03-03",
        "test_end": "2025-03-30",
        "tags": ["onboarding"],
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List experiments",
        description="The experiment log of your teams: filter by map, stage, metric, status, tag, outcome, owner.",
    ),
    retrieve=extend_schema(summary="Get an experiment", description="With its stored result and deviations."),
    create=extend_schema(summary="Log a hypothesis", examples=[CREATE_EXAMPLE]),
    partial_update=extend_schema(
        summary="Change an experiment",
        description="From running on, the pre-registration is frozen: changing it answers 400 naming the field "
        "unless `deviation_reason` is given, which records a visible deviation. Send the `ETag` of your read "
        'back as `If-Match` (`"<revision>"`, e.g. `"7"`) to refuse the write (409) when someone changed the '
        "experiment since you read it; an If-Match that is not a revision is a 400.",
        examples=[
            OpenApiExample(
                "Recorded deviation",
                value={"test_end": "2025-04-06", "deviation_reason": "Easter traffic dip: one more week"},
                request_only=True,
            )
        ],
    ),
    update=extend_schema(summary="Replace an experiment", examples=[CREATE_EXAMPLE]),
)
class ExperimentViewSet(TeamScopedModelViewSet):
    """Hypotheses tied to the journey and to the metric change they measured."""

    queryset = Experiment.objects.all()
    serializer_class = ExperimentSerializer
    filterset_class = ExperimentFilter
    search_fields = ["title", "change", "rationale", "learning"]
    ordering_fields = ["created_at", "updated_at", "started_at", "concluded_at", "title", "status"]
    ordering = ["-created_at"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("owner", "map_version", "primary_metric").prefetch_related(
            "tags", "guardrail_metrics", "deviations__user"
        )

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("deviation_reason", None)
        team = data.pop("team")
        serializer.instance = services.experiment_create(team=team, actor=self.request.user, **data)

    def update_object(self, serializer):
        data = dict(serializer.validated_data)
        reason = data.pop("deviation_reason", "")
        data.pop("status", None)
        if "team" in data and data.pop("team").pk != serializer.instance.team_id:
            raise ValidationError({"team": gettext("An experiment cannot move to another team.")})
        try:
            serializer.instance = services.experiment_update(
                experiment=serializer.instance,
                actor=self.request.user,
                deviation_reason=reason,
                expected_revision=if_match_revision(self.request),
                **data,
            )
        except ValidationError as exc:
            if getattr(exc, "error_dict", None) and "revision" in exc.error_dict:
                raise Conflict(exc.error_dict["revision"][0].messages[0]) from exc
            raise
        self._refetch(serializer)

    def _refetch(self, serializer):
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def finalize_response(self, request, response, *args, **kwargs):
        # The experiment's ETag is its revision, the value If-Match sends back.
        if 200 <= response.status_code < 300 and isinstance(response.data, dict) and "revision" in response.data:
            response["ETag"] = f'"{response.data["revision"]}"'
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        summary="Move an experiment to its next status",
        description="idea → planned → running → analysing; archived from any; back from analysing to running. "
        "Starting to run needs the primary metric, expected effect and windows, and freezes them.",
        request=TransitionSerializer,
        responses={200: ExperimentSerializer},
        examples=[OpenApiExample("Start", value={"status": "running"}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        experiment = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        experiment = services.experiment_transition(
            experiment=experiment, actor=request.user, to=serializer.validated_data["status"]
        )
        fresh = self.get_queryset().get(pk=experiment.pk)
        return Response(ExperimentSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Conclude an experiment",
        description="Computes the observed change of the primary and guardrail metrics with the test the metric "
        "kind calls for (two-proportion z, Welch's t, NPS difference), the CI, p-value, SRM check (A/B) or the "
        "observational label and interrupted-time-series fit (before/after), and records decision and learning. "
        "A proportion's rates are in percent and its change, interval and expected change in percentage points; "
        "each metric's `units` says so. Without data for the primary metric (no observations, or a sample of 0, "
        "on either side) the answer is a 400 naming `observations` with the reason. Emits `experiment.concluded`.",
        request=ConcludeInputSerializer,
        responses={200: ConcludeOutputSerializer},
        examples=[
            OpenApiExample(
                "Ship it",
                value={"decision": "ship", "learning": "Three steps are enough; step 3 was redundant."},
                request_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        experiment = self.get_object()
        serializer = ConcludeInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        experiment = services.experiment_conclude(
            experiment=experiment,
            actor=request.user,
            decision=data["decision"],
            learning=data["learning"],
            map_version=data.get("map_version"),
            outcome=data.get("outcome") or None,
        )
        return Response(ConcludeOutputSerializer(experiment).data)

    @extend_schema(
        summary="Preview an experiment's result",
        description="The result as it would be computed now from the observations, without concluding.",
        responses={
            200: inline_serializer(
                "ExperimentAnalysis",
                {
                    "design": serializers.CharField(),
                    "observational": serializers.BooleanField(),
                    "significance_level": serializers.FloatField(),
                    "metrics": serializers.ListField(child=serializers.DictField()),
                    "srm": serializers.DictField(allow_null=True),
                    "outcome": serializers.CharField(allow_null=True),
                    "outcome_reason": serializers.CharField(),
                    "no_data": serializers.CharField(
                        allow_blank=True,
                        help_text="Why the primary metric has no data to decide on (concluding is refused); "
                        "empty when it has.",
                    ),
                },
            )
        },
    )
    @action(detail=True, methods=["get"])
    def analysis(self, request, pk=None):
        return Response(selectors.experiment_analysis(self.get_object()))


routes = [
    ("metrics", MetricViewSet, "metric"),
    ("observations", ObservationViewSet, "observation"),
    ("experiments", ExperimentViewSet, "experiment"),
]

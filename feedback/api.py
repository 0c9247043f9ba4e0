"""REST API of surveys (with their questions), responses, follow-ups and themes."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response as ApiResponse

from analytics.models import Cohort
from journeys.models import JourneyMap, Touchpoint
from teams.api_base import (
    ScopedPrimaryKeyRelatedField,
    TeamField,
    TeamScopedModelViewSet,
    TeamScopedReadOnlyViewSet,
    TeamScopedViewSetMixin,
)

from . import services, stats, timeline
from .filters import FollowUpFilter, ResponseFilter, SurveyFilter, ThemeFilter
from .models import FollowUp, Question, Response, ResponseTheme, Survey, Theme


class QuestionSerializer(serializers.ModelSerializer):
    text = serializers.DictField(
        child=serializers.CharField(allow_blank=True), help_text='{language: text}, e.g. {"en": "Why?"}.'
    )
    choices = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="[{value, label: {language: text}}] for choice questions.",
    )

    class Meta:
        model = Question
        fields = ["id", "key", "kind", "text", "choices", "required", "is_primary", "position"]
        read_only_fields = ["id", "position"]


class SurveySerializer(serializers.ModelSerializer):
    team = TeamField(help_text="The team that owns the survey.")
    touchpoint = ScopedPrimaryKeyRelatedField(
        queryset=Touchpoint.objects.all(), required=False, allow_null=True, help_text="Touchpoint answers land on."
    )
    audience = ScopedPrimaryKeyRelatedField(
        queryset=Cohort.objects.all(),
        required=False,
        allow_null=True,
        help_text="A cohort: only its profiles are asked (the widget's eligibility check); null: everyone.",
    )
    questions = QuestionSerializer(many=True, required=False, help_text="On write, replaces all questions.")
    title = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, help_text="{language: text}"
    )
    thank_you = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, help_text="{language: text}"
    )
    allowed_origins = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Origins that may embed the widget, e.g. https://shop.example.com.",
    )
    public_url = serializers.SerializerMethodField(help_text="The hosted page (link or iframe).")

    class Meta:
        model = Survey
        fields = [
            "id",
            "team",
            "name",
            "kind",
            "status",
            "touchpoint",
            "audience",
            "public_key",
            "public_url",
            "default_locale",
            "title",
            "thank_you",
            "allowed_origins",
            "recontact_days",
            "followup_threshold",
            "questions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["public_key", "created_at", "updated_at"]

    def get_public_url(self, survey) -> str:
        from django.urls import reverse

        return reverse("feedback_public:survey_page", args=[survey.public_key])


class SurveyUpdateSerializer(SurveySerializer):
    team = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(SurveySerializer.Meta):
        read_only_fields = ["public_key", "created_at", "updated_at", "team", "kind"]


SURVEY_EXAMPLE = OpenApiExample(
    "An NPS survey at checkout",
    value={
        "team": 1,
        "name": "Checkout NPS",
        "kind": "nps",
        "touchpoint": 12,
        "title": {"en": "How was checkout?", "lv": "Kā veicās ar pirkumu?"},
        "allowed_origins": ["https://shop.example.com"],
        "recontact_days": 30,
        "followup_threshold": 7,
        "questions": [
            {
                "key": "score",
                "kind": "nps",
                "text": {"en": "How likely are you to recommend us?"},
                "required": True,
                "is_primary": True,
            },
            {"key": "comment", "kind": "text", "text": {"en": "What is the main reason?"}},
        ],
    },
    request_only=True,
)


def _question_dicts(questions) -> list[dict] | None:
    if questions is None:
        return None
    return [dict(q) for q in questions]


class StatsParams(serializers.Serializer):
    """The query of both statistics endpoints: out of range or unknown is a 400 naming the parameter."""

    days = serializers.IntegerField(min_value=1, max_value=730, required=False)
    by = serializers.ChoiceField(choices=["week", "month"], required=False, default="week")


def _stats_params(request, default_days: int) -> tuple[int, str]:
    """Return ``(days, by)`` from the query, or answer 400 naming ``days`` or ``by``."""
    # A plain dict, not the QueryDict: an empty ``?days=`` is then a mistake (400), not "the default".
    params = StatsParams(data=dict(request.query_params.items()))
    params.is_valid(raise_exception=True)
    return params.validated_data.get("days", default_days), params.validated_data["by"]


def _days_parameter(default: int) -> OpenApiParameter:
    return OpenApiParameter(
        "days",
        {"type": "integer", "minimum": 1, "maximum": 730},
        description=f"Length of the period in days, ending now (default {default}, 1 to 730; else a 400).",
    )


BY_PARAMETER = OpenApiParameter(
    "by", str, enum=["week", "month"], description="Trend (and grid) period: week (the default) or month."
)


@extend_schema_view(
    list=extend_schema(summary="List surveys", description="Surveys of your teams, with their questions."),
    retrieve=extend_schema(summary="Get a survey with its questions"),
    create=extend_schema(
        summary="Create a survey",
        description="Without `questions`, the kind's starter questions are added.",
        examples=[SURVEY_EXAMPLE],
    ),
    update=extend_schema(summary="Replace a survey's settings", examples=[SURVEY_EXAMPLE]),
    partial_update=extend_schema(
        summary="Change a survey",
        description="Change settings or status (draft, active, closed); `questions` replaces all questions.",
        examples=[OpenApiExample("Open a survey", value={"status": "active"}, request_only=True)],
    ),
    destroy=extend_schema(
        summary="Delete a survey", description="Only a survey without responses; close it otherwise."
    ),
)
class SurveyViewSet(TeamScopedModelViewSet):
    """Surveys: kind, questions, placement on a team and touchpoint, status, texts, embedding."""

    queryset = Survey.objects.all()
    serializer_class = SurveySerializer
    filterset_class = SurveyFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at", "status"]
    ordering = ["name"]

    def scope_queryset(self, queryset):
        return queryset.select_related("touchpoint").prefetch_related(
            Prefetch("questions", queryset=Question.objects.order_by("position", "id"))
        )

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return SurveyUpdateSerializer
        return SurveySerializer

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        team = data.pop("team")
        questions = _question_dicts(data.pop("questions", None))
        serializer.instance = services.survey_create(team=team, actor=self.request.user, questions=questions, **data)

    def update_object(self, serializer):
        data = dict(serializer.validated_data)
        questions = _question_dicts(data.pop("questions", None))
        status = data.pop("status", None)
        survey = services.survey_update(
            survey=serializer.instance, actor=self.request.user, questions=questions, **data
        )
        if status is not None and status != survey.status:
            survey = services.survey_set_status(survey=survey, actor=self.request.user, status=status)
        serializer.instance = Survey.objects.prefetch_related("questions").get(pk=survey.pk)

    def perform_destroy(self, instance):
        services.survey_delete(survey=instance, actor=self.request.user)

    @extend_schema(
        summary="Statistics of a survey",
        description=(
            "NPS (with its 95 % margin of error), CSAT (% of 4–5) and CES (mean of 1–7) over the period, the trend by "
            "week or month, by stage and touchpoint, the response rate (widget answers over widget displays; "
            "`response_rate_by_channel` lists every channel, `rate` null where the channel records no displays), "
            "and theme counts. Every figure has its n; `thin` is true under 30 answers. Figures are unrounded; "
            "`low` and `high` are the 95 % normal-approximation interval clipped to the figure's scale."
        ),
        parameters=[_days_parameter(180), BY_PARAMETER],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        survey = self.get_object()
        days, by = _stats_params(request, 180)
        result = stats.survey_stats(survey, days=days, by=by)
        body = {
            "survey": survey.pk,
            "start": result["start"].isoformat(),
            "end": result["end"].isoformat(),
            "totals": stats.figure_json(result["totals"]),
            "trend": [stats.figure_json(row) for row in result["trend"]],
            "by_stage": [stats.figure_json(row) for row in result["by_stage"]],
            "by_touchpoint": [stats.figure_json(row) for row in result["by_touchpoint"]],
            "response_rate": result["rate"],
            "response_rate_by_channel": result["rate_by_channel"],
            "themes": result["themes"],
        }
        return ApiResponse(body)


class ResponseThemeSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="theme.name", read_only=True)

    class Meta:
        model = ResponseTheme
        fields = ["theme", "name", "source"]


class ResponseSerializer(serializers.ModelSerializer):
    themes = ResponseThemeSerializer(source="response_themes", many=True, read_only=True)
    profile = serializers.IntegerField(
        source="profile_id",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The customer profile holding the respondent id as a user id, anonymous id or alias; "
        "null when none does (an anonymous answer, or an id no event has sent).",
    )

    class Meta:
        model = Response
        fields = [
            "id",
            "team",
            "survey",
            "touchpoint",
            "stage",
            "submission_id",
            "score",
            "metric",
            "answers",
            "channel",
            "locale",
            "respondent_id",
            "profile",
            "page_url",
            "user_agent",
            "finished",
            "created_at",
            "updated_at",
            "themes",
        ]


class TagSerializer(serializers.Serializer):
    theme = serializers.IntegerField(help_text="Theme id (of the response's team).")
    tagged = serializers.BooleanField(default=True, help_text="False removes the tag.")


@extend_schema_view(
    list=extend_schema(
        summary="List responses",
        description="Filter by survey, map, stage, touchpoint, score, theme, period …; `profile` is the "
        "customer profile whose identifier the respondent id is.",
    ),
    retrieve=extend_schema(summary="Get a response"),
)
class ResponseViewSet(TeamScopedReadOnlyViewSet):
    """Survey responses (read only: customers answer through the public endpoint)."""

    queryset = Response.objects.all()
    serializer_class = ResponseSerializer
    filterset_class = ResponseFilter
    ordering_fields = ["created_at", "score"]
    ordering = ["-created_at"]

    def scope_queryset(self, queryset):
        return timeline.with_profile(queryset).prefetch_related(
            Prefetch("response_themes", queryset=ResponseTheme.objects.select_related("theme"))
        )

    @extend_schema(
        summary="Tag a response with a theme by hand (or untag it)",
        request=TagSerializer,
        responses={200: ResponseSerializer},
        examples=[OpenApiExample("Tag", value={"theme": 3, "tagged": True}, request_only=True)],
    )
    @action(detail=True, methods=["post"])
    def tag(self, request, pk=None):
        response = self.get_object()
        serializer = TagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        theme = Theme.objects.for_user(request.user).filter(pk=serializer.validated_data["theme"]).first()
        if theme is None:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"theme": [gettext("No such theme.")]})
        services.response_theme_set(
            response=response, theme=theme, actor=request.user, tagged=serializer.validated_data["tagged"]
        )
        response = self.get_queryset().get(pk=response.pk)
        return ApiResponse(ResponseSerializer(response, context={"request": request}).data)


class FollowUpSerializer(serializers.ModelSerializer):
    score = serializers.IntegerField(source="response.score", read_only=True)
    survey = serializers.IntegerField(source="response.survey_id", read_only=True)
    note = serializers.CharField(
        write_only=True, required=False, help_text="A note to append (kept with who and when)."
    )

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "team",
            "response",
            "survey",
            "score",
            "touchpoint",
            "owner",
            "status",
            "due_at",
            "notes",
            "note",
            "created_at",
            "acknowledged_at",
            "closed_at",
            "breached_at",
            "escalated_at",
        ]
        read_only_fields = [f for f in fields if f not in ("status", "note")]


@extend_schema_view(
    list=extend_schema(
        summary="List follow-ups", description="Low scores waiting for their owner, due by the touchpoint's SLA."
    ),
    retrieve=extend_schema(summary="Get a follow-up"),
    partial_update=extend_schema(
        summary="Work a follow-up",
        description=("Set `status` to acknowledged or closed (acknowledged again reopens it) and/or append a `note`."),
        examples=[
            OpenApiExample(
                "Close with a note",
                value={"status": "closed", "note": "Called the customer; refunded the delivery."},
                request_only=True,
            )
        ],
    ),
)
class FollowUpViewSet(TeamScopedModelViewSet):
    """Follow-ups opened by low scores; acknowledge, note and close them."""

    queryset = FollowUp.objects.all()
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter
    ordering_fields = ["due_at", "created_at"]
    ordering = ["due_at"]
    http_method_names = ["get", "patch", "head", "options"]

    def scope_queryset(self, queryset):
        return queryset.select_related("response")

    def update_object(self, serializer):
        followup = serializer.instance
        user = self.request.user
        data = serializer.validated_data
        if data.get("note"):
            services.followup_add_note(followup=followup, actor=user, text=data["note"])
        status = data.get("status")
        if status == FollowUp.Status.ACKNOWLEDGED:
            if followup.status == FollowUp.Status.CLOSED:
                services.followup_reopen(followup=followup, actor=user)
            else:
                services.followup_acknowledge(followup=followup, actor=user)
        elif status == FollowUp.Status.CLOSED:
            services.followup_close(followup=followup, actor=user)
        elif status == FollowUp.Status.OPEN and followup.status != FollowUp.Status.OPEN:
            from rest_framework.exceptions import ValidationError

            raise ValidationError(
                {"status": [gettext("A follow-up cannot go back to open; set acknowledged to reopen it.")]}
            )
        serializer.instance = self.get_queryset().get(pk=followup.pk)


class ThemeSerializer(serializers.ModelSerializer):
    team = TeamField()

    class Meta:
        model = Theme
        fields = ["id", "team", "name", "keywords", "color"]


class ThemeUpdateSerializer(ThemeSerializer):
    team = serializers.PrimaryKeyRelatedField(read_only=True)


@extend_schema_view(
    list=extend_schema(summary="List themes"),
    retrieve=extend_schema(summary="Get a theme"),
    create=extend_schema(
        summary="Create a theme",
        description="New open-text answers containing one of its keywords are tagged automatically.",
        examples=[
            OpenApiExample(
                "Delivery",
                value={"team": 1, "name": "Delivery time", "keywords": "delivery, shipping, late"},
                request_only=True,
            )
        ],
    ),
    update=extend_schema(
        summary="Replace a theme",
        description="Name, keywords and colour at once; answers are tagged by the new keywords from now on.",
        examples=[
            OpenApiExample(
                "Replace",
                value={"team": 1, "name": "Delivery time", "keywords": "delivery, courier", "color": "#0ea5e9"},
                request_only=True,
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a theme",
        examples=[OpenApiExample("Keywords", value={"keywords": "delivery, courier"}, request_only=True)],
    ),
    destroy=extend_schema(summary="Delete a theme (and its tags)"),
)
class ThemeViewSet(TeamScopedModelViewSet):
    """Team-defined themes of open-text answers."""

    queryset = Theme.objects.all()
    serializer_class = ThemeSerializer
    filterset_class = ThemeFilter
    search_fields = ["name", "keywords"]
    ordering_fields = ["name"]
    ordering = ["name"]

    def get_serializer_class(self):
        return ThemeUpdateSerializer if self.action in ("update", "partial_update") else ThemeSerializer

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.theme_create(team=data.pop("team"), actor=self.request.user, **data)

    def update_object(self, serializer):
        serializer.instance = services.theme_update(
            theme=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.theme_delete(theme=instance, actor=self.request.user)


# --- map statistics -------------------------------------------------------------------------
# The serializers below only describe the body in the schema: the view builds it as plain dicts
# (stats.figure_json), since a year by week of a 12-stage map is hundreds of figures.


class StatsFigureSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=["nps", "csat", "ces"])
    value = serializers.FloatField(allow_null=True, help_text="Full precision; null without answers.")
    margin = serializers.FloatField(
        allow_null=True, help_text="Half-width of the 95 % normal (Wald) interval; null without enough answers."
    )
    n = serializers.IntegerField(help_text="Answers behind the figure.")
    thin = serializers.BooleanField(help_text="Fewer than 30 answers: read with care.")
    low = serializers.FloatField(
        allow_null=True, help_text="value − margin, clipped to the scale (NPS −100, CSAT 0, CES 1)."
    )
    high = serializers.FloatField(
        allow_null=True, help_text="value + margin, clipped to the scale (NPS 100, CSAT 100, CES 7)."
    )


class StatsFiguresSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="Scored answers.")
    nps = StatsFigureSerializer()
    csat = StatsFigureSerializer()
    ces = StatsFigureSerializer()


class MapStatsPeriodSerializer(StatsFiguresSerializer):
    key = serializers.DateTimeField(help_text="Start of the week (Monday) or month.")


class MapStatsStageSerializer(StatsFiguresSerializer):
    key = serializers.IntegerField(help_text="Stage id.")
    name = serializers.CharField()


class MapStatsTouchpointSerializer(StatsFiguresSerializer):
    key = serializers.IntegerField(allow_null=True, help_text="Touchpoint id; null for answers on no touchpoint.")
    name = serializers.CharField(allow_null=True)
    stage = serializers.IntegerField(allow_null=True, help_text="Stage id.")


class MapStatsCellSerializer(StatsFiguresSerializer):
    period = serializers.DateTimeField(help_text="Start of the week (Monday) or month.")
    stage = serializers.IntegerField(help_text="Stage id.")


class MapStatsStageInfoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.IntegerField()


class MapStatsSerializer(serializers.Serializer):
    map = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    by = serializers.ChoiceField(choices=["week", "month"])
    stages = MapStatsStageInfoSerializer(many=True, help_text="The map's stages in map order.")
    totals = StatsFiguresSerializer()
    trend = MapStatsPeriodSerializer(many=True, help_text="Periods with answers, oldest first.")
    by_stage = MapStatsStageSerializer(many=True, help_text="Every stage of the map, in map order (n = 0 if none).")
    by_touchpoint = MapStatsTouchpointSerializer(
        many=True, help_text="Every touchpoint of the map, in map order; then answers on no touchpoint."
    )
    by_period_stage = MapStatsCellSerializer(
        many=True, help_text="The period × stage grid: the cells with answers, by period, then stage order."
    )


class MapStatsViewSet(TeamScopedViewSetMixin, viewsets.GenericViewSet):
    """Statistics of a journey map (``maps/<id>/stats/``), kept in feedback: journeys cannot import it."""

    queryset = JourneyMap.objects.all()
    serializer_class = MapStatsSerializer
    filter_backends: list = []
    pagination_class = None

    @extend_schema(
        summary="Statistics of a journey map",
        description=(
            "NPS (with its 95 % margin of error), CSAT (% of 4–5) and CES (mean of 1–7) of the answers placed on the "
            "map's stages over the period: totals, the trend by week or month, by stage, by touchpoint, and the "
            "period × stage grid. Every figure has its n; `thin` is true under 30 answers. Figures are unrounded; "
            "`low` and `high` are the 95 % normal-approximation interval clipped to the figure's scale."
        ),
        parameters=[_days_parameter(90), BY_PARAMETER],
        responses={200: MapStatsSerializer},
    )
    @action(detail=False, methods=["get"])
    def stats(self, request, pk=None):
        journey_map = self.get_object()
        days, by = _stats_params(request, 90)
        result = stats.map_stats(journey_map, days=days, by=by)
        body = {
            "map": journey_map.pk,
            "start": result["start"].isoformat(),
            "end": result["end"].isoformat(),
            "by": by,
            "stages": result["stages"],
            "totals": stats.figure_json(result["totals"]),
            "trend": [stats.figure_json(row) for row in result["trend"]],
            "by_stage": [stats.figure_json(row) for row in result["by_stage"]],
            "by_touchpoint": [stats.figure_json(row) for row in result["by_touchpoint"]],
            "by_period_stage": [stats.figure_json(row) for row in result["by_period_stage"]],
        }
        return ApiResponse(body)


routes = [
    ("surveys", SurveyViewSet, "survey"),
    ("responses", ResponseViewSet, "response"),
    ("follow-ups", FollowUpViewSet, "followup"),
    ("themes", ThemeViewSet, "theme"),
    # GET maps/<id>/stats/: its own prefix, so the journeys app's "maps" entry of the API root stays.
    (r"maps/(?P<pk>[0-9]{1,18})", MapStatsViewSet, "map-stats"),
]

"""REST API of funnels (a query in, figures out; CSV of the step table) and of cohorts."""

from __future__ import annotations

import io

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DrfValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from customers.api import ProfileSerializer
from journeys.models import JourneyMap
from teams.access import get_object_for_user
from teams.api_base import TeamField, TeamScopedModelViewSet, TeamScopedViewSetMixin
from teams.api_renderers import CSVRenderer
from teams.csv_export import SafeWriter
from teams.filters import FilterSet as StrictFilterSet
from teams.filters import refuse_ordering
from teams.models import Team, visible_team_ids

from . import cohorts, funnels
from .models import Cohort
from .versions import version_comparison


def funnel_query(request) -> funnels.FunnelQuery:
    """Build the query from the request's parameters, as the page does (400 with the fields named)."""
    from django.core.exceptions import ValidationError

    params = request.query_params
    team = None
    if not params.get("map"):
        teams = Team.objects.filter(pk__in=visible_team_ids(request.user))
        if params.get("team"):
            team = teams.filter(pk=params.get("team") if str(params.get("team")).isdigit() else 0).first()
            if team is None:
                from django.http import Http404

                raise Http404
        else:
            found = list(teams[:2])
            if len(found) != 1:
                raise DrfValidationError({"team": [_("Name the team: you are in several.")]})
            team = found[0]
    try:
        return funnels.query_from(params, user=request.user, team=team)
    except ValidationError as exc:
        raise DrfValidationError(exc.message_dict) from exc


QUERY_PARAMETERS = [
    OpenApiParameter("map", int, description="A journey map: its stages are the default steps, its team the team."),
    OpenApiParameter("team", int, description="The team, for an event funnel without a map (needed in several)."),
    OpenApiParameter(
        "step",
        str,
        many=True,
        description="Steps in order: stage:<id>, touchpoint:<id> or event:<name> (repeated or comma-separated).",
    ),
    OpenApiParameter("window", float, many=True, description="Conversion window in hours: one, or one per step."),
    OpenApiParameter("optional", int, many=True, description="Numbers (1-based) of optional steps."),
    OpenApiParameter("order", str, enum=list(funnels.ORDERS), description="ordered (default), strict or any."),
    OpenApiParameter("count", str, enum=list(funnels.COUNTS), description="profiles (default) or conversions."),
    OpenApiParameter("exclude", str, many=True, description="Exclusion event names."),
    OpenApiParameter("breakdown", str, description="persona, source, channel, trait:<key> or property:<key>."),
    OpenApiParameter("top", int, description="Breakdown values shown (1–50, default 5); the rest is 'other'."),
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day, in the team's time zone."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included."),
    OpenApiParameter("compare_start", OpenApiTypes.DATE, description="First day of a period to compare."),
    OpenApiParameter("compare_end", OpenApiTypes.DATE, description="Last day of that period."),
]

CSV_HEADER = [
    "step",
    "label",
    "optional",
    "window_seconds",
    "entered",
    "converted",
    "dropped",
    "conversion_from_previous",
    "low",
    "high",
    "conversion_overall",
    "median_seconds_to_convert",
    "reason",
]


def steps_csv(result: dict) -> bytes:
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(CSV_HEADER)
    for step in result["steps"]:
        rate = step["from_previous"]
        writer.writerow(
            [
                step["index"],
                step["label"],
                step["optional"],
                step["window_seconds"],
                step["entered"],
                step["converted"],
                step["dropped"],
                "" if rate["rate"] is None else repr(rate["rate"]),
                "" if rate["low"] is None else repr(rate["low"]),
                "" if rate["high"] is None else repr(rate["high"]),
                "" if step["overall"]["rate"] is None else repr(step["overall"]["rate"]),
                "" if step["time_to_convert"]["median"] is None else repr(step["time_to_convert"]["median"]),
                step["reason"] or rate["reason"] or "",
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode()


class FunnelViewSet(TeamScopedViewSetMixin, viewsets.GenericViewSet):
    """Funnels are computed, not stored: GET with the query in the query string."""

    # No model: the query's map or team is checked against the principal in ``query_from``.
    queryset = None
    renderer_classes = [JSONRenderer, CSVRenderer]
    filter_backends: list = []
    ordering_fields: list = []  # a fixed order: ?ordering= is a 400 (refuse_ordering)
    pagination_class = None

    @extend_schema(
        summary="Run a funnel",
        description=(
            "Entered and converted per step, conversion step to step and overall with the Wilson 95 % "
            "interval and its n, the median and histogram of time to convert (seconds), conversion by week "
            "(weeks start on Monday in the team's time zone), breakdown rows (top N and 'other') and, with "
            "compare_start/compare_end, the same for a second period under `comparison`. A rate that cannot "
            "be computed is null with a `reason`. `?format=csv` gives the step table."
        ),
        parameters=QUERY_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR},
    )
    def list(self, request, *args, **kwargs):
        refuse_ordering(request, self)
        query = funnel_query(request)
        result = funnels.engine_for(query.team).run(query)
        if request.accepted_renderer.format == "csv":
            response = HttpResponse(steps_csv(result), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="funnel.csv"'
            return response
        return Response({"query": query.as_dict(), **result})

    @extend_schema(
        summary="The profiles who dropped at a step",
        description=(
            "The profiles who were on their way to step `step_index` (1-based) and did not reach it, for the same "
            "query as the funnel; merged profiles are given as the profile they live on in."
        ),
        parameters=[
            *QUERY_PARAMETERS,
            OpenApiParameter("step_index", int, required=True, description="The step, 1-based."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"])
    def dropped(self, request):
        query = funnel_query(request)
        try:
            step = int(request.query_params.get("step_index", ""))
        except ValueError:
            raise DrfValidationError({"step_index": [_("Give the step's number, from 1.")]}) from None
        from django.core.exceptions import ValidationError

        try:
            ids = funnels.engine_for(query.team).dropped(query, step)
        except ValidationError as exc:
            raise DrfValidationError(exc.message_dict) from exc
        return Response({"query": query.as_dict(), "step_index": step, "count": len(ids), "profiles": ids})

    @extend_schema(
        summary="A map's stage funnel under two published versions",
        description=(
            "The stage funnel while each of two versions was the published one (its publish time to the next "
            "version's, the newest to now), steps paired by stage key: each side's entered, converted and rates "
            "with the Wilson 95 % interval and n, and the difference after − before with Newcombe's 95 % "
            "interval. Default: the newest version against the one before it."
        ),
        parameters=[
            OpenApiParameter("map", int, required=True, description="The journey map."),
            OpenApiParameter("before", int, description="The older version's number."),
            OpenApiParameter("after", int, description="The newer version's number (default the newest)."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"])
    def versions(self, request):
        from django.core.exceptions import ValidationError

        refuse_ordering(request, self)
        raw = request.query_params.get("map", "")
        if not str(raw).isdigit():
            raise DrfValidationError({"map": [_("Give the map's id.")]})
        journey_map = get_object_for_user(JourneyMap.objects.select_related("team"), request.user, pk=int(raw))
        try:
            return Response(version_comparison(journey_map, user=request.user, data=request.query_params))
        except ValidationError as exc:
            raise DrfValidationError(exc.message_dict) from exc


# --- cohorts ------------------------------------------------------------------------------------


class CohortFilter(StrictFilterSet):
    team = filters.NumberFilter(field_name="team_id")

    class Meta:
        model = Cohort
        fields = ["kind"]


class CohortSerializer(serializers.ModelSerializer):
    team = TeamField(help_text="The team that owns the cohort.")
    created_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    profile_ids = serializers.ListField(
        child=serializers.IntegerField(),
        write_only=True,
        required=False,
        help_text="A static cohort's profiles (ids of the team's profiles; others are ignored).",
    )

    class Meta:
        model = Cohort
        fields = ["id", "team", "name", "description", "kind", "rules", "created_by", "created_at", "profile_ids"]
        read_only_fields = ["id", "created_by", "created_at"]


class CohortUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cohort
        fields = ["name", "description", "rules"]


COHORT_EXAMPLE = OpenApiExample(
    "Shoppers who never ordered",
    value={
        "team": 1,
        "name": "Viewed, never ordered",
        "kind": "rules",
        "rules": {
            "match": "all",
            "conditions": [
                {"type": "event", "event": "Product Viewed", "done": True, "days": 30},
                {"type": "event", "event": "Order Completed", "done": False, "days": 30},
            ],
        },
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(summary="List your teams' cohorts", description="Name, kind and rules, newest first."),
    retrieve=extend_schema(summary="Get a cohort", description="Its name, kind and rules."),
    create=extend_schema(
        summary="Create a cohort",
        description="A static list (`profile_ids`) or rules (`rules`, see docs/analytics.md).",
        examples=[COHORT_EXAMPLE],
    ),
    update=extend_schema(
        summary="Change a cohort",
        description="Its name, description or rules.",
        request=CohortUpdateSerializer,
        examples=[OpenApiExample("Rename", value={"name": "Lost at checkout"}, request_only=True)],
    ),
    partial_update=extend_schema(
        summary="Change part of a cohort",
        description="Its name, description or rules.",
        request=CohortUpdateSerializer,
        examples=[OpenApiExample("Rename", value={"name": "Lost at checkout"}, request_only=True)],
    ),
    destroy=extend_schema(summary="Delete a cohort", description="Its saved list goes with it."),
)
class CohortViewSet(TeamScopedModelViewSet):
    queryset = Cohort.objects.select_related("created_by")
    serializer_class = CohortSerializer
    filterset_class = CohortFilter
    search_fields = ["name"]
    ordering_fields = ["created_at", "name"]
    renderer_classes = [JSONRenderer, CSVRenderer]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return CohortUpdateSerializer
        return CohortSerializer

    def team_id_from_data(self, validated_data: dict) -> int | None:
        if self.action in ("update", "partial_update"):
            return self.get_object().team_id
        return super().team_id_from_data(validated_data)

    def create_object(self, serializer):
        from django.core.exceptions import ValidationError

        data = dict(serializer.validated_data)
        try:
            serializer.instance = cohorts.cohort_create(actor=self.request.user, **data)
        except ValidationError as exc:
            raise DrfValidationError(exc.message_dict) from exc

    def update_object(self, serializer):
        from django.core.exceptions import ValidationError

        try:
            serializer.instance = cohorts.cohort_update(
                cohort=serializer.instance, actor=self.request.user, **serializer.validated_data
            )
        except ValidationError as exc:
            raise DrfValidationError(exc.message_dict) from exc

    def perform_destroy(self, instance):
        cohorts.cohort_delete(cohort=instance, actor=self.request.user)

    @extend_schema(
        summary="The cohort's profiles",
        description="Its live profiles now (rules evaluated at the time of the request), by id, paginated.",
        responses={200: ProfileSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filterset_class=None, search_fields=[], ordering_fields=[])
    def profiles(self, request, pk=None):
        cohort = self.get_object()
        page = self.paginate_queryset(cohorts.cohort_profiles(cohort).order_by("pk"))
        return self.get_paginated_response(ProfileSerializer(page, many=True).data)

    @extend_schema(
        summary="Export the cohort's profiles as CSV",
        description="One row per profile: id, user id, first and last seen, traits as JSON.",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"], filterset_class=None, search_fields=[], ordering_fields=[])
    def csv(self, request, pk=None):
        return cohort_csv_response(self.get_object())


def cohort_csv_response(cohort: Cohort) -> StreamingHttpResponse:
    response = StreamingHttpResponse(cohorts.cohort_csv(cohort), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cohort-{cohort.pk}.csv"'
    return response

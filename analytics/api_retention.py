"""API of the retention, lifecycle and moments analyses: ``/api/v1/teams/<team id>/analytics/…/``.

Each action reads its query string with the page's form (analytics/forms_retention.py), so the
page and the API run the same query object; ``?format=csv`` gives the table as CSV. Rates come at
full precision with their Wilson 95 % bounds and n, or with a reason and no number.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from teams.api_base import TeamScopedViewSetMixin
from teams.api_renderers import CSVRenderer
from teams.models import Team

from .forms_retention import LifecycleForm, MomentForm, RetentionForm
from .lifecycle import lifecycle_rows, lifecycle_table, new_customers_comparison
from .moments import moment_report, moment_rows
from .retention import retention_rows, retention_table

RENDERERS = [JSONRenderer, CSVRenderer]

COMMON = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First local day (default: 11 weeks before end)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last local day (default: today in the team's zone)."),
    OpenApiParameter("event", str, description="Event or page name; blank: any track, page or screen call."),
    OpenApiParameter("format", str, enum=["json", "csv"], description="csv: the table as CSV."),
]
PERIOD = OpenApiParameter("period", str, enum=["day", "week", "month"], description="Period (default week).")


def _query(form_class, request, team):
    form = form_class(request.query_params, team=team)
    if not form.is_valid():
        raise serializers.ValidationError(form.errors.get_json_data())
    return form.query()


def _csv(request) -> bool:
    return getattr(request.accepted_renderer, "format", "") == "csv"


class AnalyticsRetentionViewSet(TeamScopedViewSetMixin, viewsets.GenericViewSet):
    """Cohort analyses of a team; the team id in the URL is scoped like any object (404 outside)."""

    queryset = Team.objects.all()
    http_method_names = ["get", "head", "options"]
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        summary="Retention: a cohort table",
        description=(
            "Cohorts by first-seen period or by entry into a stage (cohort_by=stage&stage=<id>), and per period "
            "after entry the share of the cohort that did the event: k, n, value, Wilson 95 % low/high, or a "
            "reason when n is 0 or the period has not begun. Periods in the team's time zone."
        ),
        parameters=[
            *COMMON,
            PERIOD,
            OpenApiParameter(
                "cohort_by", str, enum=["first_seen", "stage"], description="Cohorts by first seen or stage."
            ),
            OpenApiParameter("stage", int, description="The stage whose entry makes the cohorts."),
            OpenApiParameter("periods", int, description="Periods after entry, 1–24 (default 8)."),
        ],
        responses={200: OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"], url_path="analytics/retention", renderer_classes=RENDERERS)
    def retention(self, request, pk=None):
        table = retention_table(_query(RetentionForm, request, self.get_object()))
        return Response(retention_rows(table) if _csv(request) else table)

    @extend_schema(
        summary="Lifecycle: new, returning, resurrected, dormant",
        description=(
            "Per period: profiles active on the event, of them new (first seen in the period), returning (active "
            "in the period before), resurrected (not active in the period before, not new), and dormant (active "
            "in the period before, not now); with this month's new customers against last quarter's."
        ),
        parameters=[*COMMON, PERIOD],
        responses={200: OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"], url_path="analytics/lifecycle", renderer_classes=RENDERERS)
    def lifecycle(self, request, pk=None):
        team = self.get_object()
        query = _query(LifecycleForm, request, team)
        table = lifecycle_table(query)
        if _csv(request):
            return Response(lifecycle_rows(table))
        return Response({**table, "new_customers": new_customers_comparison(team, event=query.event)})

    @extend_schema(
        summary="A moment that matters, measured",
        description=(
            "Activation (share of profiles first seen in the window reaching the moment within window_days, "
            "Wilson 95 %, n), time to first value (median, p75, p90 in seconds and days) and the weekly trend. "
            "The moment is a touchpoint marked as one (measured on its tracking rules) or an event name."
        ),
        parameters=[
            *COMMON,
            OpenApiParameter("moment", int, description="The touchpoint (a moment that matters)."),
            OpenApiParameter("window_days", int, description="N days after first seen, 1–90 (default 7)."),
        ],
        responses={200: OpenApiTypes.OBJECT, (200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"], url_path="analytics/moments", renderer_classes=RENDERERS)
    def moments(self, request, pk=None):
        report = moment_report(_query(MomentForm, request, self.get_object()))
        return Response(moment_rows(report) if _csv(request) else report)

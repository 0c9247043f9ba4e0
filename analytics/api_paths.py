"""``GET /api/v1/paths/``: the paths analysis as JSON, or its transitions table as CSV (``?format=csv``)."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import renderers, serializers, viewsets
from rest_framework.response import Response

from journeys.models import JourneyMap
from teams.api_base import TeamScopedViewSetMixin
from teams.api_renderers import CSVRenderer
from teams.filters import refuse_ordering

from . import paths
from .views_paths import PathQueryForm


class ShareSerializer(serializers.Serializer):
    k = serializers.IntegerField()
    n = serializers.IntegerField(help_text="Customers at the transition's first place.")
    value = serializers.FloatField(allow_null=True, help_text="k / n, a fraction of 1, unrounded.")
    low = serializers.FloatField(allow_null=True, help_text="Wilson 95 % interval, lower bound.")
    high = serializers.FloatField(allow_null=True, help_text="Wilson 95 % interval, upper bound.")
    reason = serializers.CharField(help_text="Why there is no value (n = 0); empty otherwise.")


class TransitionSerializer(serializers.Serializer):
    from_step = serializers.IntegerField(help_text="0 is the starting point; negative steps come before it.")
    to_step = serializers.IntegerField()
    source = serializers.CharField(help_text="Node id: step|key.")
    target = serializers.CharField()
    from_label = serializers.CharField()
    to_label = serializers.CharField()
    from_on_map = serializers.BooleanField(allow_null=True)
    to_on_map = serializers.BooleanField(allow_null=True, help_text="null without a map to judge by.")
    detour = serializers.BooleanField(help_text="The next place is an event no touchpoint of the map matches.")
    profiles = serializers.IntegerField(help_text="Customers (profiles) who made this move.")
    share = ShareSerializer()


class NodeSerializer(serializers.Serializer):
    id = serializers.CharField()
    step = serializers.IntegerField()
    key = serializers.CharField(
        help_text='"tp:<id>", "stage:<id>", "track:<name>", "page:<path>", "screen:<name>" or "other".'
    )
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["touchpoint", "stage", "event", "other"])
    on_map = serializers.BooleanField(allow_null=True)
    detour = serializers.BooleanField()
    touchpoint = serializers.IntegerField(allow_null=True)
    stage = serializers.IntegerField(allow_null=True)
    event_type = serializers.CharField()
    event_name = serializers.CharField()
    path = serializers.CharField()
    profiles = serializers.IntegerField()


class StepSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    profiles = serializers.IntegerField()
    ended = serializers.IntegerField(allow_null=True, help_text="Customers whose path stops at this step.")


@extend_schema_serializer(many=False)  # the list action answers one object, not a list
class PathsSerializer(serializers.Serializer):
    # query, steps and nodes are left out when there is nothing to compute (reason says why).
    query = serializers.DictField(required=False, help_text="The query as understood, with the period's start and end.")
    profiles = serializers.IntegerField(help_text="Customers who reached the starting point in the period.")
    reason = serializers.CharField(help_text="Why there is nothing (or nothing more) to draw; empty otherwise.")
    steps = StepSerializer(many=True, required=False)
    nodes = NodeSerializer(many=True, required=False)
    results = TransitionSerializer(many=True, help_text="The transitions, by step, most customers first.")


def _parameter(name: str, description: str, type_=OpenApiTypes.STR) -> OpenApiParameter:
    return OpenApiParameter(name, type_, OpenApiParameter.QUERY, description=description)


class PathsViewSet(TeamScopedViewSetMixin, viewsets.GenericViewSet):
    """Paths from or to a touchpoint, an event or a page; the same query as the Paths page."""

    queryset = JourneyMap.objects.all()
    serializer_class = PathsSerializer
    filter_backends: list = []
    ordering_fields: list = []  # a fixed order: ?ordering= is a 400 (refuse_ordering)
    pagination_class = None
    http_method_names = ["get", "head", "options"]
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer, CSVRenderer]

    @extend_schema(
        summary="Paths from or to a touchpoint, an event or a page",
        description=(
            "What customers did next (`from=`) or before (`to=`) the starting point, up to `steps` steps, in the "
            "last `days` days, within one session (a pause longer than `gap` minutes ends it). Each customer "
            "counts once, from their first visit to the starting point; identity merges are followed. Per step "
            'the `top` places are kept and the rest fold into "other". With `map`, every place is labelled '
            "with the touchpoint whose tracking rule matches it, or flagged `detour` (not on the map). Shares are "
            "fractions of 1 with their Wilson 95 % interval and n. `?format=csv` gives the transitions table. "
            "A map of a team you are not in answers like an unknown one: nothing, and the reason."
        ),
        parameters=[
            _parameter("map", "Journey map id: labels places with its touchpoints.", OpenApiTypes.INT),
            _parameter("team", "Team id, when no map is given.", OpenApiTypes.INT),
            _parameter("from", "Starting point: touchpoint:<id>, event:<name> or page:<path>."),
            _parameter("to", "End point (paths before it), same forms as from."),
            _parameter("steps", "Steps to follow, 1–8 (default 3).", OpenApiTypes.INT),
            _parameter("days", "Period in days up to now, 1–365 (default 30).", OpenApiTypes.INT),
            _parameter("gap", "Session gap in minutes, 1–1440 (default 30).", OpenApiTypes.INT),
            _parameter("top", "Places kept per step, 2–20 (default 6).", OpenApiTypes.INT),
            _parameter("format", "json (default) or csv."),
        ],
        responses={200: PathsSerializer, (200, "text/csv"): OpenApiTypes.STR},
        examples=[
            OpenApiExample(
                "From the cart page",
                value={"profiles": 120, "reason": "", "results": [{"from_label": "/cart", "to_label": "Checkout"}]},
                response_only=True,
            )
        ],
    )
    def list(self, request, *args, **kwargs):
        refuse_ordering(request, self)
        maps = self.get_queryset()
        map_id = request.query_params.get("map", "")
        if map_id and not (map_id.isdigit() and maps.filter(pk=int(map_id)).exists()):
            # Another team's map answers as an unknown id does: no existence leak, a reason, no figures.
            body = {
                "profiles": 0,
                "reason": gettext("No journey map with this id among your teams' maps."),
                "results": [],
            }
            return Response(body if request.accepted_renderer.format != "csv" else [paths.CSV_HEADER])
        form = PathQueryForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise serializers.ValidationError({field: list(errors) for field, errors in form.errors.items()})
        result = paths.paths_compute(form.query())
        if request.accepted_renderer.format == "csv":
            response = Response(paths.csv_rows(result))
            response["Content-Disposition"] = 'attachment; filename="paths.csv"'
            return response
        return Response(paths.result_json(result))

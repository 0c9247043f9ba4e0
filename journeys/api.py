"""REST API of journey maps, stages, touchpoints, pain points and versions.

Every map read answers an ``ETag`` (``"<map id>-<revision>"``); every write to the map or anything
on it accepts ``If-Match`` with that ETag (or the bare revision) and answers 409 in the API's
error shape when the map has changed since. Writes answer the map's new ETag.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from personas.models import Persona, Scenario
from teams.access import require_role
from teams.api_base import (
    ScopedPrimaryKeyRelatedField,
    TeamField,
    TeamScopedModelViewSet,
    TeamScopedViewSetMixin,
)
from teams.api_errors import conflict
from teams.models import Role

from . import portfolio as portfolio_selectors
from . import services
from .exports import map_picture, picture_response, touchpoints_csv_response, version_document
from .filters import MapFilter, PainPointFilter, StageFilter, TouchpointFilter
from .health import map_health
from .models import JourneyMap, MapChange, MapTemplate, MapVersion, PainPoint, ShareLink, Stage, Touchpoint
from .selectors import map_list, share_link_list
from .snapshot import diff_documents, map_document
from .starters import STARTERS

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The map\'s ETag from your last read (e.g. "12-7"). When the map changed since, the write '
    "is refused with 409 and nothing is saved.",
)
CONFLICT = OpenApiResponse(description="The map changed since your If-Match; nothing was saved.")


def etag_for(journey_map: JourneyMap) -> str:
    return f'"{journey_map.pk}-{journey_map.revision}"'


_ETAG_RE = re.compile(r'^(?:W/)?"?(?:(\d+)-)?(\d+)"?$')


def if_match_revision(request, journey_map_id: int) -> int | None:
    """Return the revision the client based its write on (None: no If-Match, no check)."""
    raw = (request.headers.get("If-Match") or "").strip()
    if not raw or raw == "*":
        return None
    match = _ETAG_RE.match(raw)
    if not match:
        raise ValidationError(
            {
                "If-Match": gettext('%(value)s is not an ETag of this API (expected "<map id>-<revision>").')
                % {"value": repr(raw)}
            }
        )
    map_id, revision = match.groups()
    if map_id is not None and int(map_id) != journey_map_id:
        return -1  # an ETag of another map is stale by definition
    return int(revision)


class MapRevisionMixin:
    """Turn a stale write into a 409 and put the map's ETag on every answer about one map."""

    def handle_exception(self, exc):
        if isinstance(exc, services.MapConflict):
            response = conflict(
                str(exc), current_revision=exc.current_revision, etag=etag_for(exc.journey_map).strip('"')
            )
            response["ETag"] = etag_for(exc.journey_map)
            return response
        if isinstance(exc, services.UndoRefused):
            return conflict(str(exc), code="undo_refused", change=exc.change.pk)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        journey_map = getattr(self, "_etag_map", None)
        if journey_map is not None and 200 <= response.status_code < 300:
            journey_map.refresh_from_db(fields=["revision"])
            response["ETag"] = etag_for(journey_map)
        return super().finalize_response(request, response, *args, **kwargs)

    def revision(self, journey_map: JourneyMap) -> int | None:
        self._etag_map = journey_map
        return if_match_revision(self.request, journey_map.pk)


class PictureRenderer(BaseRenderer):
    """A drawn map as the bytes the view made; an error stays the API's JSON error."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None and response.status_code >= 400:
            response["Content-Type"] = "application/json"
            return JSONRenderer().render(data, "application/json", renderer_context)
        return data


class PDFRenderer(PictureRenderer):
    media_type, format = "application/pdf", "pdf"


class PNGRenderer(PictureRenderer):
    media_type, format = "image/png", "png"


class SVGRenderer(PictureRenderer):
    media_type, format = "image/svg+xml", "svg"


# --- serializers ------------------------------------------------------------------------------


class PainPointSerializer(serializers.ModelSerializer):
    touchpoint = ScopedPrimaryKeyRelatedField(
        queryset=Touchpoint.objects.all(), help_text="The touchpoint it hurts at."
    )

    class Meta:
        model = PainPoint
        fields = [
            "id",
            "touchpoint",
            "key",
            "title",
            "description",
            "severity",
            "status",
            "evidence_source",
            "evidence_verified_at",
            "created_at",
            "fixed_at",
        ]
        read_only_fields = ["key", "created_at", "fixed_at"]
        extra_kwargs = {
            "severity": {"help_text": "1 (minor) to 5 (severe)."},
            "status": {"help_text": "open, fixing or fixed (fixed stamps fixed_at)."},
        }


class TouchpointSerializer(serializers.ModelSerializer):
    stage = ScopedPrimaryKeyRelatedField(queryset=Stage.objects.all(), help_text="The stage (column) it sits in.")
    journey_map = serializers.IntegerField(source="stage.journey_map_id", read_only=True, help_text="Map id.")
    position = serializers.IntegerField(
        required=False, min_value=0, help_text="0-based place in its stage; changing it (or stage) moves it."
    )

    class Meta:
        model = Touchpoint
        fields = [
            "id",
            "journey_map",
            "stage",
            "key",
            "name",
            "channel",
            "description",
            "position",
            "emotion",
            "emotion_label",
            "is_moment",
            "moment_kind",
            "metric_name",
            "evidence_source",
            "evidence_verified_at",
        ]
        read_only_fields = ["key"]
        extra_kwargs = {
            "emotion": {"help_text": "−2 (very negative) to +2; derived from emotion_label when left out."},
            "is_moment": {"help_text": "A moment that matters (first value, first repeat order …)."},
            "metric_name": {"help_text": "The one clear metric of a moment that matters."},
        }


class TouchpointDetailSerializer(TouchpointSerializer):
    pain_points = PainPointSerializer(many=True, read_only=True)

    class Meta(TouchpointSerializer.Meta):
        fields = [*TouchpointSerializer.Meta.fields, "pain_points"]


class StageSerializer(serializers.ModelSerializer):
    journey_map = ScopedPrimaryKeyRelatedField(queryset=JourneyMap.objects.all(), help_text="The map.")
    position = serializers.IntegerField(
        required=False, min_value=0, help_text="0-based place among the map's stages; changing it moves the stage."
    )

    class Meta:
        model = Stage
        fields = ["id", "journey_map", "key", "name", "description", "position", "funnel"]
        read_only_fields = ["key"]


class StageDetailSerializer(StageSerializer):
    touchpoints = TouchpointDetailSerializer(many=True, read_only=True)

    class Meta(StageSerializer.Meta):
        fields = [*StageSerializer.Meta.fields, "touchpoints"]


class MapSerializer(serializers.ModelSerializer):
    team = TeamField(help_text="The team the map belongs to (set on create; it cannot move).")
    persona = ScopedPrimaryKeyRelatedField(queryset=Persona.objects.all(), required=False, allow_null=True)
    scenario = ScopedPrimaryKeyRelatedField(queryset=Scenario.objects.all(), required=False, allow_null=True)
    last_version = serializers.SerializerMethodField(help_text="Number of the latest published version, if any.")

    class Meta:
        model = JourneyMap
        fields = [
            "id",
            "team",
            "title",
            "description",
            "product",
            "persona",
            "scenario",
            "status",
            "revision",
            "last_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["revision", "created_at", "updated_at"]

    def get_last_version(self, journey_map) -> int | None:
        if hasattr(journey_map, "last_version_number"):
            return journey_map.last_version_number
        version = MapVersion.objects.filter(journey_map=journey_map).values_list("number", flat=True).first()
        return version


class MapUpdateSerializer(MapSerializer):
    team = serializers.PrimaryKeyRelatedField(read_only=True)


class MapDetailSerializer(MapSerializer):
    stages = StageDetailSerializer(many=True, read_only=True)

    class Meta(MapSerializer.Meta):
        fields = [*MapSerializer.Meta.fields, "stages"]


class MapVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = MapVersion
        fields = ["id", "number", "note", "source_revision", "created_by", "created_at"]


class MapVersionDetailSerializer(MapVersionSerializer):
    class Meta(MapVersionSerializer.Meta):
        fields = [*MapVersionSerializer.Meta.fields, "snapshot"]


class MapChangeSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = MapChange
        fields = [
            "id",
            "kind",
            "kind_label",
            "key",
            "label",
            "before",
            "after",
            "revision",
            "created_by",
            "created_at",
            "undone_at",
        ]


class ReorderStagesSerializer(serializers.Serializer):
    stages = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=False,
        max_length=200,
        help_text="Every stage id of the map, each once, in the new order (at most 200).",
    )


class PublishSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="What changed and why.")


class ImportSerializer(serializers.Serializer):
    team = TeamField(help_text="The team the new map belongs to.")
    title = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Defaults to the title in the document."
    )
    document = serializers.JSONField(help_text="A map document (an export or a version snapshot), format_version 1.")


DIFF_RESPONSE = inline_serializer(
    "MapDiff",
    {
        "from": serializers.CharField(),
        "to": serializers.CharField(),
        "summary": serializers.DictField(child=serializers.IntegerField()),
        "map": serializers.ListField(child=serializers.DictField()),
        "stages": serializers.ListField(child=serializers.DictField()),
        "touchpoints": serializers.ListField(child=serializers.DictField()),
        "pain_points": serializers.ListField(child=serializers.DictField()),
    },
)
HEALTH_RESPONSE = inline_serializer(
    "MapHealth",
    {
        "score": serializers.IntegerField(),
        "band": serializers.CharField(),
        "label": serializers.CharField(),
        "issues": serializers.ListField(child=serializers.DictField()),
    },
)
NUMBER = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH, description="Version number.")


# --- viewsets ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List journey maps", description="Maps of your teams, with filters and search."),
    retrieve=extend_schema(
        summary="Get a map with its stages, touchpoints and pain points",
        description="The whole draft in a fixed number of queries. The ETag header carries the revision.",
    ),
    create=extend_schema(
        summary="Create a map",
        description="A new map starts with the default stages (Awareness … Advocacy).",
        examples=[OpenApiExample("Shop map", value={"team": 1, "title": "First order on mobile", "persona": 3})],
    ),
    partial_update=extend_schema(
        summary="Change a map's title, description, product, persona, scenario or status",
        parameters=[IF_MATCH],
        responses={200: MapSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Archive", value={"status": "archived"})],
    ),
    update=extend_schema(
        summary="Replace a map's fields",
        description="Every writable field at once; the team cannot change.",
        parameters=[IF_MATCH],
        responses={200: MapSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Replace",
                value={"title": "First order on mobile", "description": "", "persona": 3, "status": "active"},
                request_only=True,
            )
        ],
    ),
    destroy=extend_schema(summary="Delete a map with everything on it and its versions"),
)
class MapViewSet(MapRevisionMixin, TeamScopedModelViewSet):
    """Journey maps: the live draft, its published versions, compare, restore, export and import."""

    queryset = JourneyMap.objects.all()
    serializer_class = MapSerializer
    filterset_class = MapFilter
    search_fields = ["title", "description"]
    ordering_fields = ["title", "created_at", "updated_at", "status"]
    ordering = ["title"]

    def scope_queryset(self, queryset):
        if self.action == "list":
            return map_list(user=self.request.user)
        if self.action == "retrieve":
            return queryset.select_related("persona", "scenario").prefetch_related("stages__touchpoints__pain_points")
        return queryset

    def get_serializer_class(self):
        if self.action == "retrieve":
            return MapDetailSerializer
        if self.action in ("update", "partial_update"):
            return MapUpdateSerializer
        return MapSerializer

    def retrieve(self, request, *args, **kwargs):
        journey_map = self.get_object()
        self._etag_map = journey_map
        return Response(self.get_serializer(journey_map).data)

    def create_object(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.map_create(
            team=data["team"],
            actor=self.request.user,
            title=data["title"],
            description=data.get("description", ""),
            product=data.get("product", ""),
            persona=data.get("persona"),
            scenario=data.get("scenario"),
        )
        self._etag_map = serializer.instance

    def update_object(self, serializer):
        journey_map = serializer.instance
        services.map_update(
            journey_map=journey_map,
            actor=self.request.user,
            revision=self.revision(journey_map),
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        services.map_delete(journey_map=instance, actor=self.request.user)

    @extend_schema(
        summary="Publish the draft as a new version",
        description="Freezes the whole map into an immutable version with a note; emits `map.published`.",
        request=PublishSerializer,
        parameters=[IF_MATCH],
        responses={201: MapVersionSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Publish", value={"note": "Delivery times shown on the product page"})],
    )
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        journey_map = self.get_object()
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = services.map_publish(
            journey_map=journey_map,
            actor=request.user,
            note=body.validated_data["note"],
            revision=self.revision(journey_map),
        )
        return Response(MapVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="List the map's published versions", responses=MapVersionSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, search_fields=[], ordering_fields=[])
    def versions(self, request, pk=None):
        journey_map = self.get_object()
        queryset = MapVersion.objects.filter(journey_map=journey_map).select_related("created_by").defer("snapshot")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(MapVersionSerializer(page, many=True).data)

    @extend_schema(
        summary="Get one version with its snapshot",
        description="The snapshot is a map document (see docs/journeys.md), the same as an export.",
        parameters=[NUMBER],
        responses=MapVersionDetailSerializer,
    )
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>[0-9]+)", url_name="version")
    def version(self, request, pk=None, number=None):
        journey_map = self.get_object()
        version = self._version(journey_map, number)
        return Response(MapVersionDetailSerializer(version).data)

    @extend_schema(
        summary="Restore a version into the draft",
        description="The draft becomes what the version was; elements keep their keys (and their owners, SLAs "
        "and feedback). The restore is itself a change you can publish.",
        request=None,
        parameters=[NUMBER, IF_MATCH],
        responses={200: MapSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>[0-9]+)/restore", url_name="restore")
    def restore(self, request, pk=None, number=None):
        journey_map = self.get_object()
        self._version(journey_map, number)
        services.map_restore(
            journey_map=journey_map, actor=request.user, number=int(number), revision=self.revision(journey_map)
        )
        journey_map.refresh_from_db()
        return Response(MapSerializer(journey_map, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Compare two versions, or a version and the draft",
        description="Element by element: stages, touchpoints and pain points added, removed, moved and changed "
        "field by field. `from` defaults to the latest version, `to` to the draft.",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.STR, description="A version number or `draft`."),
            OpenApiParameter("to", OpenApiTypes.STR, description="A version number or `draft` (the default)."),
        ],
        responses=DIFF_RESPONSE,
    )
    @action(detail=True, methods=["get"], filterset_class=None, search_fields=[], ordering_fields=[])
    def diff(self, request, pk=None):
        journey_map = self.get_object()
        latest = MapVersion.objects.filter(journey_map=journey_map).values_list("number", flat=True).first()
        side_from = request.query_params.get("from") or (str(latest) if latest else "draft")
        side_to = request.query_params.get("to") or "draft"
        old = self._document(journey_map, side_from, "from")
        new = self._document(journey_map, side_to, "to")
        return Response({"from": side_from, "to": side_to, **diff_documents(old, new)})

    @extend_schema(
        summary="Export the draft as a map document",
        description="The documented JSON format (format_version 1), the same as a version snapshot.",
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["get"], filterset_class=None, search_fields=[], ordering_fields=[])
    def export(self, request, pk=None):
        journey_map = self.get_object()
        response = Response(services.map_export(journey_map=journey_map))
        response["Content-Disposition"] = f'attachment; filename="map-{journey_map.pk}.json"'
        return response

    @extend_schema(
        summary="Draw the map as a PDF, PNG or SVG",
        description="The map as it looks: stages, the emotion curve and the swimlanes (the map's own lanes, "
        "or touchpoints, emotions and pain points when it has none), one page the size of the map. "
        "`?version=` draws a published version instead of the draft.",
        parameters=[
            OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["pdf", "png", "svg"]),
            OpenApiParameter("version", OpenApiTypes.INT, OpenApiParameter.QUERY, required=False),
        ],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/svg+xml"): OpenApiTypes.STR,
            400: OpenApiResponse(description="`version` is not a whole number."),
            404: OpenApiResponse(description="No such map for you, or no such version."),
        },
        operation_id="maps_export_picture",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"export/(?P<fmt>pdf|png|svg)",
        url_name="export-picture",
        renderer_classes=[JSONRenderer, PDFRenderer, PNGRenderer, SVGRenderer],
        filterset_class=None,
        search_fields=[],
        ordering_fields=[],
    )
    def export_picture(self, request, pk=None, fmt="pdf"):
        journey_map = self.get_object()
        raw = request.query_params.get("version") or ""
        if raw and not raw.isdigit():
            raise ValidationError({"version": gettext("Give a version number.")})
        document, version = version_document(journey_map, raw)
        content = map_picture(journey_map=journey_map, document=document, fmt=fmt, version=version)
        return picture_response(content, fmt, title=journey_map.title, pk=journey_map.pk)

    @extend_schema(
        summary="Export the touchpoints as CSV",
        description="One row per touchpoint in journey order, with its stage, emotion and open pain points.",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="touchpoints-csv",
        url_name="touchpoints-csv",
        filterset_class=None,
        search_fields=[],
        ordering_fields=[],
    )
    def touchpoints_csv(self, request, pk=None):
        journey_map = self.get_object()
        return touchpoints_csv_response(journey_map)

    @extend_schema(
        summary="Import a map document as a new map",
        description="Validates the whole document first: an invalid one answers 400 naming the problem and "
        "creates nothing. Persona and scenario are matched by name in the target team.",
        request=ImportSerializer,
        responses={201: MapSerializer},
        examples=[
            OpenApiExample(
                "Import",
                value={
                    "team": 1,
                    "title": "Loan application (copy)",
                    "document": {
                        "format": "waymark.journey-map",
                        "format_version": 1,
                        "map": {"title": "Loan application"},
                        "stages": [{"name": "Decision", "touchpoints": [{"name": "Rates page", "channel": "page"}]}],
                    },
                },
            )
        ],
    )
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_document(self, request):
        body = ImportSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        team = body.validated_data["team"]
        require_role(request.user, team.pk, Role.EDITOR)
        journey_map = services.map_import(
            team=team, actor=request.user, document=body.validated_data["document"], title=body.validated_data["title"]
        )
        return Response(MapSerializer(journey_map, context=self.get_serializer_context()).data, status=201)

    @extend_schema(
        summary="Map health: a score from 0 to 100 with its reasons",
        description="Moments without a metric, evidence not verified for 90 days, and what other parts of "
        "Waymark add (unowned touchpoints, missing SLAs, no recent review …).",
        responses=HEALTH_RESPONSE,
    )
    @action(detail=True, methods=["get"], filterset_class=None, search_fields=[], ordering_fields=[])
    def health(self, request, pk=None):
        return Response(map_health(self.get_object()).as_dict())

    @extend_schema(
        summary="Undo your last change to the map",
        description="Puts back your latest board edit that is not undone yet (a rename, an emotion, a move, a "
        "reorder of stages, an added or deleted stage, touchpoint or pain point) and answers it. Undoing again goes "
        "one change further back. 400 when you have nothing to undo; 409 (`undo_refused`) when what the change "
        "touched was changed again since; nothing is changed then.",
        request=None,
        parameters=[IF_MATCH],
        responses={200: MapChangeSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        journey_map = self.get_object()
        change = services.map_undo(journey_map=journey_map, actor=request.user, revision=self.revision(journey_map))
        return Response(MapChangeSerializer(change).data)

    @extend_schema(
        summary="Reorder the map's stages",
        description="Give every stage id of the map once, in the new order; answers the stages in that order. "
        "One change (undo puts the old order back).",
        request=ReorderStagesSerializer,
        parameters=[IF_MATCH],
        responses={200: StageSerializer(many=True), 409: CONFLICT},
        examples=[OpenApiExample("Reorder", value={"stages": [14, 12, 13]})],
    )
    @action(detail=True, methods=["post"], url_path="reorder-stages", url_name="reorder-stages")
    def reorder_stages(self, request, pk=None):
        journey_map = self.get_object()
        body = ReorderStagesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        stages = services.stage_reorder(
            journey_map=journey_map,
            actor=request.user,
            revision=self.revision(journey_map),
            stages=body.validated_data["stages"],
        )
        return Response(StageSerializer(stages, many=True).data)

    @extend_schema(
        summary="List the board edits of the map, newest first",
        description="Each with what it changed (`before`, `after`) and whether it was undone; undo takes back your "
        "newest one with `undone_at` empty.",
        responses=MapChangeSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, search_fields=[], ordering_fields=[])
    def changes(self, request, pk=None):
        journey_map = self.get_object()
        queryset = MapChange.objects.filter(journey_map=journey_map).select_related("created_by")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(MapChangeSerializer(page, many=True).data)

    def _version(self, journey_map, number) -> MapVersion:
        try:
            return MapVersion.objects.select_related("created_by").get(journey_map=journey_map, number=int(number))
        except (MapVersion.DoesNotExist, ValueError, TypeError):
            from rest_framework.exceptions import NotFound

            raise NotFound(gettext("This map has no version %(number)s.") % {"number": number}) from None

    def _document(self, journey_map, side: str, name: str) -> dict:
        if side == "draft":
            return map_document(journey_map)
        if not side.isdigit():
            raise ValidationError({name: gettext("Give a version number or draft.")})
        try:
            return MapVersion.objects.get(journey_map=journey_map, number=int(side)).snapshot
        except MapVersion.DoesNotExist:
            raise ValidationError({name: gettext("This map has no version %(number)s.") % {"number": side}}) from None


class ChildViewSet(MapRevisionMixin, TeamScopedModelViewSet):
    """Shared by stages, touchpoints and pain points: writes check If-Match against their map."""

    map_path: str = ""

    def map_of(self, obj) -> JourneyMap:
        for part in self.map_path.split("."):
            obj = getattr(obj, part)
        return obj

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        self._etag_map = self.map_of(obj)
        return Response(self.get_serializer(obj).data)


@extend_schema_view(
    list=extend_schema(summary="List stages", description="Filter by `map`; ordered by map and position."),
    retrieve=extend_schema(summary="Get a stage"),
    create=extend_schema(
        summary="Add a stage to a map",
        parameters=[IF_MATCH],
        responses={201: StageSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Onboarding", value={"journey_map": 1, "name": "Onboarding", "position": 4})],
    ),
    partial_update=extend_schema(
        summary="Rename, describe or move a stage",
        parameters=[IF_MATCH],
        responses={200: StageSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Move first", value={"position": 0})],
    ),
    update=extend_schema(
        summary="Replace a stage's fields",
        description="Every writable field at once; a new `position` moves the stage.",
        parameters=[IF_MATCH],
        responses={200: StageSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Replace",
                value={"journey_map": 1, "name": "Onboarding", "description": "", "position": 4, "funnel": "bottom"},
                request_only=True,
            )
        ],
    ),
    destroy=extend_schema(
        summary="Delete a stage with its touchpoints", parameters=[IF_MATCH], responses={204: None, 409: CONFLICT}
    ),
)
class StageViewSet(ChildViewSet):
    """Stages: the columns of a map, in order."""

    queryset = Stage.objects.select_related("journey_map")
    serializer_class = StageSerializer
    filterset_class = StageFilter
    ordering_fields = ["position", "name"]
    ordering = ["journey_map", "position"]
    map_path = "journey_map"

    def team_id_from_data(self, validated_data):
        journey_map = validated_data.get("journey_map")
        return journey_map.team_id if journey_map else None

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        journey_map = data.pop("journey_map")
        serializer.instance = services.stage_create(
            journey_map=journey_map, actor=self.request.user, revision=self.revision(journey_map), **data
        )

    def update_object(self, serializer):
        stage = serializer.instance
        data = dict(serializer.validated_data)
        if data.pop("journey_map", stage.journey_map) != stage.journey_map:
            raise ValidationError({"journey_map": gettext("A stage cannot move to another map.")})
        position = data.pop("position", None)
        revision = self.revision(stage.journey_map)
        if data:
            serializer.instance = stage = services.stage_update(
                stage=stage, actor=self.request.user, revision=revision, **data
            )
            revision = None if revision is None else revision + 1
        if position is not None:
            serializer.instance = services.stage_move(
                stage=stage, actor=self.request.user, revision=revision, position=position
            )

    def perform_destroy(self, instance):
        services.stage_delete(stage=instance, actor=self.request.user, revision=self.revision(instance.journey_map))


@extend_schema_view(
    list=extend_schema(
        summary="List touchpoints",
        description="Filter by `map`, `stage`, `channel`, `emotion_label`, `is_moment`; in journey order.",
    ),
    retrieve=extend_schema(summary="Get a touchpoint with its pain points"),
    create=extend_schema(
        summary="Add a touchpoint to a stage",
        parameters=[IF_MATCH],
        responses={201: TouchpointSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Delivery page",
                value={"stage": 3, "name": "Delivery options", "channel": "page", "emotion_label": "anxious"},
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change or move a touchpoint",
        description="Changing `stage` or `position` moves it; other fields change it in place.",
        parameters=[IF_MATCH],
        responses={200: TouchpointSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Moment", value={"is_moment": True, "moment_kind": "first_value", "metric_name": "Activation rate"}
            )
        ],
    ),
    update=extend_schema(
        summary="Replace a touchpoint's fields",
        description="Every writable field at once; a new `stage` or `position` moves it.",
        parameters=[IF_MATCH],
        responses={200: TouchpointSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Replace",
                value={"stage": 3, "name": "Delivery options", "channel": "page", "emotion_label": "anxious"},
                request_only=True,
            )
        ],
    ),
    destroy=extend_schema(summary="Delete a touchpoint", parameters=[IF_MATCH], responses={204: None, 409: CONFLICT}),
)
class TouchpointViewSet(ChildViewSet):
    """Touchpoints: where the customer meets the company, with the emotion they feel there."""

    queryset = Touchpoint.objects.select_related("stage__journey_map")
    serializer_class = TouchpointSerializer
    filterset_class = TouchpointFilter
    search_fields = ["name", "description"]
    ordering_fields = ["position", "name", "emotion"]
    ordering = ["stage__journey_map", "stage__position", "position"]
    map_path = "stage.journey_map"

    def scope_queryset(self, queryset):
        if self.action == "retrieve":
            return queryset.prefetch_related("pain_points")
        return queryset

    def get_serializer_class(self):
        return TouchpointDetailSerializer if self.action == "retrieve" else TouchpointSerializer

    def team_id_from_data(self, validated_data):
        stage = validated_data.get("stage")
        return stage.journey_map.team_id if stage else None

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        stage = data.pop("stage")
        serializer.instance = services.touchpoint_create(
            stage=stage, actor=self.request.user, revision=self.revision(stage.journey_map), **data
        )

    def update_object(self, serializer):
        tp = serializer.instance
        data = dict(serializer.validated_data)
        stage = data.pop("stage", None)
        position = data.pop("position", None)
        revision = self.revision(tp.stage.journey_map)
        if data:
            serializer.instance = tp = services.touchpoint_update(
                touchpoint=tp, actor=self.request.user, revision=revision, **data
            )
            revision = None if revision is None else revision + 1
        if (stage is not None and stage.pk != tp.stage_id) or position is not None:
            serializer.instance = services.touchpoint_move(
                touchpoint=tp, actor=self.request.user, revision=revision, stage=stage, position=position
            )

    def perform_destroy(self, instance):
        services.touchpoint_delete(
            touchpoint=instance, actor=self.request.user, revision=self.revision(instance.stage.journey_map)
        )


@extend_schema_view(
    list=extend_schema(
        summary="List pain points",
        description="Worst first. Filter by `map`, `stage`, `touchpoint`, `status`, `min_severity`.",
    ),
    retrieve=extend_schema(summary="Get a pain point"),
    create=extend_schema(
        summary="Add a pain point to a touchpoint",
        parameters=[IF_MATCH],
        responses={201: PainPointSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Returns",
                value={
                    "touchpoint": 7,
                    "title": "Returns policy is hard to find",
                    "severity": 4,
                    "evidence_source": "interview",
                },
            )
        ],
    ),
    partial_update=extend_schema(
        summary="Change a pain point (e.g. mark it fixed)",
        parameters=[IF_MATCH],
        responses={200: PainPointSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Fixed", value={"status": "fixed"})],
    ),
    update=extend_schema(
        summary="Replace a pain point's fields",
        description="Every writable field at once; `status: fixed` stamps `fixed_at`.",
        parameters=[IF_MATCH],
        responses={200: PainPointSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Replace",
                value={"touchpoint": 7, "title": "Returns policy is hard to find", "severity": 3, "status": "fixing"},
                request_only=True,
            )
        ],
    ),
    destroy=extend_schema(summary="Delete a pain point", parameters=[IF_MATCH], responses={204: None, 409: CONFLICT}),
)
class PainPointViewSet(ChildViewSet):
    """Pain points: what hurts the customer at a touchpoint; listed worst first, fixed, watched."""

    queryset = PainPoint.objects.select_related("touchpoint__stage__journey_map")
    serializer_class = PainPointSerializer
    filterset_class = PainPointFilter
    search_fields = ["title", "description"]
    ordering_fields = ["severity", "created_at", "status"]
    ordering = ["-severity", "created_at"]
    map_path = "touchpoint.stage.journey_map"

    def team_id_from_data(self, validated_data):
        tp = validated_data.get("touchpoint")
        return tp.stage.journey_map.team_id if tp else None

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        tp = data.pop("touchpoint")
        serializer.instance = services.pain_point_create(
            touchpoint=tp, actor=self.request.user, revision=self.revision(tp.stage.journey_map), **data
        )

    def update_object(self, serializer):
        pp = serializer.instance
        data = dict(serializer.validated_data)
        if data.pop("touchpoint", pp.touchpoint) != pp.touchpoint:
            raise ValidationError(
                {"touchpoint": gettext("A pain point cannot move to another touchpoint; add a new one.")}
            )
        serializer.instance = services.pain_point_update(
            pain_point=pp, actor=self.request.user, revision=self.revision(pp.touchpoint.stage.journey_map), **data
        )

    def perform_destroy(self, instance):
        services.pain_point_delete(
            pain_point=instance, actor=self.request.user, revision=self.revision(instance.touchpoint.stage.journey_map)
        )


# --- templates ---------------------------------------------------------------------------------


class MapTemplateSerializer(serializers.ModelSerializer):
    source_map = serializers.SerializerMethodField(help_text="The map it was saved from, if it still exists.")
    stage_count = serializers.IntegerField(read_only=True)
    touchpoint_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = MapTemplate
        fields = [
            "id",
            "team",
            "name",
            "description",
            "source_map",
            "stage_count",
            "touchpoint_count",
            "document",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_source_map(self, template) -> int | None:
        return template.source_map_id


class MapTemplateCreateSerializer(serializers.Serializer):
    map = ScopedPrimaryKeyRelatedField(queryset=JourneyMap.objects.all(), help_text="The map whose draft to save.")
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class TemplateUseSerializer(serializers.Serializer):
    team = TeamField(help_text="The team the new map belongs to.")
    starter = serializers.ChoiceField(
        choices=[s.key for s in STARTERS], required=False, help_text="The key of a built-in template."
    )
    template = ScopedPrimaryKeyRelatedField(
        queryset=MapTemplate.objects.all(), required=False, help_text="The id of one of the team's templates."
    )
    title = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Defaults to the template's name."
    )

    def validate(self, attrs):
        if ("starter" in attrs) == ("template" in attrs):
            raise serializers.ValidationError({"starter": gettext("Give either starter or template, not both.")})
        return attrs


STARTER_RESPONSE = inline_serializer(
    "BuiltinTemplate",
    {
        "key": serializers.CharField(),
        "name": serializers.CharField(),
        "description": serializers.CharField(),
        "stages": serializers.ListField(child=serializers.CharField()),
        "touchpoint_count": serializers.IntegerField(),
        "document": serializers.DictField(),
    },
    many=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List the team templates",
        description="Templates teams saved from their maps. The built-in ones are under `builtin/`.",
    ),
    retrieve=extend_schema(summary="Get a team template with its map document"),
    create=extend_schema(
        summary="Save a map's draft as a team template",
        description="Keeps stages, touchpoints, emotions, moments and open pain points; leaves out the "
        "persona, scenario, keys, fixed pain points and evidence dates. Editors of the map's team.",
        request=MapTemplateCreateSerializer,
        responses={201: MapTemplateSerializer},
        examples=[OpenApiExample("Save", value={"map": 12, "name": "Checkout, two markets"}, request_only=True)],
    ),
    destroy=extend_schema(summary="Delete a team template", description="Maps started from it keep everything."),
)
class MapTemplateViewSet(
    TeamScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Templates to start maps from: the built-in ones and those a team saved from its maps."""

    queryset = MapTemplate.objects.all()
    serializer_class = MapTemplateSerializer
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]
    ordering = ["name"]

    def create(self, request, *args, **kwargs):
        body = MapTemplateCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        template = services.map_template_create(
            journey_map=body.validated_data["map"],
            actor=request.user,
            name=body.validated_data["name"],
            description=body.validated_data["description"],
        )
        return Response(MapTemplateSerializer(template, context=self.get_serializer_context()).data, status=201)

    def perform_destroy(self, instance):
        services.map_template_delete(template=instance, actor=self.request.user)

    @extend_schema(
        summary="List the built-in templates",
        description="B2C e-commerce, SaaS onboarding, B2B purchase, a bank's loan application and a travel "
        "booking, with their texts in the request's language (Accept-Language).",
        responses=STARTER_RESPONSE,
    )
    @action(detail=False, methods=["get"], pagination_class=None, search_fields=[], ordering_fields=[])
    def builtin(self, request):
        return Response(
            [
                {
                    "key": starter.key,
                    "name": str(starter.name),
                    "description": str(starter.description),
                    "stages": [str(step.name) for step in starter.steps],
                    "touchpoint_count": starter.touchpoint_count,
                    "document": starter.document(),
                }
                for starter in STARTERS
            ]
        )

    @extend_schema(
        summary="Start a new map from a template",
        description="Give `starter` (a built-in template's key) or `template` (a team template's id). "
        "Built-in templates are written in the request's language. Editors of the team.",
        request=TemplateUseSerializer,
        responses={201: MapSerializer},
        examples=[
            OpenApiExample(
                "Built-in", value={"team": 1, "starter": "bank-loan", "title": "Mortgage"}, request_only=True
            )
        ],
    )
    @action(detail=False, methods=["post"])
    def use(self, request):
        body = TemplateUseSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        require_role(request.user, data["team"].pk, Role.EDITOR)
        journey_map = services.map_create_from_template(
            team=data["team"],
            actor=request.user,
            title=data["title"],
            starter=data.get("starter", ""),
            template=data.get("template"),
        )
        return Response(MapSerializer(journey_map, context=self.get_serializer_context()).data, status=201)


# --- share links -------------------------------------------------------------------------------


class ShareLinkSerializer(serializers.ModelSerializer):
    map = serializers.PrimaryKeyRelatedField(source="journey_map", read_only=True)
    version = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True, help_text="Null: the draft."
    )
    url = serializers.SerializerMethodField(help_text="The link to send (no sign-in needed while active).")
    active = serializers.SerializerMethodField()
    view_count = serializers.IntegerField(read_only=True)
    last_viewed_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = ShareLink
        fields = [
            "id",
            "team",
            "map",
            "version",
            "label",
            "url",
            "active",
            "expires_at",
            "revoked_at",
            "view_count",
            "last_viewed_at",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_url(self, link) -> str | None:
        if not link.is_active():
            return None
        path = reverse("shared_map", args=[link.token])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_active(self, link) -> bool:
        return link.is_active()


class ShareLinkCreateSerializer(serializers.Serializer):
    map = ScopedPrimaryKeyRelatedField(queryset=JourneyMap.objects.all())
    version = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="A version number of the map; left out: the draft."
    )
    expires_in_days = serializers.IntegerField(default=30, min_value=1, max_value=services.SHARE_LINK_MAX_DAYS)
    label = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        number = attrs.pop("version", None)
        attrs["version"] = None
        if number is not None:
            attrs["version"] = MapVersion.objects.filter(journey_map=attrs["map"], number=number).first()
            if attrs["version"] is None:
                raise serializers.ValidationError(
                    {"version": gettext("This map has no version %(number)s.") % {"number": number}}
                )
        return attrs


@extend_schema_view(
    list=extend_schema(
        summary="List share links",
        description="Read-only links to maps for people without an account, with their views. Filter with `?map=`.",
        parameters=[OpenApiParameter("map", int, description="Only this map's links.")],
    ),
    retrieve=extend_schema(summary="Get a share link"),
    create=extend_schema(
        summary="Make a read-only share link",
        description="The answer's `url` opens the map (the draft, or `version`) without sign-in until "
        "`expires_at` or a revoke. Editors of the map's team.",
        request=ShareLinkCreateSerializer,
        responses={201: ShareLinkSerializer},
        examples=[
            OpenApiExample(
                "For the board",
                value={"map": 12, "version": 3, "expires_in_days": 7, "label": "Board"},
                request_only=True,
            )
        ],
    ),
)
class ShareLinkViewSet(
    TeamScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Read-only share links to maps: make, list with views, revoke."""

    queryset = ShareLink.objects.all()
    serializer_class = ShareLinkSerializer
    ordering_fields = ["created_at", "expires_at"]
    ordering = ["-created_at"]

    def scope_queryset(self, queryset):
        queryset = share_link_list(user=self.request.user)
        map_id = self.request.query_params.get("map")
        if self.action == "list" and map_id:
            queryset = queryset.filter(journey_map_id=map_id) if map_id.isdigit() else queryset.none()
        return queryset

    def create(self, request, *args, **kwargs):
        body = ShareLinkCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        link = services.share_link_create(
            journey_map=data["map"],
            actor=request.user,
            expires_in_days=data["expires_in_days"],
            version=data["version"],
            label=data["label"],
        )
        link = share_link_list(user=request.user).get(pk=link.pk)
        return Response(ShareLinkSerializer(link, context=self.get_serializer_context()).data, status=201)

    @extend_schema(
        summary="Revoke a share link",
        description="The link stops opening at once; its views stay listed. Revoking twice is not an error.",
        request=None,
        responses={200: ShareLinkSerializer},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        link = self.get_object()
        require_role(request.user, link.team_id, Role.EDITOR)
        services.share_link_revoke(link=link, actor=request.user)
        link = share_link_list(user=request.user).get(pk=link.pk)
        return Response(ShareLinkSerializer(link, context=self.get_serializer_context()).data)


# --- the portfolio ----------------------------------------------------------------------------


class PortfolioParamsSerializer(serializers.Serializer):
    team = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    product = serializers.CharField(required=False, allow_blank=True, max_length=120)
    status = serializers.ChoiceField(choices=JourneyMap.Status.choices, required=False)
    ordering = serializers.CharField(required=False)

    def validate_ordering(self, value):
        raise serializers.ValidationError(
            gettext("Cannot order by “%(value)s”. The portfolio is ordered by product, then title.") % {"value": value}
        )


class FigureSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="Unrounded; null with a reason when there is none.")
    n = serializers.IntegerField(help_text="The number it is computed from (customers, answers, pain points).")
    low = serializers.FloatField(allow_null=True, help_text="95 % interval, low end (rates only).")
    high = serializers.FloatField(allow_null=True, help_text="95 % interval, high end (rates only).")
    unit = serializers.CharField(help_text='"" a count, "%" a percentage, "points" an NPS (−100…100).')
    reason = serializers.CharField(help_text="Why there is no value.")


class PortfolioMapSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    product = serializers.CharField()
    health = serializers.DictField(help_text="score 0–100, band, label and issues, as on the map.")
    figures = serializers.DictField(
        child=FigureSerializer(),
        help_text="open_pain_points, customers_in_journey, conversion, nps, csat (where the apps are installed).",
    )


class PortfolioGroupSerializer(serializers.Serializer):
    product = serializers.CharField(help_text='The product or line of business ("" for maps without one).')
    maps = PortfolioMapSerializer(many=True)


class PortfolioViewSet(TeamScopedViewSetMixin, viewsets.GenericViewSet):
    """The maps of the principal's teams grouped by product, with health and key figures."""

    queryset = JourneyMap.objects.all()
    serializer_class = PortfolioGroupSerializer
    filter_backends: list = []
    pagination_class = None
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        summary="The portfolio: maps grouped by product with their health and key figures",
        description=(
            "Groups by `product` (named ones first, by name; maps without one last), maps by title. Each map "
            "has its health and figures: open pain points; customers now in the journey; conversion (share of "
            "them now in a bottom-of-funnel stage, Wilson 95 % interval); NPS and CSAT of the answers on its "
            "stages in the last 90 days (95 % interval, n). Values are unrounded. Archived maps are left out "
            "unless `status=archived`."
        ),
        parameters=[
            OpenApiParameter("team", int, description="Only this team (one of the principal's)."),
            OpenApiParameter("product", str, description="Only this product (empty: maps without one)."),
            OpenApiParameter("status", str, enum=list(JourneyMap.Status.values), description="Only this status."),
        ],
        responses={200: PortfolioGroupSerializer(many=True)},
    )
    def list(self, request):
        params = PortfolioParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        groups = portfolio_selectors.portfolio(
            user=request.user,
            team=data.get("team"),
            product=data.get("product"),
            status=data.get("status", ""),
        )
        body = [
            {
                "product": group.product,
                "maps": [
                    {
                        "id": m.pk,
                        "title": m.title,
                        "status": m.status,
                        "product": m.product,
                        "health": m.health.as_dict(),
                        "figures": {key: fig.as_dict() for key, fig in m.figures.items()},
                    }
                    for m in group.maps
                ],
            }
            for group in groups
        ]
        return Response(body)


routes = [
    ("maps", MapViewSet, "map"),
    ("stages", StageViewSet, "stage"),
    ("touchpoints", TouchpointViewSet, "touchpoint"),
    ("pain-points", PainPointViewSet, "pain-point"),
    ("map-templates", MapTemplateViewSet, "map-template"),
    ("share-links", ShareLinkViewSet, "share-link"),
    ("portfolio", PortfolioViewSet, "portfolio"),
]


def _lane_routes() -> list:
    # Defined beside their own serializers (journeys/api_lanes.py), which build on this module.
    from .api_lanes import LaneCellViewSet, LaneViewSet

    return [("lanes", LaneViewSet, "lane"), ("lane-cells", LaneCellViewSet, "lane-cell")]


routes += _lane_routes()

"""REST API of the swimlanes: lanes under a map's stages and what text lanes say per stage.

Writes go through the map's revision like every other part of a map (``If-Match``, 409 when
stale). A lane's ``rows`` on ``GET /lanes/?map=`` are not here: the drawn canvas, derived lanes
included, is ``GET /maps/<id>/swimlanes/``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers

from teams.api_base import ScopedPrimaryKeyRelatedField
from teams.filters import FilterSet

from . import services
from .api import CONFLICT, IF_MATCH, ChildViewSet
from .models import JourneyMap, Lane, LaneCell, Stage


class LaneFilter(FilterSet):
    map = filters.NumberFilter(field_name="journey_map_id", help_text="Map id.")
    kind = filters.ChoiceFilter(choices=Lane.Kind.choices)

    class Meta:
        model = Lane
        fields = ["map", "kind"]


class LaneCellFilter(FilterSet):
    map = filters.NumberFilter(field_name="lane__journey_map_id", help_text="Map id.")
    lane = filters.NumberFilter(field_name="lane_id", help_text="Lane id.")
    stage = filters.NumberFilter(field_name="stage_id", help_text="Stage id.")

    class Meta:
        model = LaneCell
        fields = ["map", "lane", "stage"]


class LaneSerializer(serializers.ModelSerializer):
    journey_map = ScopedPrimaryKeyRelatedField(queryset=JourneyMap.objects.all(), help_text="The map.")
    position = serializers.IntegerField(
        required=False, min_value=0, help_text="0-based place among the map's lanes; changing it moves the lane."
    )
    is_text = serializers.BooleanField(
        read_only=True, help_text="True: people write its cells (lane-cells); false: drawn from the map and other apps."
    )
    display_title = serializers.CharField(read_only=True, help_text="The title, or the kind's name when empty.")

    class Meta:
        model = Lane
        fields = ["id", "journey_map", "key", "kind", "title", "display_title", "position", "is_text"]
        read_only_fields = ["key"]


class LaneCellSerializer(serializers.ModelSerializer):
    lane = ScopedPrimaryKeyRelatedField(queryset=Lane.objects.all(), help_text="A text lane.")
    stage = ScopedPrimaryKeyRelatedField(queryset=Stage.objects.all(), help_text="A stage of the lane's map.")
    text = serializers.CharField(max_length=2000, allow_blank=True, trim_whitespace=True)

    class Meta:
        model = LaneCell
        fields = ["id", "lane", "stage", "text"]
        # The service says which cell already holds the stage, naming the field (a 400 on `stage`).
        validators = []


@extend_schema_view(
    list=extend_schema(summary="List lanes", description="Filter by `map`, `kind`; ordered by map and position."),
    retrieve=extend_schema(summary="Get a lane"),
    create=extend_schema(
        summary="Add a lane under a map's stages",
        parameters=[IF_MATCH],
        responses={201: LaneSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Thoughts", value={"journey_map": 1, "kind": "thoughts", "title": "What they think"})],
    ),
    partial_update=extend_schema(
        summary="Rename, change or move a lane",
        parameters=[IF_MATCH],
        responses={200: LaneSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Move to the top", value={"position": 0})],
    ),
    update=extend_schema(
        summary="Replace a lane's fields",
        parameters=[IF_MATCH],
        responses={200: LaneSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Replace",
                value={"journey_map": 1, "kind": "opportunities", "title": "", "position": 2},
                request_only=True,
            )
        ],
    ),
    destroy=extend_schema(
        summary="Delete a lane with its cells", parameters=[IF_MATCH], responses={204: None, 409: CONFLICT}
    ),
)
class LaneViewSet(ChildViewSet):
    """Lanes: the swimlanes' rows under a map's stages, in order."""

    queryset = Lane.objects.select_related("journey_map")
    serializer_class = LaneSerializer
    filterset_class = LaneFilter
    ordering_fields = ["position", "kind"]
    ordering = ["journey_map", "position"]
    map_path = "journey_map"

    def team_id_from_data(self, validated_data):
        journey_map = validated_data.get("journey_map")
        return journey_map.team_id if journey_map else None

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        journey_map = data.pop("journey_map")
        serializer.instance = services.lane_create(
            journey_map=journey_map, actor=self.request.user, revision=self.revision(journey_map), **data
        )

    def update_object(self, serializer):
        lane = serializer.instance
        data = dict(serializer.validated_data)
        if data.pop("journey_map", lane.journey_map) != lane.journey_map:
            raise ValidationError({"journey_map": gettext("A lane cannot move to another map.")})
        position = data.pop("position", None)
        revision = self.revision(lane.journey_map)
        if data:
            serializer.instance = lane = services.lane_update(
                lane=lane, actor=self.request.user, revision=revision, **data
            )
            revision = None if revision is None else revision + 1
        if position is not None:
            serializer.instance = services.lane_move(
                lane=lane, actor=self.request.user, revision=revision, position=position
            )

    def perform_destroy(self, instance):
        services.lane_delete(lane=instance, actor=self.request.user, revision=self.revision(instance.journey_map))


@extend_schema_view(
    list=extend_schema(summary="List lane cells", description="Filter by `map`, `lane`, `stage`."),
    retrieve=extend_schema(summary="Get a lane cell"),
    create=extend_schema(
        summary="Write what a text lane says under a stage",
        description="One cell per lane and stage: a second one is a 400 naming `stage` (change the first).",
        parameters=[IF_MATCH],
        responses={201: LaneCellSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Thought", value={"lane": 4, "stage": 3, "text": "Will it arrive before Friday?"})],
    ),
    partial_update=extend_schema(
        summary="Change what a cell says",
        parameters=[IF_MATCH],
        responses={200: LaneCellSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Text", value={"text": "Compares delivery times"})],
    ),
    update=extend_schema(
        summary="Replace a cell's text",
        description="`lane` and `stage` cannot change.",
        parameters=[IF_MATCH],
        responses={200: LaneCellSerializer, 409: CONFLICT},
        examples=[OpenApiExample("Replace", value={"lane": 4, "stage": 3, "text": "Reads reviews"}, request_only=True)],
    ),
    destroy=extend_schema(summary="Delete a cell", parameters=[IF_MATCH], responses={204: None, 409: CONFLICT}),
)
class LaneCellViewSet(ChildViewSet):
    """Lane cells: what a text lane (customer actions, thoughts, backstage, opportunities, metrics) says per stage."""

    queryset = LaneCell.objects.select_related("lane__journey_map", "stage")
    serializer_class = LaneCellSerializer
    filterset_class = LaneCellFilter
    ordering_fields = ["id"]
    ordering = ["lane", "stage__position", "id"]
    map_path = "lane.journey_map"

    def team_id_from_data(self, validated_data):
        lane = validated_data.get("lane")
        return lane.journey_map.team_id if lane else None

    def create_object(self, serializer):
        data = dict(serializer.validated_data)
        lane = data["lane"]
        serializer.instance = services.lane_cell_create(
            lane=lane,
            stage=data["stage"],
            actor=self.request.user,
            revision=self.revision(lane.journey_map),
            text=data.get("text", ""),
        )

    def update_object(self, serializer):
        cell = serializer.instance
        data = dict(serializer.validated_data)
        for name in ("lane", "stage"):
            if data.pop(name, getattr(cell, name)) != getattr(cell, name):
                raise ValidationError({name: gettext("A cell cannot move: delete it and write a new one.")})
        revision = self.revision(cell.lane.journey_map)
        if "text" in data:
            serializer.instance = services.lane_cell_update(
                cell=cell, actor=self.request.user, revision=revision, text=data["text"]
            )

    def perform_destroy(self, instance):
        services.lane_cell_delete(
            cell=instance, actor=self.request.user, revision=self.revision(instance.lane.journey_map)
        )

"""Filters shared by the map list page and the API lists."""

from django.db.models import Q
from django_filters import rest_framework as filters

from teams.filters import FilterSet

from .models import Channel, Emotion, JourneyMap, MapVersion, PainPoint, Stage, Touchpoint


class MapFilter(FilterSet):
    q = filters.CharFilter(method="search", label="Search", help_text="Words in the title or description.")
    team = filters.NumberFilter(field_name="team_id", help_text="Team id.")
    persona = filters.NumberFilter(field_name="persona_id", help_text="Persona id.")
    scenario = filters.NumberFilter(field_name="scenario_id", help_text="Scenario id.")
    status = filters.ChoiceFilter(choices=JourneyMap.Status.choices, help_text="draft, active or archived.")

    class Meta:
        model = JourneyMap
        fields = ["q", "team", "persona", "scenario", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))


class StageFilter(FilterSet):
    map = filters.NumberFilter(field_name="journey_map_id", help_text="Map id.")
    funnel = filters.ChoiceFilter(choices=Stage.Funnel.choices)

    class Meta:
        model = Stage
        fields = ["map", "funnel"]


class TouchpointFilter(FilterSet):
    map = filters.NumberFilter(field_name="stage__journey_map_id", help_text="Map id.")
    stage = filters.NumberFilter(field_name="stage_id", help_text="Stage id.")
    channel = filters.ChoiceFilter(choices=Channel.choices)
    emotion_label = filters.ChoiceFilter(choices=Emotion.choices)
    is_moment = filters.BooleanFilter(help_text="Only moments that matter (true) or only the others (false).")

    class Meta:
        model = Touchpoint
        fields = ["map", "stage", "channel", "emotion_label", "is_moment"]


class PainPointFilter(FilterSet):
    map = filters.NumberFilter(field_name="touchpoint__stage__journey_map_id", help_text="Map id.")
    stage = filters.NumberFilter(field_name="touchpoint__stage_id", help_text="Stage id.")
    touchpoint = filters.NumberFilter(field_name="touchpoint_id", help_text="Touchpoint id.")
    status = filters.ChoiceFilter(choices=PainPoint.Status.choices)
    min_severity = filters.NumberFilter(field_name="severity", lookup_expr="gte", help_text="Severity at least this.")

    class Meta:
        model = PainPoint
        fields = ["map", "stage", "touchpoint", "status", "min_severity"]


class MapVersionFilter(FilterSet):
    class Meta:
        model = MapVersion
        fields = []

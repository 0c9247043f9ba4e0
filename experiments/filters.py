"""One FilterSet per resource, serving the HTMX log and the API lists alike."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from teams.filters import FilterSet

from .models import Experiment, Metric, Observation


class ExperimentFilter(FilterSet):
    search = filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        help_text="Words found in the title, change, rationale or learning.",
    )
    team = filters.NumberFilter(field_name="team_id", help_text="Only experiments of this team (id).")
    map = filters.NumberFilter(
        field_name="journey_map_id", label=_("Map"), help_text="Acting on this journey map (id)."
    )
    stage = filters.NumberFilter(field_name="stage_id", label=_("Stage"), help_text="Acting on this stage (id).")
    touchpoint = filters.NumberFilter(field_name="touchpoint_id", help_text="Acting on this touchpoint (id).")
    metric = filters.NumberFilter(
        method="filter_metric", label=_("Metric"), help_text="Measuring this metric, as primary or guardrail (id)."
    )
    status = filters.MultipleChoiceFilter(choices=Experiment.Status.choices, help_text="One or more statuses.")
    tag = filters.CharFilter(
        field_name="tags__name", lookup_expr="iexact", label=_("Tag"), help_text="Tagged with this."
    )
    outcome = filters.ChoiceFilter(choices=Experiment.Outcome.choices, help_text="Supported, refuted or inconclusive.")
    decision = filters.ChoiceFilter(choices=Experiment.Decision.choices, help_text="Ship, iterate or revert.")
    owner = filters.NumberFilter(field_name="owner_id", label=_("Owner"), help_text="Owned by this person (user id).")
    design = filters.ChoiceFilter(choices=Experiment.Design.choices, help_text="A/B or before/after.")

    class Meta:
        model = Experiment
        fields = ["search", "team", "map", "stage", "touchpoint", "metric", "status", "tag", "outcome", "owner"]

    def filter_search(self, queryset, name, value):
        for word in value.split()[:8]:
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(change__icontains=word)
                | Q(rationale__icontains=word)
                | Q(learning__icontains=word)
            )
        return queryset

    def filter_metric(self, queryset, name, value):
        return queryset.filter(Q(primary_metric_id=value) | Q(guardrail_metrics__id=value)).distinct()


class MetricFilter(FilterSet):
    search = filters.CharFilter(
        method="filter_search", label=_("Search"), help_text="Words in the name, key or description."
    )
    team = filters.NumberFilter(field_name="team_id", help_text="Only metrics of this team (id).")
    kind = filters.ChoiceFilter(choices=Metric.Kind.choices, help_text="Proportion, mean, count or NPS.")
    map = filters.NumberFilter(field_name="journey_map_id", help_text="Living on this journey map (id).")
    stage = filters.NumberFilter(field_name="stage_id", help_text="Living on this stage (id).")
    touchpoint = filters.NumberFilter(field_name="touchpoint_id", help_text="Living on this touchpoint (id).")
    key = filters.CharFilter(help_text="The metric's key, exactly.")

    class Meta:
        model = Metric
        fields = ["search", "team", "kind", "map", "stage", "touchpoint", "key"]

    def filter_search(self, queryset, name, value):
        for word in value.split()[:8]:
            queryset = queryset.filter(
                Q(name__icontains=word) | Q(key__icontains=word) | Q(description__icontains=word)
            )
        return queryset


class ObservationFilter(FilterSet):
    metric = filters.NumberFilter(field_name="metric_id", help_text="Observations of this metric (id).")
    metric_key = filters.CharFilter(field_name="metric__key", help_text="Observations of the metric with this key.")
    segment = filters.CharFilter(help_text="Only this segment; empty for the overall series.")
    source = filters.ChoiceFilter(choices=Observation.Source.choices, help_text="Where the observation came from.")
    period_from = filters.DateFilter(
        field_name="period_start", lookup_expr="gte", help_text="Periods starting on or after this date."
    )
    period_to = filters.DateFilter(field_name="period_end", lookup_expr="lte", help_text="Periods ending by this date.")

    class Meta:
        model = Observation
        fields = ["metric", "metric_key", "segment", "source", "period_from", "period_to"]

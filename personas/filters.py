"""One FilterSet per resource, serving the HTMX list page and the API list alike."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from teams.filters import FilterSet

from .models import Persona, Scenario


class IdFilter(filters.NumberFilter):
    """An id: a whole number in the database's range (anything else is a 400, never a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)
        # The schema says integer (not number) and keeps the help text; what extend_schema_field sets.
        self._spectacular_annotation = {
            "field": {"type": "integer", "minimum": 1, "description": str(kwargs.get("help_text", ""))}
        }


class PersonaFilter(FilterSet):
    search = filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        help_text="Words found in the name, summary, role, goals, obstacles or jobs to be done.",
    )
    team = IdFilter(field_name="team_id", help_text="Only personas of this team (id).")
    archived = filters.BooleanFilter(help_text="true: archived personas only; false: active ones only.")
    market = filters.ChoiceFilter(
        choices=Persona.Market.choices, empty_label=_("B2B and B2C"), help_text="B2B or B2C personas only."
    )

    class Meta:
        model = Persona
        fields = ["search", "team", "archived", "market"]

    def filter_search(self, queryset, name, value):
        for word in value.split()[:8]:
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(summary__icontains=word)
                | Q(role__icontains=word)
                | Q(goals__icontains=word)
                | Q(obstacles__icontains=word)
                | Q(jobs_to_be_done__icontains=word)
            )
        return queryset


class ScenarioFilter(FilterSet):
    search = filters.CharFilter(
        method="filter_search", label=_("Search"), help_text="Words found in the name, trigger or goal."
    )
    team = IdFilter(field_name="persona__team_id", help_text="Only scenarios of this team (id).")
    persona = IdFilter(field_name="persona_id", help_text="Only scenarios of this persona (id).")
    archived = filters.BooleanFilter(
        field_name="persona__archived", help_text="true: scenarios of archived personas only; false: of active ones."
    )
    kind = filters.ChoiceFilter(
        choices=Scenario.Kind.choices, empty_label=_("Any kind"), help_text="Only scenarios of this kind."
    )

    class Meta:
        model = Scenario
        fields = ["search", "team", "persona", "archived", "kind"]

    def filter_search(self, queryset, name, value):
        for word in value.split()[:8]:
            queryset = queryset.filter(Q(name__icontains=word) | Q(trigger__icontains=word) | Q(goal__icontains=word))
        return queryset

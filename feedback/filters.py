"""One FilterSet per list, shared by the HTMX pages and the API."""

from django_filters import rest_framework as filters

from teams.filters import FilterSet

from .models import FollowUp, Response, Survey, Theme


class ResponseFilter(FilterSet):
    survey = filters.NumberFilter(field_name="survey_id", help_text="Survey id.")
    touchpoint = filters.NumberFilter(field_name="touchpoint_id", help_text="Touchpoint id.")
    stage = filters.NumberFilter(field_name="stage_id", help_text="Stage id.")
    map = filters.NumberFilter(field_name="stage__journey_map_id", help_text="Journey map id.")
    team = filters.NumberFilter(field_name="team_id", help_text="Team id.")
    score_min = filters.NumberFilter(field_name="score", lookup_expr="gte", help_text="Lowest score, inclusive.")
    score_max = filters.NumberFilter(field_name="score", lookup_expr="lte", help_text="Highest score, inclusive.")
    metric = filters.ChoiceFilter(
        choices=[("nps", "NPS"), ("csat", "CSAT"), ("ces", "CES")], help_text="Which figure the score feeds."
    )
    since = filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    until = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601).")
    theme = filters.NumberFilter(field_name="response_themes__theme_id", help_text="Tagged with this theme id.")
    channel = filters.CharFilter(help_text="widget, link, email, api or app.")
    locale = filters.CharFilter(help_text="Language code, e.g. en.")
    respondent_id = filters.CharFilter(help_text="The respondent id the client sent.")
    finished = filters.BooleanFilter()

    class Meta:
        model = Response
        fields = []


class SurveyFilter(FilterSet):
    team = filters.NumberFilter(field_name="team_id")
    touchpoint = filters.NumberFilter(field_name="touchpoint_id")
    map = filters.NumberFilter(field_name="touchpoint__stage__journey_map_id")

    class Meta:
        model = Survey
        fields = ["kind", "status"]


class FollowUpFilter(FilterSet):
    team = filters.NumberFilter(field_name="team_id")
    owner = filters.NumberFilter(field_name="owner_id", help_text="User id of the owner.")
    touchpoint = filters.NumberFilter(field_name="touchpoint_id")
    survey = filters.NumberFilter(field_name="response__survey_id")
    breached = filters.BooleanFilter(
        field_name="breached_at", lookup_expr="isnull", exclude=True, help_text="Missed its SLA."
    )

    class Meta:
        model = FollowUp
        fields = ["status"]


class ThemeFilter(FilterSet):
    team = filters.NumberFilter(field_name="team_id")

    class Meta:
        model = Theme
        fields = []

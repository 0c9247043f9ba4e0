"""REST API of search: ``GET /api/v1/search/?q=`` across the principal's teams."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from teams.api_base import TeamScopedViewSetMixin

from .models import SearchEntry
from .selectors import search
from .text import MAX_QUERY_LENGTH

PAGE_SIZE = 20


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=MAX_QUERY_LENGTH, default="")
    kind = serializers.ChoiceField(choices=SearchEntry.Kind.choices, required=False)
    team = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    page = serializers.IntegerField(required=False, min_value=1, max_value=10_000, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=PAGE_SIZE)
    ordering = serializers.CharField(required=False)

    def validate_ordering(self, value):
        raise serializers.ValidationError(
            _("Cannot order by “%(value)s”. Results are ordered by relevance; there is nothing else to order by.")
            % {"value": value}
        )


class SearchMapSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class SearchHitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="entry.pk", help_text="The index entry's id.")
    kind = serializers.ChoiceField(source="entry.kind", choices=SearchEntry.Kind.choices)
    object_id = serializers.IntegerField(source="entry.object_id", help_text="The id of the map, touchpoint … found.")
    team = serializers.IntegerField(source="entry.team_id")
    map = SearchMapSerializer(
        source="entry.journey_map", allow_null=True, help_text="The map a part or playbook belongs to."
    )
    title = serializers.CharField(source="entry.title")
    snippet_html = serializers.CharField(
        source="snippet", help_text="An escaped excerpt of the text with the matches in <mark>; may be empty."
    )
    url = serializers.CharField(source="entry.url", help_text="The page of the thing found.")
    rank = serializers.FloatField(help_text="Relevance, higher first; comparable within one query and engine only.")


class SearchResultsSerializer(serializers.Serializer):
    query = serializers.CharField()
    count = serializers.IntegerField(help_text="Hits in all (of `kind`, when given).")
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Hits by kind, before `kind` narrows.")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = SearchHitSerializer(many=True)


class SearchViewSet(TeamScopedViewSetMixin, viewsets.GenericViewSet):
    """Search the principal's teams; an API key searches its own team."""

    queryset = SearchEntry.objects.all()
    serializer_class = SearchResultsSerializer
    filter_backends: list = []
    pagination_class = None
    http_method_names = ["get", "head", "options"]

    @extend_schema(
        summary="Search maps, stages, touchpoints, pain points, playbooks, personas, answers and experiments",
        description=(
            "Full text, ranked by relevance (title before text). Case and diacritics are ignored (piegade finds "
            "piegāde); every word must match, each as a prefix; Chinese and Japanese match any substring. Only "
            "the teams the principal belongs to are searched (`team` narrows to one of them; another team's id "
            "finds nothing). `counts` has the hits of each kind; `kind` narrows `results` and `count`."
        ),
        parameters=[
            OpenApiParameter("q", str, description=f"What to find (up to {MAX_QUERY_LENGTH} characters)."),
            OpenApiParameter("kind", str, enum=list(SearchEntry.Kind.values), description="Only this kind."),
            OpenApiParameter("team", int, description="Only this team (one of the principal's)."),
            OpenApiParameter("page", int, description="Page, from 1."),
            OpenApiParameter("page_size", int, description=f"Hits a page, 1–100 (default {PAGE_SIZE})."),
        ],
        responses={200: SearchResultsSerializer},
    )
    def list(self, request):
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        size, page = data["page_size"], data["page"]
        results = search(
            user=request.user,
            q=data["q"],
            team=data.get("team"),
            kind=data.get("kind"),
            limit=size,
            offset=(page - 1) * size,
        )
        body = {
            "query": data["q"],
            "count": results.count,
            "counts": results.counts,
            "page": page,
            "pages": max(1, -(-results.count // size)),
            "results": results.hits,
        }
        return Response(SearchResultsSerializer(body).data)


routes = [("search", SearchViewSet, "search")]

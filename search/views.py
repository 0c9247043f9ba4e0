"""The search page: the current team's hits, grouped by kind."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from teams.htmx import render_page_or_partial, team_required

from .models import SearchEntry
from .selectors import search
from .text import MAX_QUERY_LENGTH

PER_KIND = 5
KIND_PAGE = 100


@login_required
@require_GET
@team_required
def search_page(request: HttpRequest) -> HttpResponse:
    """Search the current team; ``?kind=`` shows every hit of one kind (up to 100)."""
    q = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    kind = request.GET.get("kind", "")
    kind = kind if kind in SearchEntry.Kind.values else ""
    if kind:
        results = search(user=request.user, q=q, team=request.team, kind=kind, limit=KIND_PAGE)
    else:
        results = search(user=request.user, q=q, team=request.team, per_kind=PER_KIND)
    groups = results.groups()
    if kind:
        groups = [g for g in groups if g["kind"] == kind]
    context = {
        "team": request.team,
        "q": q,
        "kind": kind,
        "kind_label": SearchEntry.Kind(kind).label if kind else "",
        "results": results,
        "groups": groups,
        "kinds": [
            {"kind": k, "label": label, "count": results.counts.get(k, 0)}
            for k, label in SearchEntry.Kind.choices
            if results.counts.get(k)
        ],
        "max_length": MAX_QUERY_LENGTH,
    }
    return render_page_or_partial(request, "search/search.html", "results", context)

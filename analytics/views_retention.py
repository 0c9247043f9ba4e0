"""Pages of the retention, lifecycle and moments analyses: a form, a table and a chart each.

The form builds the same query object the API uses (analytics/api_retention.py); the CSV of each
table is the API's ``?format=csv``, linked from the page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from teams.htmx import render_page_or_partial, team_required

from .forms_retention import LifecycleForm, MomentForm, RetentionForm
from .lifecycle import lifecycle_table, new_customers_comparison
from .moments import moment_report, moments_of
from .retention import retention_table

# Cohort lines drawn on the retention chart: more would be unreadable at 390 px.
CHART_COHORTS = 6


def _label(day) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _pct(value):
    return None if value is None else round(value * 100, 2)


def _csv_url(request, name: str) -> str:
    query = request.GET.copy()
    query["format"] = "csv"
    return f"{reverse(name, args=[request.team.pk])}?{query.urlencode()}"


def retention_chart(table: dict) -> dict:
    cohorts = [c for c in table["cohorts"] if c["size"]][-CHART_COHORTS:]
    return {
        "type": "line",
        "labels": [str(k) for k in table["columns"]],
        "y": _("Retained (%)"),
        "datasets": [
            {"label": _label(c["start"]), "data": [_pct(cell["value"]) for cell in c["cells"]]} for c in cohorts
        ],
    }


@login_required
@require_safe
@team_required
def retention(request: HttpRequest) -> HttpResponse:
    """Cohorts by first-seen period or stage entry, and the share coming back to do an event."""
    # Bound even when empty: every field is optional and the form fills in the defaults.
    form = RetentionForm(request.GET, team=request.team)
    form.is_valid()
    table = retention_table(form.query()) if not form.errors else None
    context = {
        "team": request.team,
        "form": form,
        "table": table,
        "chart": retention_chart(table) if table else None,
        "csv_url": _csv_url(request, "analytics-retention-retention"),
        "active": "retention",
    }
    return render_page_or_partial(request, "analytics/retention/retention.html", "results", context)


def lifecycle_chart(table: dict) -> dict:
    rows = table["periods"]
    series = [
        ("new", _("New"), 1),
        ("returning", _("Returning"), 1),
        ("resurrected", _("Resurrected"), 1),
        ("dormant", _("Dormant"), -1),
    ]
    return {
        "type": "bar",
        "stacked": True,
        "labels": [_label(r["start"]) for r in rows],
        "y": _("Profiles"),
        "datasets": [{"label": label, "data": [sign * r[key] for r in rows]} for key, label, sign in series],
    }


@login_required
@require_safe
@team_required
def lifecycle(request: HttpRequest) -> HttpResponse:
    """New, returning, resurrected and dormant profiles per period; this month's new against last quarter's."""
    # Bound even when empty: every field is optional and the form fills in the defaults.
    form = LifecycleForm(request.GET, team=request.team)
    form.is_valid()
    table = comparison = None
    if not form.errors:
        query = form.query()
        table = lifecycle_table(query)
        comparison = new_customers_comparison(request.team, event=query.event)
    context = {
        "team": request.team,
        "form": form,
        "table": table,
        "comparison": comparison,
        "chart": lifecycle_chart(table) if table else None,
        "csv_url": _csv_url(request, "analytics-retention-lifecycle"),
        "active": "lifecycle",
    }
    return render_page_or_partial(request, "analytics/retention/lifecycle.html", "results", context)


def moment_chart(report: dict) -> dict:
    weeks = report["weeks"]
    return {
        "type": "line",
        "labels": [_label(w["start"]) for w in weeks],
        "y": _("Activated (%)"),
        "y2": _("Median time to first value (days)"),
        "datasets": [
            {"label": _("Activated (%)"), "data": [_pct(w["activation"]["value"]) for w in weeks]},
            {
                "label": _("Median time to first value (days)"),
                "axis": "y2",
                "data": [w["time_to_first_value"]["median"]["days"] for w in weeks],
            },
        ],
    }


@login_required
@require_safe
@team_required
def moments(request: HttpRequest) -> HttpResponse:
    """A moment that matters, measured: activation within N days, time to first value, weekly trend."""
    form = MomentForm(request.GET or None, team=request.team)
    report = None
    if request.GET and form.is_valid():
        report = moment_report(form.query())
    context = {
        "team": request.team,
        "form": form,
        "report": report,
        "chart": moment_chart(report) if report and report["overall"] else None,
        "moments": moments_of(request.team),
        "csv_url": _csv_url(request, "analytics-retention-moments"),
        "active": "moments",
    }
    return render_page_or_partial(request, "analytics/retention/moments.html", "results", context)

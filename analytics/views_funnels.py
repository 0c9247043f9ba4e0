"""Funnel pages (build one, a map's stage funnel), a drop-off saved as a cohort, and cohort pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.models import TrackingRule
from journeys.models import JourneyMap, MapVersion, Stage
from teams.access import get_object_for_user, has_role, require_role
from teams.htmx import hx_redirect, render_page_or_partial, team_required
from teams.middleware import follow_team
from teams.models import Role

from . import cohorts, funnels
from .api_funnels import cohort_csv_response
from .forms_cohorts import CohortRulesForm, ConditionFormSet, rules_from
from .models import Cohort
from .query import duration_text
from .versions import version_comparison

PAGE_SIZE = 100
TEMPLATE = "analytics/funnels/funnel.html"


def _reason(text: str | None) -> str | None:
    return _(text) if text else None


def _pct(figure: dict) -> dict:
    """Add percentages with one decimal (in the reader's number format) to a rate figure."""
    if figure["rate"] is not None:
        figure["pct"] = number_format(100 * figure["rate"], 1)
        figure["low_pct"] = number_format(100 * figure["low"], 1)
        figure["high_pct"] = number_format(100 * figure["high"], 1)
    return figure


def _display(result: dict | None) -> dict | None:
    """Add what the page shows to a result: bar widths, drop-offs, percentages and translated reasons."""
    if result is None:
        return None
    entries = result["entries"]
    steps = result["steps"]
    for index, step in enumerate(steps):
        width = 100 * step["converted"] / entries if entries else 0
        step["width_css"] = f"{width:.1f}"  # CSS wants a dot, whatever the reader's language
        step["reason_display"] = _reason(step["reason"] or step["from_previous"]["reason"])
        step["timing_reason"] = _reason(step["time_to_convert"]["reason"])
        median = step["time_to_convert"]["median"]
        step["median_human"] = duration_text(median) if median is not None else ""
        _pct(step["from_previous"])
        _pct(step["overall"])
        following = steps[index + 1] if index + 1 < len(steps) else None
        step["drop_after"] = None
        if following is not None and following["entered"]:
            lost = following["dropped"]
            step["drop_after"] = {"count": lost, "pct": number_format(100 * lost / following["entered"], 1)}
    _pct(result["conversion"])
    result["conversion"]["reason_display"] = _reason(result["conversion"]["reason"])
    for week in result["weeks"]:
        _pct(week["conversion"])
    for row in (result.get("breakdown") or {}).get("rows", []):
        _pct(row["conversion"])
    if result.get("comparison"):
        _display(result["comparison"])
    return result


def hidden_params(query) -> list[tuple[str, str]]:
    """Return the query as form fields (name, value), so a drop-off form posts the same query back."""
    if query is None:
        return []
    data = query.as_dict()
    pairs = [("step", token) for token in data["steps"]]
    pairs += [("window", f"{seconds / 3600:g}") for seconds in data["windows"]]
    pairs += [("optional", str(index)) for index in data["optional"]]
    pairs += [("exclude", name) for name in data["exclude"]]
    for key in ("map", "order", "count", "breakdown", "top", "start", "end"):
        if data[key] not in (None, ""):
            pairs.append((key, str(data[key])))
    return pairs


def _context(request: HttpRequest, team, query, result, errors=None, journey_map=None) -> dict:
    maps = JourneyMap.objects.for_team(team).order_by("title")
    chosen = journey_map or (query.journey_map if query else None)
    stages = list(Stage.objects.filter(journey_map=chosen).order_by("position", "id")) if chosen else []
    event_names = list(
        TrackingRule.objects.for_team(team).exclude(event_name="").values_list("event_name", flat=True).distinct()[:50]
    )
    return {
        "team": team,
        "maps": maps,
        "journey_map": chosen,
        "stages": stages,
        "event_names": event_names,
        "query": query,
        "params": query.as_dict() if query else {},
        "result": _display(result),
        "errors": errors or {},
        "orders": funnels.ORDERS,
        "can_save": has_role(request.user, team.pk, Role.EDITOR),
        "querystring": request.GET.urlencode(),
        "hidden": hidden_params(query),
    }


@login_required
@require_GET
@team_required
def funnel_page(request: HttpRequest) -> HttpResponse:
    """Build a funnel: a map's stages or chosen steps, window, order, breakdown; the result under the form."""
    team = request.team
    query, result, errors = None, None, {}
    if request.GET.get("map") or request.GET.get("step"):
        try:
            query = funnels.query_from(request.GET, user=request.user, team=team)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            follow_team(request, query.team.pk)
            team = query.team
            result = funnels.engine_for(team).run(query)
    context = _context(request, team, query, result, errors)
    return render_page_or_partial(request, TEMPLATE, "funnel-results", context, status=400 if errors else 200)


@login_required
@require_GET
def map_funnel(request: HttpRequest, map_pk: int) -> HttpResponse:
    """The stage funnel of one map, read from its stage transitions."""
    journey_map = get_object_for_user(JourneyMap.objects.select_related("team"), request.user, pk=map_pk)
    follow_team(request, journey_map.team_id)
    errors, result, query = {}, None, None
    try:
        query = funnels.map_query(journey_map, user=request.user, data=request.GET)
    except ValidationError as exc:
        errors = exc.message_dict
    else:
        result = funnels.engine_for(journey_map.team).run(query)
    context = _context(request, journey_map.team, query, result, errors, journey_map=journey_map)
    return render_page_or_partial(request, TEMPLATE, "funnel-results", context, status=400 if errors else 200)


def _pct_or_none(figure: dict | None, key: str = "rate") -> dict | None:
    """Add percentages to a rate or a difference (``rate`` or ``value``), for the page."""
    if figure is None:
        return None
    value = figure.get(key)
    if value is not None:
        figure["pct"] = number_format(100 * value, 1)
        figure["low_pct"] = number_format(100 * figure["low"], 1)
        figure["high_pct"] = number_format(100 * figure["high"], 1)
    if figure.get("reason"):
        figure["reason_display"] = _(figure["reason"])
    return figure


@login_required
@require_GET
def map_versions(request: HttpRequest, map_pk: int) -> HttpResponse:
    """The map's stage funnel under two published versions side by side, with the difference."""
    journey_map = get_object_for_user(JourneyMap.objects.select_related("team"), request.user, pk=map_pk)
    follow_team(request, journey_map.team_id)
    errors, result = {}, None
    try:
        result = version_comparison(journey_map, user=request.user, data=request.GET)
    except ValidationError as exc:
        errors = exc.message_dict
    if result:
        for step in result["steps"]:
            for side in ("before", "after"):
                if step[side]:
                    _pct_or_none(step[side]["from_previous"])
            _pct_or_none(step["difference"]["from_previous"], "value")
        for side in ("before", "after"):
            _pct_or_none(result["conversion"][side])
            result[side]["reason_display"] = _(result[side]["reason"]) if result[side]["reason"] else ""
        _pct_or_none(result["conversion"]["difference"], "value")
    versions = (
        MapVersion.objects.filter(journey_map=journey_map).order_by("-number").only("number", "created_at", "note")
    )
    context = {
        "team": journey_map.team,
        "journey_map": journey_map,
        "result": result,
        "errors": errors,
        "versions": versions,
    }
    return render(request, "analytics/funnels/versions.html", context, status=400 if errors else 200)


@login_required
@require_POST
@team_required
def dropped_cohort(request: HttpRequest) -> HttpResponse:
    """Save the profiles who dropped at a step as a static cohort, then open it."""
    require_role(request.user, request.team.pk, Role.EDITOR)
    try:
        query = funnels.query_from(request.POST, user=request.user, team=request.team)
        require_role(request.user, query.team.pk, Role.EDITOR)
        step = int(request.POST.get("step_index", "0") or 0)
        profile_ids = funnels.engine_for(query.team).dropped(query, step)
        label = query.steps[step - 1].label
        cohort = cohorts.cohort_create(
            team=query.team,
            actor=request.user,
            name=request.POST.get("name") or _("Dropped at “%(step)s”") % {"step": label},
            description=_("Profiles who did not reach step %(n)s (%(step)s) of a funnel, %(start)s to %(end)s.")
            % {"n": step, "step": label, "start": query.as_dict()["start"], "end": query.as_dict()["end"]},
            kind=Cohort.Kind.STATIC,
            profile_ids=profile_ids,
        )
    except (ValidationError, ValueError) as exc:
        detail = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return HttpResponse(_("The cohort could not be saved: %(why)s") % {"why": detail}, status=400)
    saved = _("Cohort “%(name)s” saved with %(n)s profiles.") % {"name": cohort.name, "n": len(profile_ids)}
    messages.success(request, saved)
    return hx_redirect(request, cohort.get_absolute_url())


@login_required
@require_GET
@team_required
def cohort_list(request: HttpRequest) -> HttpResponse:
    """The team's cohorts."""
    team = request.team
    context = {"team": team, "cohorts": cohorts.cohort_list(user=request.user, team=team)}
    return render(request, "analytics/funnels/cohort_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@team_required(role=Role.EDITOR)
def cohort_new(request: HttpRequest) -> HttpResponse:
    """A rule cohort: traits, stage now, events done or not done; "Preview" counts without saving."""
    team = request.team
    data = request.POST if request.method == "POST" else None
    form = CohortRulesForm(data)
    conditions = ConditionFormSet(data, prefix="c", form_kwargs={"team": team})
    preview = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and conditions.is_valid():
            try:
                rules = cohorts.validate_rules(rules_from(form, conditions), team=team)
                if "preview" in request.POST:
                    preview = cohorts.cohort_profiles(Cohort(team=team, kind=Cohort.Kind.RULES, rules=rules)).count()
                    status = 200
                else:
                    cohort = cohorts.cohort_create(
                        team=team,
                        actor=request.user,
                        name=form.cleaned_data["name"],
                        description=form.cleaned_data["description"],
                        kind=Cohort.Kind.RULES,
                        rules=rules,
                    )
                    messages.success(request, _("Cohort “%(name)s” saved.") % {"name": cohort.name})
                    return hx_redirect(request, cohort.get_absolute_url())
            except ValidationError as exc:
                for messages_ in exc.message_dict.values():
                    for message in messages_:
                        form.add_error(None, message)
    context = {"team": team, "form": form, "conditions": conditions, "preview": preview}
    return render(request, "analytics/funnels/cohort_new.html", context, status=status)


@login_required
@require_GET
def cohort_detail(request: HttpRequest, cohort_pk: int) -> HttpResponse:
    """A cohort and its profiles now (rules evaluated as the page is read)."""
    cohort = get_object_for_user(Cohort.objects.select_related("team", "created_by"), request.user, pk=cohort_pk)
    follow_team(request, cohort.team_id)
    profiles = cohorts.cohort_profiles(cohort).order_by("pk")
    page = Paginator(profiles, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"team": cohort.team, "cohort": cohort, "page": page, "profiles": page.object_list}
    return render(request, "analytics/funnels/cohort_detail.html", context)


@login_required
@require_GET
def cohort_csv(request: HttpRequest, cohort_pk: int) -> HttpResponse:
    """The cohort's profiles as a CSV download."""
    cohort = get_object_for_user(Cohort, request.user, pk=cohort_pk)
    return cohort_csv_response(cohort)

"""Paths pages: the Sankey of what customers did next (or before), its table, and detours to add."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from customers import services as customer_services
from customers.models import Event
from journeys.models import JourneyMap, Stage
from teams.access import get_object_for_user, has_role, require_role
from teams.htmx import hx_redirect, render_page_or_partial, team_required
from teams.middleware import follow_team
from teams.models import Role, Team

from . import paths


class PathQueryForm(forms.Form):
    """The query of the page and the API: ``map``, ``from`` or ``to``, ``steps``, ``days``, ``gap``, ``top``."""

    map = forms.ModelChoiceField(queryset=JourneyMap.objects.none(), required=False, label=gettext_lazy("Map"))
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, label=gettext_lazy("Team"))
    direction = forms.ChoiceField(
        choices=[
            (paths.AFTER, gettext_lazy("What customers did next")),
            (paths.BEFORE, gettext_lazy("What customers did before")),
        ],
        required=False,
        label=gettext_lazy("Show"),
    )
    anchor = forms.CharField(required=False, max_length=300, label=gettext_lazy("Starting point"))
    steps = forms.IntegerField(required=False, min_value=1, max_value=paths.STEPS_MAX, label=gettext_lazy("Steps"))
    days = forms.IntegerField(required=False, min_value=1, max_value=paths.DAYS_MAX, label=gettext_lazy("Days"))
    gap = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=paths.GAP_MAX,
        label=gettext_lazy("Session gap (minutes)"),
        help_text=gettext_lazy("A longer pause than this ends a session: a path never crosses it."),
    )
    top = forms.IntegerField(
        required=False, min_value=2, max_value=paths.TOP_MAX, label=gettext_lazy("Places shown per step")
    )

    def __init__(self, data, *, user, team: Team | None = None, journey_map: JourneyMap | None = None):
        if data is not None:
            data = data.copy()
            # ``from`` and ``to`` are the API's spelling of anchor + direction.
            for key, direction in (("from", paths.AFTER), ("to", paths.BEFORE)):
                if data.get(key) and not data.get("anchor"):
                    data["anchor"], data["direction"] = data[key], direction
        super().__init__(data)
        self.user, self.fixed_team, self.fixed_map = user, team, journey_map
        maps = JourneyMap.objects.for_user(user)
        self.fields["map"].queryset = maps.filter(team=team) if team is not None else maps
        self.fields["team"].queryset = Team.objects.for_user(user)

    def clean(self):
        data = super().clean()
        journey_map = self.fixed_map or data.get("map")
        team = self.fixed_team or (journey_map.team if journey_map is not None else data.get("team"))
        if team is None and not self.errors:
            raise ValidationError(_("Give a map (map=) or a team (team=)."))
        data["the_map"], data["the_team"] = journey_map, team
        anchor = paths.parse_anchor(data.get("anchor") or "")
        if anchor is None:
            self.add_error("anchor", _("Choose where the paths start (from=) or end (to=)."))
        elif anchor[0] == "touchpoint" and (
            journey_map is None
            or not anchor[1].isdigit()
            or not Stage.objects.filter(journey_map=journey_map, touchpoints__pk=int(anchor[1])).exists()
        ):
            self.add_error("anchor", _("Choose a touchpoint of the map."))
        data["the_anchor"] = anchor
        return data

    def query(self) -> paths.PathQuery:
        data = self.cleaned_data
        kind, value = data["the_anchor"]
        return paths.PathQuery(
            team=data["the_team"],
            journey_map=data["the_map"],
            anchor_kind=kind,
            anchor=value,
            direction=data.get("direction") or paths.AFTER,
            steps=data.get("steps") or paths.STEPS_DEFAULT,
            days=data.get("days") or paths.DAYS_DEFAULT,
            gap_minutes=data.get("gap") or paths.GAP_DEFAULT,
            top=data.get("top") or paths.TOP_DEFAULT,
        )


class AddTouchpointForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), label=gettext_lazy("Stage"))
    event_type = forms.ChoiceField(choices=[("track", "track"), ("page", "page"), ("screen", "screen")])
    event_name = forms.CharField(required=False, max_length=200)
    path = forms.CharField(required=False, max_length=300)
    back = forms.CharField(required=False, max_length=2000)

    def __init__(self, data, *, journey_map: JourneyMap):
        super().__init__(data)
        self.fields["stage"].queryset = Stage.objects.filter(journey_map=journey_map)


def _anchor_choices(team: Team, journey_map: JourneyMap | None, days: int) -> list[tuple[str, list]]:
    """The starting points to offer: the map's touchpoints, then the period's most frequent events and pages."""
    groups = []
    if journey_map is not None:
        touchpoints = [
            (f"touchpoint:{tp.pk}", f"{tp.stage.name} › {tp.name}")
            for stage in journey_map.stages.order_by("position", "id").prefetch_related("touchpoints")
            for tp in stage.touchpoints.all()
        ]
        if touchpoints:
            groups.append((_("Touchpoints"), touchpoints))
    query = paths.PathQuery(team=team, anchor_kind="event", anchor="", days=days)
    start, end = query.period
    recent = Event.objects.filter(team=team, timestamp__gte=start, timestamp__lt=end)
    events = recent.filter(type="track").exclude(event="").values_list("event", flat=True).distinct()
    pages = recent.filter(type="page").exclude(path="").values_list("path", flat=True).distinct()
    events = sorted(events[:200])[:50]
    pages = sorted(pages[:200])[:50]
    if events:
        groups.append((_("Events"), [(f"event:{name}", name) for name in events]))
    if pages:
        groups.append((_("Pages"), [(f"page:{path}", path) for path in pages]))
    return groups


def _sankey(result: paths.PathResult) -> dict:
    """What the Sankey draws: flows between step-qualified nodes, labels, and which are detours."""
    return {
        "flows": [{"from": t["source"], "to": t["target"], "flow": t["profiles"]} for t in result.transitions],
        "labels": {node["id"]: node["label"] for node in result.nodes},
        "detours": [node["id"] for node in result.nodes if node["detour"]],
        "other": [node["id"] for node in result.nodes if node["kind"] == "other"],
    }


def _default_stage(result: paths.PathResult | None) -> int | None:
    """The stage a detour is added to in one click: the starting touchpoint's stage, else the first."""
    if result is None or result.query.anchor_kind != "touchpoint":
        return None
    return Stage.objects.filter(touchpoints__pk=int(result.query.anchor)).values_list("pk", flat=True).first()


def _render(request: HttpRequest, *, team: Team, journey_map: JourneyMap | None) -> HttpResponse:
    data = request.GET if request.GET else None
    form = PathQueryForm(data, user=request.user, team=team, journey_map=journey_map)
    result = None
    if data is not None and form.is_valid():
        result = paths.paths_compute(form.query())
    days = (form.cleaned_data.get("days") if form.is_bound and form.is_valid() else None) or paths.DAYS_DEFAULT
    the_map = journey_map or (form.cleaned_data.get("map") if form.is_bound and form.is_valid() else None)
    can_edit = the_map is not None and has_role(request.user, the_map.team_id, Role.EDITOR)
    context = {
        "team": team,
        "journey_map": journey_map,
        "the_map": the_map,
        "form": form,
        "result": result,
        "sankey": _sankey(result) if result is not None and result.transitions else None,
        "anchor_choices": _anchor_choices(team, journey_map, days),
        "maps": JourneyMap.objects.for_team(team).order_by("title") if journey_map is None else [],
        "stages": list(the_map.stages.order_by("position", "id")) if can_edit else [],
        "can_edit": can_edit,
        "default_stage": _default_stage(result),
        "action": (
            reverse("analytics:map_paths", args=[journey_map.pk]) if journey_map else reverse("analytics:paths")
        ),
        "api_url": reverse("paths-list") + "?" + urlencode(result.query.params()) if result is not None else "",
        "back": request.get_full_path(),
    }
    return render_page_or_partial(request, "analytics/paths/paths.html", "paths-result", context)


@login_required
@require_GET
@team_required
def paths_page(request: HttpRequest) -> HttpResponse:
    """Paths over the current team's events, read against a map when one is chosen."""
    return _render(request, team=request.team, journey_map=None)


@login_required
@require_GET
def map_paths(request: HttpRequest, map_pk: int) -> HttpResponse:
    """Paths from or to a touchpoint of one map, with the detours the map does not show."""
    journey_map = get_object_for_user(JourneyMap, request.user, pk=map_pk)
    follow_team(request, journey_map.team_id)
    return _render(request, team=journey_map.team, journey_map=journey_map)


@login_required
@require_POST
def paths_add_touchpoint(request: HttpRequest, map_pk: int) -> HttpResponse:
    """Add a detour to the map: a touchpoint in the chosen stage bound to the event (editors)."""
    journey_map = get_object_for_user(JourneyMap, request.user, pk=map_pk)
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    form = AddTouchpointForm(request.POST, journey_map=journey_map)
    back = request.POST.get("back") or reverse("analytics:map_paths", args=[journey_map.pk])
    if not back.startswith("/analytics/"):
        back = reverse("analytics:map_paths", args=[journey_map.pk])
    if not form.is_valid():
        messages.error(request, _("Choose a stage for the new touchpoint."))
        return hx_redirect(request, back)
    data = form.cleaned_data
    try:
        touchpoint, _rule = customer_services.touchpoint_from_event(
            actor=request.user,
            journey_map=journey_map,
            stage=data["stage"],
            event_type=data["event_type"],
            event_name=data["event_name"],
            path=data["path"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return hx_redirect(request, back)
    messages.success(
        request,
        _("“%(name)s” is now a touchpoint of %(stage)s, bound to its event.")
        % {"name": touchpoint.name, "stage": data["stage"].name},
    )
    return hx_redirect(request, back)

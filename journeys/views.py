"""Pages of journey maps: the list, the map page with its inline edits, versions, compare, import/export.

The map page keeps its editing forms in a side panel (``#panel``). A saved change answers the
whole workspace (``#map-workspace``: health, emotion curve, board) as an out-of-band swap, so
every form on the page carries the new revision. A change based on an older revision answers 409
with the form, the person's input kept and the current values of the other person shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from urllib.parse import parse_qs, urlparse

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from personas.models import Persona
from teams.access import get_object_for_user, has_role, require_role
from teams.htmx import form_flow, hx_redirect, render_page_or_partial, team_required
from teams.middleware import follow_team
from teams.models import Role

from . import portfolio as portfolio_selectors
from . import selectors, services
from .cards import curve_items_html, map_notes_html, set_cards, set_stage_columns, set_stage_parts
from .exports import touchpoints_csv_response
from .extensions import board_language, map_includes, map_links, map_option_fields, map_options_from
from .filters import MapFilter
from .forms import (
    CHANNEL_CHOICES,
    ImportForm,
    InlineEditForm,
    MapCreateForm,
    MapForm,
    MoveForm,
    PainPointForm,
    PublishForm,
    RevisionForm,
    ShareLinkForm,
    StageForm,
    TemplateSaveForm,
    TemplateUseForm,
    TouchpointForm,
)
from .health import BANDS, map_health, maps_health
from .models import (
    Channel,
    Emotion,
    JourneyMap,
    MapChange,
    MapTemplate,
    MapVersion,
    PainPoint,
    ShareLink,
    Stage,
    Touchpoint,
)
from .models.maps import EMOTION_SCORE
from .selectors import map_board, map_version_list
from .snapshot import diff_documents, diff_index, map_document
from .starters import STARTERS

# --- the map list ------------------------------------------------------------------------------


@login_required
@require_GET
@team_required
def map_list(request: HttpRequest) -> HttpResponse:
    """List the current team's maps with search, filters (persona, status, health) and health."""
    team = request.team
    queryset = selectors.map_list(user=request.user, team=team).order_by("title")
    filterset = MapFilter(request.GET, queryset=queryset)
    maps = list(filterset.qs if filterset.is_valid() else queryset.none())
    health = maps_health(maps)
    for m in maps:
        m.health = health[m.pk]
        m.has_unpublished = m.last_version_revision is not None and m.last_version_revision != m.revision
    band = request.GET.get("health", "")
    if band in dict(BANDS):
        maps = [m for m in maps if m.health.band == band]
    page = Paginator(maps, 24).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "maps": page.object_list,
        "filters": request.GET,
        "personas": Persona.objects.for_team(team).active().only("id", "name"),
        "statuses": JourneyMap.Status.choices,
        "bands": BANDS,
        "filtered": any(request.GET.get(k) for k in ("q", "persona", "status", "health")),
        "can_edit": has_role(request.user, team.pk, Role.EDITOR),
    }
    return render_page_or_partial(request, "journeys/map_list.html", "map-results", context)


@login_required
@require_http_methods(["GET", "POST"])
@team_required(role=Role.EDITOR)
def map_create(request: HttpRequest) -> HttpResponse:
    team = request.team
    form = MapCreateForm(request.POST or None, team=team)
    title = gettext("New journey map")
    return form_flow(
        request,
        form,
        save=lambda data: services.map_create(
            team=team,
            actor=request.user,
            **{k: data[k] for k in ("title", "description", "product", "persona", "scenario")},
        ),
        render=lambda status: render(request, "journeys/map_form.html", {"form": form, "title": title}, status=status),
        message=lambda journey_map: (
            gettext("Map “%(title)s” created with the default stages.") % {"title": journey_map.title}
        ),
        redirect_to=lambda journey_map: reverse("journeys:map_detail", args=[journey_map.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
@team_required(role=Role.EDITOR)
def map_import(request: HttpRequest) -> HttpResponse:
    team = request.team
    form = ImportForm(request.POST or None, request.FILES or None)
    return form_flow(
        request,
        form,
        save=lambda data: services.map_import(
            team=team, actor=request.user, document=data["file"], title=data["title"]
        ),
        render=lambda status: render(request, "journeys/map_import.html", {"form": form}, status=status),
        message=lambda journey_map: gettext("Imported “%(title)s”.") % {"title": journey_map.title},
        redirect_to=lambda journey_map: reverse("journeys:map_detail", args=[journey_map.pk]),
        rename={"document": "file"},
    )


# --- templates ---------------------------------------------------------------------------------


@login_required
@require_GET
@team_required
def template_list(request: HttpRequest) -> HttpResponse:
    """The templates a new map can start from: the built-in ones and the team's own."""
    team = request.team
    context = {
        "starters": STARTERS,
        "templates": selectors.map_template_list(user=request.user, team=team).select_related("created_by"),
        "can_edit": has_role(request.user, team.pk, Role.EDITOR),
    }
    return render(request, "journeys/template_list.html", context)


@login_required
@require_POST
@team_required(role=Role.EDITOR)
def template_use(request: HttpRequest) -> HttpResponse:
    team = request.team
    form = TemplateUseForm(request.POST, team=team)
    return form_flow(
        request,
        form,
        save=lambda data: services.map_create_from_template(
            team=team, actor=request.user, title=data["title"], starter=data["starter"], template=data["template"]
        ),
        render=lambda status: render(
            request,
            "journeys/template_list.html",
            {
                "starters": STARTERS,
                "templates": selectors.map_template_list(user=request.user, team=team),
                "can_edit": True,
                "form": form,
            },
            status=status,
        ),
        message=lambda journey_map: (
            gettext("Map “%(title)s” created from the template.") % {"title": journey_map.title}
        ),
        redirect_to=lambda journey_map: reverse("journeys:map_detail", args=[journey_map.pk]),
    )


@login_required
@require_POST
def template_delete(request: HttpRequest, template_pk: int) -> HttpResponse:
    template = get_object_for_user(MapTemplate, request.user, pk=template_pk)
    require_role(request.user, template.team_id, Role.EDITOR)
    services.map_template_delete(template=template, actor=request.user)
    messages.success(request, gettext("Template “%(name)s” deleted.") % {"name": template.name})
    return hx_redirect(request, reverse("journeys:template_list"))


@login_required
@require_http_methods(["GET", "POST"])
def map_save_template(request: HttpRequest, map_pk: int) -> HttpResponse:
    """Save the map's draft as a team template (structure and texts, none of its evidence)."""
    journey_map = _map(request, map_pk)
    form = TemplateSaveForm(request.POST or None, initial={"name": journey_map.title})
    return form_flow(
        request,
        form,
        role=(journey_map.team_id, Role.EDITOR),
        save=lambda data: services.map_template_create(journey_map=journey_map, actor=request.user, **data),
        render=lambda status: render(
            request, "journeys/template_save.html", {"form": form, "journey_map": journey_map}, status=status
        ),
        message=lambda template: gettext("Saved as the template “%(name)s”.") % {"name": template.name},
        redirect_to=reverse("journeys:template_list"),
    )


# --- the map page ------------------------------------------------------------------------------


def _map(request: HttpRequest, map_pk: int) -> JourneyMap:
    journey_map = get_object_for_user(
        JourneyMap.objects.select_related("persona", "scenario", "team"), request.user, pk=map_pk
    )
    follow_team(request, journey_map.team_id)
    return journey_map


def _map_for_write(request: HttpRequest, map_pk: int) -> JourneyMap:
    journey_map = _map(request, map_pk)
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    return journey_map


def _view_options(request: HttpRequest) -> dict:
    """Return the board's filters from the query string (or, for HTMX writes, the page's URL)."""
    params = request.GET
    if request.method != "GET" and getattr(request, "htmx", False) and request.htmx.current_url:
        params = {k: v[-1] for k, v in parse_qs(urlparse(request.htmx.current_url).query).items()}
    channel = params.get("channel", "")
    return {
        "channel": channel if channel in dict(CHANNEL_CHOICES) else "",
        "moments_only": params.get("moments") in ("1", "on", "true"),
        "layout": "funnel" if params.get("layout") == "funnel" else "columns",
        # Other apps' choices (journeys.extensions.register_map_option), e.g. customers' period.
        "extra": map_options_from(params),
    }


# A stand-in id to reverse a URL once per page and put each card's own id in its place.
_ID_SLOT = 987654321


def _url_for_ids(name: str, map_pk: int) -> Callable[[int], str]:
    """Reverse ``name`` for this map once; return a function that makes its URL for an id."""
    head, _, tail = reverse(name, args=[map_pk, _ID_SLOT]).rpartition(str(_ID_SLOT))
    return lambda pk: f"{head}{pk}{tail}"


def _prepare_board(
    journey_map: JourneyMap, board, *, can_edit: bool, compact: bool, present: bool = False, filtered: bool = False
) -> None:
    """Set what the cards and columns show, then build the cards (``journeys.cards``).

    The URLs are each reversed once per page (six reversals per card were about 1,100 for a
    12 x 15 map), the labels, the emotion's sign and tone formatted once.
    """
    touchpoint_edit = _url_for_ids("journeys:touchpoint_edit", journey_map.pk)
    touchpoint_move = _url_for_ids("journeys:touchpoint_move", journey_map.pk)
    touchpoint_inline = _url_for_ids("journeys:touchpoint_inline", journey_map.pk)
    # What get_channel_display() and get_emotion_label_display() return, without rebuilding the
    # choices' dict for each call (twice per card).
    # The labels are lazy translations: made text once per page, not once per card.
    channels = {key: str(label) for key, label in Touchpoint._meta.get_field("channel").flatchoices}
    emotions = {key: str(label) for key, label in Touchpoint._meta.get_field("emotion_label").flatchoices}
    for t in board.touchpoints:
        t.edit_url = touchpoint_edit(t.pk)
        t.move_url = touchpoint_move(t.pk)
        t.inline_url = touchpoint_inline(t.pk)
        t.channel_label = channels.get(t.channel, t.channel)
        t.emotion_label_text = emotions.get(t.emotion_label, t.emotion_label)
        t.emotion_signed = f"{t.emotion:+d}"
        t.emotion_tone = "neg" if t.emotion < 0 else "pos" if t.emotion > 0 else "neutral"
    with board_language():
        _draw_board(journey_map, board, can_edit=can_edit, compact=compact, present=present, filtered=filtered)


def _draw_board(
    journey_map: JourneyMap, board, *, can_edit: bool, compact: bool, present: bool, filtered: bool
) -> None:
    """Build the cards, the curve, the stage parts and columns, and the board's notes."""
    set_cards(
        board.touchpoints,
        board.stages,
        can_edit=can_edit,
        compact=compact,
        revision=journey_map.revision,
        present=present,
    )
    board.curve_items = curve_items_html(board.touchpoints)
    stage_edit = _url_for_ids("journeys:stage_edit", journey_map.pk)
    stage_move = _url_for_ids("journeys:stage_move", journey_map.pk)
    stage_inline = _url_for_ids("journeys:stage_inline", journey_map.pk)
    touchpoint_add = _url_for_ids("journeys:touchpoint_add", journey_map.pk)
    for s in board.stages:
        s.edit_url = stage_edit(s.pk)
        s.move_url = stage_move(s.pk)
        s.inline_url = stage_inline(s.pk)
        s.add_touchpoint_url = touchpoint_add(s.pk)
    set_stage_parts(board.stages)
    if not compact:  # the columns layout; the funnel's are drawn by the template
        set_stage_columns(
            board.stages, can_edit=can_edit, present=present, filtered=filtered, revision=journey_map.revision
        )
    board.notes = map_notes_html(journey_map)


def _workspace_context(request: HttpRequest, journey_map: JourneyMap, *, present: bool = False) -> dict:
    options = _view_options(request)
    board = map_board(
        journey_map, channel=options["channel"], moments_only=options["moments_only"], options=options["extra"]
    )
    # Presenting is reading: the same board without its editing controls, whoever presents.
    can_edit = not present and has_role(request.user, journey_map.team_id, Role.EDITOR)
    _prepare_board(
        journey_map,
        board,
        can_edit=can_edit,
        compact=options["layout"] == "funnel",
        present=present,
        filtered=bool(options["channel"] or options["moments_only"]),
    )
    latest = MapVersion.objects.filter(journey_map=journey_map).only("number", "source_revision", "created_at").first()
    return {
        "journey_map": journey_map,
        "board": board,
        "curve": board.curve,
        "health": map_health(journey_map),
        "latest": latest,
        "unpublished": latest is None or latest.source_revision != journey_map.revision,
        "options": options,
        "channels": CHANNEL_CHOICES,
        "option_fields": map_option_fields(options["extra"]),
        "can_edit": can_edit,
        "present": present,
    }


def _with_present(request: HttpRequest, present: bool) -> str:
    """Return this page's URL with its filters kept and presentation mode switched on or off."""
    params = request.GET.copy()
    params.pop("present", None)
    if present:
        params["present"] = "1"
    query = params.urlencode()
    return f"{request.path}?{query}" if query else request.path


@login_required
@require_GET
def map_detail(request: HttpRequest, map_pk: int) -> HttpResponse:
    """The map: stages as columns (or a funnel), the emotion curve, health and the editing panel.

    ``?present=1`` shows the same board read-only and fit to the screen, for a team's review on a
    shared screen (docs/journeys.md, presenting and printing).
    """
    journey_map = _map(request, map_pk)
    present = request.GET.get("present") == "1"
    context = _workspace_context(request, journey_map, present=present)
    if request.htmx and request.htmx.target == "map-workspace":
        return render(request, "journeys/map_detail.html#workspace", context)
    context["map_links"] = map_links(journey_map)
    context["map_includes"] = map_includes()
    # The emotions the board's inline editor offers (label, score), in the reader's language.
    context["emotion_choices"] = [[value, str(label), EMOTION_SCORE[value]] for value, label in Emotion.choices]
    context["shortcuts"] = BOARD_SHORTCUTS
    context["present_url"] = _with_present(request, True)
    context["exit_present_url"] = _with_present(request, False)
    return render(request, "journeys/map_detail.html", context)


def _saved(request: HttpRequest, journey_map: JourneyMap, message: str) -> HttpResponse:
    """Answer a saved change: the fresh workspace (out of band) and an empty panel."""
    messages.success(request, message)
    if not request.htmx:
        return redirect("journeys:map_detail", journey_map.pk)
    context = {**_workspace_context(request, journey_map), "oob": True}
    return render(request, "journeys/map_detail.html#workspace", context)


def _conflict_board(request: HttpRequest, journey_map: JourneyMap, exc: services.MapConflict) -> HttpResponse:
    """Answer a stale board action (move, delete) with the current map and say what happened."""
    journey_map.refresh_from_db()
    messages.error(
        request,
        gettext("Someone else changed this map a moment ago. Here is the latest; nothing of yours was applied."),
    )
    if not request.htmx:
        return redirect("journeys:map_detail", journey_map.pk)
    context = {**_workspace_context(request, journey_map), "oob": True}
    return render(request, "journeys/map_detail.html#workspace", context, status=409)


def _panel(request, template_context: dict, status: int = 200) -> HttpResponse:
    template = "journeys/panel_form.html#panel" if request.htmx else "journeys/panel_form.html"
    response = render(request, template, template_context, status=status)
    if status == 409 and request.htmx:
        # A conflict means the board behind the panel is stale too: send the saved one out of band,
        # so the person compares their input with what the map holds now.
        journey_map = template_context["journey_map"]
        journey_map.refresh_from_db()
        context = {**_workspace_context(request, journey_map), "oob": True}
        response.content += render_to_string("journeys/map_detail.html#workspace", context, request).encode()
    return response


def _panel_flow(
    request, *, role, journey_map, form, title, action, save, success, current=None, delete_url=None, extra=None
):
    """Run a panel form (``teams.htmx.form_flow``): saved → the fresh workspace, invalid → 400, stale → 409."""
    conflict = {}

    def stale(exc) -> int:
        if isinstance(exc, services.MapConflict):
            conflict.update(_conflict_details(form, current() if current else None, exc))
            return 409
        return 400

    def panel(status: int) -> HttpResponse:
        context = {
            "journey_map": journey_map,
            "form": form,
            "title": title,
            "action": action,
            "conflict": conflict or None,
            "delete_url": delete_url,
            **(extra or {}),
        }
        return _panel(request, context, status)

    return form_flow(
        request,
        form,
        save=save,
        render=panel,
        role=role,
        respond=lambda _result: _saved(request, journey_map, success),
        catch=(services.MapConflict,),
        on_error=stale,
    )


def _display(form, name, value) -> str:
    field = form.fields.get(name)
    if value in (None, ""):
        return "—"
    if field is not None and hasattr(field, "choices"):
        for key, label in field.choices:
            if str(key) == str(getattr(value, "pk", value)):
                return str(label)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return str(value)


def _conflict_details(form, obj, exc: services.MapConflict) -> dict:
    """Keep the person's input; show where the current values differ; move the form to the new revision."""
    data = form.data.copy()
    data["revision"] = str(exc.current_revision)
    form.data = data
    theirs = []
    if obj is not None:
        for name in form._meta.fields:
            current = getattr(obj, name, None)
            mine = form.cleaned_data.get(name)
            if str(getattr(current, "pk", current) or "") != str(getattr(mine, "pk", mine) or ""):
                theirs.append(
                    {
                        "field": form.fields[name].label or name,
                        "theirs": _display(form, name, current),
                        "yours": _display(form, name, mine),
                    }
                )
        if not theirs:
            theirs = None
    elif obj is None and form.instance.pk is not None:
        return {"deleted": True, "revision": exc.current_revision}
    return {"differences": theirs, "revision": exc.current_revision}


@login_required
@require_http_methods(["GET", "POST"])
def map_edit(request: HttpRequest, map_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    form = MapForm(
        request.POST or None,
        instance=JourneyMap.objects.get(pk=journey_map.pk),
        team=journey_map.team,
        initial={"revision": journey_map.revision},
    )

    def save(data):
        services.map_update(
            journey_map=journey_map,
            actor=request.user,
            revision=data["revision"],
            **{k: data[k] for k in ("title", "description", "product", "persona", "scenario", "status")},
        )

    return _panel_flow(
        request,
        role=(journey_map.team_id, Role.EDITOR),
        journey_map=journey_map,
        form=form,
        title=gettext("Map details"),
        action=reverse("journeys:map_edit", args=[journey_map.pk]),
        save=save,
        success=gettext("Map details saved."),
        current=lambda: JourneyMap.objects.get(pk=journey_map.pk),
        delete_url=reverse("journeys:map_delete", args=[journey_map.pk]),
    )


@login_required
@require_POST
def map_delete(request: HttpRequest, map_pk: int) -> HttpResponse:
    journey_map = _map_for_write(request, map_pk)
    services.map_delete(journey_map=journey_map, actor=request.user)
    messages.success(request, gettext("Map “%(title)s” deleted.") % {"title": journey_map.title})
    return hx_redirect(request, reverse("journeys:map_list"))


# --- stages ------------------------------------------------------------------------------------


def _stage(request, map_pk, stage_pk) -> Stage:
    return get_object_for_user(
        Stage.objects.select_related("journey_map"), request.user, pk=stage_pk, journey_map_id=map_pk
    )


@login_required
@require_POST
def stage_move(request: HttpRequest, map_pk: int, stage_pk: int) -> HttpResponse:
    stage = _stage(request, map_pk, stage_pk)
    journey_map = stage.journey_map
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return HttpResponse(gettext("Say where to move the stage."), status=400)
    data = form.cleaned_data
    position = data["position"]
    if position is None:
        step = {"left": -1, "up": -1, "right": 1, "down": 1}.get(data["direction"], 0)
        position = max(0, stage.position + step)
    try:
        services.stage_move(stage=stage, actor=request.user, revision=data["revision"], position=position)
    except services.MapConflict as exc:
        return _conflict_board(request, journey_map, exc)
    return _saved(request, journey_map, gettext("Moved “%(name)s”.") % {"name": stage.name})


# --- touchpoints -------------------------------------------------------------------------------


def _touchpoint(request, map_pk, touchpoint_pk) -> Touchpoint:
    return get_object_for_user(
        Touchpoint.objects.select_related("stage__journey_map"),
        request.user,
        pk=touchpoint_pk,
        stage__journey_map_id=map_pk,
    )


@login_required
@require_POST
def touchpoint_move(request: HttpRequest, map_pk: int, touchpoint_pk: int) -> HttpResponse:
    """Move by keyboard buttons (direction) or by drag and drop (stage and position)."""
    tp = _touchpoint(request, map_pk, touchpoint_pk)
    journey_map = tp.stage.journey_map
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return HttpResponse(gettext("Say where to move the touchpoint."), status=400)
    data = form.cleaned_data
    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position", "id"))
    target, position = tp.stage, data["position"]
    if data["stage"] is not None:
        target = next((s for s in stages if s.pk == data["stage"]), None)
        if target is None:
            return HttpResponse(gettext("That stage is not on this map."), status=400)
    elif data["direction"] in ("up", "down"):
        position = max(0, tp.position + (-1 if data["direction"] == "up" else 1))
    elif data["direction"] in ("left", "right"):
        index = next(i for i, s in enumerate(stages) if s.pk == tp.stage_id) + (
            -1 if data["direction"] == "left" else 1
        )
        if not 0 <= index < len(stages):
            return _saved(request, journey_map, gettext("It is already in the first or last stage."))
        target, position = stages[index], None
    try:
        services.touchpoint_move(
            touchpoint=tp, actor=request.user, revision=data["revision"], stage=target, position=position
        )
    except services.MapConflict as exc:
        return _conflict_board(request, journey_map, exc)
    return _saved(
        request, journey_map, gettext("Moved “%(name)s” in %(stage)s.") % {"name": tp.name, "stage": target.name}
    )


@login_required
@require_GET
def touchpoint_history(request: HttpRequest, map_pk: int, touchpoint_pk: int) -> HttpResponse:
    """Who changed this touchpoint and its pain points, and what."""
    tp = _touchpoint(request, map_pk, touchpoint_pk)
    records = list(Touchpoint.history.filter(id=tp.pk).select_related("history_user").order_by("-history_date")[:50])
    entries = _history_entries(records, [*TOUCHPOINT_FORM_FIELDS, "stage", "position"])
    context = {"journey_map": tp.stage.journey_map, "touchpoint": tp, "entries": entries}
    template = "journeys/history.html#entries" if request.htmx else "journeys/history.html"
    return render(request, template, context)


# One whole sentence per action and kind of element, so each language orders the words and inflects
# the element its own way (Latvian's accusative, Bulgarian's articles), instead of "who + verb + what".
HISTORY_LINES = {
    ("+", "stage"): pgettext_lazy("history", "%(who)s created the stage “%(name)s”"),
    ("~", "stage"): pgettext_lazy("history", "%(who)s changed the stage “%(name)s”"),
    ("-", "stage"): pgettext_lazy("history", "%(who)s deleted the stage “%(name)s”"),
    ("+", "touchpoint"): pgettext_lazy("history", "%(who)s created the touchpoint “%(name)s”"),
    ("~", "touchpoint"): pgettext_lazy("history", "%(who)s changed the touchpoint “%(name)s”"),
    ("-", "touchpoint"): pgettext_lazy("history", "%(who)s deleted the touchpoint “%(name)s”"),
    ("+", "painpoint"): pgettext_lazy("history", "%(who)s created the pain point “%(name)s”"),
    ("~", "painpoint"): pgettext_lazy("history", "%(who)s changed the pain point “%(name)s”"),
    ("-", "painpoint"): pgettext_lazy("history", "%(who)s deleted the pain point “%(name)s”"),
}


def history_line(record) -> SafeString:
    """Return "Anna changed the touchpoint “Checkout”" for a history record, in the reader's language."""
    user = record.history_user
    who = (user.get_full_name() or user.username) if user is not None else gettext("Someone")
    name = getattr(record, "name", None) or getattr(record, "title", "")
    sentence = HISTORY_LINES[(record.history_type, record.instance_type._meta.model_name)]
    # Safe: the sentence itself is escaped, and both values are escaped or built by format_html.
    return mark_safe(
        conditional_escape(str(sentence)) % {"who": format_html("<strong>{}</strong>", who), "name": escape(name)}
    )


def _field_label(models, name: str) -> str:
    """The field's verbose name in the reader's language (the name itself when no model has such a field)."""
    for model in models if isinstance(models, tuple) else (models,):
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            continue
    return name.replace("_", " ")


def _history_entries(records: list, fields: list[str]) -> list[dict]:
    entries = []
    for i, rec in enumerate(records):
        older = records[i + 1] if i + 1 < len(records) else None
        changes = []
        if older is not None and rec.history_type == "~":
            delta = rec.diff_against(older, included_fields=fields)
            model = rec.instance_type
            changes = [{"field": _field_label(model, c.field), "old": c.old, "new": c.new} for c in delta.changes]
        entries.append({"when": rec.history_date, "line": history_line(rec), "changes": changes})
    return entries


@login_required
@require_GET
def map_history(request: HttpRequest, map_pk: int) -> HttpResponse:
    """The audit trail of the whole map: stages, touchpoints and pain points, newest first."""
    journey_map = _map(request, map_pk)
    stage_ids = set(Stage.history.filter(journey_map_id=journey_map.pk).values_list("id", flat=True))
    tp_ids = set(Touchpoint.history.filter(stage_id__in=stage_ids).values_list("id", flat=True))
    records = sorted(
        chain(
            Stage.history.filter(id__in=stage_ids).select_related("history_user").order_by("-history_date")[:100],
            Touchpoint.history.filter(id__in=tp_ids).select_related("history_user").order_by("-history_date")[:100],
            PainPoint.history.filter(touchpoint_id__in=tp_ids)
            .select_related("history_user")
            .order_by("-history_date")[:100],
        ),
        key=lambda r: r.history_date,
        reverse=True,
    )[:100]
    entries = [{"when": r.history_date, "line": history_line(r), "changes": []} for r in records]
    return render(request, "journeys/history.html", {"journey_map": journey_map, "entries": entries})


# --- stages, touchpoints and pain points: add, edit, delete ------------------------------------


@dataclass(frozen=True)
class MapPart:
    """What one kind of element on the map needs for its add, edit and delete pages."""

    model: type
    form: type
    fields: tuple[str, ...]
    create: Callable
    update: Callable
    delete: Callable
    parent_kind: str | None  # the kind it is added to (None: the map itself)
    map_path: str  # the lookup from the element to its map
    add_title: Callable[[object], str]
    added: Callable[[object, dict], str]
    edit_title: Callable[[object], str]
    saved: Callable[[], str]
    deleted: Callable[[object], str]
    add_methods: tuple[str, ...] = ("GET", "POST")
    add_initial: tuple[tuple[str, object], ...] = ()
    add_auto_id: str = "id_%s"
    edit_extra: Callable | None = None

    def get(self, request: HttpRequest, map_pk: int, pk: int):
        return get_object_for_user(
            self.model.objects.select_related(self.map_path),
            request.user,
            pk=pk,
            **{f"{self.map_path}_id": map_pk},
        )

    def map_of(self, obj) -> JourneyMap:
        return attrgetter(self.map_path.replace("__", "."))(obj)


def _touchpoint_extra(tp: Touchpoint, journey_map: JourneyMap) -> dict:
    return {
        "touchpoint": tp,
        "pain_points": list(PainPoint.objects.filter(touchpoint=tp).order_by("-severity", "created_at")),
        "history_url": reverse("journeys:touchpoint_history", args=[journey_map.pk, tp.pk]),
    }


TOUCHPOINT_FORM_FIELDS = tuple(TouchpointForm._meta.fields)

# The URL names stay per kind (stage_add, touchpoint_edit, ...); the views below serve them all.
PARTS = {
    "stage": MapPart(
        model=Stage,
        form=StageForm,
        fields=tuple(StageForm._meta.fields),
        create=lambda parent, **kw: services.stage_create(journey_map=parent, **kw),
        update=lambda obj, **kw: services.stage_update(stage=obj, **kw),
        delete=lambda obj, **kw: services.stage_delete(stage=obj, **kw),
        parent_kind=None,
        map_path="journey_map",
        add_title=lambda parent: gettext("Add a stage"),
        added=lambda parent, post: gettext("Stage “%(name)s” added.") % {"name": post.get("name", "")},
        edit_title=lambda obj: gettext("Stage"),
        saved=lambda: gettext("Stage saved."),
        deleted=lambda obj: (
            gettext("Stage “%(name)s” deleted. Undo (Ctrl+Z) brings it back with its touchpoints.") % {"name": obj.name}
        ),
        add_methods=("POST",),
        # The board's own "add a stage" form is on the page; its fields need ids of their own.
        add_auto_id="new-stage-%s",
    ),
    "touchpoint": MapPart(
        model=Touchpoint,
        form=TouchpointForm,
        fields=TOUCHPOINT_FORM_FIELDS,
        create=lambda parent, **kw: services.touchpoint_create(stage=parent, **kw),
        update=lambda obj, **kw: services.touchpoint_update(touchpoint=obj, **kw),
        delete=lambda obj, **kw: services.touchpoint_delete(touchpoint=obj, **kw),
        parent_kind="stage",
        map_path="stage__journey_map",
        add_title=lambda stage: gettext("Add a touchpoint to %(stage)s") % {"stage": stage.name},
        added=lambda stage, post: (
            gettext("Touchpoint “%(name)s” added to %(stage)s.") % {"name": post.get("name", ""), "stage": stage.name}
        ),
        edit_title=lambda obj: gettext("Touchpoint"),
        saved=lambda: gettext("Touchpoint saved."),
        deleted=lambda obj: gettext("Touchpoint “%(name)s” deleted.") % {"name": obj.name},
        edit_extra=_touchpoint_extra,
    ),
    "pain_point": MapPart(
        model=PainPoint,
        form=PainPointForm,
        fields=tuple(PainPointForm._meta.fields),
        create=lambda parent, **kw: services.pain_point_create(touchpoint=parent, **kw),
        update=lambda obj, **kw: services.pain_point_update(pain_point=obj, **kw),
        delete=lambda obj, **kw: services.pain_point_delete(pain_point=obj, **kw),
        parent_kind="touchpoint",
        map_path="touchpoint__stage__journey_map",
        add_title=lambda tp: gettext("Add a pain point to %(name)s") % {"name": tp.name},
        added=lambda tp, post: gettext("Pain point added to %(name)s.") % {"name": tp.name},
        edit_title=lambda obj: gettext("Pain point at %(name)s") % {"name": obj.touchpoint.name},
        saved=lambda: gettext("Pain point saved."),
        deleted=lambda obj: gettext("Pain point “%(title)s” deleted.") % {"title": obj.title},
        add_initial=(("severity", 3),),
    ),
}


def _part_pk(kind: str, kwargs: dict) -> int:
    return kwargs[f"{kind}_pk"]


@login_required
@require_http_methods(["GET", "POST"])
def part_add(request: HttpRequest, map_pk: int, kind: str, **kwargs) -> HttpResponse:
    """Add a stage to the map, a touchpoint to a stage or a pain point to a touchpoint (``PARTS``)."""
    part = PARTS[kind]
    if request.method not in part.add_methods:
        return HttpResponseNotAllowed(part.add_methods)
    if part.parent_kind is None:
        parent = journey_map = _map(request, map_pk)
    else:
        parent_part = PARTS[part.parent_kind]
        parent = parent_part.get(request, map_pk, _part_pk(part.parent_kind, kwargs))
        journey_map = parent_part.map_of(parent)
    if request.method == "POST":
        form = part.form(request.POST, auto_id=part.add_auto_id)
    else:
        form = part.form(initial={"revision": journey_map.revision, **dict(part.add_initial)})
    url_args = [journey_map.pk] if part.parent_kind is None else [journey_map.pk, parent.pk]
    return _panel_flow(
        request,
        role=(journey_map.team_id, Role.EDITOR),
        journey_map=journey_map,
        form=form,
        title=part.add_title(parent),
        action=reverse(f"journeys:{kind}_add", args=url_args),
        save=lambda data: part.create(
            parent, actor=request.user, revision=data["revision"], **{k: data[k] for k in part.fields}
        ),
        success=part.added(parent, request.POST),
    )


@login_required
@require_http_methods(["GET", "POST"])
def part_edit(request: HttpRequest, map_pk: int, kind: str, **kwargs) -> HttpResponse:
    """Edit a stage, a touchpoint or a pain point in the side panel (``PARTS``)."""
    part = PARTS[kind]
    obj = part.get(request, map_pk, _part_pk(kind, kwargs))
    journey_map = part.map_of(obj)
    form = part.form(request.POST or None, instance=obj, initial={"revision": journey_map.revision})
    return _panel_flow(
        request,
        role=(journey_map.team_id, Role.EDITOR),
        journey_map=journey_map,
        form=form,
        title=part.edit_title(obj),
        action=reverse(f"journeys:{kind}_edit", args=[journey_map.pk, obj.pk]),
        save=lambda data: part.update(
            obj, actor=request.user, revision=data["revision"], **{k: data[k] for k in part.fields}
        ),
        success=part.saved(),
        current=lambda: part.model.objects.filter(pk=obj.pk).first(),
        delete_url=reverse(f"journeys:{kind}_delete", args=[journey_map.pk, obj.pk]),
        extra=part.edit_extra(obj, journey_map) if part.edit_extra else None,
    )


@login_required
@require_POST
def part_delete(request: HttpRequest, map_pk: int, kind: str, **kwargs) -> HttpResponse:
    """Delete a stage, a touchpoint or a pain point; a stale revision answers the current board."""
    part = PARTS[kind]
    obj = part.get(request, map_pk, _part_pk(kind, kwargs))
    journey_map = part.map_of(obj)
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    form = MoveForm(request.POST)
    revision = form.cleaned_data["revision"] if form.is_valid() else None
    if revision is None:
        return HttpResponse(gettext("The form is missing the map's revision; reload the page."), status=400)
    try:
        part.delete(obj, actor=request.user, revision=revision)
    except services.MapConflict as exc:
        return _conflict_board(request, journey_map, exc)
    return _saved(request, journey_map, part.deleted(obj))


# --- editing in place and undo (static/waymark/board-edit.js) ----------------------------------


# The board's keyboard shortcuts (static/waymark/board-edit.js) for its help dialog: each row's key
# groups (alternatives) and what they do. Key legends read the same in every language, as printed on keys.
BOARD_SHORTCUTS = [
    ((("Ctrl", "Z"), ("⌘", "Z"), ("U",)), gettext_lazy("Undo your last change to this map")),
    ((("F2",), ("R",)), gettext_lazy("Rename the focused touchpoint or stage here")),
    ((("E",),), gettext_lazy("Change the focused touchpoint's emotion")),
    ((("Enter",), ("Esc",)), gettext_lazy("Save or cancel what you are editing here")),
    (
        (("Shift", "← →"),),
        gettext_lazy("Move the focused stage, or the focused touchpoint to the previous or next stage"),
    ),
    ((("Shift", "↑ ↓"),), gettext_lazy("Move the focused touchpoint up or down")),
    ((("?",),), gettext_lazy("Show these shortcuts")),
]


def _refused_board(request: HttpRequest, journey_map: JourneyMap, message: str, status: int) -> HttpResponse:
    """Answer a refused board edit with the current board and a message saying why."""
    journey_map.refresh_from_db()
    messages.error(request, message)
    if not request.htmx:
        return redirect("journeys:map_detail", journey_map.pk)
    context = {**_workspace_context(request, journey_map), "oob": True}
    return render(request, "journeys/map_detail.html#workspace", context, status=status)


@login_required
@require_POST
def part_inline(request: HttpRequest, map_pk: int, kind: str, **kwargs) -> HttpResponse:
    """Change a stage's name, or a touchpoint's name or emotion, in place on the board.

    Invalid input answers 400 and a stale revision 409, each with the current board; the script
    then opens the editor again with what the person typed, so nothing they wrote is lost.
    """
    part = PARTS[kind]
    obj = part.get(request, map_pk, _part_pk(kind, kwargs))
    journey_map = part.map_of(obj)
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    form = InlineEditForm(request.POST)
    if not form.is_valid():
        return HttpResponse(gettext("Say which field to change, its new value and the map's revision."), status=400)
    field, value = form.cleaned_data["field"], form.cleaned_data["value"].strip()
    if field == "name" and not value:
        return _refused_board(request, journey_map, gettext("A name cannot be empty."), 400)
    if field == "emotion_label" and (kind != "touchpoint" or value not in Emotion.values):
        return _refused_board(request, journey_map, gettext("Choose one of the emotions."), 400)
    try:
        part.update(obj, actor=request.user, revision=form.cleaned_data["revision"], **{field: value})
    except services.MapConflict as exc:
        return _conflict_board(request, journey_map, exc)
    except ValidationError as exc:
        return _refused_board(request, journey_map, " ".join(exc.messages), 400)
    return _saved(request, journey_map, part.saved())


def undone_message(change: MapChange) -> str:
    """Say what an undo put back, in one sentence per kind of change."""
    Kind = MapChange.Kind
    texts = {
        Kind.STAGE_UPDATE: pgettext("undo", "Undone: your change to the stage “%(name)s”."),
        Kind.STAGE_CREATE: pgettext("undo", "Undone: the stage “%(name)s” you added is removed."),
        Kind.STAGE_DELETE: pgettext("undo", "Undone: the stage “%(name)s” is back."),
        Kind.STAGES_REORDER: pgettext("undo", "Undone: the stages are back in their order."),
        Kind.TOUCHPOINT_UPDATE: pgettext("undo", "Undone: your change to the touchpoint “%(name)s”."),
        Kind.TOUCHPOINT_CREATE: pgettext("undo", "Undone: the touchpoint “%(name)s” you added is removed."),
        Kind.TOUCHPOINT_DELETE: pgettext("undo", "Undone: the touchpoint “%(name)s” is back."),
        Kind.TOUCHPOINT_MOVE: pgettext("undo", "Undone: the touchpoint “%(name)s” is back in its place."),
        Kind.PAIN_POINT_UPDATE: pgettext("undo", "Undone: your change to the pain point “%(name)s”."),
        Kind.PAIN_POINT_CREATE: pgettext("undo", "Undone: the pain point “%(name)s” you added is removed."),
        Kind.PAIN_POINT_DELETE: pgettext("undo", "Undone: the pain point “%(name)s” is back."),
    }
    return texts[change.kind] % {"name": change.label}


@login_required
@require_POST
def map_undo(request: HttpRequest, map_pk: int) -> HttpResponse:
    """Undo the person's last change to the map (``journeys.services.map_undo``)."""
    journey_map = _map_for_write(request, map_pk)
    form = RevisionForm(request.POST)
    if not form.is_valid():
        return HttpResponse(gettext("The form is missing the map's revision; reload the page."), status=400)
    try:
        change = services.map_undo(journey_map=journey_map, actor=request.user, revision=form.cleaned_data["revision"])
    except services.MapConflict as exc:
        return _conflict_board(request, journey_map, exc)
    except services.UndoRefused as exc:
        return _refused_board(request, journey_map, str(exc), 409)
    except ValidationError as exc:
        return _refused_board(request, journey_map, " ".join(exc.messages), 400)
    return _saved(request, journey_map, undone_message(change))


# --- versions ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def map_publish(request: HttpRequest, map_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    form = PublishForm(request.POST or None, initial={"revision": journey_map.revision})
    conflict = {}

    def stale(exc) -> int:
        if isinstance(exc, services.MapConflict):
            conflict.update(revision=exc.current_revision, publish=True)
            data = form.data.copy()
            data["revision"] = str(exc.current_revision)
            form.data = data
            return 409
        return 400

    def panel(status: int) -> HttpResponse:
        journey_map.refresh_from_db(fields=["revision"])
        nothing = journey_map_revision_published(journey_map)
        context = {
            "journey_map": journey_map,
            "form": form,
            "title": gettext("Publish a version"),
            "action": reverse("journeys:map_publish", args=[journey_map.pk]),
            "conflict": conflict or None,
            "submit_label": gettext("Nothing to publish") if nothing else gettext("Publish"),
            "submit_disabled": nothing,
        }
        return _panel(request, context, status)

    return form_flow(
        request,
        form,
        role=(journey_map.team_id, Role.EDITOR),
        save=lambda data: services.map_publish(
            journey_map=journey_map, actor=request.user, note=data["note"], revision=data["revision"]
        ),
        render=panel,
        message=lambda version: gettext("Published version %(number)s.") % {"number": version.number},
        redirect_to=reverse("journeys:version_list", args=[journey_map.pk]),
        catch=(services.MapConflict,),
        on_error=stale,
    )


@login_required
@require_GET
def version_list(request: HttpRequest, map_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    versions = list(map_version_list(journey_map=journey_map))
    context = {
        "journey_map": journey_map,
        "versions": versions,
        "unpublished": not versions or versions[0].source_revision != journey_map.revision,
        "can_edit": has_role(request.user, journey_map.team_id, Role.EDITOR),
        "publish_form": PublishForm(initial={"revision": journey_map.revision}),
    }
    return render(request, "journeys/version_list.html", context)


def _version(journey_map, number) -> MapVersion:
    try:
        return MapVersion.objects.select_related("created_by").get(journey_map=journey_map, number=number)
    except MapVersion.DoesNotExist:
        raise Http404(gettext("No such version.")) from None


@login_required
@require_GET
def version_detail(request: HttpRequest, map_pk: int, number: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    version = _version(journey_map, number)
    context = {
        "journey_map": journey_map,
        "version": version,
        "document": {"stages": _mark(version.snapshot, {}, "to")},
        "can_edit": has_role(request.user, journey_map.team_id, Role.EDITOR),
    }
    return render(request, "journeys/version_detail.html", context)


@login_required
@require_POST
def version_restore(request: HttpRequest, map_pk: int, number: int) -> HttpResponse:
    journey_map = _map_for_write(request, map_pk)
    _version(journey_map, number)
    form = MoveForm(request.POST)
    revision = form.cleaned_data["revision"] if form.is_valid() else None
    try:
        services.map_restore(journey_map=journey_map, actor=request.user, number=number, revision=revision)
    except services.MapConflict:
        messages.error(
            request, gettext("Someone else changed the map while you looked; check the latest before restoring.")
        )
        return hx_redirect(request, reverse("journeys:version_list", args=[journey_map.pk]))
    messages.success(
        request,
        gettext("Restored version %(number)s into the draft. Publish it to make it a new version.")
        % {"number": number},
    )
    return hx_redirect(request, reverse("journeys:map_detail", args=[journey_map.pk]))


@login_required
@require_GET
def map_compare(request: HttpRequest, map_pk: int) -> HttpResponse:
    """Compare two versions, or a version and the draft, side by side."""
    journey_map = _map(request, map_pk)
    numbers = list(MapVersion.objects.filter(journey_map=journey_map).values_list("number", flat=True))
    default_from = str(numbers[1] if len(numbers) > 1 else numbers[0]) if numbers else "draft"
    default_to = str(numbers[0]) if len(numbers) > 1 and journey_map_revision_published(journey_map) else "draft"
    side_from = request.GET.get("from") or default_from
    side_to = request.GET.get("to") or default_to
    error = None
    documents = {}
    for name, side in (("from", side_from), ("to", side_to)):
        if side == "draft":
            documents[name] = map_document(journey_map)
        elif side.isdigit() and int(side) in numbers:
            documents[name] = MapVersion.objects.get(journey_map=journey_map, number=int(side)).snapshot
        else:
            error = gettext("This map has no version %(number)s.") % {"number": side}
            documents[name] = {"stages": [], "map": {}}
    diff = diff_documents(documents["from"], documents["to"])
    statuses = _diff_statuses()
    for entry in chain(diff["stages"], diff["touchpoints"], diff["pain_points"]):
        entry["status_label"] = statuses.get(entry["status"], entry["status"])
        for change in entry.get("changes", []):
            change["label"] = _field_label(DOCUMENT_MODELS, change["field"])
    for change in diff["map"]:
        change["label"] = _field_label(JourneyMap, change["field"])
    index = diff_index(diff)
    context = {
        "journey_map": journey_map,
        "numbers": numbers,
        "side_from": side_from,
        "side_to": side_to,
        "diff": diff,
        "left": _mark(documents["from"], index, "from"),
        "right": _mark(documents["to"], index, "to"),
        "error": error,
        "can_edit": has_role(request.user, journey_map.team_id, Role.EDITOR),
    }
    template = "journeys/compare.html#comparison" if request.htmx else "journeys/compare.html"
    return render(request, template, context, status=400 if error else 200)


def journey_map_revision_published(journey_map) -> bool:
    latest = MapVersion.objects.filter(journey_map=journey_map).values_list("source_revision", flat=True).first()
    return latest == journey_map.revision


# Where the fields of a map document's elements come from, for their names in the reader's language.
DOCUMENT_MODELS = (Touchpoint, PainPoint, Stage)


def _diff_statuses() -> dict[str, str]:
    return {
        "added": pgettext("diff", "added"),
        "removed": pgettext("diff", "removed"),
        "moved": pgettext("diff", "moved"),
        "changed": pgettext("diff", "changed"),
    }


def _mark(document: dict, index: dict, side: str) -> list[dict]:
    """Return the document's stages with each element's change on this side of the comparison."""

    def mark(element):
        entry = index.get(element["key"])
        if entry is None:
            return None
        if entry["status"] == "added":
            return {"kind": "added", "label": pgettext("diff", "Added")} if side == "to" else None
        if entry["status"] == "removed":
            return {"kind": "removed", "label": pgettext("diff", "Removed")} if side == "from" else None
        fields = [_field_label(DOCUMENT_MODELS, c["field"]) for c in entry.get("changes", [])]
        moved = pgettext("diff", "Moved") if entry.get("moved") else ""
        changed = gettext("Changed: %(fields)s") % {"fields": ", ".join(fields)} if fields else ""
        label = " · ".join(filter(None, [moved, changed]))
        return {"kind": "moved" if entry.get("moved") and not fields else "changed", "label": label, "entry": entry}

    # The document keeps choice values ("page", "curious", "open"); the reader sees their labels.
    channels, emotions = dict(Channel.choices), dict(Emotion.choices)
    statuses = dict(PainPoint.Status.choices)
    stages = []
    for st in document.get("stages", []):
        touchpoints = []
        for tp in st.get("touchpoints", []):
            pain_points = [
                {**pp, "mark": mark(pp), "status_label": statuses.get(pp.get("status"), pp.get("status"))}
                for pp in tp.get("pain_points", [])
            ]
            touchpoints.append(
                {
                    **tp,
                    "mark": mark(tp),
                    "pain_points": pain_points,
                    "channel_label": channels.get(tp.get("channel"), tp.get("channel")),
                    "emotion_text": emotions.get(tp.get("emotion_label"), tp.get("emotion_label")),
                }
            )
        stages.append({**st, "mark": mark(st), "touchpoints": touchpoints})
    return stages


# --- share links --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def map_share(request: HttpRequest, map_pk: int) -> HttpResponse:
    """The map's read-only links: make one (editors), see each one's views, revoke."""
    journey_map = _map(request, map_pk)
    form = ShareLinkForm(request.POST or None, journey_map=journey_map)
    can_edit = has_role(request.user, journey_map.team_id, Role.EDITOR)

    def page(status: int) -> HttpResponse:
        links = selectors.share_link_list(user=request.user, journey_map=journey_map)
        context = {"journey_map": journey_map, "form": form, "links": links, "can_edit": can_edit}
        return render(request, "journeys/map_share.html", context, status=status)

    return form_flow(
        request,
        form,
        role=(journey_map.team_id, Role.EDITOR),
        save=lambda data: services.share_link_create(journey_map=journey_map, actor=request.user, **data),
        render=page,
        message=gettext("Share link made: copy it from the list."),
        redirect_to=reverse("journeys:map_share", args=[journey_map.pk]),
    )


@login_required
@require_POST
def share_link_revoke(request: HttpRequest, map_pk: int, link_pk: int) -> HttpResponse:
    journey_map = _map_for_write(request, map_pk)
    link = get_object_for_user(ShareLink, request.user, pk=link_pk, journey_map=journey_map)
    services.share_link_revoke(link=link, actor=request.user)
    messages.success(request, gettext("Share link revoked: it no longer opens."))
    return hx_redirect(request, reverse("journeys:map_share", args=[journey_map.pk]))


@require_GET
def shared_map(request: HttpRequest, token: str) -> HttpResponse:
    """The map behind a share link, for anyone holding it: read-only, nothing else of the team."""
    try:
        link, document = services.share_link_open(
            token=token,
            ip=request.META.get("REMOTE_ADDR", ""),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except services.ShareLinkInvalid as exc:
        reasons = {
            "revoked": gettext("This link was revoked by the team that shared it."),
            "expired": gettext("This link has expired. Ask the team that shared it for a new one."),
        }
        reason = reasons.get(exc.reason, gettext("This link is not valid. Check that it was copied whole."))
        response = render(request, "journeys/shared_map.html", {"reason": reason}, status=404)
    else:
        context = {"link": link, "document": document, "stages": _mark(document, {}, "to")}
        response = render(request, "journeys/shared_map.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


# --- export ------------------------------------------------------------------------------------


@login_required
@require_GET
def map_export(request: HttpRequest, map_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    response = JsonResponse(services.map_export(journey_map=journey_map), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="map-{journey_map.pk}.json"'
    return response


@login_required
@require_GET
def map_touchpoints_csv(request: HttpRequest, map_pk: int) -> HttpResponse:
    return touchpoints_csv_response(_map(request, map_pk))


@login_required
@require_GET
@team_required
def portfolio(request: HttpRequest) -> HttpResponse:
    """The current team's maps grouped by product, with health and key figures side by side."""
    team = request.team
    status = request.GET.get("status", "")
    status = status if status in JourneyMap.Status.values else ""
    groups = portfolio_selectors.portfolio(user=request.user, team=team, status=status)
    columns = portfolio_selectors.columns()
    for group in groups:
        for m in group.maps:
            m.figure_cells = [m.figures.get(c["key"]) for c in columns]
    context = {
        "groups": groups,
        "columns": columns,
        "status": status,
        "statuses": JourneyMap.Status.choices,
        "can_edit": has_role(request.user, team.pk, Role.EDITOR),
    }
    return render(request, "journeys/portfolio.html", context)

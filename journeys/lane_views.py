"""Pages of the swimlanes canvas: the canvas, its lanes' settings, the text of each cell, and the map drawn
as a picture (SVG, PDF, PNG) for the team and behind a share link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from teams.access import get_object_for_user, has_role, require_role
from teams.htmx import form_flow
from teams.models import Role

from . import services
from .exports import map_picture, picture_response, version_document
from .forms import LaneCellForm, LaneForm, MoveForm
from .models import Lane, Stage
from .snapshot import map_document
from .swimlanes import emotion_points, swimlane_rows
from .views import _map


def _lane(request: HttpRequest, map_pk: int, lane_pk: int) -> Lane:
    return get_object_for_user(
        Lane.objects.select_related("journey_map"), request.user, pk=lane_pk, journey_map_id=map_pk
    )


def _conflict(form) -> int:
    form.add_error(
        None, gettext("Someone else changed this map a moment ago: check the page again, then save once more.")
    )
    return 409


@login_required
@require_GET
def swimlanes(request: HttpRequest, map_pk: int) -> HttpResponse:
    """The canvas: a row per lane under the stages; the board is the map's other view."""
    journey_map = _map(request, map_pk)
    document = map_document(journey_map)
    lanes = list(Lane.objects.filter(journey_map=journey_map).order_by("position", "id"))
    rows = swimlane_rows(document, journey_map=journey_map, lanes=lanes)
    stage_ids = list(
        Stage.objects.filter(journey_map=journey_map).order_by("position", "id").values_list("pk", flat=True)
    )
    names = [s["name"] for s in document["stages"]]
    for row in rows:
        row.columns = list(zip(stage_ids, names, row.cells, row.texts, strict=True))
    context = {
        "journey_map": journey_map,
        "stages": document["stages"],
        "rows": rows,
        "configured": bool(lanes),
        "points": emotion_points(document),
        "can_edit": has_role(request.user, journey_map.team_id, Role.EDITOR),
    }
    return render(request, "journeys/swimlanes.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def lane_settings(request: HttpRequest, map_pk: int) -> HttpResponse:
    """The map's lanes in order: add one, rename, move, delete, or add the standard set."""
    journey_map = _map(request, map_pk)
    form = LaneForm(request.POST or None, initial={"revision": journey_map.revision})

    def page(status: int) -> HttpResponse:
        context = {
            "journey_map": journey_map,
            "form": form,
            "lanes": Lane.objects.filter(journey_map=journey_map).order_by("position", "id"),
            "can_edit": has_role(request.user, journey_map.team_id, Role.EDITOR),
        }
        return render(request, "journeys/lane_settings.html", context, status=status)

    return form_flow(
        request,
        form,
        role=(journey_map.team_id, Role.EDITOR),
        save=lambda data: services.lane_create(
            journey_map=journey_map,
            actor=request.user,
            revision=data["revision"],
            kind=data["kind"],
            title=data["title"],
        ),
        render=page,
        message=lambda lane: gettext("Lane “%(lane)s” added.") % {"lane": lane},
        redirect_to=reverse("journeys:lane_settings", args=[journey_map.pk]),
        catch=(services.MapConflict,),
        on_error=lambda exc: _conflict(form) if isinstance(exc, services.MapConflict) else 400,
    )


@login_required
@require_POST
def lanes_standard(request: HttpRequest, map_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    added = services.lanes_add_standard(journey_map=journey_map, actor=request.user, revision=None)
    messages.success(request, gettext("%(count)s lanes added.") % {"count": len(added)})
    return redirect("journeys:swimlanes", journey_map.pk)


@login_required
@require_http_methods(["GET", "POST"])
def lane_edit(request: HttpRequest, map_pk: int, lane_pk: int) -> HttpResponse:
    lane = _lane(request, map_pk, lane_pk)
    journey_map = lane.journey_map
    form = LaneForm(
        request.POST or None, initial={"revision": journey_map.revision, "kind": lane.kind, "title": lane.title}
    )

    def page(status: int) -> HttpResponse:
        context = {"journey_map": journey_map, "lane": lane, "form": form}
        return render(request, "journeys/lane_form.html", context, status=status)

    return form_flow(
        request,
        form,
        role=(journey_map.team_id, Role.EDITOR),
        save=lambda data: services.lane_update(
            lane=lane, actor=request.user, revision=data["revision"], kind=data["kind"], title=data["title"]
        ),
        render=page,
        message=gettext("Lane saved."),
        redirect_to=reverse("journeys:lane_settings", args=[journey_map.pk]),
        catch=(services.MapConflict,),
        on_error=lambda exc: _conflict(form) if isinstance(exc, services.MapConflict) else 400,
    )


@login_required
@require_POST
def lane_move(request: HttpRequest, map_pk: int, lane_pk: int) -> HttpResponse:
    lane = _lane(request, map_pk, lane_pk)
    require_role(request.user, lane.journey_map.team_id, Role.EDITOR)
    form = MoveForm(request.POST)
    if not form.is_valid() or form.cleaned_data["direction"] not in ("up", "down"):
        return HttpResponse(gettext("Say where to move the lane."), status=400)
    step = -1 if form.cleaned_data["direction"] == "up" else 1
    try:
        services.lane_move(
            lane=lane, actor=request.user, revision=form.cleaned_data["revision"], position=max(0, lane.position + step)
        )
    except services.MapConflict:
        messages.error(request, gettext("Someone else changed this map a moment ago: nothing was moved."))
        return redirect("journeys:lane_settings", map_pk)
    messages.success(request, gettext("Moved “%(lane)s”.") % {"lane": lane})
    return redirect("journeys:lane_settings", map_pk)


@login_required
@require_POST
def lane_delete(request: HttpRequest, map_pk: int, lane_pk: int) -> HttpResponse:
    lane = _lane(request, map_pk, lane_pk)
    require_role(request.user, lane.journey_map.team_id, Role.EDITOR)
    services.lane_delete(lane=lane, actor=request.user, revision=None)
    messages.success(request, gettext("Lane “%(lane)s” deleted.") % {"lane": lane})
    return redirect("journeys:lane_settings", map_pk)


@login_required
@require_http_methods(["GET", "POST"])
def lane_cell_edit(request: HttpRequest, map_pk: int, lane_pk: int, stage_pk: int) -> HttpResponse:
    """Write what a text lane says under one stage."""
    lane = _lane(request, map_pk, lane_pk)
    stage = get_object_for_user(Stage, request.user, pk=stage_pk, journey_map_id=map_pk)
    journey_map = lane.journey_map
    if not lane.is_text:
        return HttpResponse(gettext("This lane is drawn from the map itself: it has no text of its own."), status=404)
    cell = lane.cells.filter(stage=stage).first()
    form = LaneCellForm(
        request.POST or None, initial={"revision": journey_map.revision, "text": cell.text if cell else ""}
    )

    def page(status: int) -> HttpResponse:
        context = {"journey_map": journey_map, "lane": lane, "stage": stage, "form": form}
        return render(request, "journeys/lane_cell_form.html", context, status=status)

    return form_flow(
        request,
        form,
        role=(journey_map.team_id, Role.EDITOR),
        save=lambda data: services.lane_cell_set(
            lane=lane, stage=stage, actor=request.user, revision=data["revision"], text=data["text"]
        ),
        render=page,
        message=gettext("Saved."),
        redirect_to=reverse("journeys:swimlanes", args=[journey_map.pk]) + f"#lane-{lane.pk}",
        catch=(services.MapConflict,),
        on_error=lambda exc: _conflict(form) if isinstance(exc, services.MapConflict) else 400,
    )


@login_required
@require_GET
def map_export_picture(request: HttpRequest, map_pk: int, fmt: str) -> HttpResponse:
    """The map as it looks, stages, emotion curve and lanes, as an SVG, PDF or PNG download (``?version=``)."""
    journey_map = _map(request, map_pk)
    document, version = version_document(journey_map, request.GET.get("version"))
    content = map_picture(journey_map=journey_map, document=document, fmt=fmt, version=version)
    return picture_response(content, fmt, title=journey_map.title, pk=journey_map.pk)


@require_GET
def shared_map_picture(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """The map behind a share link as a PDF or PNG: what its page shows, logged as a view like the page."""
    try:
        link, document = services.share_link_open(
            token=token,
            ip=request.META.get("REMOTE_ADDR", ""),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except services.ShareLinkInvalid:
        response = HttpResponse(gettext("This link is not valid, was revoked or has expired."), status=404)
    else:
        content = map_picture(
            journey_map=link.journey_map, document=document, fmt=fmt, version=link.version, with_sources=False
        )
        response = picture_response(content, fmt, title=document["map"]["title"], pk=link.journey_map_id)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response

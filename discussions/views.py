"""Pages and panels of discussions: the threads about a part of the map (in the map's side panel),
replies, resolving, editing one's comments, notifications with the header's bell, and presence."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys.models import JourneyMap, MapVersion, PainPoint, Stage, Touchpoint
from teams.access import get_object_for_user, has_role, require_role
from teams.htmx import form_flow, hx_redirect
from teams.middleware import follow_team
from teams.models import Role

from . import board, selectors, services
from .emails import thread_path
from .forms import CommentForm, ThreadForm
from .mentions import team_usernames
from .models import Comment, Thread

# --- the threads panel ----------------------------------------------------------------------
# A panel shows the threads about one part of the board: the map (with its versions' threads), a
# stage, or a touchpoint (with its pain points' threads, which have no badge of their own).


def _part(journey_map: JourneyMap, kind: str, pk: int | None):
    if kind == "map":
        return journey_map
    model, path = {"stage": (Stage, "journey_map"), "touchpoint": (Touchpoint, "stage__journey_map")}[kind]
    part = model.objects.filter(pk=pk, **{path: journey_map}).first()
    if part is None:
        raise Http404(gettext("No such object."))
    return part


def _home(thread: Thread) -> tuple[str, int | None]:
    """Return the panel a thread is shown in: ``(kind, pk)``."""
    if thread.target == Thread.Target.STAGE:
        return "stage", thread.stage_id
    if thread.target == Thread.Target.TOUCHPOINT:
        return "touchpoint", thread.touchpoint_id
    if thread.target == Thread.Target.PAIN_POINT:
        return "touchpoint", thread.pain_point.touchpoint_id
    return "map", None


def _panel_url(journey_map: JourneyMap, kind: str, pk: int | None) -> str:
    if kind == "map":
        return reverse("discussions:map_threads", args=[journey_map.pk])
    return reverse(f"discussions:{kind}_threads", args=[journey_map.pk, pk])


def _about_choices(journey_map: JourneyMap, kind: str, part) -> list[tuple[str, str]]:
    """What a new thread in this panel may be about: the part itself, its pain points, the map's versions."""
    if kind == "map":
        versions = (
            MapVersion.objects.filter(journey_map=journey_map).order_by("-number").values_list("pk", "number")[:20]
        )
        return [("map", gettext("The whole map"))] + [
            (f"version:{pk}", gettext("Version %(n)s") % {"n": number}) for pk, number in versions
        ]
    if kind == "touchpoint":
        pains = PainPoint.objects.filter(touchpoint=part).order_by("-severity", "created_at").values_list("pk", "title")
        return [("touchpoint", gettext("This touchpoint"))] + [
            (f"pain_point:{pk}", gettext("Pain point: %(title)s") % {"title": title}) for pk, title in pains
        ]
    return [("stage", gettext("This stage"))]


def _about_part(journey_map: JourneyMap, part, about: str):
    """Return what a new thread is about from the form's (validated) choice; one deleted meanwhile is a form error."""
    kind, _sep, pk = about.partition(":")
    found = part
    if kind == "version":
        found = MapVersion.objects.filter(pk=int(pk), journey_map=journey_map).first()
    elif kind == "pain_point":
        found = PainPoint.objects.filter(pk=int(pk), touchpoint=part).first()
    if found is None:
        raise ValidationError({"about": gettext("This was deleted a moment ago.")})
    return found


def _panel_context(request, journey_map: JourneyMap, kind: str, part, *, form=None, focus: int | None = None) -> dict:
    can_edit = has_role(request.user, journey_map.team_id, Role.EDITOR)
    threads = selectors.threads_about(
        user=request.user, journey_map=journey_map, target=kind, part_id=None if kind == "map" else part.pk
    )
    if form is None and can_edit:
        form = ThreadForm(about=_about_choices(journey_map, kind, part))
    tally = selectors.Tally()
    for thread in threads:
        if thread.is_open:
            tally.open += 1
        else:
            tally.resolved += 1
        tally.comments += len(thread.comments.all())
    return {
        "journey_map": journey_map,
        "kind": kind,
        "part": part,
        "subject": journey_map.title if kind == "map" else part.name,
        "threads": threads,
        "form": form,
        "can_edit": can_edit,
        "me": request.user.pk,
        "is_admin": has_role(request.user, journey_map.team_id, Role.ADMIN),
        "usernames": team_usernames(journey_map.team_id) if can_edit else [],
        "panel_url": _panel_url(journey_map, kind, None if kind == "map" else part.pk),
        "tally": tally,
        "focus": focus,
    }


def _render_panel(request, context: dict, status: int = 200) -> HttpResponse:
    if not request.htmx:
        follow_team(request, context["journey_map"].team_id)
        return render(request, "discussions/panel.html", context, status=status)
    response = render(request, "discussions/panel.html#panel", context, status=status)
    # The count on the board follows what the panel shows (out of band).
    kind, part, tally = context["kind"], context["part"], context["tally"]
    if kind == "map":
        extra = render_to_string("discussions/_map_count.html", {"tally": tally, "oob": True}, request)
    else:
        extra = board.badge(kind, part.pk, part.name, tally, context["panel_url"], oob=True)
    response.content += extra.encode()
    return response


def _after_write(request, thread_or_map, message: str) -> HttpResponse:
    """Answer a write in a panel: the panel again (HTMX) or the map page opening it."""
    if isinstance(thread_or_map, Thread):
        thread = thread_or_map
        journey_map = thread.journey_map
        kind, pk = _home(thread)
    else:
        journey_map, kind, pk, thread = thread_or_map[0], thread_or_map[1], thread_or_map[2], None
    messages.success(request, message)
    if not request.htmx:
        return redirect(thread_path(thread) if thread else reverse("journeys:map_detail", args=[journey_map.pk]))
    part = _part(journey_map, kind, pk)
    return _render_panel(request, _panel_context(request, journey_map, kind, part, focus=thread.pk if thread else None))


@login_required
@require_http_methods(["GET", "POST"])
def threads_panel(request: HttpRequest, map_pk: int, kind: str, **kwargs) -> HttpResponse:
    """The threads about the map, a stage or a touchpoint; a POST starts one."""
    journey_map = get_object_for_user(JourneyMap, request.user, pk=map_pk)
    part = _part(journey_map, kind, kwargs.get(f"{kind}_pk"))
    form = ThreadForm(request.POST or None, about=_about_choices(journey_map, kind, part))

    def save(data):
        return services.thread_start(
            actor=request.user, part=_about_part(journey_map, part, data["about"]), body=data["body"]
        )

    return form_flow(
        request,
        form,
        role=(journey_map.team_id, Role.EDITOR),
        save=save,
        render=lambda status: _render_panel(
            request, _panel_context(request, journey_map, kind, part, form=form), status
        ),
        respond=lambda thread: _after_write(request, thread, gettext("Thread started.")),
    )


@login_required
@require_GET
def thread_detail(request: HttpRequest, thread_pk: int) -> HttpResponse:
    """The panel a thread lives in, with the thread in view (where a notification leads)."""
    thread = get_object_for_user(Thread.objects.select_related("journey_map", "pain_point"), request.user, pk=thread_pk)
    kind, pk = _home(thread)
    part = _part(thread.journey_map, kind, pk)
    return _render_panel(request, _panel_context(request, thread.journey_map, kind, part, focus=thread.pk))


def _thread_for_write(request, thread_pk: int) -> Thread:
    thread = get_object_for_user(Thread.objects.select_related("journey_map", "pain_point"), request.user, pk=thread_pk)
    require_role(request.user, thread.journey_map.team_id, Role.EDITOR)
    return thread


@login_required
@require_POST
def thread_reply(request: HttpRequest, thread_pk: int) -> HttpResponse:
    thread = _thread_for_write(request, thread_pk)
    form = CommentForm(request.POST)
    kind, pk = _home(thread)

    def invalid(status: int) -> HttpResponse:
        context = _panel_context(
            request, thread.journey_map, kind, _part(thread.journey_map, kind, pk), focus=thread.pk
        )
        context["reply_form"], context["reply_to"] = form, thread.pk
        return _render_panel(request, context, status)

    return form_flow(
        request,
        form,
        role=(thread.journey_map.team_id, Role.EDITOR),
        save=lambda data: services.comment_add(actor=request.user, thread=thread, body=data["body"]),
        render=invalid,
        respond=lambda comment: _after_write(request, thread, gettext("Reply added.")),
    )


@login_required
@require_POST
def thread_resolve(request: HttpRequest, thread_pk: int) -> HttpResponse:
    thread = services.thread_resolve(actor=request.user, thread=_thread_for_write(request, thread_pk))
    return _after_write(request, thread, gettext("Thread resolved."))


@login_required
@require_POST
def thread_reopen(request: HttpRequest, thread_pk: int) -> HttpResponse:
    thread = services.thread_reopen(actor=request.user, thread=_thread_for_write(request, thread_pk))
    return _after_write(request, thread, gettext("Thread reopened."))


def _comment_for_write(request, comment_pk: int) -> Comment:
    comment = get_object_for_user(
        Comment.objects.select_related("thread__journey_map", "thread__pain_point"), request.user, pk=comment_pk
    )
    require_role(request.user, comment.thread.journey_map.team_id, Role.EDITOR)
    return comment


@login_required
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, comment_pk: int) -> HttpResponse:
    """Edit one's own comment in place, in the panel."""
    comment = get_object_for_user(
        Comment.objects.select_related("thread__journey_map", "thread__pain_point"), request.user, pk=comment_pk
    )
    thread = comment.thread
    form = CommentForm(request.POST or None, initial={"body": comment.body})
    kind, pk = _home(thread)

    def show(status: int) -> HttpResponse:
        context = _panel_context(
            request, thread.journey_map, kind, _part(thread.journey_map, kind, pk), focus=thread.pk
        )
        context["edit_form"], context["editing"] = form, comment.pk
        return _render_panel(request, context, status)

    return form_flow(
        request,
        form,
        role=(thread.journey_map.team_id, Role.EDITOR),
        save=lambda data: services.comment_edit(actor=request.user, comment=comment, body=data["body"]),
        render=show,
        respond=lambda saved: _after_write(request, thread, gettext("Comment saved.")),
    )


@login_required
@require_POST
def comment_delete(request: HttpRequest, comment_pk: int) -> HttpResponse:
    comment = _comment_for_write(request, comment_pk)
    thread = comment.thread
    kind, pk = _home(thread)
    remaining = services.comment_delete(actor=request.user, comment=comment)
    if remaining is not None:
        return _after_write(request, remaining, gettext("Comment deleted."))
    return _after_write(request, (thread.journey_map, kind, pk), gettext("Comment deleted, and its thread with it."))


# --- notifications --------------------------------------------------------------------------


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The person's notifications, newest first, the unread ones marked."""
    found = selectors.notification_list(user=request.user)
    page = Paginator(found, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "discussions/notifications.html",
        {"page": page, "notifications": page.object_list, "unread": selectors.unread_count(user=request.user)},
    )


@login_required
@require_POST
def notification_open(request: HttpRequest, notification_pk: int) -> HttpResponse:
    """Mark a notification read and go to its thread on the map."""
    notification = get_object_for_user(selectors.notification_list(user=request.user), request.user, pk=notification_pk)
    services.notification_mark_read(actor=request.user, notification=notification)
    return hx_redirect(request, thread_path(notification.comment.thread))


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    marked = services.notifications_mark_all_read(actor=request.user)
    messages.success(request, gettext("All notifications marked read.") if marked else gettext("Nothing unread."))
    return redirect("discussions:notifications")


@login_required
@require_GET
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The header's bell with the unread count (loaded over HTMX, so pages pay no query for it)."""
    return render(request, "discussions/bell.html", {"unread": selectors.unread_count(user=request.user)})


# --- presence -------------------------------------------------------------------------------

# The panel forms the map page opens, by URL name: what editing them means (kind, the URL argument).
EDITING = {
    "journeys:map_edit": ("map", "map_pk"),
    "journeys:stage_edit": ("stage", "stage_pk"),
    "journeys:touchpoint_add": ("stage", "stage_pk"),
    "journeys:touchpoint_edit": ("touchpoint", "touchpoint_pk"),
    "journeys:pain_point_add": ("touchpoint", "touchpoint_pk"),
    "journeys:pain_point_edit": ("pain_point", "pain_point_pk"),
}


def editing_from_path(path: str, journey_map: JourneyMap) -> tuple[str, int | None]:
    """Return what the panel form at ``path`` edits on this map, or ("", None)."""
    if not path or not path.startswith("/") or len(path) > 300:
        return "", None
    try:
        match = resolve(path.split("?", 1)[0])
    except Resolver404:
        return "", None
    kind, kwarg = EDITING.get(match.view_name, ("", ""))
    if not kind or match.kwargs.get("map_pk") != journey_map.pk:
        return "", None
    return kind, match.kwargs.get(kwarg)


@login_required
@require_POST
def presence(request: HttpRequest, map_pk: int) -> HttpResponse:
    """Say "here" (and what the panel edits); answer who else has the map open."""
    journey_map = get_object_for_user(JourneyMap, request.user, pk=map_pk)
    kind, part_id = editing_from_path(request.POST.get("editing", ""), journey_map)
    try:
        mine = services.presence_touch(actor=request.user, journey_map=journey_map, editing=kind, editing_id=part_id)
    except ValidationError:  # the part went a moment ago: present, editing nothing
        mine = services.presence_touch(actor=request.user, journey_map=journey_map)
    others = [p for p in selectors.presence_list(journey_map=journey_map) if p.user_id != request.user.pk]
    clash = [p for p in others if mine.editing and (p.editing, p.editing_id) == (mine.editing, mine.editing_id)]
    names = ", ".join(p.user.get_full_name() or p.user.get_username() for p in clash)
    context = {"others": others, "clash": clash, "clash_names": names, "mine": mine}
    return render(request, "discussions/presence.html", context)

"""Pages of owners, SLAs, hand-offs, playbooks and breaches, per map; and "My ownership"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys.models import JourneyMap, Touchpoint
from teams.access import get_object_for_user, has_role, require_role
from teams.htmx import form_flow, hx_redirect
from teams.models import Role

from . import selectors, services
from .forms import AddPersonForm, HandoffCaseForm, HandoffForm, OwnerFilterForm, PlaybookForm, TouchpointOwnerForm
from .models import SLA, Handoff, HandoffCase, Ownership, Playbook


def _map(request: HttpRequest, map_pk: int) -> JourneyMap:
    return get_object_for_user(JourneyMap.objects.select_related("team"), request.user, pk=map_pk)


def _map_link(journey_map: JourneyMap) -> str:
    try:
        return reverse("journeys:map_detail", args=[journey_map.pk])
    except NoReverseMatch:
        return ""


def _base(request: HttpRequest, journey_map: JourneyMap, tab: str) -> dict:
    return {
        "journey_map": journey_map,
        "map_url": _map_link(journey_map),
        "tab": tab,
        "can_edit": has_role(request.user, journey_map.team_id, Role.EDITOR),
    }


# --- owners panel --------------------------------------------------------------------------


@login_required
@require_GET
def owners_panel(request: HttpRequest, map_pk: int) -> HttpResponse:
    """List the map's touchpoints with their owners and SLAs; filter by text or "unowned"."""
    journey_map = _map(request, map_pk)
    filters = OwnerFilterForm(request.GET or None)
    filters.is_valid()
    data = getattr(filters, "cleaned_data", {}) or {}
    touchpoints = selectors.map_touchpoints_with_owners(
        journey_map, unowned=bool(data.get("unowned")), query=data.get("q", "")
    )
    context = {
        **_base(request, journey_map, "owners"),
        "filters": filters,
        "touchpoints": touchpoints,
        "filtered": bool(data.get("unowned") or data.get("q")),
    }
    if request.htmx and request.htmx.target == "owner-rows":
        return render(request, "owners/panel.html#owner-rows", context)
    return render(request, "owners/panel.html", context)


def _touchpoint(request: HttpRequest, journey_map: JourneyMap, touchpoint_pk: int) -> Touchpoint:
    return get_object_for_user(
        Touchpoint.objects.select_related("stage__journey_map"),
        request.user,
        pk=touchpoint_pk,
        stage__journey_map=journey_map,
    )


def _row(request: HttpRequest, journey_map: JourneyMap, touchpoint: Touchpoint, **extra) -> dict:
    selectors.annotate_touchpoints(journey_map, [touchpoint])
    return {**_base(request, journey_map, "owners"), "t": touchpoint, **extra}


def _owner_form(journey_map: JourneyMap, touchpoint: Touchpoint, data=None) -> TouchpointOwnerForm:
    """The accountable owner and SLA form, filled from the touchpoint (annotated by ``_row``)."""
    sla = touchpoint.sla_target
    initial = {
        "accountable": touchpoint.accountable.user_id if touchpoint.accountable else None,
        "response_target": sla.response_target if sla else None,
        "business_hours": sla.business_hours if sla else False,
        "escalation_delay": sla.escalation_delay if sla else SLA._meta.get_field("escalation_delay").default,
    }
    return TouchpointOwnerForm(data, initial=initial, team_id=journey_map.team_id)


def _owner_editor(
    request: HttpRequest,
    journey_map: JourneyMap,
    touchpoint: Touchpoint,
    status: int,
    *,
    form: TouchpointOwnerForm | None = None,
    person_form: AddPersonForm | None = None,
) -> HttpResponse:
    """The owner editor: the edit row on HTMX requests, its own page otherwise; both hold both forms."""
    context = _row(request, journey_map, touchpoint)
    context["form"] = form or _owner_form(journey_map, touchpoint)
    context["person_form"] = person_form or AddPersonForm(team_id=journey_map.team_id)
    template = "owners/panel.html#owner-edit-row" if request.htmx else "owners/touchpoint_edit.html"
    return render(request, template, context, status=status)


def _owner_saved(request: HttpRequest, journey_map: JourneyMap, touchpoint: Touchpoint) -> HttpResponse:
    """After a change to a touchpoint's people: its read-only row on HTMX requests, else the panel."""
    if not request.htmx:
        return hx_redirect(request, reverse("owners:owners_panel", args=[journey_map.pk]))
    return render(request, "owners/panel.html#owner-row", _row(request, journey_map, touchpoint))


@login_required
@require_http_methods(["GET", "POST"])
def owners_touchpoint(request: HttpRequest, map_pk: int, touchpoint_pk: int) -> HttpResponse:
    """Edit one touchpoint's accountable owner and SLA (GET: the edit row; POST: save it)."""
    journey_map = _map(request, map_pk)
    touchpoint = _touchpoint(request, journey_map, touchpoint_pk)
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    selectors.annotate_touchpoints(journey_map, [touchpoint])
    form = _owner_form(journey_map, touchpoint, request.POST or None)
    return form_flow(
        request,
        form,
        save=lambda data: services.touchpoint_owner_update(actor=request.user, touchpoint=touchpoint, **data),
        render=lambda status: _owner_editor(request, journey_map, touchpoint, status, form=form),
        message=gettext("Saved the owner and SLA of %(name)s.") % {"name": touchpoint.name},
        respond=lambda _result: _owner_saved(request, journey_map, touchpoint),
        rename={"user": "accountable"},
    )


@login_required
@require_GET
def owners_row(request: HttpRequest, map_pk: int, touchpoint_pk: int) -> HttpResponse:
    """Return one read-only row (Cancel in the edit row)."""
    journey_map = _map(request, map_pk)
    touchpoint = _touchpoint(request, journey_map, touchpoint_pk)
    return render(request, "owners/panel.html#owner-row", _row(request, journey_map, touchpoint))


@login_required
@require_POST
def owners_add_person(request: HttpRequest, map_pk: int, touchpoint_pk: int) -> HttpResponse:
    """Add a responsible or consulted person to a touchpoint."""
    journey_map = _map(request, map_pk)
    touchpoint = _touchpoint(request, journey_map, touchpoint_pk)
    form = AddPersonForm(request.POST, team_id=journey_map.team_id)
    return form_flow(
        request,
        form,
        role=(journey_map.team_id, Role.EDITOR),
        save=lambda data: services.ownership_assign(actor=request.user, touchpoint=touchpoint, **data),
        render=lambda status: _owner_editor(request, journey_map, touchpoint, status, person_form=form),
        message=lambda ownership: (
            gettext("%(user)s added to %(name)s.") % {"user": ownership.user.get_username(), "name": touchpoint.name}
        ),
        respond=lambda _ownership: _owner_saved(request, journey_map, touchpoint),
    )


@login_required
@require_POST
def ownership_delete(request: HttpRequest, map_pk: int, ownership_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    ownership = get_object_for_user(
        Ownership.objects.select_related("journey_map", "user", "touchpoint__stage"),
        request.user,
        pk=ownership_pk,
        journey_map=journey_map,
    )
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    services.ownership_remove(actor=request.user, ownership=ownership)
    messages.success(
        request,
        gettext("%(user)s is no longer %(role)s.")
        % {"user": ownership.user.get_username(), "role": ownership.get_role_display().lower()},
    )
    if request.htmx and ownership.touchpoint_id:
        touchpoint = ownership.touchpoint
        return render(request, "owners/panel.html#owner-row", _row(request, journey_map, touchpoint))
    return hx_redirect(request, reverse("owners:owners_panel", args=[journey_map.pk]))


# --- hand-offs -----------------------------------------------------------------------------


def _handoff_context(request, journey_map, form: HandoffForm) -> dict:
    return {
        **_base(request, journey_map, "handoffs"),
        "handoffs": selectors.handoffs_of_map(journey_map),
        "form": form,
        "case_form": HandoffCaseForm(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def handoff_list(request: HttpRequest, map_pk: int) -> HttpResponse:
    """List the map's hand-offs with their open cases; editors add one (POST)."""
    journey_map = _map(request, map_pk)
    form = HandoffForm(request.POST or None, journey_map=journey_map)
    return form_flow(
        request,
        form,
        role=(journey_map.team_id, Role.EDITOR),
        save=lambda data: services.handoff_create(actor=request.user, **data),
        render=lambda status: render(
            request, "owners/handoffs.html", _handoff_context(request, journey_map, form), status=status
        ),
        message=lambda handoff: gettext("Hand-off %(handoff)s added.") % {"handoff": handoff},
        redirect_to=reverse("owners:owners_handoffs", args=[journey_map.pk]),
    )


def _handoff(request, journey_map, handoff_pk) -> Handoff:
    return get_object_for_user(
        Handoff.objects.select_related("journey_map__team", "from_touchpoint", "to_touchpoint", "to_owner"),
        request.user,
        pk=handoff_pk,
        journey_map=journey_map,
    )


@login_required
@require_http_methods(["GET", "POST"])
def handoff_detail(request: HttpRequest, map_pk: int, handoff_pk: int) -> HttpResponse:
    """One hand-off with all its cases; editors pass a new case along it (POST)."""
    journey_map = _map(request, map_pk)
    handoff = _handoff(request, journey_map, handoff_pk)
    case_form = HandoffCaseForm(request.POST or None)

    def page(status: int) -> HttpResponse:
        cases = Paginator(handoff.cases.select_related("completed_by").order_by("-started_at", "-id"), 50)
        context = {
            **_base(request, journey_map, "handoffs"),
            "handoff": handoff,
            "target_label": selectors.format_duration(handoff.response_target),
            "cases": cases.get_page(request.GET.get("page")),
            "case_form": case_form,
        }
        return render(request, "owners/handoff_detail.html", context, status=status)

    return form_flow(
        request,
        case_form,
        role=(journey_map.team_id, Role.EDITOR),
        save=lambda data: services.handoff_case_open(actor=request.user, handoff=handoff, **data),
        render=page,
        message=lambda case: gettext("Case opened, due %(due)s.") % {"due": f"{case.due_at:%Y-%m-%d %H:%M}"},
        redirect_to=reverse("owners:handoff_detail", args=[journey_map.pk, handoff.pk]),
    )


@login_required
@require_POST
def handoff_delete(request: HttpRequest, map_pk: int, handoff_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    handoff = _handoff(request, journey_map, handoff_pk)
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    services.handoff_delete(actor=request.user, handoff=handoff)
    messages.success(request, gettext("Hand-off %(handoff)s deleted.") % {"handoff": handoff})
    return hx_redirect(request, reverse("owners:owners_handoffs", args=[journey_map.pk]))


@login_required
@require_POST
def handoff_case_complete(request: HttpRequest, map_pk: int, case_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    case = get_object_for_user(
        HandoffCase.objects.select_related("handoff__journey_map"),
        request.user,
        pk=case_pk,
        handoff__journey_map=journey_map,
    )
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    services.handoff_case_complete(actor=request.user, case=case)
    messages.success(request, gettext("Case %(case)s marked done.") % {"case": case.reference or case.pk})
    nxt = request.POST.get("next", "")
    if nxt not in ("handoffs", "mine"):
        nxt = "detail"
    url = {
        "handoffs": reverse("owners:owners_handoffs", args=[journey_map.pk]),
        "mine": reverse("owners:my_ownership"),
        "detail": reverse("owners:handoff_detail", args=[journey_map.pk, case.handoff_id]),
    }[nxt]
    return hx_redirect(request, url)


@login_required
@require_GET
def breach_list(request: HttpRequest, map_pk: int) -> HttpResponse:
    """Hand-off cases that missed their SLA, newest first, open ones flagged."""
    journey_map = _map(request, map_pk)
    breaches = Paginator(selectors.breaches_for(request.user, journey_map=journey_map), 50)
    context = {**_base(request, journey_map, "breaches"), "breaches": breaches.get_page(request.GET.get("page"))}
    return render(request, "owners/breaches.html", context)


# --- playbooks -----------------------------------------------------------------------------


@login_required
@require_GET
def playbook_list(request: HttpRequest, map_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    context = {**_base(request, journey_map, "playbooks"), "playbooks": selectors.playbooks_of_map(journey_map)}
    return render(request, "owners/playbooks.html", context)


def _playbook(request, journey_map, playbook_pk) -> Playbook:
    return get_object_for_user(
        Playbook.objects.select_related("journey_map__team", "owner", "stage", "touchpoint__stage"),
        request.user,
        pk=playbook_pk,
        journey_map=journey_map,
    )


def _playbook_form(request: HttpRequest, journey_map: JourneyMap, playbook: Playbook | None) -> HttpResponse:
    """Write a new playbook (``playbook`` None) or change one: the same form, page and answers."""
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    form = PlaybookForm(request.POST or None, instance=playbook, journey_map=journey_map)

    def save(data: dict) -> Playbook:
        if playbook is None:
            return services.playbook_create(actor=request.user, journey_map=journey_map, **data)
        return services.playbook_update(actor=request.user, playbook=playbook, **data)

    done = gettext("Playbook “%(name)s” created.") if playbook is None else gettext("Playbook “%(name)s” saved.")
    context = {**_base(request, journey_map, "playbooks"), "form": form, "playbook": playbook}
    return form_flow(
        request,
        form,
        save=save,
        render=lambda status: render(request, "owners/playbook_form.html", context, status=status),
        message=lambda saved: done % {"name": saved.name},
        redirect_to=lambda saved: reverse("owners:playbook_detail", args=[journey_map.pk, saved.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def playbook_create(request: HttpRequest, map_pk: int) -> HttpResponse:
    return _playbook_form(request, _map(request, map_pk), None)


@login_required
@require_GET
def playbook_detail(request: HttpRequest, map_pk: int, playbook_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    playbook = _playbook(request, journey_map, playbook_pk)
    context = {
        **_base(request, journey_map, "playbooks"),
        "playbook": playbook,
        "steps_html": selectors.render_markdown(playbook.steps),
    }
    return render(request, "owners/playbook_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def playbook_edit(request: HttpRequest, map_pk: int, playbook_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    return _playbook_form(request, journey_map, _playbook(request, journey_map, playbook_pk))


@login_required
@require_POST
def playbook_delete(request: HttpRequest, map_pk: int, playbook_pk: int) -> HttpResponse:
    journey_map = _map(request, map_pk)
    playbook = _playbook(request, journey_map, playbook_pk)
    require_role(request.user, journey_map.team_id, Role.EDITOR)
    services.playbook_delete(actor=request.user, playbook=playbook)
    messages.success(request, gettext("Playbook “%(name)s” deleted.") % {"name": playbook.name})
    return hx_redirect(request, reverse("owners:playbook_list", args=[journey_map.pk]))


# --- my ownership --------------------------------------------------------------------------


@login_required
@require_GET
def my_ownership(request: HttpRequest) -> HttpResponse:
    """What the signed-in person owns across all their teams."""
    return render(request, "owners/my_ownership.html", selectors.my_ownership(request.user))

"""Pages of automations (list, detail with the builder and live counts, forms, dry run, email
preview, owner tasks), and the anonymous unsubscribe page of their emails."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages as toasts
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.models import Profile
from owners.models import Playbook
from teams.access import get_object_for_user, get_object_for_write, has_role, require_role
from teams.htmx import form_flow, hx_redirect, render_page_or_partial, team_required
from teams.middleware import follow_team
from teams.models import Role

from . import engine, messages, playbooks, presenters, selectors, services
from .forms import EMAIL_LANGUAGES, AutomationForm, RespectForm, StageCapForm, StepForm
from .models import Automation, OwnerTask, Respect, StageCap, Step, Suppression
from .timeline import reason_text


@login_required
@require_GET
@team_required
def automation_list(request: HttpRequest) -> HttpResponse:
    team = request.team
    automations = selectors.automation_list(user=request.user, team=team)
    converted = {a.playbook_id for a in automations if a.playbook_id}
    context = {
        "team": team,
        "automations": automations,
        "playbooks": Playbook.objects.for_team(team).select_related("journey_map").exclude(pk__in=converted),
        "can_edit": has_role(request.user, team.pk, Role.EDITOR),
        "open_tasks": OwnerTask.objects.for_team(team).filter(status="open", owner=request.user).count(),
        "rules": Respect.for_team(team),
    }
    return render(request, "automations/automation_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@team_required(role=Role.EDITOR)
def automation_create(request: HttpRequest) -> HttpResponse:
    team = request.team
    form = AutomationForm(request.POST or None, team=team)

    def save(data):
        return services.automation_create(actor=request.user, journey_map=data["journey_map"], **form.service_fields())

    return form_flow(
        request,
        form,
        save=save,
        role=(team.pk, Role.EDITOR),
        render=lambda status: render(
            request, "automations/automation_form.html", {"form": form, "team": team}, status=status
        ),
        message=gettext("Automation created: add its steps."),
        redirect_to=lambda automation: automation.get_absolute_url(),
        rename={"trigger_config": "trigger", "goal_config": "goal", "exit_criteria": "exit_event"},
    )


def _detail_context(request, automation: Automation) -> dict:
    rows = selectors.step_rows(automation)
    names = presenters.names_for(automation, [r.step for r in rows])
    for r in rows:
        r.summary = presenters.step_summary(r.step, names)
    recent = list(
        automation.actions.filter(kind__in=list(Step.ACTIONS))
        .select_related("profile")
        .order_by("-created_at", "-id")[:10]
    )
    for a in recent:
        a.reason_label = reason_text(a.reason)
    return {
        "automation": automation,
        "trigger_text": presenters.trigger_summary(automation, names),
        "rows": rows,
        "statuses": selectors.status_counts(automation),
        "result": selectors.holdout_result(automation),
        "can_edit": has_role(request.user, automation.team_id, Role.EDITOR),
        "recent": recent,
    }


@login_required
@require_GET
def automation_detail(request: HttpRequest, automation_pk: int) -> HttpResponse:
    automation = get_object_for_user(
        Automation.objects.select_related("journey_map", "team", "playbook"), request.user, pk=automation_pk
    )
    follow_team(request, automation.team_id)
    return render_page_or_partial(
        request, "automations/automation_detail.html", "counts", _detail_context(request, automation)
    )


@login_required
@require_http_methods(["GET", "POST"])
def automation_edit(request: HttpRequest, automation_pk: int) -> HttpResponse:
    automation = get_object_for_user(Automation.objects.select_related("team"), request.user, pk=automation_pk)
    follow_team(request, automation.team_id)
    form = AutomationForm(request.POST or None, team=automation.team, initial=AutomationForm.initial_for(automation))

    def save(data):
        if data["journey_map"].pk != automation.journey_map_id:
            raise ValidationError({"journey_map": gettext("An automation cannot move to another map.")})
        return services.automation_update(automation=automation, actor=request.user, **form.service_fields())

    return form_flow(
        request,
        form,
        save=save,
        role=(automation.team_id, Role.EDITOR),
        render=lambda status: render(
            request,
            "automations/automation_form.html",
            {"form": form, "team": automation.team, "automation": automation},
            status=status,
        ),
        message=gettext("Automation saved. Enrolments in flight go on under the new settings."),
        redirect_to=automation.get_absolute_url(),
        rename={"trigger_config": "trigger", "goal_config": "goal", "exit_criteria": "exit_event"},
    )


@login_required
@require_POST
def automation_status(request: HttpRequest, automation_pk: int, action: str) -> HttpResponse:
    automation = get_object_for_write(Automation, request.user, pk=automation_pk)
    try:
        if action == "activate":
            services.automation_activate(automation=automation, actor=request.user)
            toasts.success(request, gettext("The automation is on: customers enter as their trigger fires."))
        else:
            services.automation_pause(automation=automation, actor=request.user)
            toasts.success(request, gettext("Paused: nobody enters or moves on until you resume."))
    except ValidationError as exc:
        toasts.error(request, " ".join(exc.messages))
    return hx_redirect(request, automation.get_absolute_url())


@login_required
@require_POST
def automation_delete(request: HttpRequest, automation_pk: int) -> HttpResponse:
    automation = get_object_for_write(Automation, request.user, pk=automation_pk)
    services.automation_delete(automation=automation, actor=request.user)
    toasts.success(request, gettext("Automation deleted."))
    return hx_redirect(request, reverse("automations:list"))


@login_required
@require_POST
def automation_from_playbook(request: HttpRequest, playbook_pk: int) -> HttpResponse:
    playbook = get_object_for_write(Playbook.objects.select_related("journey_map"), request.user, pk=playbook_pk)
    automation = playbooks.automation_from_playbook(playbook=playbook, actor=request.user)
    toasts.success(request, gettext("The playbook is now a draft automation: check its steps, then turn it on."))
    return hx_redirect(request, automation.get_absolute_url())


@login_required
@require_GET
def automation_dry_run(request: HttpRequest, automation_pk: int) -> HttpResponse:
    automation = get_object_for_user(Automation.objects.select_related("team"), request.user, pk=automation_pk)
    follow_team(request, automation.team_id)
    result = engine.dry_run(automation)
    return render_page_or_partial(
        request, "automations/dry_run.html", "result", {"automation": automation, "result": result}
    )


# --- steps ------------------------------------------------------------------------------------


def _parent_from(request, automation: Automation) -> tuple[Step | None, str]:
    parent_id = request.POST.get("parent") or request.GET.get("parent")
    side = request.POST.get("side") or request.GET.get("side") or ""
    if not parent_id or not parent_id.isdigit():
        return None, ""
    parent = Step.objects.filter(pk=int(parent_id), automation=automation, kind=Step.Kind.BRANCH).first()
    return parent, (side if parent is not None else "")


def _step_page(request, form: StepForm, context: dict, status: int = 200) -> HttpResponse:
    """The step form; on a GET over HTMX (the kind select changed) only the chosen kind's inputs."""
    context = {"form": form, **context}
    if request.method == "GET":
        return render_page_or_partial(request, "automations/step_form.html", "step-fields", context, status=status)
    return render(request, "automations/step_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def step_add(request: HttpRequest, automation_pk: int) -> HttpResponse:
    automation = get_object_for_user(
        Automation.objects.select_related("team", "journey_map"), request.user, pk=automation_pk
    )
    follow_team(request, automation.team_id)
    if request.method == "POST":
        require_role(request.user, automation.team_id, Role.EDITOR)
    parent, side = _parent_from(request, automation)
    fields_url = reverse("automations:step_add", args=[automation.pk])
    if parent is not None:
        fields_url += "?" + urlencode({"parent": parent.pk, "side": side})
    context = {"automation": automation, "parent": parent, "side": side, "fields_url": fields_url}
    if request.method == "POST" and request.POST.get("show_fields"):
        # Without JavaScript the kind select is sent with this button: show that kind's inputs.
        form = StepForm(automation=automation, initial={"kind": request.POST.get("kind")})
        return render(request, "automations/step_form.html", {"form": form, **context})
    form = StepForm(request.POST or None, automation=automation, initial={"kind": request.GET.get("kind")})

    def save(data):
        return services.step_add(
            automation=automation, actor=request.user, kind=data["kind"], config=form.config(), parent=parent, side=side
        )

    return form_flow(
        request,
        form,
        save=save,
        role=(automation.team_id, Role.EDITOR),
        render=lambda status: _step_page(request, form, context, status),
        message=gettext("Step added."),
        redirect_to=automation.get_absolute_url(),
        rename={"config": form.config_field, "parent": "kind", "side": "kind"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def step_edit(request: HttpRequest, step_pk: int) -> HttpResponse:
    step = get_object_for_user(
        Step.objects.select_related("automation__team", "automation__journey_map"), request.user, pk=step_pk
    )
    automation = step.automation
    follow_team(request, automation.team_id)
    form = StepForm(
        request.POST or None, automation=automation, fixed_kind=step.kind, initial=StepForm.initial_for(step)
    )

    def save(data):
        return services.step_update(step=step, actor=request.user, config=form.config())

    return form_flow(
        request,
        form,
        save=save,
        role=(automation.team_id, Role.EDITOR),
        render=lambda status: render(
            request, "automations/step_form.html", {"form": form, "automation": automation, "step": step}, status=status
        ),
        message=gettext("Step saved."),
        redirect_to=automation.get_absolute_url(),
        rename={"config": form.config_field},
    )


@login_required
@require_POST
def step_delete(request: HttpRequest, step_pk: int) -> HttpResponse:
    step = get_object_for_write(Step.objects.select_related("automation"), request.user, pk=step_pk)
    automation = step.automation
    services.step_delete(step=step, actor=request.user)
    toasts.success(request, gettext("Step removed. Customers at it go on with the next step."))
    return hx_redirect(request, automation.get_absolute_url())


@login_required
@require_POST
def step_move(request: HttpRequest, step_pk: int) -> HttpResponse:
    step = get_object_for_write(Step.objects.select_related("automation"), request.user, pk=step_pk)
    direction = "up" if request.POST.get("direction") == "up" else "down"
    services.step_move(step=step, actor=request.user, direction=direction)
    return hx_redirect(request, step.automation.get_absolute_url())


@login_required
@require_GET
def step_preview(request: HttpRequest, step_pk: int) -> HttpResponse:
    step = get_object_for_user(Step.objects.select_related("automation__team"), request.user, pk=step_pk)
    follow_team(request, step.automation.team_id)
    locale = request.GET.get("locale") or "en"
    if locale not in {code for code, _name in EMAIL_LANGUAGES}:
        locale = "en"
    sample = Profile(team_id=step.automation.team_id, traits={"first_name": "Alex"})
    rendered = (
        messages.render_for(step, sample, step.automation, locale=locale) if step.kind in ("email", "survey") else None
    )
    return render_page_or_partial(
        request,
        "automations/preview.html",
        "preview",
        {
            "step": step,
            "automation": step.automation,
            "rendered": rendered,
            "locale": locale,
            "languages": EMAIL_LANGUAGES,
        },
    )


# --- owner tasks and contact rules -------------------------------------------------------------------


@login_required
@require_GET
@team_required
def task_list(request: HttpRequest) -> HttpResponse:
    team = request.team
    mine = request.GET.get("all") != "1"
    tasks = selectors.owner_task_list(user=request.user, team=team, owner=request.user if mine else None)
    return render(request, "automations/task_list.html", {"team": team, "tasks": tasks[:200], "mine": mine})


@login_required
@require_POST
def task_close(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = get_object_for_write(OwnerTask, request.user, pk=task_pk)
    services.owner_task_close(task=task, actor=request.user)
    toasts.success(request, gettext("Task done."))
    return hx_redirect(request, reverse("automations:tasks"))


@login_required
@require_http_methods(["GET", "POST"])
@team_required
def contact_rules(request: HttpRequest) -> HttpResponse:
    team = request.team
    rules = Respect.for_team(team)
    form = RespectForm(
        request.POST or None,
        initial={
            "max_messages": rules.max_messages,
            "per_days": rules.per_days,
            "quiet_start": rules.quiet_start,
            "quiet_end": rules.quiet_end,
        },
    )
    return form_flow(
        request,
        form,
        save=lambda data: services.respect_update(team=team, actor=request.user, **data),
        role=(team.pk, Role.ADMIN),
        render=lambda status: render(
            request,
            "automations/contact_rules.html",
            {
                "form": form,
                "team": team,
                "can_admin": has_role(request.user, team.pk, Role.ADMIN),
                "caps": selectors.stage_cap_list(team=team),
                "cap_form": StageCapForm(team=team),
                "cap_action": reverse("automations:stage_cap_create"),
            },
            status=status,
        ),
        message=gettext("Contact rules saved."),
        redirect_to=reverse("automations:list"),
    )


def _stage_cap_form(request: HttpRequest, form, cap: StageCap | None, action: str, status: int) -> HttpResponse:
    context = {"cap_form": form, "cap": cap, "cap_action": action}
    return render_page_or_partial(request, "automations/stage_cap_form.html", "cap-form", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@team_required(role=Role.ADMIN)
def stage_cap_create(request: HttpRequest) -> HttpResponse:
    team = request.team
    form = StageCapForm(request.POST or None, team=team)
    action = reverse("automations:stage_cap_create")
    return form_flow(
        request,
        form,
        save=lambda data: services.stage_cap_create(actor=request.user, **data),
        role=(team.pk, Role.ADMIN),
        render=lambda status: _stage_cap_form(request, form, None, action, status),
        message=gettext("Stage cap saved."),
        redirect_to=reverse("automations:contact_rules"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def stage_cap_edit(request: HttpRequest, cap_pk: int) -> HttpResponse:
    cap = get_object_for_write(StageCap.objects.select_related("team"), request.user, Role.ADMIN, pk=cap_pk)
    form = StageCapForm(
        request.POST or None,
        team=cap.team,
        initial={"stage": cap.stage_id, "max_messages": cap.max_messages, "per_days": cap.per_days},
    )
    action = reverse("automations:stage_cap_edit", args=[cap.pk])
    return form_flow(
        request,
        form,
        save=lambda data: services.stage_cap_update(cap=cap, actor=request.user, **data),
        render=lambda status: _stage_cap_form(request, form, cap, action, status),
        message=gettext("Stage cap saved."),
        redirect_to=reverse("automations:contact_rules"),
    )


@login_required
@require_POST
def stage_cap_delete(request: HttpRequest, cap_pk: int) -> HttpResponse:
    cap = get_object_for_write(StageCap, request.user, Role.ADMIN, pk=cap_pk)
    services.stage_cap_delete(cap=cap, actor=request.user)
    toasts.success(request, gettext("Stage cap removed: its customers are under the team's cap again."))
    return hx_redirect(request, reverse("automations:contact_rules"))


# --- public -------------------------------------------------------------------------------------------


@csrf_exempt  # the signed token is the credential; mail clients' one-click POST carries no cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners prefetch links); POST unsubscribes, or subscribes again."""
    profile = messages.profile_from_token(token)
    if profile is None:
        return render(request, "automations/unsubscribe.html", {"invalid": True}, status=404)
    changed = False
    if request.method == "POST":
        if request.POST.get("action") == "subscribe":
            services.profile_resubscribe(profile=profile)
        else:
            services.profile_unsubscribe(profile=profile)
        changed = True
    subscribed = not Suppression.objects.filter(profile=profile).exists()
    return render(
        request,
        "automations/unsubscribe.html",
        {"token": token, "subscribed": subscribed, "changed": changed, "team": profile.team},
    )

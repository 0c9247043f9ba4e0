"""Persona pages: the list, the profile with its scenarios and maps, and the forms that change them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from teams.access import get_object_for_user, get_object_for_write, has_role
from teams.htmx import form_flow, hx_redirect, render_page_or_partial, team_required
from teams.middleware import follow_team
from teams.models import Role

from . import selectors, services
from .forms import (
    PersonaForm,
    PersonaListFilter,
    PersonaRulesForm,
    ScenarioForm,
    TraitConditionForm,
    TraitConditionFormSet,
)
from .models import Persona, Scenario

PAGE_SIZE = 60


@login_required
@require_GET
@team_required
def persona_list(request: HttpRequest) -> HttpResponse:
    """List the current team's personas, searchable and filtered (the results are an HTMX fragment)."""
    team = request.team
    personas = selectors.persona_list(user=request.user, team=team).order_by("name")
    filterset = PersonaListFilter(request.GET, queryset=personas)
    results = filterset.qs if filterset.is_valid() else personas.none()
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "team": team,
        "filter": filterset,
        "page": page,
        "personas": page.object_list,
        "filtered": bool(request.GET.get("search") or request.GET.get("market")),
        "showing_archived": filterset.form.cleaned_data.get("archived") is True if filterset.is_valid() else False,
        "team_has_personas": Persona.objects.for_team(team).exists(),
        "can_edit_team": has_role(request.user, team.pk, Role.EDITOR),
    }
    htmx_fragment = request.htmx and not request.htmx.boosted
    template = "personas/persona_list.html#persona-results" if htmx_fragment else "personas/persona_list.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
@team_required(role=Role.EDITOR)
def persona_create(request: HttpRequest) -> HttpResponse:
    team = request.team
    form = PersonaForm(
        request.POST or None, request.FILES or None, initial={"avatar_color": services.next_avatar_color(team=team)}
    )
    return form_flow(
        request,
        form,
        save=lambda data: services.persona_create(team=team, actor=request.user, **form.service_fields()),
        render=lambda status: render(
            request, "personas/persona_form.html", {"form": form, "team": team}, status=status
        ),
        message=lambda persona: (
            _("Persona “%(name)s” created. Add the scenarios you draw maps for.") % {"name": persona.name}
        ),
        redirect_to=lambda persona: persona.get_absolute_url(),
    )


def _detail_context(request: HttpRequest, persona: Persona, **extra) -> dict:
    return {
        "persona": persona,
        "profile_count": selectors.persona_profile_count(persona=persona),
        "scenarios": persona.scenarios.all(),
        "maps": persona.journey_maps.all(),
        "can_edit_persona": has_role(request.user, persona.team_id, Role.EDITOR),
        **extra,
    }


def _get_detail(request: HttpRequest, persona_pk: int) -> Persona:
    persona = selectors.persona_get(user=request.user, pk=persona_pk)
    follow_team(request, persona.team_id)
    return persona


@login_required
@require_GET
def persona_detail(request: HttpRequest, persona_pk: int) -> HttpResponse:
    """The persona's profile card, its scenarios and the journey maps drawn for it."""
    persona = _get_detail(request, persona_pk)
    return render(request, "personas/persona_detail.html", _detail_context(request, persona))


def _conflict_message(current, form) -> str:
    """Say who changed the row and which of the submitted fields now differ from what is stored."""
    last = current.history.select_related("history_user").first()
    if last and last.history_user:
        who = last.history_user.get_full_name() or last.history_user.username
    else:
        who = _("Someone")
    differing = [
        str(form.fields[name].label)
        for name in form.Meta.fields
        if name != "photo" and name in form.cleaned_data and form.cleaned_data[name] != getattr(current, name)
    ]
    keep = _("Your text is kept below; save again to replace theirs, or reload to see their version.")
    if differing:
        message = _(
            "%(who)s changed this while you were editing. Their version differs from yours in: %(fields)s. %(keep)s"
        )
        return message % {
            "who": who,
            "fields": ", ".join(differing),
            "keep": keep,
        }
    return _("%(who)s changed this while you were editing. %(keep)s") % {"who": who, "keep": keep}


def _rebind_with_revision(form_class, request: HttpRequest, instance, revision: int):
    data = request.POST.copy()
    data["revision"] = str(revision)
    form = form_class(data, request.FILES or None, instance=instance)
    form.is_valid()
    return form


def _revision_flow(request: HttpRequest, form_class, form, *, save, render_form, **kwargs) -> HttpResponse:
    """``form_flow`` for a form with a revision: a stale one re-binds to the stored row and answers 409."""
    shown = {"form": form}

    def stale(exc) -> int:
        if isinstance(exc, services.StaleRevision):
            message = _conflict_message(exc.current, form)
            shown["form"] = _rebind_with_revision(form_class, request, exc.current, exc.current.revision)
            shown["form"].add_error(None, message)
            return 409
        return 400

    return form_flow(
        request,
        form,
        save=save,
        render=lambda status: render_form(shown["form"], status),
        catch=(services.StaleRevision,),
        on_error=stale,
        **kwargs,
    )


@login_required
@require_http_methods(["GET", "POST"])
def persona_edit(request: HttpRequest, persona_pk: int) -> HttpResponse:
    persona = get_object_for_write(Persona, request.user, pk=persona_pk)
    form = PersonaForm(request.POST or None, request.FILES or None, instance=persona)
    return _revision_flow(
        request,
        PersonaForm,
        form,
        save=lambda data: services.persona_update(
            persona=persona, actor=request.user, revision=data["revision"], **form.service_fields()
        ),
        render_form=lambda shown, status: render(
            request, "personas/persona_form.html", {"form": shown, "persona": persona}, status=status
        ),
        message=lambda saved: _("Persona “%(name)s” saved.") % {"name": persona.name},
        redirect_to=persona.get_absolute_url(),
    )


RULES_PREFIX = "rules"


def _rule_rows(formset) -> list[dict]:
    """Return the rows of a bound rules formset as typed, to draw them again (add or remove a row)."""
    rows = []
    for form in formset.forms:
        rows.append({name: form[name].value() or "" for name in ("trait", "op", "value")})
    return rows


def _rules_page(request: HttpRequest, persona: Persona, form, formset, status: int = 200) -> HttpResponse:
    context = {"persona": persona, "form": form, "formset": formset}
    return render_page_or_partial(request, "personas/persona_rules.html", "rules-form", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def persona_rules(request: HttpRequest, persona_pk: int) -> HttpResponse:
    """Edit which customers are this persona: conditions on their traits, one row each, and the priority.

    "Add a condition" and "Remove" are submit buttons (``add_row``, ``remove_row``): they draw the
    form again without saving, through HTMX or as a plain page without JS.
    """
    persona = get_object_for_write(Persona, request.user, pk=persona_pk)
    if request.method != "POST":
        rows = [TraitConditionForm.initial_for(c) for c in persona.trait_rules] or [{"op": "eq"}]
        form = PersonaRulesForm(initial={"priority": persona.priority, "revision": persona.revision})
        return _rules_page(request, persona, form, TraitConditionFormSet(initial=rows, prefix=RULES_PREFIX))

    formset = TraitConditionFormSet(request.POST, prefix=RULES_PREFIX)
    if "add_row" in request.POST or "remove_row" in request.POST:
        rows = _rule_rows(formset) if formset.management_form.is_valid() else []
        if "add_row" in request.POST and len(rows) < TraitConditionFormSet.max_num:
            rows.append({"op": "eq"})
        elif "remove_row" in request.POST:
            index = request.POST.get("remove_row", "")
            rows = [row for i, row in enumerate(rows) if str(i) != index]
        shown = {"priority": request.POST.get("priority"), "revision": request.POST.get("revision")}
        form = PersonaRulesForm(initial=shown)
        return _rules_page(request, persona, form, TraitConditionFormSet(initial=rows, prefix=RULES_PREFIX))

    form = PersonaRulesForm(request.POST)
    status = 400
    if form.is_valid() and formset.is_valid():
        conditions = [row.condition for row in formset.forms if row.condition is not None]
        try:
            services.persona_update(
                persona=persona,
                actor=request.user,
                revision=form.cleaned_data["revision"],
                trait_rules=conditions,
                priority=form.cleaned_data["priority"],
            )
        except services.StaleRevision as exc:
            status = 409
            data = request.POST.copy()
            data["revision"] = str(exc.current.revision)
            form = PersonaRulesForm(data)
            form.is_valid()
            form.add_error(
                None,
                _(
                    "Someone changed this persona while you were editing. Your rules are kept below; "
                    "save again to replace theirs, or reload to see theirs."
                ),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                if field == "priority":
                    form.add_error("priority", errors)
                else:
                    form.add_error(None, errors)
        else:
            count = len(conditions)
            if count:
                message = ngettext(
                    "Rules of “%(name)s” saved: %(count)d condition. Customers are being reassigned.",
                    "Rules of “%(name)s” saved: %(count)d conditions. Customers are being reassigned.",
                    count,
                ) % {"name": persona.name, "count": count}
            else:
                message = _("“%(name)s” has no rules now: no customer is assigned to it.") % {"name": persona.name}
            messages.success(request, message)
            return hx_redirect(request, persona.get_absolute_url() + "#rules-h")
    return _rules_page(request, persona, form, formset, status=status)


@login_required
@require_POST
def persona_archive(request: HttpRequest, persona_pk: int) -> HttpResponse:
    persona = get_object_for_write(Persona, request.user, pk=persona_pk)
    services.persona_archive(persona=persona, actor=request.user)
    messages.success(request, _("“%(name)s” archived. Its maps keep it; restore it any time.") % {"name": persona.name})
    return hx_redirect(request, persona.get_absolute_url())


@login_required
@require_POST
def persona_restore(request: HttpRequest, persona_pk: int) -> HttpResponse:
    persona = get_object_for_write(Persona, request.user, pk=persona_pk)
    services.persona_restore(persona=persona, actor=request.user)
    messages.success(request, _("“%(name)s” restored.") % {"name": persona.name})
    return hx_redirect(request, persona.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def persona_delete(request: HttpRequest, persona_pk: int) -> HttpResponse:
    """Ask first (GET), then delete (POST) unless journey maps are drawn for the persona."""
    persona = get_object_for_write(Persona, request.user, pk=persona_pk)
    error, status = None, 200
    if request.method == "POST":
        try:
            services.persona_delete(persona=persona, actor=request.user)
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
        else:
            messages.success(request, _("Persona “%(name)s” deleted.") % {"name": persona.name})
            return hx_redirect(request, reverse("personas:list"))
    context = {
        "persona": persona,
        "maps": services.maps_using(persona=persona),
        "scenario_count": persona.scenarios.count(),
        "error": error,
    }
    return render(request, "personas/persona_confirm_delete.html", context, status=status)


# Scenarios: edited inline on the persona page; each view also works as a plain page without JS.


def _get_scenario(request: HttpRequest, persona_pk: int, scenario_pk: int, *, write: bool) -> Scenario:
    queryset = selectors.scenario_list(user=request.user).filter(persona_id=persona_pk)
    getter = get_object_for_write if write else get_object_for_user
    return getter(queryset, request.user, pk=scenario_pk)


def _scenario_section(
    request: HttpRequest, persona_pk: int, status: int = 200, created_pk=None, errors: dict | None = None
) -> HttpResponse:
    """Render the persona page's scenario section, retargeted so it replaces the whole section."""
    persona = _get_detail(request, persona_pk)
    for scenario in persona.scenarios.all():
        scenario.delete_error = (errors or {}).get(scenario.pk)
    context = _detail_context(request, persona, created_pk=created_pk)
    response = render(request, "personas/persona_detail.html#scenario-section", context, status=status)
    return reswap(retarget(response, "#scenario-section"), "outerHTML")


@login_required
@require_http_methods(["GET", "POST"])
def scenario_create(request: HttpRequest, persona_pk: int) -> HttpResponse:
    persona = get_object_for_write(Persona, request.user, pk=persona_pk)
    form = ScenarioForm(request.POST or None)

    def created(scenario) -> HttpResponse:
        if request.htmx:
            return _scenario_section(request, persona.pk, created_pk=scenario.pk)
        return redirect(scenario.get_absolute_url())

    return form_flow(
        request,
        form,
        save=lambda data: services.scenario_create(persona=persona, actor=request.user, **form.service_fields()),
        render=lambda status: _scenario_form(request, form, persona, None, status),
        message=lambda scenario: _("Scenario “%(name)s” added.") % {"name": scenario.name},
        respond=created,
    )


def _scenario_form(request: HttpRequest, form, persona: Persona, scenario, status: int) -> HttpResponse:
    context = {"form": form, "persona": persona, "scenario": scenario}
    template = "personas/_scenario_form.html" if request.htmx else "personas/scenario_form.html"
    return render(request, template, context, status=status)


@login_required
@require_GET
def scenario_card(request: HttpRequest, persona_pk: int, scenario_pk: int) -> HttpResponse:
    """One scenario's card (what "Cancel" on an inline edit swaps back in)."""
    scenario = _get_scenario(request, persona_pk, scenario_pk, write=False)
    if not request.htmx:
        return redirect(scenario.get_absolute_url())
    context = {"scenario": scenario, "persona": scenario.persona, "can_edit_persona": _can_edit(request, scenario)}
    return render(request, "personas/_scenario_card.html", context)


def _can_edit(request: HttpRequest, scenario: Scenario) -> bool:
    return has_role(request.user, scenario.persona.team_id, Role.EDITOR)


@login_required
@require_http_methods(["GET", "POST"])
def scenario_edit(request: HttpRequest, persona_pk: int, scenario_pk: int) -> HttpResponse:
    scenario = _get_scenario(request, persona_pk, scenario_pk, write=True)
    form = ScenarioForm(request.POST or None, instance=scenario)

    def saved(_result) -> HttpResponse:
        if not request.htmx:
            return redirect(scenario.get_absolute_url())
        fresh = _get_scenario(request, persona_pk, scenario_pk, write=False)
        context = {"scenario": fresh, "persona": fresh.persona, "can_edit_persona": True}
        return render(request, "personas/_scenario_card.html", context)

    return _revision_flow(
        request,
        ScenarioForm,
        form,
        save=lambda data: services.scenario_update(
            scenario=scenario, actor=request.user, revision=data["revision"], **form.service_fields()
        ),
        render_form=lambda shown, status: _scenario_form(request, shown, scenario.persona, scenario, status),
        message=lambda _result: _("Scenario “%(name)s” saved.") % {"name": scenario.name},
        respond=saved,
    )


@login_required
@require_POST
def scenario_delete(request: HttpRequest, persona_pk: int, scenario_pk: int) -> HttpResponse:
    scenario = _get_scenario(request, persona_pk, scenario_pk, write=True)
    try:
        services.scenario_delete(scenario=scenario, actor=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        if request.htmx:
            return _scenario_section(request, persona_pk, status=400, errors={scenario.pk: error})
        messages.error(request, error)
    else:
        messages.success(request, _("Scenario “%(name)s” deleted.") % {"name": scenario.name})
        if request.htmx:
            return _scenario_section(request, persona_pk)
    return redirect("personas:detail", persona_pk)

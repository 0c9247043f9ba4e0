"""Feedback pages: surveys (list, builder, results), responses, follow-ups and themes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from teams.access import get_object_for_user, has_role, require_role
from teams.htmx import form_flow, hx_redirect, render_page_or_partial, team_required
from teams.middleware import follow_team
from teams.models import Role

from . import selectors, services, stats
from .exports import responses_csv_response
from .filters import ResponseFilter
from .forms import FollowUpNoteForm, QuestionForm, SurveyForm, ThemeForm, survey_languages
from .models import FollowUp, Question, Response, Survey, Theme
from .public import email_link_urls, survey_definition_data


def _survey(request: HttpRequest, survey_pk: int) -> Survey:
    survey = get_object_for_user(selectors.survey_with_questions(Survey.objects.all()), request.user, pk=survey_pk)
    follow_team(request, survey.team_id)
    return survey


# --- surveys --------------------------------------------------------------------------------


@login_required
@require_GET
@team_required
def survey_list(request: HttpRequest) -> HttpResponse:
    team = request.team
    surveys = list(selectors.survey_list(user=request.user, team=team).order_by("status", "name"))
    scores = {}
    if surveys:
        since = stats.window(90)
        rows = stats.grouped(Response.objects.filter(since, survey_id__in=[s.pk for s in surveys]), "survey")
        scores = {row["key"]: row for row in rows}
    for survey in surveys:
        survey.scores = scores.get(survey.pk)
    return render(
        request,
        "feedback/survey_list.html",
        {"surveys": surveys, "can_edit": has_role(request.user, team.pk, Role.EDITOR)},
    )


@login_required
@require_http_methods(["GET", "POST"])
@team_required
def survey_create(request: HttpRequest) -> HttpResponse:
    team = request.team
    form = SurveyForm(request.POST or None, team=team)
    return form_flow(
        request,
        form,
        role=(team.pk, Role.EDITOR),
        save=lambda data: services.survey_create(team=team, actor=request.user, **form.service_kwargs()),
        render=lambda status: render(request, "feedback/survey_form.html", {"form": form}, status=status),
        message=lambda survey: (
            _("Survey “%(name)s” created as a draft. Check its questions, then open it.") % {"name": survey.name}
        ),
        redirect_to=lambda survey: reverse("feedback:survey_edit", args=[survey.pk]),
    )


def _builder_context(request: HttpRequest, survey: Survey, form: SurveyForm | None = None) -> dict:
    languages = survey_languages(survey)
    base = request.build_absolute_uri("/").rstrip("/")
    return {
        "survey": survey,
        "form": form or SurveyForm(team=survey.team, survey=survey),
        "questions": list(survey.questions.all()),
        "languages": languages,
        "can_edit": has_role(request.user, survey.team_id, Role.EDITOR),
        "is_team_admin": has_role(request.user, survey.team_id, Role.ADMIN),
        "base_url": base,
        "email_links": email_link_urls(survey, base),
        "statuses": Survey.Status.choices,
        **_embed_snippets(survey, base),
    }


def _embed_snippets(survey: Survey, base: str) -> dict:
    """The code to paste into a site: built here so the template holds only words to translate."""
    page = base + reverse("feedback_public:survey_page", args=[survey.public_key])
    script = base + static("waymark/widget/waymark-survey.js")
    return {
        "embed_snippet": f'<script src="{script}" data-survey="{survey.public_key}" async></script>',
        "iframe_snippet": (
            f'<iframe src="{page}" title="{escape(survey.name)}" width="100%" height="520" style="border:0"></iframe>'
        ),
        "responses_endpoint": "POST " + reverse("feedback_public:survey_responses", args=[survey.public_key]),
    }


@login_required
@require_http_methods(["GET", "POST"])
def survey_edit(request: HttpRequest, survey_pk: int) -> HttpResponse:
    """The builder: settings and texts, questions, status and the ways to embed it."""
    survey = _survey(request, survey_pk)
    form = SurveyForm(request.POST or None, team=survey.team, survey=survey)

    def builder(status: int) -> HttpResponse:
        posted = request.method == "POST"
        context = _builder_context(request, survey, form if posted else None)
        template = (
            "feedback/survey_edit.html#survey-settings" if request.htmx and posted else "feedback/survey_edit.html"
        )
        return render(request, template, context, status=status)

    return form_flow(
        request,
        form,
        role=(survey.team_id, Role.EDITOR),
        save=lambda data: services.survey_update(survey=survey, actor=request.user, **form.service_kwargs()),
        render=builder,
        message=_("Survey saved."),
        redirect_to=reverse("feedback:survey_edit", args=[survey.pk]),
    )


@login_required
@require_POST
def survey_status(request: HttpRequest, survey_pk: int) -> HttpResponse:
    survey = _survey(request, survey_pk)
    require_role(request.user, survey.team_id, Role.EDITOR)
    try:
        services.survey_set_status(survey=survey, actor=request.user, status=request.POST.get("status", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Survey is now %(status)s.") % {"status": survey.get_status_display().lower()})
    return hx_redirect(request, reverse("feedback:survey_edit", args=[survey.pk]))


@login_required
@require_POST
def survey_delete(request: HttpRequest, survey_pk: int) -> HttpResponse:
    survey = _survey(request, survey_pk)
    require_role(request.user, survey.team_id, Role.EDITOR)
    try:
        services.survey_delete(survey=survey, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return hx_redirect(request, reverse("feedback:survey_edit", args=[survey.pk]))
    messages.success(request, _("Survey “%(name)s” deleted.") % {"name": survey.name})
    return hx_redirect(request, reverse("feedback:survey_list"))


@login_required
@require_GET
def survey_preview(request: HttpRequest, survey_pk: int) -> HttpResponse:
    """The survey as a respondent sees it in a language (nothing is stored from here)."""
    survey = _survey(request, survey_pk)
    questions = list(survey.questions.all())
    locale = request.GET.get("locale") or survey.default_locale
    from .public import ui_text

    context = {
        "survey": survey,
        "definition": survey_definition_data(survey, questions, locale),
        "locale": locale,
        "ui": ui_text(locale),
        "preview": True,
        "values": {},
        "errors": {},
        "languages": survey_languages(survey),
    }
    return render(request, "feedback/survey_preview.html", context)


# --- questions ------------------------------------------------------------------------------


def _question_list(request: HttpRequest, survey: Survey, status: int = 200) -> HttpResponse:
    survey = _survey(request, survey.pk)
    return render(request, "feedback/survey_edit.html#question-list", _builder_context(request, survey), status=status)


@login_required
@require_http_methods(["GET", "POST"])
def question_create(request: HttpRequest, survey_pk: int) -> HttpResponse:
    survey = _survey(request, survey_pk)
    languages = survey_languages(survey)
    if request.method == "POST":
        require_role(request.user, survey.team_id, Role.EDITOR)
    form = QuestionForm(request.POST or None, survey=survey, languages=languages, initial={"kind": "text"})
    return _question_flow(
        request,
        survey,
        form,
        None,
        lambda: services.question_add(survey=survey, actor=request.user, **form.service_kwargs()),
        _("Question added."),
    )


def _question_flow(request: HttpRequest, survey: Survey, form, question, save, message: str) -> HttpResponse:
    context = {"survey": survey, "form": form, "question": question}
    return form_flow(
        request,
        form,
        save=lambda data: save(),
        render=lambda status: render_page_or_partial(
            request, "feedback/question_form.html", "question-form", context, status=status
        ),
        message=message,
        redirect_to=reverse("feedback:survey_edit", args=[survey.pk]),
    )


def _question(request: HttpRequest, survey_pk: int, question_pk: int) -> Question:
    return get_object_for_user(
        Question.objects.select_related("survey__team"), request.user, pk=question_pk, survey_id=survey_pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, survey_pk: int, question_pk: int) -> HttpResponse:
    question = _question(request, survey_pk, question_pk)
    survey = question.survey
    if request.method == "POST":
        require_role(request.user, survey.team_id, Role.EDITOR)
    form = QuestionForm(request.POST or None, survey=survey, languages=survey_languages(survey), question=question)
    return _question_flow(
        request,
        survey,
        form,
        question,
        lambda: services.question_update(question=question, actor=request.user, **form.service_kwargs()),
        _("Question saved."),
    )


@login_required
@require_POST
def question_delete(request: HttpRequest, survey_pk: int, question_pk: int) -> HttpResponse:
    question = _question(request, survey_pk, question_pk)
    require_role(request.user, question.survey.team_id, Role.EDITOR)
    try:
        services.question_delete(question=question, actor=request.user)
        messages.success(request, _("Question “%(key)s” deleted.") % {"key": question.key})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        return _question_list(request, question.survey)
    return hx_redirect(request, reverse("feedback:survey_edit", args=[survey_pk]))


@login_required
@require_POST
def question_move(request: HttpRequest, survey_pk: int, question_pk: int) -> HttpResponse:
    question = _question(request, survey_pk, question_pk)
    require_role(request.user, question.survey.team_id, Role.EDITOR)
    try:
        services.question_move(question=question, actor=request.user, direction=request.POST.get("direction", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        return _question_list(request, question.survey)
    return hx_redirect(request, reverse("feedback:survey_edit", args=[survey_pk]))


# --- results --------------------------------------------------------------------------------


PERIODS = {"30": 30, "90": 90, "180": 180, "365": 365}


def _shown(value: float | None, metric: str) -> float | None:
    """Round a figure as the page prints it (the chart's tooltips show these numbers)."""
    return None if value is None else round(value, 2 if metric == "ces" else 1)


def _trend_chart(trend: list[dict], metric: str) -> dict:
    """Return the trend chart's data: one figure of ``metric`` per period, with its interval and n."""
    return {
        "metric": metric,
        "labels": [row["key"].date().isoformat() for row in trend],
        "values": [_shown(row[metric].value, metric) for row in trend],
        "low": [_shown(row[metric].low, metric) for row in trend],
        "high": [_shown(row[metric].high, metric) for row in trend],
        "n": [row[metric].n for row in trend],
    }


@login_required
@require_GET
def survey_detail(request: HttpRequest, survey_pk: int) -> HttpResponse:
    """Results: NPS/CSAT/CES with n and interval, the trend chart, response rate, themes, stages."""
    survey = _survey(request, survey_pk)
    days = PERIODS.get(request.GET.get("days", ""), 180)
    by = "month" if request.GET.get("by") == "month" else "week"
    result = stats.survey_stats(survey, days=days, by=by)
    by_stage = result["by_stage"]
    by_touchpoint = result["by_touchpoint"]
    from journeys.models import Stage, Touchpoint

    stage_names = dict(Stage.objects.filter(pk__in=[r["key"] for r in by_stage if r["key"]]).values_list("pk", "name"))
    tp_names = dict(
        Touchpoint.objects.filter(pk__in=[r["key"] for r in by_touchpoint if r["key"]]).values_list("pk", "name")
    )
    metric = survey.kind if survey.kind in ("nps", "csat", "ces") else "nps"
    chart = _trend_chart(result["trend"], metric)
    context = {
        "survey": survey,
        "result": result,
        "metric": metric,
        "days": days,
        "by": by,
        "periods": PERIODS,
        "chart": chart,
        "by_stage": [{**r, "name": stage_names.get(r["key"], _("No stage"))} for r in by_stage],
        "by_touchpoint": [{**r, "name": tp_names.get(r["key"], _("No touchpoint"))} for r in by_touchpoint],
        "recent": selectors.response_list(user=request.user).filter(survey=survey)[:10],
    }
    return render(request, "feedback/survey_detail.html", context)


# --- a map's scores -------------------------------------------------------------------------


def _heat(value: float | None) -> str:
    """Return the NPS band of a grid cell (its colour; the number is always printed too)."""
    if value is None:
        return "none"
    for band, floor in (("p3", 50), ("p2", 20), ("p1", 0), ("n1", -20), ("n2", -50)):
        if value >= floor:
            return band
    return "n3"


def _grid(result: dict) -> list[dict]:
    """Return the period × stage grid as rows (newest period first), one cell (or None) per stage."""
    cells = {(cell["period"], cell["stage"]): cell for cell in result["by_period_stage"]}
    rows = []
    for period in reversed([row["key"] for row in result["trend"]]):
        row = []
        for stage in result["stages"]:
            cell = cells.get((period, stage["id"]))
            row.append({**cell, "heat": _heat(cell["nps"].value)} if cell else None)
        rows.append({"period": period, "cells": row})
    return rows


@login_required
@require_GET
def map_scores(request: HttpRequest, map_pk: int) -> HttpResponse:
    """A map's scores: totals with n and interval, the week × stage grid, the trend, by touchpoint."""
    from journeys.models import JourneyMap

    journey_map = get_object_for_user(JourneyMap, request.user, pk=map_pk)
    follow_team(request, journey_map.team_id)
    days = PERIODS.get(request.GET.get("days", ""), 90)
    by = "month" if request.GET.get("by") == "month" else "week"
    result = stats.map_stats(journey_map, days=days, by=by)
    trend = result["trend"]
    chart = _trend_chart(trend, "nps")
    touchpoints: dict = {}
    for row in result["by_touchpoint"]:
        touchpoints.setdefault(row["stage"], []).append(row)
    context = {
        "journey_map": journey_map,
        "result": result,
        "grid": _grid(result),
        "by_stage": [{**row, "touchpoints": touchpoints.get(row["key"], [])} for row in result["by_stage"]],
        "elsewhere": touchpoints.get(None, []),
        "chart": chart,
        "days": days,
        "by": by,
        "periods": PERIODS,
    }
    return render_page_or_partial(request, "feedback/map_scores.html", "scores", context)


# --- responses ------------------------------------------------------------------------------


def _filtered_responses(request: HttpRequest):
    queryset = selectors.response_list(user=request.user)
    if request.team is not None and "team" not in request.GET:
        queryset = queryset.filter(team=request.team)
    return ResponseFilter(request.GET or None, queryset=queryset.order_by("-created_at", "-id"))


@login_required
@require_GET
def response_list(request: HttpRequest) -> HttpResponse:
    filterset = _filtered_responses(request)
    responses = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    if filterset.is_bound and filterset.is_valid():
        responses = responses.distinct()
    page = Paginator(responses, 50).get_page(request.GET.get("page"))
    team = request.team
    context = {
        "filter": filterset,
        "page": page,
        "surveys": selectors.survey_list(user=request.user, team=team).order_by("name") if team else [],
        "themes": list(selectors.theme_list(user=request.user, team=team)) if team else [],
        "can_edit": team is not None and has_role(request.user, team.pk, Role.EDITOR),
        "query": request.GET.urlencode(),
        "export_query": "&".join(f"{k}={v}" for k, v in request.GET.items() if k != "page"),
    }
    return render_page_or_partial(request, "feedback/response_list.html", "response-table", context)


@login_required
@require_GET
def response_export(request: HttpRequest) -> HttpResponse:
    """Stream the filtered responses as CSV, a chunk of rows at a time (never all in memory)."""
    filterset = _filtered_responses(request)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    queryset = queryset.prefetch_related(None).select_related(None).order_by("-created_at", "-id")
    if filterset.is_bound and filterset.is_valid() and request.GET.get("theme"):
        queryset = queryset.distinct()
    return responses_csv_response(queryset)


@login_required
@require_POST
def response_themes(request: HttpRequest, response_pk: int) -> HttpResponse:
    """Tag or untag a response with a theme by hand."""
    response = get_object_for_user(Response, request.user, pk=response_pk)
    require_role(request.user, response.team_id, Role.EDITOR)
    theme = get_object_for_user(Theme, request.user, pk=request.POST.get("theme") or 0)
    try:
        services.response_theme_set(
            response=response, theme=theme, actor=request.user, tagged=request.POST.get("tagged", "1") == "1"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    response = selectors.response_list(user=request.user).get(pk=response.pk)
    themes = list(selectors.theme_list(user=request.user, team=response.team_id))
    return render(request, "feedback/_response_themes.html", {"r": response, "themes": themes, "can_edit": True})


# --- follow-ups -----------------------------------------------------------------------------


@login_required
@require_GET
def my_followups(request: HttpRequest) -> HttpResponse:
    """The follow-ups the person owns (or, for editors, the team's unassigned ones)."""
    scope = request.GET.get("scope", "mine")
    status = request.GET.get("status", "active")
    queryset = selectors.followup_list(user=request.user)
    if scope == "team" and request.team is not None:
        queryset = queryset.filter(team=request.team)
    else:
        scope = "mine"
        queryset = queryset.filter(owner=request.user)
    if status == "active":
        queryset = queryset.exclude(status=FollowUp.Status.CLOSED)
    elif status in FollowUp.Status.values:
        queryset = queryset.filter(status=status)
    followups = list(queryset.order_by("due_at")[:200])
    context = {
        "followups": followups,
        "scope": scope,
        "status": status,
        "note_form": FollowUpNoteForm(),
        "statuses": [("active", _("Open and acknowledged")), *FollowUp.Status.choices, ("all", _("All"))],
    }
    return render(request, "feedback/my_followups.html", context)


@login_required
@require_POST
def followup_action(request: HttpRequest, followup_pk: int) -> HttpResponse:
    """Acknowledge, add a note to, close or reopen a follow-up."""
    followup = get_object_for_user(selectors.followup_list(user=request.user), request.user, pk=followup_pk)
    if followup.owner_id != request.user.pk:
        require_role(request.user, followup.team_id, Role.EDITOR)
    action = request.POST.get("action", "")
    error = None
    try:
        if action == "acknowledge":
            services.followup_acknowledge(followup=followup, actor=request.user)
            messages.success(request, _("Acknowledged: the customer's answer is yours to follow up."))
        elif action == "note":
            services.followup_add_note(followup=followup, actor=request.user, text=request.POST.get("note", ""))
            messages.success(request, _("Note added."))
        elif action == "close":
            services.followup_close(followup=followup, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, _("Follow-up closed."))
        elif action == "reopen":
            services.followup_reopen(followup=followup, actor=request.user)
            messages.success(request, _("Follow-up reopened."))
        else:
            raise ValidationError({"action": _("Choose acknowledge, note, close or reopen.")})
    except ValidationError as exc:
        error = " ".join(exc.messages)
    followup = selectors.followup_list(user=request.user).get(pk=followup.pk)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return hx_redirect(request, reverse("feedback:my_followups"))
    context = {"f": followup, "note_form": FollowUpNoteForm(), "error": error}
    return render(request, "feedback/_followup_card.html", context, status=400 if error else 200)


# --- themes ---------------------------------------------------------------------------------


def _themes_context(request: HttpRequest, team, form=None) -> dict:
    from .models import ResponseTheme

    themes = list(selectors.theme_list(user=request.user, team=team).order_by("name"))
    per_stage = (
        ResponseTheme.objects.filter(theme__team=team, response__stage__isnull=False)
        .values("theme__name", "response__stage__name", "response__stage__journey_map__title")
        .annotate(count=stats.Count("id"))
        .order_by("response__stage__journey_map__title", "response__stage__name", "-count")
    )
    return {
        "themes": themes,
        "per_stage": list(per_stage[:200]),
        "form": form or ThemeForm(),
        "can_edit": has_role(request.user, team.pk, Role.EDITOR),
    }


@login_required
@require_http_methods(["GET", "POST"])
@team_required
def theme_list(request: HttpRequest) -> HttpResponse:
    team = request.team
    form = ThemeForm(request.POST or None)

    def section(status: int, theme_form=None) -> HttpResponse:
        context = _themes_context(request, team, theme_form)
        return render_page_or_partial(request, "feedback/theme_list.html", "theme-section", context, status=status)

    return form_flow(
        request,
        form,
        role=(team.pk, Role.EDITOR),
        save=lambda data: services.theme_create(team=team, actor=request.user, **data),
        render=lambda status: section(status, form if request.method == "POST" else None),
        message=lambda theme: (
            _("Theme “%(name)s” added; new answers are tagged as they arrive.") % {"name": theme.name}
        ),
        respond=lambda theme: section(200),
    )


@login_required
@require_POST
def theme_delete(request: HttpRequest, theme_pk: int) -> HttpResponse:
    theme = get_object_for_user(Theme, request.user, pk=theme_pk)
    require_role(request.user, theme.team_id, Role.EDITOR)
    services.theme_delete(theme=theme, actor=request.user)
    messages.success(request, _("Theme “%(name)s” deleted.") % {"name": theme.name})
    if request.htmx:
        return render(request, "feedback/theme_list.html#theme-section", _themes_context(request, theme.team))
    return hx_redirect(request, reverse("feedback:theme_list"))

"""Pages of the experiment log: the timeline, an experiment, metrics and their observations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from journeys.models import JourneyMap, Stage
from teams.access import get_object_for_user, get_object_for_write, has_role, require_role
from teams.htmx import form_flow, hx_redirect, team_required
from teams.middleware import follow_team
from teams.models import Role

from . import selectors, services
from .extensions import log_sections
from .filters import ExperimentFilter
from .forms import (
    ConcludeForm,
    CsvImportForm,
    ExperimentForm,
    MetricForm,
    ObservationForm,
    SurveyComputeForm,
    TransitionForm,
    parse_csv,
)
from .models import Experiment, Metric, Observation, Tag
from .presenters import result_rows, result_summary

PAGE_SIZE = 50


# --- The log ------------------------------------------------------------------------------------


@login_required
@require_GET
@team_required
def experiment_list(request: HttpRequest) -> HttpResponse:
    """The timeline of the team's experiments, searchable and filtered; the results are an HTMX fragment."""
    team = request.team
    experiments = selectors.experiment_list(user=request.user).filter(team=team)
    # An empty select in the filter form means "any": drop it rather than filter by "".
    params = request.GET.copy()
    for key in [k for k, values in params.lists() if not any(v.strip() for v in values)]:
        del params[key]
    filterset = ExperimentFilter(params, queryset=experiments)
    results = filterset.qs if filterset.is_valid() else experiments.none()
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    filtered = any(k != "page" for k in params)
    context = {
        "team": team,
        "filter": filterset,
        "page": page,
        "experiments": page.object_list,
        "filtered": filtered,
        "query": request.GET,
        "can_edit_team": has_role(request.user, team.pk, Role.EDITOR),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "experiments/experiment_list.html#results", context)
    all_team = Experiment.objects.for_team(team)
    context.update(
        {
            "maps": JourneyMap.objects.for_team(team).only("id", "title"),
            "stages": Stage.objects.for_team(team)
            .select_related("journey_map")
            .only("id", "name", "journey_map__title"),
            "metrics": Metric.objects.for_team(team).only("id", "name"),
            "tags": Tag.objects.for_team(team),
            "owners": get_user_model().objects.filter(memberships__team=team).order_by("username"),
            "statuses": Experiment.Status.choices,
            "outcomes": Experiment.Outcome.choices,
            "log_sections": [html for fn in log_sections if (html := fn(team=team, user=request.user))],
            "by_stage": selectors.prediction_scorecard(all_team, "stage"),
            "by_owner": selectors.prediction_scorecard(all_team, "owner"),
        }
    )
    return render(request, "experiments/experiment_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@team_required(role=Role.EDITOR)
def experiment_create(request: HttpRequest) -> HttpResponse:
    team = request.team
    initial = {"owner": request.user.pk}
    for field in ("journey_map", "stage", "touchpoint", "pain_point", "primary_metric"):
        if request.GET.get(field, "").isdigit():
            initial[field] = int(request.GET[field])
    form = ExperimentForm(request.POST or None, team=team, initial=initial)
    return form_flow(
        request,
        form,
        save=lambda data: services.experiment_create(
            team=team, actor=request.user, status=request.POST.get("status") or "idea", **form.service_data()
        ),
        render=lambda status: render(
            request, "experiments/experiment_form.html", {"form": form, "team": team}, status=status
        ),
        message=lambda experiment: _("Hypothesis “%(title)s” logged.") % {"title": experiment.title},
        redirect_to=lambda experiment: experiment.get_absolute_url(),
    )


def _detail_context(request: HttpRequest, experiment: Experiment, **extra) -> dict:
    follow_team(request, experiment.team_id)
    charts, observations = selectors.experiment_charts(experiment)
    if experiment.result:
        analysis, preview = experiment.result, False
    else:
        analysis, preview = selectors.experiment_analysis(experiment, observations=observations), True
    can_edit = has_role(request.user, experiment.team_id, Role.EDITOR)
    next_steps = [
        (s, label) for s, label in Experiment.Status.choices if s in services.TRANSITIONS.get(experiment.status, set())
    ]
    deviations = list(experiment.deviations.all())
    for deviation in deviations:
        # A deviation stores the field's name; the page shows its label in the reader's language.
        try:
            deviation.field_label = Experiment._meta.get_field(deviation.field).verbose_name
        except FieldDoesNotExist:
            deviation.field_label = deviation.field
    return {
        "experiment": experiment,
        "charts": charts,
        "analysis": analysis,
        "rows": result_rows(analysis),
        **result_summary(analysis),
        "preview": preview,
        "can_edit": can_edit,
        "next_steps": next_steps,
        "can_conclude": experiment.status in (Experiment.Status.RUNNING, Experiment.Status.ANALYSING),
        "deviations": deviations,
        "guardrails": list(experiment.guardrail_metrics.all()),
        **extra,
    }


@login_required
@require_GET
def experiment_detail(request: HttpRequest, experiment_pk: int) -> HttpResponse:
    experiment = selectors.experiment_get(user=request.user, pk=experiment_pk)
    return render(request, "experiments/experiment_detail.html", _detail_context(request, experiment))


@login_required
@require_http_methods(["GET", "POST"])
def experiment_edit(request: HttpRequest, experiment_pk: int) -> HttpResponse:
    experiment = selectors.experiment_get(user=request.user, pk=experiment_pk)
    form = ExperimentForm(request.POST or None, instance=experiment, team=experiment.team, frozen=experiment.is_frozen)
    context = {"form": form, "team": experiment.team, "experiment": experiment}
    return form_flow(
        request,
        form,
        role=(experiment.team_id, Role.EDITOR),
        save=lambda data: services.experiment_update(
            experiment=experiment,
            actor=request.user,
            deviation_reason=data.get("deviation_reason", ""),
            expected_revision=data.get("revision"),
            **form.service_data(),
        ),
        render=lambda status: render(request, "experiments/experiment_form.html", context, status=status),
        message=_("Experiment saved."),
        redirect_to=lambda saved: saved.get_absolute_url(),
        on_error=lambda exc: 409 if getattr(exc, "error_dict", {}).get("revision") else 400,
    )


@login_required
@require_POST
def experiment_transition(request: HttpRequest, experiment_pk: int) -> HttpResponse:
    experiment = get_object_for_write(Experiment, request.user, pk=experiment_pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return hx_redirect(request, experiment.get_absolute_url())
    try:
        experiment = services.experiment_transition(
            experiment=experiment, actor=request.user, to=form.cleaned_data["status"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("“%(title)s” is now %(status)s.")
            % {"title": experiment.title, "status": experiment.get_status_display().lower()},
        )
    return hx_redirect(request, experiment.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def experiment_conclude(request: HttpRequest, experiment_pk: int) -> HttpResponse:
    experiment = selectors.experiment_get(user=request.user, pk=experiment_pk)
    require_role(request.user, experiment.team_id, Role.EDITOR)
    form = ConcludeForm(request.POST or None, experiment=experiment)
    return form_flow(
        request,
        form,
        save=lambda data: services.experiment_conclude(
            experiment=experiment,
            actor=request.user,
            decision=data["decision"],
            learning=data["learning"],
            map_version=data["map_version"],
            outcome=data["outcome"] or None,
        ),
        render=lambda status: render(
            request,
            "experiments/experiment_conclude.html",
            _detail_context(request, experiment, form=form),
            status=status,
        ),
        message=lambda concluded: _("Concluded: %(outcome)s.") % {"outcome": concluded.get_outcome_display().lower()},
        redirect_to=lambda concluded: concluded.get_absolute_url(),
    )


# --- Metrics and observations -------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@team_required
def metric_list(request: HttpRequest) -> HttpResponse:
    """The team's metrics; editors add one (POST)."""
    team = request.team
    form = MetricForm(request.POST or None, team=team)

    def page(status: int) -> HttpResponse:
        context = {
            "team": team,
            "metrics": selectors.metric_list(user=request.user).filter(team=team),
            "form": form,
            "can_edit_team": has_role(request.user, team.pk, Role.EDITOR),
        }
        return render(request, "experiments/metric_list.html", context, status=status)

    return form_flow(
        request,
        form,
        role=(team.pk, Role.EDITOR),
        save=lambda data: services.metric_create(team=team, actor=request.user, **data),
        render=page,
        message=lambda metric: (
            _("Metric “%(name)s” added. Push or import its observations next.") % {"name": metric.name}
        ),
        redirect_to=lambda metric: metric.get_absolute_url(),
    )


def _metric_context(request, metric: Metric, **extra) -> dict:
    observations = list(metric.observations.order_by("period_start", "segment"))
    return {
        "metric": metric,
        "observations": observations,
        "chart": {"id": f"chart-{metric.pk}", **selectors.metric_chart(metric, observations)},
        "experiments": selectors.experiment_list(user=request.user).filter(primary_metric=metric)[:20],
        "can_edit": has_role(request.user, metric.team_id, Role.EDITOR),
        "observation_form": extra.pop("observation_form", None) or ObservationForm(),
        "survey_form": extra.pop("survey_form", None) or SurveyComputeForm(),
        "form": extra.pop("form", None) or MetricForm(instance=metric, team=metric.team),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def metric_detail(request: HttpRequest, metric_pk: int) -> HttpResponse:
    """A metric with its chart and observations; editors change it (POST)."""
    metric = get_object_for_user(Metric.objects.select_related("team", "survey"), request.user, pk=metric_pk)
    follow_team(request, metric.team_id)
    form = MetricForm(request.POST or None, instance=metric, team=metric.team)

    def page(status: int) -> HttpResponse:
        if status != 200:
            metric.refresh_from_db()
        context = _metric_context(request, metric, form=form if request.method == "POST" else None)
        return render(request, "experiments/metric_detail.html", context, status=status)

    return form_flow(
        request,
        form,
        role=(metric.team_id, Role.EDITOR),
        save=lambda data: services.metric_update(metric=metric, actor=request.user, **data),
        render=page,
        message=_("Metric saved."),
        redirect_to=metric.get_absolute_url(),
    )


@login_required
@require_POST
def observation_add(request: HttpRequest, metric_pk: int) -> HttpResponse:
    metric = get_object_for_write(Metric.objects.select_related("team"), request.user, pk=metric_pk)
    form = ObservationForm(request.POST)
    return form_flow(
        request,
        form,
        save=lambda data: services.observation_upsert(
            metric=metric, actor=request.user, source=Observation.Source.MANUAL, **data
        ),
        render=lambda status: render(
            request,
            "experiments/metric_detail.html",
            _metric_context(request, metric, observation_form=form),
            status=status,
        ),
        message=lambda stored: _("Observation added.") if stored[1] else _("Observation for that period replaced."),
        redirect_to=metric.get_absolute_url(),
    )


@login_required
@require_POST
def observation_delete(request: HttpRequest, observation_pk: int) -> HttpResponse:
    observation = get_object_for_write(Observation.objects.select_related("metric"), request.user, pk=observation_pk)
    services.observation_delete(observation=observation, actor=request.user)
    messages.success(request, _("Observation deleted."))
    return hx_redirect(request, observation.metric.get_absolute_url())


@login_required
@require_POST
def metric_from_survey(request: HttpRequest, metric_pk: int) -> HttpResponse:
    metric = get_object_for_write(Metric.objects.select_related("team", "survey"), request.user, pk=metric_pk)
    form = SurveyComputeForm(request.POST)
    return form_flow(
        request,
        form,
        save=lambda data: services.metric_compute_from_survey(
            metric=metric, actor=request.user, start=data["start"], end=data["end"]
        ),
        render=lambda status: render(
            request,
            "experiments/metric_detail.html",
            _metric_context(request, metric, survey_form=form),
            status=status,
        ),
        message=lambda outcome: (
            _("Computed from the survey: %(created)s weeks added, %(updated)s replaced.")
            % {"created": outcome["created"], "updated": outcome["updated"]}
        ),
        redirect_to=metric.get_absolute_url(),
    )


@login_required
@require_http_methods(["GET", "POST"])
def observation_import(request: HttpRequest, metric_pk: int) -> HttpResponse:
    """Import a CSV of observations: upload → preview with per-row errors → confirm (all or nothing)."""
    metric = get_object_for_user(Metric.objects.select_related("team"), request.user, pk=metric_pk)
    require_role(request.user, metric.team_id, Role.EDITOR)
    form = CsvImportForm(request.POST or None, request.FILES or None)
    context = {"metric": metric, "form": form, "rows": [], "problems": [], "valid": 0, "invalid": 0}
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "experiments/observation_import.html", context, status=400)
        text = form.cleaned_data["text"]
        rows, problems = parse_csv(text)
        for row in rows:
            if not row["errors"]:
                try:
                    services.observation_clean(metric, row)
                except ValidationError as exc:
                    row["errors"] = {k: " ".join(v) for k, v in exc.message_dict.items()}
        invalid = sum(1 for r in rows if r["errors"])
        context.update(rows=rows, problems=problems, valid=len(rows) - invalid, invalid=invalid, text=text)
        if request.POST.get("confirm") and not problems and not invalid:
            outcome = services.observations_bulk_upsert(
                rows=[{**r, "metric": metric} for r in rows], actor=request.user, source=Observation.Source.CSV
            )
            messages.success(
                request,
                _("Imported %(created)s new observations and replaced %(updated)s.")
                % {"created": outcome["created"], "updated": outcome["updated"]},
            )
            return hx_redirect(request, reverse("experiments:metric_detail", args=[metric.pk]))
        status = 400 if problems or invalid else 200
    return render(request, "experiments/observation_import.html", context, status=status)

"""Writes of the experiment log: metrics, observations, experiments and their conclusion."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.cohorts import cohort_profiles
from analytics.models import Cohort
from feedback.nps import DETRACTOR_MAX, PROMOTER_MIN, nps
from teams.access import check_actor, history_user
from teams.signals import DomainEvent, domain_event

from . import selectors
from .models import Deviation, Experiment, Metric, Observation, Tag, population_segment

# --- Metrics ------------------------------------------------------------------------------------

METRIC_FIELDS = (
    "name",
    "key",
    "kind",
    "unit",
    "better",
    "description",
    "journey_map",
    "stage",
    "touchpoint",
    "survey",
    "behaviour",
    "event_name",
    "window_days",
    "segment_trait",
)


def _same_team(team_id: int, **objects) -> None:
    errors = {}
    for field, obj in objects.items():
        if obj is not None and obj.get_team_id() != team_id:
            errors[field] = _("Choose one of your team's own.")
    if errors:
        raise ValidationError(errors)


def _journey_place(obj, *, journey_map=None, stage=None, touchpoint=None, pain_point=None) -> dict:
    """Complete and check a place on the journey: a pain point implies its touchpoint, stage and map."""
    if pain_point is not None:
        if touchpoint is not None and pain_point.touchpoint_id != touchpoint.pk:
            raise ValidationError({"pain_point": _("This pain point is on another touchpoint.")})
        touchpoint = pain_point.touchpoint
    if touchpoint is not None:
        if stage is not None and touchpoint.stage_id != stage.pk:
            raise ValidationError({"touchpoint": _("This touchpoint is in another stage.")})
        stage = touchpoint.stage
    if stage is not None:
        if journey_map is not None and stage.journey_map_id != journey_map.pk:
            raise ValidationError({"stage": _("This stage is on another map.")})
        journey_map = stage.journey_map
    place = {"journey_map": journey_map, "stage": stage, "touchpoint": touchpoint}
    if pain_point is not None or hasattr(obj, "pain_point"):
        place["pain_point"] = pain_point
    return place


def _metric_clean(team_id: int, data: dict, instance: Metric | None = None) -> dict:
    _same_team(team_id, **{k: data.get(k) for k in ("journey_map", "stage", "touchpoint", "survey")})
    place = _journey_place(
        Metric, journey_map=data.get("journey_map"), stage=data.get("stage"), touchpoint=data.get("touchpoint")
    )
    data.update(place)
    key = data.get("key")
    if key and Metric.objects.filter(team_id=team_id, key=key).exclude(pk=getattr(instance, "pk", None)).exists():
        raise ValidationError({"key": _("Your team already has a metric with the key “%(key)s”.") % {"key": key}})
    if data.get("survey") is not None and data.get("kind", getattr(instance, "kind", None)) != Metric.Kind.NPS:
        raise ValidationError({"survey": _("Only an NPS metric can be computed from a survey.")})
    _behaviour_clean(data)
    return data


def metric_create(*, team, actor, **fields: Any) -> Metric:
    """Create a metric in ``team``."""
    check_actor(actor, team.pk)
    data = _metric_clean(team.pk, {k: v for k, v in fields.items() if k in METRIC_FIELDS})
    try:
        with transaction.atomic():
            return Metric.objects.create(team=team, **data)
    except IntegrityError as exc:
        raise ValidationError({"key": _("Your team already has a metric with this key.")}) from exc


@transaction.atomic
def metric_update(*, metric: Metric, actor, **fields: Any) -> Metric:
    """Change a metric's description or place; its observations stay."""
    check_actor(actor, metric.team_id)
    data = {k: v for k, v in fields.items() if k in METRIC_FIELDS}
    merged = {k: getattr(metric, k) for k in METRIC_FIELDS} | data
    merged = _metric_clean(metric.team_id, merged, instance=metric)
    if data.get("kind", metric.kind) != metric.kind and metric.observations.exists():
        raise ValidationError({"kind": _("This metric already has observations; its kind can no longer change.")})
    for key, value in merged.items():
        setattr(metric, key, value)
    metric.save()
    return metric


@transaction.atomic
def metric_delete(*, metric: Metric, actor) -> None:
    """Delete a metric and its observations, unless an experiment relies on it."""
    check_actor(actor, metric.team_id)
    used = Experiment.objects.filter(Q(primary_metric=metric) | Q(guardrail_metrics=metric)).exists()
    if used:
        raise ValidationError({"metric": _("An experiment measures this metric; remove it from the experiment first.")})
    metric.delete()


# --- Observations -------------------------------------------------------------------------------

OBSERVATION_FIELDS = ("value", "sample_size", "successes", "mean", "sd", "promoters", "detractors")


def _finite(value, field: str, errors: dict) -> None:
    if value is not None and (not isinstance(value, int | float) or not math.isfinite(value)):
        errors[field] = _("Give a finite number.")


def observation_clean(metric: Metric, data: dict) -> dict:
    """Return the observation's fields checked for the metric's kind, its value filled in where derivable."""
    errors: dict[str, str] = {}
    start, end = data.get("period_start"), data.get("period_end")
    if start is None:
        errors["period_start"] = _("Give the first day of the period.")
    if end is None:
        errors["period_end"] = _("Give the last day of the period.")
    if start and end and end < start:
        errors["period_end"] = _("The period cannot end before it starts.")
    segment = (data.get("segment") or "").strip()
    if len(segment) > 60:
        errors["segment"] = _("Keep the segment to 60 characters.")
    values = {f: data.get(f) for f in OBSERVATION_FIELDS}
    for field, value in values.items():
        _finite(value, field, errors)
    for field in ("sample_size", "successes", "promoters", "detractors"):
        value = values[field]
        if value is not None and (not float(value).is_integer() or value < 0):
            errors[field] = _("Give a whole number of 0 or more.")
    if values["sd"] is not None and not errors.get("sd") and values["sd"] < 0:
        errors["sd"] = _("A standard deviation cannot be negative.")
    if errors:
        raise ValidationError(errors)

    n = values["sample_size"]
    if values["successes"] is not None and n is not None and values["successes"] > n:
        raise ValidationError({"successes": _("Successes cannot exceed the sample size.")})
    kind = metric.kind
    if kind == Metric.Kind.PROPORTION and values["successes"] is not None:
        if n is None:
            raise ValidationError({"sample_size": _("Give the sample size with the successes.")})
        if values["successes"] > n:
            raise ValidationError({"successes": _("Successes cannot exceed the sample size.")})
        if n == 0:
            raise ValidationError({"sample_size": _("The sample size must be at least 1 with successes.")})
        values["value"] = values["successes"] / n
    elif kind == Metric.Kind.NPS and (values["promoters"] is not None or values["detractors"] is not None):
        promoters, detractors = values["promoters"] or 0, values["detractors"] or 0
        if not n:
            raise ValidationError({"sample_size": _("Give the number of answers with promoters and detractors.")})
        if promoters + detractors > n:
            raise ValidationError({"promoters": _("Promoters and detractors cannot outnumber the answers.")})
        values["promoters"], values["detractors"] = promoters, detractors
        values["value"] = nps(promoters, detractors, n)
    elif kind in (Metric.Kind.MEAN, Metric.Kind.COUNT) and values["mean"] is not None and values["value"] is None:
        values["value"] = values["mean"]
    elif (
        kind == Metric.Kind.MEAN and values["value"] is not None and values["mean"] is None and values["sd"] is not None
    ):
        values["mean"] = values["value"]
    if values["value"] is None:
        raise ValidationError({"value": _("Give the value (or the counts it is computed from).")})
    for field in ("sample_size", "successes", "promoters", "detractors"):
        if values[field] is not None:
            values[field] = int(values[field])
    return {"period_start": start, "period_end": end, "segment": segment, **values}


def observation_upsert(
    *, metric: Metric, actor, source: str = Observation.Source.MANUAL, **data: Any
) -> tuple[Observation, bool]:
    """Store the observation of ``metric`` for its period and segment, replacing an earlier one."""
    check_actor(actor, metric.team_id)
    clean = observation_clean(metric, data)
    key = {k: clean.pop(k) for k in ("period_start", "period_end", "segment")}
    defaults = {**clean, "source": source, "updated_at": timezone.now()}
    # update_or_create locks the row and retries the insert on a unique-constraint race.
    with transaction.atomic():
        return Observation.objects.update_or_create(metric=metric, **key, defaults=defaults)


class ObservationRowsInvalid(ValidationError):
    """Rows of a bulk upsert are invalid; ``rows`` holds ``{field: [messages]}`` per row sent (``{}`` if fine)."""

    def __init__(self, rows: list[dict[str, list[str]]]):
        self.rows = rows
        super().__init__(
            {
                "observations": [
                    _("Row %(row)s: %(field)s: %(messages)s")
                    % {"row": i + 1, "field": field, "messages": " ".join(messages)}
                    for i, row in enumerate(rows)
                    for field, messages in row.items()
                ]
            }
        )


def observations_bulk_upsert(
    *, rows: Iterable[dict], actor, source: str = Observation.Source.API, team_id: int | None = None
) -> dict:
    """Store many observations at once, all or none: each ``row`` has its ``metric`` and fields.

    Idempotent per metric, period and segment: the same row sent twice replaces, never duplicates.
    A row repeated within one batch counts once, the last one winning.
    """
    rows = list(rows)
    errors: list[dict[str, list[str]]] = [{} for _row in rows]
    cleaned: dict[tuple, tuple[Metric, dict]] = {}
    for i, row in enumerate(rows):
        metric = row.get("metric")
        if metric is None:
            errors[i] = {"metric": [_("Choose a metric.")]}
            continue
        if team_id is not None and metric.team_id != team_id:
            errors[i] = {"metric": [_("All rows must be metrics of one team.")]}
            continue
        try:
            clean = observation_clean(metric, row)
        except ValidationError as exc:
            errors[i] = exc.message_dict
            continue
        cleaned[(metric.pk, clean["period_start"], clean["period_end"], clean["segment"])] = (metric, clean)
    if any(errors):
        raise ObservationRowsInvalid(errors)
    for metric_team_id in {metric.team_id for metric, _clean in cleaned.values()}:
        check_actor(actor, metric_team_id)
    created = updated = 0
    stored = []
    with transaction.atomic():
        for metric, clean in cleaned.values():
            obs, was_created = observation_upsert(metric=metric, actor=actor, source=source, **clean)
            created += was_created
            updated += not was_created
            stored.append(obs)
    return {"created": created, "updated": updated, "observations": stored}


@transaction.atomic
def observation_delete(*, observation: Observation, actor) -> None:
    check_actor(actor, observation.metric.team_id)
    observation.delete()


def nps_counts(*, survey, start: dt.date, end: dt.date) -> dict:
    """Return ``{n, promoters, detractors}`` of a survey's scored answers between two dates (one query)."""
    from feedback.models import Response

    return Response.objects.filter(
        survey=survey, score__isnull=False, created_at__date__gte=start, created_at__date__lte=end
    ).aggregate(
        n=Count("id"),
        promoters=Count("id", filter=Q(score__gte=PROMOTER_MIN)),
        detractors=Count("id", filter=Q(score__lte=DETRACTOR_MAX)),
    )


def metric_compute_from_survey(*, metric: Metric, actor, start: dt.date, end: dt.date, by_week: bool = True) -> dict:
    """Compute an NPS metric's observations from its survey's answers, week by week or for one period.

    The counting is an SQL aggregation over ``feedback.Response.score`` (promoters 9–10,
    detractors 0–6); re-running replaces the computed weeks.
    """
    from feedback.models import Response

    check_actor(actor, metric.team_id)
    if metric.kind != Metric.Kind.NPS or metric.survey_id is None:
        raise ValidationError({"survey": _("Bind this NPS metric to a survey first.")})
    if end < start:
        raise ValidationError({"end": _("The period cannot end before it starts.")})
    if not by_week:
        counts = nps_counts(survey=metric.survey, start=start, end=end)
        if not counts["n"]:
            return {"created": 0, "updated": 0, "observations": []}
        rows = [{"metric": metric, "period_start": start, "period_end": end, "sample_size": counts["n"], **_pd(counts)}]
        return observations_bulk_upsert(rows=rows, actor=actor, source=Observation.Source.SURVEY)
    weekly = (
        Response.objects.filter(
            survey_id=metric.survey_id, score__isnull=False, created_at__date__gte=start, created_at__date__lte=end
        )
        .annotate(week=TruncWeek("created_at"))
        .order_by()
        .values("week")
        .annotate(
            n=Count("id"),
            promoters=Count("id", filter=Q(score__gte=PROMOTER_MIN)),
            detractors=Count("id", filter=Q(score__lte=DETRACTOR_MAX)),
        )
    )
    rows = []
    for row in weekly:
        week = row["week"].date() if isinstance(row["week"], dt.datetime) else row["week"]
        rows.append(
            {
                "metric": metric,
                "period_start": week,
                "period_end": week + dt.timedelta(days=6),
                "sample_size": row["n"],
                **_pd(row),
            }
        )
    return observations_bulk_upsert(rows=rows, actor=actor, source=Observation.Source.SURVEY)


def _pd(counts: dict) -> dict:
    return {"promoters": counts["promoters"], "detractors": counts["detractors"]}


# --- Experiments --------------------------------------------------------------------------------

EXPERIMENT_FIELDS = (
    "title",
    *Experiment.FROZEN_FIELDS,
    "journey_map",
    "stage",
    "touchpoint",
    "pain_point",
    "owner",
    "tags",
)

TRANSITIONS = {
    Experiment.Status.IDEA: {Experiment.Status.PLANNED, Experiment.Status.ARCHIVED},
    Experiment.Status.PLANNED: {Experiment.Status.IDEA, Experiment.Status.RUNNING, Experiment.Status.ARCHIVED},
    Experiment.Status.RUNNING: {Experiment.Status.ANALYSING, Experiment.Status.ARCHIVED},
    Experiment.Status.ANALYSING: {Experiment.Status.RUNNING, Experiment.Status.ARCHIVED},
    Experiment.Status.CONCLUDED: {Experiment.Status.ARCHIVED},
    Experiment.Status.ARCHIVED: set(),
}


def _tags(team_id: int, names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in sorted({n.strip().lower()[:40] for n in names if n and n.strip()}):
        tag, _created = Tag.objects.get_or_create(team_id=team_id, name=name)
        tags.append(tag)
    return tags


def _experiment_clean(team_id: int, data: dict) -> dict:
    """Check the team, the journey place and the windows; complete the place from its most precise link."""
    from teams.access import role_for

    _same_team(
        team_id,
        **{
            k: data.get(k) for k in ("primary_metric", "population", "journey_map", "stage", "touchpoint", "pain_point")
        },
    )
    for metric in data.get("guardrail_metrics") or []:
        _same_team(team_id, guardrail_metrics=metric)
    owner = data.get("owner")
    if owner is not None and role_for(owner, team_id) is None:
        raise ValidationError({"owner": _("The owner must be a member of the team.")})
    data.update(
        _journey_place(
            Experiment,
            journey_map=data.get("journey_map"),
            stage=data.get("stage"),
            touchpoint=data.get("touchpoint"),
            pain_point=data.get("pain_point"),
        )
    )
    primary = data.get("primary_metric")
    if primary is not None and primary in (data.get("guardrail_metrics") or []):
        raise ValidationError({"guardrail_metrics": _("The primary metric cannot also be a guardrail.")})
    for a, b in (("baseline_start", "baseline_end"), ("test_start", "test_end")):
        if data.get(a) and data.get(b) and data[b] < data[a]:
            raise ValidationError({b: _("The window cannot end before it starts.")})
    if (
        data.get("design") == Experiment.Design.BEFORE_AFTER
        and data.get("baseline_end")
        and data.get("test_start")
        and data["test_start"] <= data["baseline_end"]
    ):
        raise ValidationError({"test_start": _("The after window must start after the before window ends.")})
    alpha = data.get("significance_level")
    if alpha is not None and not 0.001 <= alpha <= 0.2:
        raise ValidationError({"significance_level": _("Choose a significance level between 0.001 and 0.2.")})
    split = data.get("planned_split")
    if split is not None and not 0.01 <= split <= 0.99:
        raise ValidationError({"planned_split": _("Give the treatment a share between 0.01 and 0.99.")})
    effect = data.get("expected_effect")
    if effect is not None and (not math.isfinite(effect) or effect < 0):
        raise ValidationError(
            {"expected_effect": _("Give the size as a positive number; the direction says which way.")}
        )
    if (
        effect is not None
        and effect > 100
        and data.get("expected_effect_unit") == Experiment.EffectUnit.ABSOLUTE
        and primary is not None
        and primary.kind == Metric.Kind.PROPORTION
    ):
        raise ValidationError(
            {
                "expected_effect": _(
                    "An absolute effect on a proportion is in percentage points (2 means 30 % → 32 %); "
                    "a rate cannot move by more than 100."
                )
            }
        )
    control = data.get("control_segment")
    if (
        data.get("design", Experiment.Design.AB) == Experiment.Design.AB
        and control
        and control == data.get("treatment_segment")
    ):
        raise ValidationError({"treatment_segment": _("The treatment segment must differ from the control.")})
    return data


def _status_label(value: str) -> str:
    """Return a status's label, or the value itself when it is no status (the error names what was sent)."""
    return Experiment.Status(value).label if value in Experiment.Status.values else value


def _display(value) -> str:
    if hasattr(value, "all") or isinstance(value, list | tuple | set):
        items = value.all() if hasattr(value, "all") else value
        return ", ".join(sorted(str(v) for v in items)) or "—"
    return "—" if value in (None, "") else str(value)


@transaction.atomic
def experiment_create(*, team, actor, **fields: Any) -> Experiment:
    """Create an experiment (status idea, or planned when asked) owned by ``actor`` unless another owner is given."""
    check_actor(actor, team.pk)
    data = {k: v for k, v in fields.items() if k in EXPERIMENT_FIELDS}
    data.setdefault("owner", actor if getattr(actor, "pk", None) else None)
    data = _experiment_clean(team.pk, data)
    guardrails = data.pop("guardrail_metrics", None) or []
    tag_names = data.pop("tags", None) or []
    status = fields.get("status") or Experiment.Status.IDEA
    if status not in (Experiment.Status.IDEA, Experiment.Status.PLANNED):
        raise ValidationError({"status": _("A new experiment starts as an idea or planned; start it from its page.")})
    experiment = Experiment.objects.create(
        team=team, created_by=actor if getattr(actor, "pk", None) else None, status=status, **data
    )
    experiment.guardrail_metrics.set(guardrails)
    experiment.tags.set(_tags(team.pk, tag_names))
    return experiment


def _lock(experiment: Experiment) -> Experiment:
    return Experiment.objects.select_for_update().get(pk=experiment.pk)


def _person(actor):
    """The person to record for ``actor`` (an API key records its creator)."""

    class _Req:
        pass

    request = _Req()
    request.user = actor
    return history_user(request)


@transaction.atomic
def experiment_update(
    *,
    experiment: Experiment,
    actor,
    deviation_reason: str = "",
    expected_revision: int | None = None,
    **fields: Any,
) -> Experiment:
    """Change an experiment. From ``running`` on, the pre-registration is frozen.

    A change to a frozen field is refused (naming the field) unless ``deviation_reason`` says
    why; then each changed field is recorded as a visible ``Deviation``. A write based on an
    older revision than the stored one is refused with a ``conflict`` error.
    """
    check_actor(actor, experiment.team_id)
    locked = _lock(experiment)
    if expected_revision is not None and expected_revision != locked.revision:
        raise ValidationError(
            {"revision": _("Someone else changed this experiment since you opened it; reload to see their change.")},
            code="conflict",
        )
    data = {k: v for k, v in fields.items() if k in EXPERIMENT_FIELDS}
    current = {k: getattr(locked, k) for k in EXPERIMENT_FIELDS if k not in ("guardrail_metrics", "tags")}
    current["guardrail_metrics"] = list(locked.guardrail_metrics.all())
    merged = _experiment_clean(locked.team_id, {**current, **data})

    changed = []
    for field in Experiment.FROZEN_FIELDS:
        if field not in data:
            continue
        old, new = current[field], merged[field]
        if field == "guardrail_metrics":
            if {m.pk for m in old} != {m.pk for m in new}:
                changed.append((field, _display(old), _display(new)))
        elif old != new:
            changed.append((field, _display(old), _display(new)))
    if changed and locked.is_frozen:
        reason = (deviation_reason or "").strip()
        if not reason:
            raise ValidationError(
                {
                    field: _("Frozen since the experiment started running. Record a deviation (say why) to change it.")
                    for field, _old, _new in changed
                },
                code="frozen",
            )
        person = _person(actor)
        Deviation.objects.bulk_create(
            [
                Deviation(experiment=locked, field=field, old_value=old, new_value=new, reason=reason, user=person)
                for field, old, new in changed
            ]
        )

    guardrails = merged.pop("guardrail_metrics")
    for key, value in merged.items():
        if key != "tags":
            setattr(locked, key, value)
    locked.revision += 1  # the row is locked: no lost update
    locked.updated_at = timezone.now()
    locked.save()
    if "guardrail_metrics" in data:
        locked.guardrail_metrics.set(guardrails)
    if "tags" in data:
        locked.tags.set(_tags(locked.team_id, data["tags"] or []))
    locked.refresh_from_db()
    return locked


def _ready_to_run(experiment: Experiment) -> None:
    errors = {}
    if experiment.primary_metric_id is None:
        errors["primary_metric"] = _("Choose the primary metric before the experiment runs.")
    if experiment.expected_effect is None:
        errors["expected_effect"] = _("Pre-register the expected effect before the experiment runs.")
    if not experiment.test_start:
        errors["test_start"] = _("Set the test window before the experiment runs.")
    if not experiment.test_end:
        errors["test_end"] = _("Set the end of the test window before the experiment runs.")
    if experiment.design == Experiment.Design.BEFORE_AFTER:
        if not experiment.baseline_start:
            errors["baseline_start"] = _("Set the before window before the experiment runs.")
        if not experiment.baseline_end:
            errors["baseline_end"] = _("Set the end of the before window before the experiment runs.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def experiment_transition(*, experiment: Experiment, actor, to: str) -> Experiment:
    """Move the experiment along idea → planned → running → analysing (conclude with ``experiment_conclude``)."""
    check_actor(actor, experiment.team_id)
    locked = _lock(experiment)
    if to == Experiment.Status.CONCLUDED:
        raise ValidationError({"status": _("Conclude the experiment with its decision and learning.")})
    if to not in TRANSITIONS.get(locked.status, set()):
        raise ValidationError(
            {
                "status": _("An experiment cannot go from %(current)s to %(next)s.")
                % {"current": locked.get_status_display().lower(), "next": _status_label(to).lower()}
            }
        )
    if to == Experiment.Status.RUNNING:
        _ready_to_run(locked)
        if locked.started_at is None:
            locked.started_at = timezone.now()
    locked.status = to
    locked.revision += 1  # the row is locked: no lost update
    locked.updated_at = timezone.now()
    locked.save(update_fields=["status", "started_at", "revision", "updated_at"])
    locked.refresh_from_db()
    return locked


@transaction.atomic
def experiment_conclude(
    *,
    experiment: Experiment,
    actor,
    decision: str,
    learning: str,
    map_version=None,
    outcome: str | None = None,
) -> Experiment:
    """Compute the result from the observations, record the decision and learning, and conclude.

    The outcome (supported / refuted / inconclusive) follows from the primary metric's result
    unless the team gives its own. Emits ``experiment.concluded``.
    """
    check_actor(actor, experiment.team_id)
    locked = _lock(experiment)
    errors = {}
    if locked.status not in (Experiment.Status.RUNNING, Experiment.Status.ANALYSING):
        errors["status"] = _("Only a running or analysing experiment can be concluded.")
    if decision not in Experiment.Decision.values:
        errors["decision"] = _("Choose ship, iterate or revert.")
    if not (learning or "").strip():
        errors["learning"] = _("Write down what the team learned.")
    if outcome and outcome not in Experiment.Outcome.values:
        errors["outcome"] = _("Choose supported, refuted or inconclusive.")
    if map_version is not None and (
        map_version.get_team_id() != locked.team_id
        or (locked.journey_map_id and map_version.journey_map_id != locked.journey_map_id)
    ):
        errors["map_version"] = _("Choose a version of the experiment's map.")
    if locked.primary_metric_id is None:
        errors["primary_metric"] = _("Choose the primary metric before concluding.")
    if errors:
        raise ValidationError(errors)
    result = selectors.experiment_analysis(locked)
    if result["no_data"]:
        # A decision "based on the data" needs data: an experiment without any is archived, not concluded.
        raise ValidationError(
            {
                "observations": _("%(reason)s Push observations before concluding, or archive the experiment.")
                % {"reason": result["no_data"]}
            },
            code="no_data",
        )
    result["computed_at"] = timezone.now().isoformat()
    locked.result = result
    locked.outcome = outcome or result["outcome"] or Experiment.Outcome.INCONCLUSIVE
    locked.decision = decision
    locked.learning = learning.strip()
    locked.map_version = map_version
    locked.status = Experiment.Status.CONCLUDED
    locked.concluded_at = timezone.now()
    locked.concluded_by = _person(actor)
    locked.revision += 1  # the row is locked: no lost update
    locked.updated_at = timezone.now()
    locked.save()
    locked.refresh_from_db()
    domain_event.send(
        sender=Experiment,
        team_id=locked.team_id,
        event=DomainEvent.EXPERIMENT_CONCLUDED,
        items=[
            {
                "id": locked.pk,
                "title": locked.title,
                "outcome": locked.outcome,
                "decision": locked.decision,
                "learning": locked.learning,
                "map_version": map_version.number if map_version is not None else None,
                "result": result,
            }
        ],
    )
    return locked


# --- Behavioural metrics ------------------------------------------------------------------------

# How far back a first computation reaches: the days before it are not filled in.
BEHAVIOUR_DAYS_BACK = 28


def _behaviour_clean(data: dict) -> None:
    """A behavioural metric is a proportion (activation) or a mean (events per profile) with its binding."""
    behaviour = data.get("behaviour") or ""
    if not behaviour:
        return
    if behaviour == Metric.Behaviour.ACTIVATION:
        data["kind"] = Metric.Kind.PROPORTION
        touchpoint = data.get("touchpoint")
        if not data.get("event_name") and (touchpoint is None or not touchpoint.is_moment):
            raise ValidationError(
                {"event_name": _("Bind the activation to a moment that matters (a touchpoint) or to an event name.")}
            )
    else:
        data["kind"] = Metric.Kind.MEAN
        if not data.get("event_name"):
            raise ValidationError({"event_name": _("Name the event to count.")})


def _last_closed_day(now: dt.datetime, zone, window_days: int) -> dt.date:
    """Return the last local day whose new profiles' windows have all ended by ``now``."""
    from analytics.query import local_midnight

    day = timezone.localtime(now, zone).date()
    # In UTC: aware arithmetic in the zone would add wall-clock days, an hour off across a DST change.
    while local_midnight(day + dt.timedelta(days=1), zone).astimezone(dt.UTC) + dt.timedelta(days=window_days) > now:
        day -= dt.timedelta(days=1)
    return day


def metric_compute_from_events(
    *, metric: Metric, actor=None, now: dt.datetime | None = None, days_back: int = BEHAVIOUR_DAYS_BACK
) -> dict:
    """Store a behavioural metric's daily observations from events: one per day (and segment), once.

    Day D's observation covers the profiles first seen on D (the team's local day), once all of
    their windows (D's end + ``window_days``) have ended; a day already stored is never recomputed,
    so the beat task can run as often as it likes. A day without new profiles stores nothing.
    Segments: "" (everyone) and, with ``segment_trait``, each value of that profile trait.
    """
    import statistics

    from analytics.moments import event_counts_by_profile, moment_filter, reach_by_profile
    from analytics.query import team_zone

    check_actor(actor, metric.team_id)
    if not metric.behaviour:
        raise ValidationError({"behaviour": _("This metric is not computed from events.")})
    team = metric.team
    zone = team_zone(team)
    now = now or timezone.now()
    last = _last_closed_day(now, zone, metric.window_days)
    first = last - dt.timedelta(days=days_back - 1)
    days = [first + dt.timedelta(days=i) for i in range(days_back)]
    # Everyone (""), and each population an experiment on this metric counts (its own segments).
    members = metric_populations(metric)
    scopes = ["", *(population_segment(cohort_id) for cohort_id in members)]
    stored: dict[str, set] = {scope: set() for scope in scopes}
    for segment, day in metric.observations.filter(
        segment__in=scopes, period_start__gte=first, period_start__lte=last, period_end=F("period_start")
    ).values_list("segment", "period_start"):
        stored[segment].add(day)
    missing = {scope: {day for day in days if day not in stored[scope]} for scope in scopes}
    every_missing = set().union(*missing.values())
    if not every_missing:
        return {"created": 0, "updated": 0, "observations": []}
    window = dt.timedelta(days=metric.window_days)
    groups: dict[tuple[dt.date, str], list] = {}
    in_scope = {"": None, **{population_segment(cohort_id): ids for cohort_id, ids in members.items()}}

    def add(pk, seen, traits, value):
        day = timezone.localtime(seen, zone).date()
        segment = traits.get(metric.segment_trait) if metric.segment_trait else None
        for scope, ids in in_scope.items():
            if day not in missing[scope] or (ids is not None and pk not in ids):
                continue
            groups.setdefault((day, scope), []).append(value)
            if segment not in (None, ""):
                name = f"{scope}:{segment}" if scope else str(segment)
                groups.setdefault((day, name[:60]), []).append(value)

    if metric.behaviour == Metric.Behaviour.ACTIVATION:
        condition, _notes = moment_filter(touchpoint=metric.touchpoint, event=metric.event_name)
        if condition is None:
            raise ValidationError({"event_name": _("The moment is bound to no event: add a tracking rule to it.")})
        rows = reach_by_profile(
            team,
            touchpoint=metric.touchpoint,
            event=metric.event_name,
            first=min(every_missing),
            last=max(every_missing),
        )
        for pk, seen, reached, traits in rows:
            add(pk, seen, traits or {}, reached is not None and reached - seen <= window)
    else:
        rows = event_counts_by_profile(
            team, metric.event_name, first=min(every_missing), last=max(every_missing), window_days=metric.window_days
        )
        for pk, seen, count, traits in rows:
            add(pk, seen, traits or {}, count)

    observations = []
    for (day, segment), values in sorted(groups.items()):
        row = {"metric": metric, "period_start": day, "period_end": day, "segment": segment, "sample_size": len(values)}
        if metric.behaviour == Metric.Behaviour.ACTIVATION:
            row["successes"] = sum(1 for v in values if v)
        else:
            mean = statistics.fmean(values)
            row.update(mean=mean, value=mean, sd=statistics.stdev(values) if len(values) > 1 else 0.0)
        observations.append(row)
    return observations_bulk_upsert(rows=observations, actor=actor, source=Observation.Source.EVENTS)


def metric_populations(metric: Metric) -> dict[int, set[int]]:
    """Return the populations of the experiments measuring ``metric``: cohort id -> its profiles' ids now."""
    cohort_ids = (
        Experiment.objects.filter(Q(primary_metric=metric) | Q(guardrail_metrics=metric), population__isnull=False)
        .exclude(status__in=[Experiment.Status.CONCLUDED, Experiment.Status.ARCHIVED])
        .values_list("population", flat=True)
        .distinct()
    )
    cohorts = Cohort.objects.filter(team_id=metric.team_id, pk__in=list(cohort_ids)).order_by("pk")
    return {cohort.pk: set(cohort_profiles(cohort).values_list("pk", flat=True)) for cohort in cohorts}


def metrics_compute_from_events_due(*, now: dt.datetime | None = None) -> int:
    """Compute every behavioural metric's missing days (the beat task); return the observations stored."""
    stored = 0
    for metric in Metric.objects.exclude(behaviour="").select_related("team", "touchpoint").order_by("id"):
        stored += metric_compute_from_events(metric=metric, now=now)["created"]
    return stored

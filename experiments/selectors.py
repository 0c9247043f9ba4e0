"""Reads for the experiment log: lists, the analysis of an experiment, charts and scorecards."""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from . import stats
from .models import POPULATION_PREFIX, Deviation, Experiment, Metric, Observation


def experiment_list(*, user) -> QuerySet[Experiment]:
    """Return the experiments ``user`` may read, with everything the timeline shows."""
    return (
        Experiment.objects.for_user(user)
        .select_related("primary_metric", "journey_map", "stage", "touchpoint", "pain_point", "owner", "map_version")
        .prefetch_related("tags", "guardrail_metrics")
        .order_by("-created_at", "-id")
    )


def experiment_get(*, user, pk) -> Experiment:
    from teams.access import get_object_for_user

    queryset = experiment_list(user=user).prefetch_related(
        Prefetch("deviations", queryset=Deviation.objects.select_related("user"))
    )
    return get_object_for_user(queryset, user, pk=pk)


def metric_list(*, user) -> QuerySet[Metric]:
    return (
        Metric.objects.for_user(user)
        .select_related("journey_map", "stage", "touchpoint", "survey")
        .annotate(n_observations=Count("observations", distinct=True))
        .order_by("name")
    )


# --- Analysis -----------------------------------------------------------------------------------


def _in_window(obs: Observation, start: dt.date | None, end: dt.date | None) -> bool:
    if start is None or end is None:
        return False
    return obs.period_start >= start and obs.period_end <= end


class Group:
    """The observations of one side of a comparison, summed or pooled by the metric's kind."""

    def __init__(self, observations: list[Observation]):
        self.observations = observations

    @property
    def n(self) -> int:
        return sum(o.sample_size or 0 for o in self.observations)

    def counts(self, field: str) -> int | None:
        values = [getattr(o, field) for o in self.observations]
        if not values or any(v is None for v in values) or any(o.sample_size is None for o in self.observations):
            return None
        return sum(values)

    def pooled_mean(self) -> tuple[int, float, float] | None:
        rows = []
        for o in self.observations:
            mean = o.mean if o.mean is not None else o.value
            if o.sample_size is None or o.sd is None:
                return None
            rows.append((o.sample_size, mean, o.sd))
        return stats.pool_means(rows) if rows else None

    def total_value(self) -> float:
        return sum(o.value for o in self.observations)


def compare_groups(
    metric: Metric,
    baseline: Group,
    treatment: Group,
    *,
    alpha: float,
    expected: stats.ExpectedEffect | None,
) -> stats.Comparison:
    """Run the test the metric's kind calls for on two groups of observations."""
    if not baseline.observations or not treatment.observations:
        if not baseline.observations:
            reason = _("No observations of %(metric)s in the baseline window or segment.")
        else:
            reason = _("No observations of %(metric)s in the treatment window or segment.")
        return stats.Comparison(test="none", reason=reason % {"metric": metric.name})
    if metric.kind == Metric.Kind.PROPORTION:
        xa, xb = baseline.counts("successes"), treatment.counts("successes")
        if xa is None or xb is None:
            return stats.Comparison(
                test="two_proportion_z", reason=_("A proportion needs successes and sample sizes in every observation.")
            )
        return translated(
            stats.two_proportions(
                successes_a=xa, n_a=baseline.n, successes_b=xb, n_b=treatment.n, alpha=alpha, expected=expected
            )
        )
    if metric.kind == Metric.Kind.NPS:
        pa, da = baseline.counts("promoters"), baseline.counts("detractors")
        pb, db = treatment.counts("promoters"), treatment.counts("detractors")
        if None in (pa, da, pb, db):
            return stats.Comparison(
                test="nps_difference", reason=_("An NPS needs promoters, detractors and answers in every observation.")
            )
        return translated(
            stats.nps_difference(
                promoters_a=pa,
                detractors_a=da,
                n_a=baseline.n,
                promoters_b=pb,
                detractors_b=db,
                n_b=treatment.n,
                alpha=alpha,
                expected=expected,
            )
        )
    pooled_a, pooled_b = baseline.pooled_mean(), treatment.pooled_mean()
    if pooled_a is None or pooled_b is None:
        if metric.kind == Metric.Kind.COUNT:
            return translated(
                stats.describe_change(
                    baseline=baseline.total_value(),
                    treatment=treatment.total_value(),
                    reason=_("Raw counts have no test; push the mean and standard deviation per unit to test them."),
                )
            )
        return stats.Comparison(
            test="welch_t", reason=_("A mean needs sample size and standard deviation in every observation.")
        )
    (na, ma, sa), (nb, mb, sb) = pooled_a, pooled_b
    return translated(
        stats.welch(mean_a=ma, sd_a=sa, n_a=na, mean_b=mb, sd_b=sb, n_b=nb, alpha=alpha, expected=expected)
    )


def translated(result):
    """Return a result of ``stats`` with its reason and notes in the active language.

    ``stats`` stays free of Django and words its reasons in English, marked for the catalogs; they
    are translated here, when the analysis is computed, in the language of whoever asked for it.
    """
    if (
        isinstance(result, stats.TimeSeriesFit)
        and result.reason
        and min(result.n_before, result.n_after) < (stats.ITS_MIN_POINTS)
    ):
        result.reason = ngettext(
            "An interrupted-time-series fit needs at least %(count)s observation on each side.",
            "An interrupted-time-series fit needs at least %(count)s observations on each side.",
            stats.ITS_MIN_POINTS,
        ) % {"count": stats.ITS_MIN_POINTS}
        return result
    if result.reason:
        result.reason = _(result.reason)
    if hasattr(result, "notes"):
        result.notes = [_(note) for note in result.notes]
    return result


def value_units(metric: Metric) -> dict:
    """Return the units the analysis reports a metric's figures in (the API states them with the numbers)."""
    if metric.kind == Metric.Kind.PROPORTION:
        level, change = _("percent"), _("percentage points")
    elif metric.kind == Metric.Kind.NPS:
        level = change = _("NPS points")
    else:
        level = change = metric.unit or _("metric units")
    return {
        "level": level,
        "change": change,
        "relative_change": _("percent of the baseline"),
        "its_slope": _("%(unit)s per day") % {"unit": change},
    }


def series_value(metric: Metric, observation: Observation) -> float:
    """Return an observation's value in the analysis' unit: a proportion's stored fraction in percent."""
    if metric.kind == Metric.Kind.PROPORTION:
        return stats.PERCENT * observation.value
    return observation.value


def _expected(experiment: Experiment) -> stats.ExpectedEffect | None:
    if experiment.expected_effect is None:
        return None
    return stats.ExpectedEffect(
        direction=experiment.expected_direction,
        size=experiment.expected_effect,
        relative=experiment.expected_effect_unit == Experiment.EffectUnit.RELATIVE,
    )


def missing_data(metric: Metric, baseline: Group, treatment: Group, *, is_ab: bool) -> str:
    """Return why there is no data to judge ``metric`` on (one side has no observations or no sample), or ""."""
    if is_ab:
        sides = (
            (
                _("No observations of %(metric)s in the control segment."),
                _("The observations of %(metric)s in the control segment have a sample size of 0."),
            ),
            (
                _("No observations of %(metric)s in the treatment segment."),
                _("The observations of %(metric)s in the treatment segment have a sample size of 0."),
            ),
        )
    else:
        sides = (
            (
                _("No observations of %(metric)s in the before window."),
                _("The observations of %(metric)s in the before window have a sample size of 0."),
            ),
            (
                _("No observations of %(metric)s in the after window."),
                _("The observations of %(metric)s in the after window have a sample size of 0."),
            ),
        )
    for (none, empty), group in zip(sides, (baseline, treatment), strict=True):
        if not group.observations:
            return none % {"metric": metric.name}
        if all(o.sample_size == 0 for o in group.observations):
            return empty % {"metric": metric.name}
    return ""


def judge_outcome(comparison: stats.Comparison, direction: str) -> tuple[str, str]:
    """Return ``(outcome, why)`` for the primary metric's comparison against the prediction."""
    if not comparison.computed:
        return Experiment.Outcome.INCONCLUSIVE, comparison.reason
    sign = 1 if direction == Experiment.Direction.INCREASE else -1
    moved_as_predicted = (comparison.absolute_change or 0) * sign > 0
    if comparison.significant and not moved_as_predicted:
        return Experiment.Outcome.REFUTED, _("The metric moved significantly the other way.")
    if comparison.reaches_expected is False:
        return Experiment.Outcome.REFUTED, _("The interval rules out an effect as large as predicted.")
    if comparison.significant and moved_as_predicted:
        return Experiment.Outcome.SUPPORTED, _("Significant change in the predicted direction.")
    return Experiment.Outcome.INCONCLUSIVE, _("Not significant, and the predicted effect is still possible.")


def _worsened(metric: Metric, comparison: stats.Comparison) -> bool:
    if not comparison.computed or not comparison.significant or comparison.absolute_change is None:
        return False
    worse_sign = -1 if metric.better == Metric.Better.HIGHER else 1
    return comparison.absolute_change * worse_sign > 0


def experiment_analysis(experiment: Experiment, observations: list[Observation] | None = None) -> dict:
    """Return the computed result of the experiment from its observations (JSON-safe)."""
    metrics = []
    if experiment.primary_metric_id:
        metrics.append(("primary", experiment.primary_metric))
    metrics += [("guardrail", m) for m in experiment.guardrail_metrics.all()]
    if observations is None:
        observations = list(
            Observation.objects.filter(metric__in=[m for _, m in metrics]).order_by("period_start", "segment")
        )
    by_metric: dict[int, list[Observation]] = defaultdict(list)
    for obs in observations:
        by_metric[obs.metric_id].append(obs)

    alpha = experiment.significance_level
    expected = _expected(experiment)
    is_ab = experiment.design == Experiment.Design.AB
    results = []
    srm = None
    no_data = _("Choose a primary metric to compute a result.")
    for role, metric in metrics:
        rows = by_metric.get(metric.pk, [])
        if is_ab:
            in_run = [o for o in rows if _in_window(o, experiment.test_start, experiment.test_end)]
            control = experiment.segment_for(metric, experiment.control_segment)
            treated = experiment.segment_for(metric, experiment.treatment_segment)
            baseline = Group([o for o in in_run if o.segment == control])
            treatment = Group([o for o in in_run if o.segment == treated])
        else:
            overall = [o for o in rows if o.segment == experiment.segment_for(metric)]
            baseline = Group([o for o in overall if _in_window(o, experiment.baseline_start, experiment.baseline_end)])
            treatment = Group([o for o in overall if _in_window(o, experiment.test_start, experiment.test_end)])
        comparison = compare_groups(
            metric, baseline, treatment, alpha=alpha, expected=expected if role == "primary" else None
        )
        entry = {
            "role": role,
            "metric": {
                "id": metric.pk,
                "key": metric.key,
                "name": metric.name,
                "kind": metric.kind,
                "unit": metric.unit,
            },
            "units": value_units(metric),
            "comparison": comparison.as_dict(),
            "worsened": _worsened(metric, comparison) if role == "guardrail" else False,
            "its": None,
        }
        if not is_ab and experiment.test_start:
            series = [
                o
                for o in rows
                if o.segment == experiment.segment_for(metric)
                and o.period_start <= (experiment.test_end or o.period_start)
            ]
            if experiment.baseline_start:
                series = [o for o in series if o.period_start >= experiment.baseline_start]
            times = [(o.period_start - experiment.test_start).days for o in series]
            values = [series_value(metric, o) for o in series]
            entry["its"] = {**translated(stats.interrupted_time_series(times, values, 0)).as_dict(), "time_unit": "day"}
        if role == "primary":
            if is_ab:
                srm = translated(
                    stats.srm_check(
                        n_control=baseline.n, n_treatment=treatment.n, treatment_share=experiment.planned_split
                    )
                ).as_dict()
            no_data = missing_data(metric, baseline, treatment, is_ab=is_ab)
            outcome, why = judge_outcome(comparison, experiment.expected_direction)
            if no_data:
                outcome, why = Experiment.Outcome.INCONCLUSIVE, no_data
        results.append(entry)

    analysis = {
        "design": experiment.design,
        "observational": not is_ab,
        "significance_level": alpha,
        "metrics": results,
        "srm": srm,
        "outcome": None,
        "outcome_reason": _("Choose a primary metric to compute a result."),
        # Why the primary metric has no data to decide on ("" when it has): concluding is refused then.
        "no_data": no_data,
    }
    if experiment.primary_metric_id:
        analysis["outcome"], analysis["outcome_reason"] = outcome, why
    return analysis


# --- Charts -------------------------------------------------------------------------------------


def metric_chart(metric: Metric, observations: list[Observation], experiment: Experiment | None = None) -> dict:
    """Return Chart.js-ready data: one line per segment over the periods, and the windows to shade."""
    labels = sorted({o.period_start for o in observations})
    index = {d: i for i, d in enumerate(labels)}
    segments: dict[str, list[float | None]] = {}
    for o in observations:
        line = segments.setdefault(o.segment or pgettext("segment", "all"), [None] * len(labels))
        line[index[o.period_start]] = round(series_value(metric, o), 6)
    windows = []
    if experiment is not None and labels:
        if experiment.design == Experiment.Design.BEFORE_AFTER:
            spans = [
                (_("Before"), experiment.baseline_start, experiment.baseline_end),
                (_("After"), experiment.test_start, experiment.test_end),
            ]
        else:
            spans = [(_("Run"), experiment.test_start, experiment.test_end)]
        for name, start, end in spans:
            inside = [i for d, i in index.items() if start and end and start <= d <= end]
            if inside:
                windows.append({"label": name, "from": min(inside), "to": max(inside)})
    return {
        "metric_id": metric.pk,
        "metric": metric.name,
        "unit": "%" if metric.kind == Metric.Kind.PROPORTION else metric.unit,
        "labels": [d.isoformat() for d in labels],
        "datasets": [{"label": seg, "data": data} for seg, data in sorted(segments.items())],
        "windows": windows,
    }


def _in_scope(experiment: Experiment, metric: Metric, rows: list[Observation]) -> list[Observation]:
    """Return the observations the experiment reads, with a population's prefix taken off the segment."""
    scope = experiment.segment_for(metric)
    if not scope:
        return [o for o in rows if not o.segment.startswith(POPULATION_PREFIX)]
    kept = []
    for o in rows:
        if o.segment == scope or o.segment.startswith(f"{scope}:"):
            o = copy.copy(o)
            o.segment = o.segment[len(scope) + 1 :]
            kept.append(o)
    return kept


def experiment_charts(experiment: Experiment) -> tuple[list[dict], list[Observation]]:
    """Return the charts of the experiment's metrics and the observations they were drawn from."""
    metrics = ([experiment.primary_metric] if experiment.primary_metric_id else []) + list(
        experiment.guardrail_metrics.all()
    )
    observations = list(Observation.objects.filter(metric__in=metrics).order_by("period_start", "segment"))
    charts = []
    for metric in metrics:
        rows = _in_scope(experiment, metric, [o for o in observations if o.metric_id == metric.pk])
        charts.append({"id": f"chart-{metric.pk}", **metric_chart(metric, rows, experiment)})
    return charts, observations


# --- Scorecards ---------------------------------------------------------------------------------

JUDGED = [Experiment.Outcome.SUPPORTED, Experiment.Outcome.REFUTED, Experiment.Outcome.INCONCLUSIVE]


def prediction_scorecard(experiments: QuerySet[Experiment], by: str) -> list[dict]:
    """Return, per stage or per owner, how many concluded predictions came true (one query)."""
    fields = {
        "stage": ("stage_id", "stage__name", "stage__journey_map__title"),
        "owner": ("owner_id", "owner__username", "owner__first_name"),
    }[by]
    rows = (
        experiments.filter(status__in=[Experiment.Status.CONCLUDED, Experiment.Status.ARCHIVED], outcome__in=JUDGED)
        .order_by()
        .values(*fields)
        .annotate(
            total=Count("id"),
            supported=Count("id", filter=Q(outcome=Experiment.Outcome.SUPPORTED)),
            refuted=Count("id", filter=Q(outcome=Experiment.Outcome.REFUTED)),
            inconclusive=Count("id", filter=Q(outcome=Experiment.Outcome.INCONCLUSIVE)),
        )
    )
    card = []
    for row in rows:
        if by == "stage":
            label = row["stage__name"] or _("No stage")
            context = row["stage__journey_map__title"] or ""
        else:
            label = row["owner__first_name"] or row["owner__username"] or _("No owner")
            context = row["owner__username"] or ""
        card.append(
            {
                "id": row[fields[0]],
                "label": label,
                "context": context,
                "total": row["total"],
                "supported": row["supported"],
                "refuted": row["refuted"],
                "inconclusive": row["inconclusive"],
                "rate": round(100 * row["supported"] / row["total"]) if row["total"] else None,
            }
        )
    return sorted(card, key=lambda r: (-r["total"], r["label"]))

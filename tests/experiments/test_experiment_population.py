"""An experiment's population: its behavioural metrics count only the cohort's profiles (reference check)."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.cohorts import cohort_create
from customers.models import Profile
from experiments import services
from experiments.models import Observation, population_segment
from experiments.selectors import experiment_analysis, experiment_charts
from tests.analytics import reference_retention as ref

from .test_behavioural_metrics import NOW, ORDERED, moment, riga, world  # noqa: F401  (fixtures)

LAST = dt.date(2026, 4, 12)
RUN = (dt.date(2026, 3, 16), LAST)


def expected(world, population: set[int], segment: str | None) -> tuple[int, int]:  # noqa: F811
    """Activated and n over the run, from the reference, for the population's people of ``segment``."""
    facts = [f for f in world.facts() if f[0] in population]
    variant = {i.profile_id: i.profile.traits.get("variant") for i in world.identities.values()}
    k = n = 0
    day = RUN[0]
    while day <= RUN[1]:
        people = [f for f in facts if segment is None or variant[f[0]] == segment]
        got_k, got_n, pending, _d = ref.moment(
            people, zone="Europe/Riga", first=day, last=day, reached_by=ORDERED, window_days=7, now=NOW
        )
        assert pending == 0
        k, n = k + got_k, n + got_n
        day += dt.timedelta(days=1)
    return k, n


@pytest.fixture
def population(world, riga, alice):  # noqa: F811
    live = list(Profile.objects.filter(team=riga, merged_into__isnull=True).order_by("pk").values_list("pk", flat=True))
    chosen = live[::3]  # variants alternate by profile: every third holds both
    return cohort_create(team=riga, actor=alice, name="Every third customer", profile_ids=chosen), set(chosen)


def _experiment(riga, alice, metric, **extra):  # noqa: F811
    experiment = services.experiment_create(
        team=riga,
        actor=alice,
        title="Returns policy on the product page",
        change="Show the returns policy on the product page",
        primary_metric=metric,
        expected_effect=5,
        test_start=RUN[0],
        test_end=RUN[1],
        **extra,
    )
    return experiment


def test_population_restricts_the_metric_to_the_cohort(world, riga, alice, moment, population):  # noqa: F811
    cohort, members = population
    metric = services.metric_create(
        team=riga,
        actor=alice,
        name="Repeat order within 7 days",
        key="repeat-7d",
        behaviour="moment_activation",
        touchpoint=moment,
        window_days=7,
        segment_trait="variant",
    )
    everyone = _experiment(riga, alice, metric)
    among = _experiment(riga, alice, metric, population=cohort)
    assert among.population_id == cohort.pk
    services.metric_compute_from_events(metric=metric, actor=alice, now=NOW)
    scope = population_segment(cohort.pk)
    assert Observation.objects.filter(metric=metric, segment=scope).exists()
    assert Observation.objects.filter(metric=metric, segment=f"{scope}:control").exists()

    for experiment, people in ((everyone, None), (among, members)):
        comparison = experiment_analysis(experiment)["metrics"][0]["comparison"]
        allowed = people if people is not None else {f[0] for f in world.facts()}
        control, treatment = expected(world, allowed, "control"), expected(world, allowed, "treatment")
        assert (comparison["n_baseline"], comparison["n_treatment"]) == (control[1], treatment[1])
        assert comparison["baseline"] == pytest.approx(100 * control[0] / control[1])
        assert comparison["treatment"] == pytest.approx(100 * treatment[0] / treatment[1])
    # The population is a real subset: fewer profiles than everyone.
    n_all = experiment_analysis(everyone)["metrics"][0]["comparison"]["n_baseline"]
    n_pop = experiment_analysis(among)["metrics"][0]["comparison"]["n_baseline"]
    assert 0 < n_pop < n_all

    # The chart reads the population's lines, named as the experiment's segments.
    charts, _observations = experiment_charts(among)
    assert {d["label"] for d in charts[0]["datasets"]} == {"all", "control", "treatment"}
    charts, _observations = experiment_charts(everyone)
    assert not any(d["label"].startswith("cohort:") for d in charts[0]["datasets"])

    # Idempotent per population: nothing more on a second run.
    assert services.metric_compute_from_events(metric=metric, actor=alice, now=NOW)["created"] == 0


def test_population_added_later_is_computed_on_the_next_run(world, riga, alice, moment, population):  # noqa: F811
    cohort, members = population
    metric = services.metric_create(
        team=riga, actor=alice, name="Orders", key="orders", behaviour="event_count", event_name="Order Completed"
    )
    experiment = _experiment(
        riga,
        alice,
        metric,
        design="before_after",
        baseline_start=dt.date(2026, 3, 1),
        baseline_end=dt.date(2026, 3, 15),
    )
    services.metric_compute_from_events(metric=metric, actor=alice, now=NOW)
    assert not Observation.objects.filter(metric=metric, segment__startswith="cohort:").exists()
    services.experiment_update(experiment=experiment, actor=alice, population=cohort, revision=experiment.revision)
    created = services.metric_compute_from_events(metric=metric, actor=alice, now=NOW)["created"]
    rows = Observation.objects.filter(metric=metric, segment=population_segment(cohort.pk))
    assert created == rows.count() > 0
    for obs in rows:
        counts = ref.event_counts(
            [f for f in world.facts() if f[0] in members],
            zone="Europe/Riga",
            day=obs.period_start,
            name="Order Completed",
            window_days=metric.window_days,
        )
        assert obs.sample_size == len(counts)
        assert obs.mean == pytest.approx(sum(counts.values()) / len(counts))


def test_population_of_another_team_is_refused(riga, alice, oscar, team_b):  # noqa: F811
    from django.core.exceptions import ValidationError

    other = cohort_create(team=team_b, actor=oscar, name="Theirs", profile_ids=[])
    with pytest.raises(ValidationError) as error:
        services.experiment_create(team=riga, actor=alice, title="x", change="y", population=other)
    assert "population" in error.value.message_dict

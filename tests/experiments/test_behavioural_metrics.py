"""Behavioural metrics: daily observations computed from events, stored once, measured by an experiment."""

from __future__ import annotations

import datetime as dt
import statistics

import pytest
from django.core.exceptions import ValidationError

from customers.services import source_create, tracking_rule_create
from experiments import services, tasks
from experiments.models import Metric, Observation
from experiments.selectors import experiment_analysis
from journeys.models import JourneyMap, Stage, Touchpoint
from tests.analytics import reference_retention as ref
from tests.analytics.retention_data import generated, local

NOW = local(dt.date(2026, 4, 20), 9)


def ORDERED(fact):
    """The moment's tracking rule: a track call named Order Completed (not a page of that name)."""
    return fact[1] == "Order Completed" and fact[2] == "track"


@pytest.fixture
def riga(team_a):
    team_a.time_zone = "Europe/Riga"
    team_a.save(update_fields=["time_zone"])
    return team_a


@pytest.fixture
def world(riga, alice):
    return generated(riga, source_create(team=riga, actor=alice, name="Shop")[0])


@pytest.fixture
def moment(riga, alice):
    journey_map = JourneyMap.objects.create(team=riga, title="Returns")
    stage = Stage.objects.create(journey_map=journey_map, name="Retention")
    touchpoint = Touchpoint.objects.create(stage=stage, name="First repeat order", is_moment=True)
    tracking_rule_create(actor=alice, stage=stage, touchpoint=touchpoint, event_name="Order Completed")
    return touchpoint


def days_expected(world, *, last: dt.date, days: int, reached_by, window: int, segment=None):
    """Per day: (activated, n) from the reference, for people of ``segment`` (by variant trait)."""
    facts = world.facts()
    variant = {i.profile_id: i.profile.traits.get("variant") for i in world.identities.values()}
    out = {}
    for offset in range(days):
        day = last - dt.timedelta(days=offset)
        people = [f for f in facts if segment is None or variant[f[0]] == segment]
        k, n, pending, _d = ref.moment(
            people, zone="Europe/Riga", first=day, last=day, reached_by=reached_by, window_days=window, now=NOW
        )
        assert pending == 0, day
        if n:
            out[day] = (k, n)
    return out


def test_activation_metric_computes_daily_observations_once(world, riga, alice, moment):
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
    assert metric.kind == Metric.Kind.PROPORTION
    result = services.metric_compute_from_events(metric=metric, actor=alice, now=NOW)
    # 20 April 09:00 minus 7 days: the windows of 12 April's profiles end at 20 April 00:00.
    last = dt.date(2026, 4, 12)
    stored = {(o.period_start, o.segment): o for o in Observation.objects.filter(metric=metric)}
    for segment in (None, "control", "treatment"):
        expected = days_expected(world, last=last, days=28, reached_by=ORDERED, window=7, segment=segment)
        got = {day: (o.successes, o.sample_size) for (day, seg), o in stored.items() if seg == (segment or "")}
        assert got == expected, segment
    assert result["created"] == len(stored) > 10
    assert all(o.source == "events" and o.period_start == o.period_end for o in stored.values())
    assert max(day for day, _segment in stored) <= last

    # Idempotent: the same run stores nothing more and changes nothing.
    again = services.metric_compute_from_events(metric=metric, actor=alice, now=NOW)
    assert again["created"] == 0 and Observation.objects.filter(metric=metric).count() == len(stored)


def test_event_count_metric_matches_reference(world, riga, alice):
    metric = services.metric_create(
        team=riga,
        actor=alice,
        name="Orders in 14 days",
        key="orders-14d",
        behaviour="event_count",
        event_name="Order Completed",
        window_days=14,
    )
    assert metric.kind == Metric.Kind.MEAN
    services.metric_compute_from_events(metric=metric, actor=alice, now=NOW)
    observations = {o.period_start: o for o in Observation.objects.filter(metric=metric, segment="")}
    assert observations
    for day, obs in observations.items():
        counts = list(
            ref.event_counts(
                world.facts(), zone="Europe/Riga", day=day, name="Order Completed", window_days=14
            ).values()
        )
        assert obs.sample_size == len(counts)
        assert obs.mean == pytest.approx(statistics.fmean(counts))
        assert obs.sd == pytest.approx(statistics.stdev(counts) if len(counts) > 1 else 0.0)


def test_behavioural_metric_needs_its_binding(riga, alice):
    with pytest.raises(ValidationError) as error:
        services.metric_create(team=riga, actor=alice, name="x", key="x", behaviour="event_count")
    assert "event_name" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.metric_create(team=riga, actor=alice, name="y", key="y", behaviour="moment_activation")


def test_viewer_cannot_compute(world, riga, alice, victor, moment):
    metric = services.metric_create(
        team=riga, actor=alice, name="a", key="a", behaviour="moment_activation", touchpoint=moment
    )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.metric_compute_from_events(metric=metric, actor=victor, now=NOW)
    assert not Observation.objects.filter(metric=metric).exists()


def test_experiment_measures_a_behavioural_metric_end_to_end(world, riga, alice, moment, monkeypatch):
    metric = services.metric_create(
        team=riga,
        actor=alice,
        name="Repeat order within 7 days",
        key="repeat-7d",
        behaviour="moment_activation",
        touchpoint=moment,
        segment_trait="variant",
    )
    experiment = services.experiment_create(
        team=riga,
        actor=alice,
        title="Clearer returns page",
        change="Show the returns policy on the product page",
        primary_metric=metric,
        expected_effect=5,
        test_start=dt.date(2026, 3, 16),
        test_end=dt.date(2026, 4, 12),
    )
    services.experiment_transition(experiment=experiment, actor=alice, to="planned")
    services.experiment_transition(experiment=experiment, actor=alice, to="running")

    # The beat task, as celery would run it (no actor: the system).
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    tasks.metrics_compute_from_events()
    assert tasks.metrics_compute_from_events() == 0

    analysis = experiment_analysis(experiment)
    primary = analysis["metrics"][0]
    assert primary["comparison"]["test"] == "two_proportion_z"
    ks = {}
    for segment in ("control", "treatment"):
        per_day = days_expected(
            world,
            last=dt.date(2026, 4, 12),
            days=28,
            reached_by=ORDERED,
            window=7,
            segment=segment,
        )
        in_run = [v for d, v in per_day.items() if dt.date(2026, 3, 16) <= d <= dt.date(2026, 4, 12)]
        ks[segment] = (sum(k for k, _n in in_run), sum(n for _k, n in in_run))
    comparison = primary["comparison"]
    assert comparison["n_baseline"] == ks["control"][1] and comparison["n_treatment"] == ks["treatment"][1]
    # The comparison gives proportions in percent.
    assert comparison["baseline"] == pytest.approx(100 * ks["control"][0] / ks["control"][1])
    assert comparison["treatment"] == pytest.approx(100 * ks["treatment"][0] / ks["treatment"][1])
    assert analysis["no_data"] == ""

"""Services of the experiment log: pre-registration freeze, transitions, conclusion, idempotent upserts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from experiments import selectors, services
from experiments.models import Deviation, Experiment, Observation
from journeys.models import MapVersion

from .factories import journey

D = dt.date


@pytest.fixture
def metric(team_a, alice):
    return services.metric_create(team=team_a, actor=alice, name="Activation rate", key="activation", kind="proportion")


@pytest.fixture
def experiment(team_a, alice, metric):
    return services.experiment_create(
        team=team_a,
        actor=alice,
        title="Three-step onboarding",
        change="Cut onboarding from 4 steps to 3",
        primary_metric=metric,
        expected_effect=8,
        rationale="step 3 is where people stop",
        test_start=D(2025, 3, 3),
        test_end=D(2025, 3, 30),
        tags=["Onboarding", " activation "],
    )


def push_ab(metric, control=(3000, 900), treatment=(3000, 1010)):
    for segment, (n, x) in (("control", control), ("treatment", treatment)):
        services.observation_upsert(
            actor=None,
            metric=metric,
            period_start=D(2025, 3, 3),
            period_end=D(2025, 3, 30),
            segment=segment,
            sample_size=n,
            successes=x,
        )


def test_create_normalises_tags_and_defaults_owner(experiment, alice):
    assert sorted(t.name for t in experiment.tags.all()) == ["activation", "onboarding"]
    assert experiment.owner == alice
    assert experiment.status == Experiment.Status.IDEA
    assert experiment.hypothesis.startswith("If we cut onboarding from 4 steps to 3, Activation rate rises by 8 %")


def test_running_needs_a_complete_preregistration(team_a, alice, metric):
    bare = services.experiment_create(team=team_a, actor=alice, title="Bare", change="Do a thing")
    services.experiment_transition(experiment=bare, actor=alice, to="planned")
    with pytest.raises(ValidationError) as exc:
        services.experiment_transition(experiment=bare, actor=alice, to="running")
    assert {"primary_metric", "expected_effect", "test_start", "test_end"} <= set(exc.value.message_dict)
    bare.refresh_from_db()
    assert bare.status == "planned"


def test_transitions_follow_the_lifecycle(experiment, alice):
    with pytest.raises(ValidationError):
        services.experiment_transition(experiment=experiment, actor=alice, to="running")  # idea → running skips plan
    services.experiment_transition(experiment=experiment, actor=alice, to="planned")
    running = services.experiment_transition(experiment=experiment, actor=alice, to="running")
    assert running.status == "running" and running.started_at is not None
    with pytest.raises(ValidationError):
        services.experiment_transition(experiment=experiment, actor=alice, to="concluded")


def test_running_hypothesis_cannot_be_silently_edited(experiment, alice):
    services.experiment_transition(experiment=experiment, actor=alice, to="planned")
    services.experiment_transition(experiment=experiment, actor=alice, to="running")
    with pytest.raises(ValidationError) as exc:
        services.experiment_update(experiment=experiment, actor=alice, change="Cut onboarding to 2 steps")
    assert "change" in exc.value.message_dict
    experiment.refresh_from_db()
    assert experiment.change == "Cut onboarding from 4 steps to 3"
    assert not Deviation.objects.exists()


def test_frozen_change_with_a_reason_is_recorded_as_deviation(experiment, alice):
    services.experiment_transition(experiment=experiment, actor=alice, to="planned")
    services.experiment_transition(experiment=experiment, actor=alice, to="running")
    updated = services.experiment_update(
        experiment=experiment, actor=alice, test_end=D(2025, 4, 6), title="Renamed", deviation_reason="Easter dip"
    )
    assert updated.test_end == D(2025, 4, 6) and updated.title == "Renamed"
    deviation = Deviation.objects.get()
    assert (deviation.field, deviation.old_value, deviation.new_value) == ("test_end", "2025-03-30", "2025-04-06")
    assert deviation.reason == "Easter dip" and deviation.user == alice


def test_unfrozen_fields_change_freely_while_running(experiment, alice):
    services.experiment_transition(experiment=experiment, actor=alice, to="planned")
    services.experiment_transition(experiment=experiment, actor=alice, to="running")
    updated = services.experiment_update(experiment=experiment, actor=alice, title="Better title", tags=["x"])
    assert updated.title == "Better title"
    assert [t.name for t in updated.tags.all()] == ["x"]
    assert not Deviation.objects.exists()


def test_stale_revision_is_refused(experiment, alice):
    services.experiment_update(experiment=experiment, actor=alice, title="First writer", expected_revision=1)
    with pytest.raises(ValidationError) as exc:
        services.experiment_update(experiment=experiment, actor=alice, title="Second writer", expected_revision=1)
    assert "revision" in exc.value.message_dict
    assert Experiment.objects.get().title == "First writer"


def test_journey_place_is_completed_and_checked(team_a, alice, metric):
    journey_map, stage, touchpoint, pain = journey(team_a)
    experiment = services.experiment_create(team=team_a, actor=alice, title="t", change="c", pain_point=pain)
    assert (experiment.touchpoint, experiment.stage, experiment.journey_map) == (touchpoint, stage, journey_map)
    _other_map, other_stage, _, _ = journey(team_a)
    with pytest.raises(ValidationError) as exc:
        services.experiment_create(
            team=team_a, actor=alice, title="t", change="c", stage=other_stage, touchpoint=touchpoint
        )
    assert "touchpoint" in exc.value.message_dict


def test_other_teams_metric_is_refused(team_a, team_b, alice, oscar):
    foreign = services.metric_create(team=team_b, actor=oscar, name="x", key="x", kind="mean")
    with pytest.raises(ValidationError) as exc:
        services.experiment_create(team=team_a, actor=alice, title="t", change="c", primary_metric=foreign)
    assert "primary_metric" in exc.value.message_dict


def test_conclude_computes_result_records_decision_and_emits(experiment, alice, metric, team_a, domain_events):
    journey_map, *_ = journey(team_a)
    version = MapVersion.objects.create(journey_map=journey_map, number=1, snapshot={})
    services.experiment_update(experiment=experiment, actor=alice, journey_map=journey_map)
    services.experiment_transition(experiment=experiment, actor=alice, to="planned")
    services.experiment_transition(experiment=experiment, actor=alice, to="running")
    push_ab(metric)
    received = domain_events
    concluded = services.experiment_conclude(
        experiment=experiment, actor=alice, decision="ship", learning="Three steps suffice.", map_version=version
    )
    assert concluded.status == "concluded" and concluded.decision == "ship"
    assert concluded.map_version == version and concluded.concluded_by == alice
    primary = concluded.result["metrics"][0]["comparison"]
    assert primary["test"] == "two_proportion_z"
    assert primary["absolute_change"] == pytest.approx(100 * 110 / 3000)  # percentage points
    assert primary["significant"] is True
    assert concluded.result["srm"]["mismatch"] is False
    assert concluded.outcome == "supported"
    assert received[-1][:2] == (team_a.pk, "experiment.concluded")
    assert received[-1][2]["outcome"] == "supported" and received[-1][2]["map_version"] == 1


def test_conclude_refuses_without_decision_and_leaves_state(experiment, alice, metric):
    services.experiment_transition(experiment=experiment, actor=alice, to="planned")
    services.experiment_transition(experiment=experiment, actor=alice, to="running")
    with pytest.raises(ValidationError) as exc:
        services.experiment_conclude(experiment=experiment, actor=alice, decision="", learning="")
    assert {"decision", "learning"} <= set(exc.value.message_dict)
    experiment.refresh_from_db()
    assert experiment.status == "running" and experiment.result is None


def test_conclude_without_observations_is_refused_with_the_reason(experiment, alice):
    services.experiment_transition(experiment=experiment, actor=alice, to="planned")
    services.experiment_transition(experiment=experiment, actor=alice, to="running")
    analysis = selectors.experiment_analysis(experiment)
    assert analysis["no_data"] == "No observations of Activation rate in the control segment."
    assert analysis["outcome"] == "inconclusive" and analysis["outcome_reason"] == analysis["no_data"]
    for decision, outcome in (("ship", None), ("iterate", "supported")):
        with pytest.raises(ValidationError) as exc:
            services.experiment_conclude(
                experiment=experiment, actor=alice, decision=decision, learning="No data.", outcome=outcome
            )
        assert "No observations of Activation rate" in exc.value.message_dict["observations"][0]
    stored = Experiment.objects.get(pk=experiment.pk)
    assert (stored.status, stored.decision, stored.outcome, stored.result) == ("running", "", "", None)


def test_conclude_with_zero_sample_sizes_is_refused(experiment, alice, metric):
    services.experiment_transition(experiment=experiment, actor=alice, to="planned")
    services.experiment_transition(experiment=experiment, actor=alice, to="running")
    for segment in ("control", "treatment"):
        services.observation_upsert(
            actor=None,
            metric=metric,
            period_start=D(2025, 3, 3),
            period_end=D(2025, 3, 30),
            segment=segment,
            sample_size=0,
            value=0.3,
        )
    with pytest.raises(ValidationError) as exc:
        services.experiment_conclude(experiment=experiment, actor=alice, decision="ship", learning="Ship it.")
    assert "sample size of 0" in exc.value.message_dict["observations"][0]
    assert Experiment.objects.get(pk=experiment.pk).status == "running"


def test_conclude_with_one_side_empty_is_refused(experiment, alice, metric):
    services.experiment_transition(experiment=experiment, actor=alice, to="planned")
    services.experiment_transition(experiment=experiment, actor=alice, to="running")
    services.observation_upsert(
        actor=None,
        metric=metric,
        period_start=D(2025, 3, 3),
        period_end=D(2025, 3, 30),
        segment="control",
        sample_size=500,
        successes=100,
    )
    with pytest.raises(ValidationError) as exc:
        services.experiment_conclude(experiment=experiment, actor=alice, decision="ship", learning="Ship it.")
    assert exc.value.message_dict["observations"][0].startswith(
        "No observations of Activation rate in the treatment segment."
    )


def test_observation_upsert_replaces_same_period_and_segment(metric):
    first, created = services.observation_upsert(
        actor=None,
        metric=metric,
        period_start=D(2025, 3, 3),
        period_end=D(2025, 3, 9),
        segment="control",
        sample_size=100,
        successes=10,
    )
    again, created_again = services.observation_upsert(
        actor=None,
        metric=metric,
        period_start=D(2025, 3, 3),
        period_end=D(2025, 3, 9),
        segment="control",
        sample_size=100,
        successes=20,
    )
    assert created and not created_again and first.pk == again.pk
    assert Observation.objects.count() == 1
    assert Observation.objects.get().value == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"sample_size": 10, "successes": 11}, "successes"),
        ({"successes": 3}, "sample_size"),
        ({"period_end": D(2025, 3, 1), "sample_size": 10, "successes": 1}, "period_end"),
        ({}, "value"),
        ({"value": float("nan")}, "value"),
    ],
)
def test_observation_bad_input_names_the_field(metric, fields, field):
    data = {"period_start": D(2025, 3, 3), "period_end": D(2025, 3, 9), **fields}
    with pytest.raises(ValidationError) as exc:
        services.observation_upsert(actor=None, metric=metric, **data)
    assert field in exc.value.message_dict
    assert not Observation.objects.exists()


def test_bulk_upsert_is_all_or_nothing(metric):
    rows = [
        {
            "metric": metric,
            "period_start": D(2025, 3, 3),
            "period_end": D(2025, 3, 9),
            "sample_size": 10,
            "successes": 1,
        },
        {
            "metric": metric,
            "period_start": D(2025, 3, 10),
            "period_end": D(2025, 3, 16),
            "sample_size": 10,
            "successes": 99,
        },
    ]
    with pytest.raises(ValidationError) as exc:
        services.observations_bulk_upsert(rows=rows, actor=None)
    assert "Row 2: successes" in exc.value.message_dict["observations"][0]
    assert not Observation.objects.exists()


def test_metric_key_unique_per_team(team_a, team_b, alice, oscar, metric):
    with pytest.raises(ValidationError) as exc:
        services.metric_create(team=team_a, actor=alice, name="Again", key="activation", kind="mean")
    assert "key" in exc.value.message_dict
    other = services.metric_create(team=team_b, actor=oscar, name="Theirs", key="activation", kind="mean")
    assert other.key == "activation"


def test_metric_in_use_cannot_be_deleted(experiment, metric, alice):
    with pytest.raises(ValidationError):
        services.metric_delete(metric=metric, actor=alice)
    assert metric.__class__.objects.filter(pk=metric.pk).exists()

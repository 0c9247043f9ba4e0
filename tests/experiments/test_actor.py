"""The experiment services check their actor; the API checks an owner belongs to the team (400 naming it)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from experiments import services
from experiments.models import Deviation, Experiment, Metric, Observation
from teams.models import Membership, Role

D = dt.date


@pytest.fixture
def metric(team_a, alice):
    return services.metric_create(team=team_a, actor=alice, name="Activation", key="activation", kind="proportion")


@pytest.fixture
def experiment(team_a, alice, metric):
    return services.experiment_create(
        team=team_a,
        actor=alice,
        title="Three steps",
        change="Cut onboarding from 4 steps to 3",
        primary_metric=metric,
        expected_effect=8,
        test_start=D(2025, 3, 3),
        test_end=D(2025, 3, 30),
    )


@pytest.fixture
def observation(metric):
    obs, _created = services.observation_upsert(
        metric=metric, actor=None, period_start=D(2025, 3, 3), period_end=D(2025, 3, 9), sample_size=10, successes=3
    )
    return obs


WRITES = {
    "metric_create": lambda w, actor: services.metric_create(
        team=w["team"], actor=actor, name="Churn", key="churn", kind="proportion"
    ),
    "metric_update": lambda w, actor: services.metric_update(metric=w["metric"], actor=actor, name="Renamed"),
    "metric_delete": lambda w, actor: services.metric_delete(metric=w["metric"], actor=actor),
    "observation_upsert": lambda w, actor: services.observation_upsert(
        metric=w["metric"],
        actor=actor,
        period_start=D(2025, 4, 7),
        period_end=D(2025, 4, 13),
        sample_size=5,
        successes=2,
    ),
    "observations_bulk_upsert": lambda w, actor: services.observations_bulk_upsert(
        rows=[
            {
                "metric": w["metric"],
                "period_start": D(2025, 4, 7),
                "period_end": D(2025, 4, 13),
                "sample_size": 5,
                "successes": 2,
            }
        ],
        actor=actor,
    ),
    "observation_delete": lambda w, actor: services.observation_delete(observation=w["observation"], actor=actor),
    "experiment_create": lambda w, actor: services.experiment_create(
        team=w["team"], actor=actor, title="T", change="C"
    ),
    "experiment_update": lambda w, actor: services.experiment_update(
        experiment=w["experiment"], actor=actor, title="Renamed"
    ),
    "experiment_transition": lambda w, actor: services.experiment_transition(
        experiment=w["experiment"], actor=actor, to="planned"
    ),
    "experiment_conclude": lambda w, actor: services.experiment_conclude(
        experiment=w["experiment"], actor=actor, decision="ship", learning="L"
    ),
}


def _state():
    return (
        list(Metric.objects.values_list("pk", "name")),
        list(Observation.objects.values_list("pk", "sample_size")),
        list(Experiment.objects.values_list("pk", "title", "status", "revision")),
        Deviation.objects.count(),
    )


@pytest.fixture
def world(team_a, metric, experiment, observation):
    return {"team": team_a, "metric": metric, "experiment": experiment, "observation": observation}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_viewer_is_refused_by_the_service_itself(world, victor, write):
    before = _state()
    with pytest.raises(PermissionDenied):
        WRITES[write](world, victor)
    assert _state() == before


@pytest.mark.parametrize("write", sorted(WRITES))
def test_an_outsider_is_refused_by_the_service_itself(world, oscar, write):
    before = _state()
    with pytest.raises(Http404):
        WRITES[write](world, oscar)
    assert _state() == before


def test_an_editor_passes_the_same_check(world, erin):
    services.metric_update(metric=world["metric"], actor=erin, name="Renamed")
    services.experiment_transition(experiment=world["experiment"], actor=erin, to="planned")
    assert Metric.objects.get(pk=world["metric"].pk).name == "Renamed"
    assert Experiment.objects.get(pk=world["experiment"].pk).status == "planned"


def _body(team, **extra):
    return {"team": team.pk, "title": "Delivery promise", "change": "Show the delivery date", **extra}


def test_api_refuses_an_owner_from_another_team_naming_owner(api_as, erin, team_a, team_b, oscar):
    # erin shares team B with oscar, so oscar's id exists for her; he is still not in team A.
    Membership.objects.create(team=team_b, user=erin, role=Role.VIEWER)
    response = api_as(erin).post("/api/v1/experiments/", _body(team_a, owner=oscar.pk), format="json")
    assert response.status_code == 400
    assert "owner" in response.json()["errors"]
    assert not Experiment.objects.exists()


def test_api_refuses_an_owner_the_caller_shares_no_team_with_as_unknown(api_as, erin, team_a, oscar):
    response = api_as(erin).post("/api/v1/experiments/", _body(team_a, owner=oscar.pk), format="json")
    assert response.status_code == 400
    assert "owner" in response.json()["errors"]
    assert not Experiment.objects.exists()


def test_api_refuses_changing_the_owner_to_a_non_member(api_as, erin, team_b, oscar, experiment):
    Membership.objects.create(team=team_b, user=erin, role=Role.VIEWER)
    response = api_as(erin).patch(f"/api/v1/experiments/{experiment.pk}/", {"owner": oscar.pk}, format="json")
    assert response.status_code == 400
    assert "owner" in response.json()["errors"]
    experiment.refresh_from_db()
    assert experiment.owner.username == "alice"


def test_api_accepts_a_member_as_owner(api_as, erin, team_a, victor):
    response = api_as(erin).post("/api/v1/experiments/", _body(team_a, owner=victor.pk), format="json")
    assert response.status_code == 201, response.json()
    assert Experiment.objects.get().owner == victor

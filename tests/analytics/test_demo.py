"""seed_demo's analytics: the shop's Decision drop-off as a cohort, and the returns page measured from events."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.http import QueryDict
from django.utils import timezone

from analytics import cohorts, demo, funnels
from analytics.models import Cohort, StageStat
from customers.models import StageTransition
from experiments.demo import RETURNS_TITLE
from experiments.models import Experiment, Observation, population_segment
from experiments.selectors import experiment_analysis
from journeys.models import JourneyMap, Stage


def test_seed_demo_saves_the_decision_drop_off_and_measures_the_returns_page(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    left = Cohort.objects.get(name=demo.LEFT_AT_DECISION)
    shop = JourneyMap.objects.get(team=left.team, title__contains="furniture")
    stages = list(Stage.objects.filter(journey_map=shop).order_by("position", "id"))
    decision = [s.name for s in stages].index("Decision")
    # The saved list is the funnel's own drop-off at the step after Decision, and it is not empty.
    members = set(left.members.values_list("profile_id", flat=True))
    today = timezone.localdate()
    params = QueryDict(mutable=True)
    params.update({"start": (today - timedelta(days=demo.DAYS)).isoformat(), "end": today.isoformat()})
    query = funnels.map_query(shop, user=left.created_by, data=params)
    assert len(members) > 3
    assert members == set(funnels.engine_for(shop.team).dropped(query, decision + 2))
    # Every one of them entered Decision.
    entered = StageTransition.objects.filter(journey_map=shop, to_stage=stages[decision])
    assert members <= set(entered.values_list("profile_id", flat=True))
    assert set(cohorts.cohort_profiles(left).values_list("pk", flat=True)) == members

    experiment = Experiment.objects.get(title=RETURNS_TITLE)
    metric = experiment.primary_metric
    assert metric.behaviour == "moment_activation" and experiment.population.name == demo.SHOP_CUSTOMERS
    assert experiment.touchpoint.name == "Returns policy page" and experiment.status == "running"
    scoped = Observation.objects.filter(metric=metric, segment=population_segment(experiment.population_id))
    assert scoped.exists() and all(o.source == "events" for o in scoped)
    everyone = Observation.objects.filter(metric=metric, segment="")
    # The population is the shop's customers only: fewer profiles than the whole team's new ones.
    assert sum(o.sample_size for o in scoped) < sum(o.sample_size for o in everyone)
    comparison = experiment_analysis(experiment)["metrics"][0]["comparison"]
    assert comparison["n_baseline"] > 0 and comparison["n_treatment"] > 0
    assert comparison["n_baseline"] + comparison["n_treatment"] <= sum(o.sample_size for o in scoped)
    # The map page's stage columns have stored figures.
    assert StageStat.objects.filter(journey_map=shop).count() == len(stages) * 3

    # Idempotent: a second run adds nothing.
    counts = (Cohort.objects.count(), Observation.objects.count(), Experiment.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Cohort.objects.count(), Observation.objects.count(), Experiment.objects.count()) == counts

"""Factories of the experiment log's rows (built through the services where it matters)."""

import datetime as dt

import factory

from experiments.models import Experiment, Metric, Observation
from journeys.models import JourneyMap, PainPoint, Stage, Touchpoint
from tests.factories import TeamFactory


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Metric

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Metric {n}")
    key = factory.Sequence(lambda n: f"metric-{n}")
    kind = Metric.Kind.PROPORTION


class ObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observation

    metric = factory.SubFactory(MetricFactory)
    period_start = dt.date(2025, 3, 3)
    period_end = dt.date(2025, 3, 9)
    segment = ""
    sample_size = 1000
    successes = 300
    value = 0.3


class ExperimentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Experiment
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    title = factory.Sequence(lambda n: f"Experiment {n}")
    change = "Cut onboarding from 4 steps to 3"
    primary_metric = factory.SubFactory(MetricFactory, team=factory.SelfAttribute("..team"))
    expected_effect = 8
    rationale = "step 3 is where people stop"
    test_start = dt.date(2025, 3, 3)
    test_end = dt.date(2025, 3, 30)


def journey(team):
    """Return a map with one stage, one touchpoint and one severe open pain point."""
    journey_map = JourneyMap.objects.create(team=team, title="Online shop")
    stage = Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
    touchpoint = Touchpoint.objects.create(stage=stage, name="Checkout", position=0)
    pain = PainPoint.objects.create(touchpoint=touchpoint, title="Delivery time unclear", severity=5)
    return journey_map, stage, touchpoint, pain

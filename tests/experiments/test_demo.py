"""The demo experiments: one supported, one refuted, one inconclusive; seeding twice duplicates nothing."""

import pytest
from django.core.management import call_command

from experiments.models import Experiment, Metric, Observation


@pytest.mark.django_db
def test_seed_demo_gives_three_outcomes_and_is_idempotent():
    call_command("seed_demo", verbosity=0)
    outcomes = dict(Experiment.objects.filter(status="concluded").values_list("title", "outcome"))
    assert outcomes == {
        "Delivery date and free returns on the product page": "supported",
        "Three-step application onboarding": "inconclusive",
        "Customer stories on destination pages": "refuted",
    }
    onboarding = Experiment.objects.get(title="Three-step application onboarding")
    assert onboarding.change == "Cut onboarding from 4 steps to 3" and onboarding.expected_effect == 8
    travel = Experiment.objects.get(title="Customer stories on destination pages")
    assert travel.result["observational"] is True
    assert travel.result["metrics"][0]["its"]["level_change"] is not None
    assert travel.result["metrics"][1]["comparison"]["test"] == "nps_difference"
    counts = (Experiment.objects.count(), Metric.objects.count(), Observation.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Experiment.objects.count(), Metric.objects.count(), Observation.objects.count()) == counts

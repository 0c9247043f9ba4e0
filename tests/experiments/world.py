"""The experiment log's rows for the access test (tests/test_access.py)."""

import datetime as dt

from experiments.models import Deviation, Experiment, Metric, Observation, Tag
from experiments.services import experiment_create, metric_create, observation_upsert

BUILDERS = [
    (
        Metric,
        lambda world, people: metric_create(
            team=people["team"], actor=people["admin"], name="Activation", key="probe-activation", kind="proportion"
        ),
    ),
    (
        Observation,
        lambda world, people: observation_upsert(
            actor=None,
            metric=world[Metric],
            period_start=dt.date(2025, 3, 3),
            period_end=dt.date(2025, 3, 9),
            sample_size=100,
            successes=30,
        )[0],
    ),
    (
        Experiment,
        lambda world, people: experiment_create(
            team=people["team"],
            actor=people["admin"],
            title="Probe",
            change="Cut a step",
            primary_metric=world[Metric],
            expected_effect=8,
            tags=["probe"],
        ),
    ),
    (Tag, lambda world, people: world[Experiment].tags.get()),
    (
        Deviation,
        lambda world, people: Deviation.objects.create(
            experiment=world[Experiment], field="title", old_value="a", new_value="b", reason="probe"
        ),
    ),
]

URL_KWARGS = {
    "experiment_pk": lambda world: world[Experiment].pk,
    "metric_pk": lambda world: world[Metric].pk,
    "observation_pk": lambda world: world[Observation].pk,
}

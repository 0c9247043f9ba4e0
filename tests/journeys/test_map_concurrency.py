"""Two writers at once on PostgreSQL: the row lock serialises them and the second one is refused."""

import threading

import pytest
from django.db import connection

from journeys import services
from journeys.models import JourneyMap, Touchpoint

pytestmark = pytest.mark.usefixtures("isolated_registry")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks across connections")
@pytest.mark.django_db(transaction=True)
def test_two_threads_with_the_same_revision_one_wins_one_conflicts(make_map, erin, alice):
    journey_map = make_map(stages=1, per_stage=1)
    tp = Touchpoint.objects.get(stage__journey_map=journey_map)
    revision = JourneyMap.objects.get(pk=journey_map.pk).revision
    barrier = threading.Barrier(2)
    outcomes = []

    def write(user, name):
        from django.db import connections

        try:
            barrier.wait()
            services.touchpoint_update(touchpoint=tp, actor=user, revision=revision, name=name)
            outcomes.append(("saved", name))
        except services.MapConflict:
            outcomes.append(("conflict", name))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(u, n)) for u, n in ((erin, "Erin"), (alice, "Alice"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(kind for kind, _ in outcomes) == ["conflict", "saved"]
    winner = next(name for kind, name in outcomes if kind == "saved")
    assert Touchpoint.objects.get(pk=tp.pk).name == winner
    assert JourneyMap.objects.get(pk=journey_map.pk).revision == revision + 1

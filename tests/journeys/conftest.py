import pytest

from journeys import services
from journeys.models import Stage


@pytest.fixture
def make_map(team_a, erin):
    """Build a map through the services: ``stages`` stages with ``per_stage`` touchpoints each."""

    def make(title="Shop checkout", stages=3, per_stage=2, pains=1, team=None, user=None):
        user = user or erin
        journey_map = services.map_create(
            team=team or team_a, actor=user, title=title, stages=[f"Stage {i + 1}" for i in range(stages)]
        )
        for stage in Stage.objects.filter(journey_map=journey_map).order_by("position"):
            for j in range(per_stage):
                tp = services.touchpoint_create(
                    stage=stage,
                    actor=user,
                    revision=None,
                    name=f"{stage.name} touchpoint {j + 1}",
                    emotion_label="curious",
                )
                for k in range(pains):
                    services.pain_point_create(
                        touchpoint=tp, actor=user, revision=None, title=f"Pain {k + 1}", severity=k + 2
                    )
        journey_map.refresh_from_db()
        return journey_map

    return make


@pytest.fixture
def isolated_registry(monkeypatch):
    """Run with no annotators or health checks from other apps (their tests cover their own)."""
    from journeys.extensions import Registry, registry

    empty = Registry()
    monkeypatch.setattr(registry, "annotators", empty.annotators)
    monkeypatch.setattr(registry, "health_checks", empty.health_checks)
    return registry

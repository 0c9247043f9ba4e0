"""The journeys services check their actor themselves: a viewer is refused (403), an outsider too (404)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from journeys import services
from journeys.models import JourneyMap, PainPoint, Stage, Touchpoint


def _writes(journey_map):
    stage = Stage.objects.filter(journey_map=journey_map).order_by("position").first()
    tp = Touchpoint.objects.filter(stage=stage).first()
    pp = PainPoint.objects.filter(touchpoint=tp).first()
    team = journey_map.team
    return {
        "map_create": lambda actor: services.map_create(team=team, actor=actor, title="Theirs"),
        "map_update": lambda actor: services.map_update(journey_map=journey_map, actor=actor, revision=None, title="X"),
        "map_delete": lambda actor: services.map_delete(journey_map=journey_map, actor=actor),
        "map_publish": lambda actor: services.map_publish(journey_map=journey_map, actor=actor),
        "map_import": lambda actor: services.map_import(
            team=team, actor=actor, document=services.map_export(journey_map=journey_map)
        ),
        "stage_create": lambda actor: services.stage_create(
            journey_map=journey_map, actor=actor, revision=None, name="New"
        ),
        "stage_update": lambda actor: services.stage_update(stage=stage, actor=actor, revision=None, name="X"),
        "stage_move": lambda actor: services.stage_move(stage=stage, actor=actor, revision=None, position=1),
        "stage_delete": lambda actor: services.stage_delete(stage=stage, actor=actor, revision=None),
        "touchpoint_create": lambda actor: services.touchpoint_create(
            stage=stage, actor=actor, revision=None, name="New"
        ),
        "touchpoint_update": lambda actor: services.touchpoint_update(
            touchpoint=tp, actor=actor, revision=None, name="X"
        ),
        "touchpoint_delete": lambda actor: services.touchpoint_delete(touchpoint=tp, actor=actor, revision=None),
        "pain_point_create": lambda actor: services.pain_point_create(
            touchpoint=tp, actor=actor, revision=None, title="New", severity=3
        ),
        "pain_point_update": lambda actor: services.pain_point_update(
            pain_point=pp, actor=actor, revision=None, title="X"
        ),
        "pain_point_delete": lambda actor: services.pain_point_delete(pain_point=pp, actor=actor, revision=None),
    }


WRITES = [
    "map_create",
    "map_update",
    "map_delete",
    "map_publish",
    "map_import",
    "stage_create",
    "stage_update",
    "stage_move",
    "stage_delete",
    "touchpoint_create",
    "touchpoint_update",
    "touchpoint_delete",
    "pain_point_create",
    "pain_point_update",
    "pain_point_delete",
]


def _state(journey_map):
    journey_map.refresh_from_db()
    return (
        JourneyMap.objects.count(),
        journey_map.revision,
        journey_map.title,
        Stage.objects.count(),
        Touchpoint.objects.count(),
        PainPoint.objects.count(),
        journey_map.versions.count(),
    )


@pytest.mark.parametrize("write", WRITES)
def test_a_viewer_is_refused_by_the_service_and_nothing_changes(make_map, victor, write):
    journey_map = make_map(stages=2, per_stage=1, pains=1)
    before = _state(journey_map)
    with pytest.raises(PermissionDenied):
        _writes(journey_map)[write](victor)
    assert _state(journey_map) == before


@pytest.mark.parametrize("write", WRITES)
def test_an_outsider_is_refused_by_the_service_and_nothing_changes(make_map, oscar, write):
    journey_map = make_map(stages=2, per_stage=1, pains=1)
    before = _state(journey_map)
    with pytest.raises(Http404):
        _writes(journey_map)[write](oscar)
    assert _state(journey_map) == before


def test_an_editor_writes_through_the_same_services(make_map, erin):
    journey_map = make_map(stages=2, per_stage=1, pains=1)
    for write in WRITES:
        if write != "map_delete":
            _writes(journey_map)[write](erin)
    journey_map.refresh_from_db()
    assert journey_map.title == "X"
    assert JourneyMap.objects.filter(title="Theirs").exists()

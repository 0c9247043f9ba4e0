import pytest

from journeys import services as maps


@pytest.fixture
def shop(team_a, erin):
    """A map with a stage, a touchpoint and a pain point, made through the services."""
    journey_map = maps.map_create(team=team_a, actor=erin, title="Shop checkout", stages=["Decision"])
    stage = journey_map.stages.get()
    touchpoint = maps.touchpoint_create(stage=stage, actor=erin, revision=None, name="Checkout page")
    pain = maps.pain_point_create(touchpoint=touchpoint, actor=erin, revision=None, title="Delivery time unclear")
    journey_map.refresh_from_db()
    return {"map": journey_map, "stage": stage, "touchpoint": touchpoint, "pain": pain}

import pytest

from journeys import demo
from journeys.models import JourneyMap, MapVersion
from journeys.snapshot import diff_documents
from teams import demo as team_demo

pytestmark = pytest.mark.usefixtures("isolated_registry")


@pytest.mark.django_db
def test_demo_seeds_three_maps_with_two_versions_each_and_is_idempotent():
    context = team_demo.seed()
    maps = demo.seed(context)["maps"]
    assert set(maps) == {"shop", "bank", "travel"}
    for journey_map in maps.values():
        v1, v2 = (MapVersion.objects.get(journey_map=journey_map, number=n).snapshot for n in (1, 2))
        assert diff_documents(v1, v2)["summary"]["total"] > 0
    assert demo.seed(context)["maps"]["shop"] == maps["shop"]
    assert JourneyMap.objects.count() == 3

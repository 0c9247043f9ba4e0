"""The search app's part of the access-test world (see tests/world.py)."""

from journeys.models import JourneyMap
from search.indexing import maps_index
from search.models import SearchCursor, SearchEntry


def _entry(world, people):
    maps_index([world[JourneyMap]])
    return SearchEntry.objects.get(kind=SearchEntry.Kind.MAP, object_id=world[JourneyMap].pk)


BUILDERS = [
    (SearchEntry, _entry),
    (SearchCursor, lambda world, people: SearchCursor.objects.create(team=people["team"])),
]

QUERIES = {"search-list": lambda world: "q=probe", "search:page": lambda world: "q=probe"}

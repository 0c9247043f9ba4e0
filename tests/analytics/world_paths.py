"""Query strings of the paths pages and API for the access test: a map and an event to start from."""

from urllib.parse import urlencode

from journeys.models import JourneyMap

QUERIES = {
    "analytics:paths": lambda world: urlencode({"from": "event:Probe Viewed"}),
    "analytics:map_paths": lambda world: urlencode({"from": "event:Probe Viewed"}),
    "paths-list": lambda world: urlencode({"map": world[JourneyMap].pk, "from": "event:Probe Viewed"}),
}

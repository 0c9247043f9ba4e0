"""Journey-map objects for the access test (tests/test_access.py)."""

from journeys.models import JourneyMap, MapTemplate, MapVersion, PainPoint, Stage, Touchpoint

BUILDERS = [
    (
        JourneyMap,
        lambda world, people: JourneyMap.objects.create(team=people["team"], title="Probe map"),
    ),
    (Stage, lambda world, people: Stage.objects.create(journey_map=world[JourneyMap], name="Decision")),
    (Touchpoint, lambda world, people: Touchpoint.objects.create(stage=world[Stage], name="Checkout page")),
    (PainPoint, lambda world, people: PainPoint.objects.create(touchpoint=world[Touchpoint], title="Slow delivery")),
    (
        MapVersion,
        lambda world, people: MapVersion.objects.create(journey_map=world[JourneyMap], number=1, snapshot={}),
    ),
    (
        MapTemplate,
        lambda world, people: MapTemplate.objects.create(team=people["team"], name="Probe template", document={}),
    ),
]

URL_KWARGS = {
    "map_pk": lambda world: world[JourneyMap].pk,
    "stage_pk": lambda world: world[Stage].pk,
    "touchpoint_pk": lambda world: world[Touchpoint].pk,
    "pain_point_pk": lambda world: world[PainPoint].pk,
    "number": lambda world: world[MapVersion].number,
    "template_pk": lambda world: world[MapTemplate].pk,
}

API_KWARGS = {
    "number": lambda world: world[MapVersion].number,
}

"""Journey-map objects for the access test (tests/test_access.py)."""

import datetime

from django.utils import timezone

from journeys.models import (
    JourneyMap,
    Lane,
    LaneCell,
    MapChange,
    MapTemplate,
    MapVersion,
    PainPoint,
    ShareLink,
    ShareLinkView,
    Stage,
    Touchpoint,
)

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
    (
        ShareLink,
        lambda world, people: ShareLink.objects.create(
            team=people["team"], journey_map=world[JourneyMap], expires_at=timezone.now() + datetime.timedelta(days=7)
        ),
    ),
    (ShareLinkView, lambda world, people: ShareLinkView.objects.create(link=world[ShareLink])),
    (Lane, lambda world, people: Lane.objects.create(journey_map=world[JourneyMap], kind=Lane.Kind.THOUGHTS)),
    (
        LaneCell,
        lambda world, people: LaneCell.objects.create(lane=world[Lane], stage=world[Stage], text="Is it in stock?"),
    ),
    (
        MapChange,
        lambda world, people: MapChange.objects.create(
            journey_map=world[JourneyMap], kind=MapChange.Kind.STAGE_UPDATE, revision=2, created_by=people["editor"]
        ),
    ),
]

URL_KWARGS = {
    "map_pk": lambda world: world[JourneyMap].pk,
    "stage_pk": lambda world: world[Stage].pk,
    "touchpoint_pk": lambda world: world[Touchpoint].pk,
    "pain_point_pk": lambda world: world[PainPoint].pk,
    "number": lambda world: world[MapVersion].number,
    "template_pk": lambda world: world[MapTemplate].pk,
    "link_pk": lambda world: world[ShareLink].pk,
    "token": lambda world: world[ShareLink].token,
    "lane_pk": lambda world: world[Lane].pk,
}

API_KWARGS = {
    "number": lambda world: world[MapVersion].number,
    "fmt": lambda world: "svg",
}

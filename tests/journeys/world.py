"""Journey-map objects for the access test (tests/test_access.py)."""

from journeys.models import JourneyMap, MapVersion, PainPoint, Stage, Touchpoint

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
]

URL_KWARGS = {
    "map_pk": lambda world: world[JourneyMap].pk,
    "stage_pk": lambda world: world[Stage].pk,
    "touchpoint_pk": lambda world: world[Touchpoint].pk,
    "pain_point_pk": lambda world: world[PainPoint].pk,
    "number": lambda world: world[MapVersion].number,
}

API_KWARGS = {
    "number": lambda world: world[MapVersion].number,
}


# --- owners, SLAs, hand-offs, playbooks (issue 5) ---------------------------------------------
from datetime import timedelta as _timedelta  # noqa: E402

from django.utils import timezone as _timezone  # noqa: E402

from journeys.models import SLA, Handoff, HandoffCase, Ownership, Playbook  # noqa: E402


def _handoff(world, people):
    other = Touchpoint.objects.create(stage=world[Stage], name="Order confirmation", position=1)
    return Handoff.objects.create(
        journey_map=world[JourneyMap], from_touchpoint=world[Touchpoint], to_touchpoint=other, to_owner=people["editor"]
    )


BUILDERS += [
    (
        Ownership,
        lambda world, people: Ownership.objects.create(
            journey_map=world[JourneyMap], touchpoint=world[Touchpoint], user=people["editor"]
        ),
    ),
    (SLA, lambda world, people: SLA.objects.create(touchpoint=world[Touchpoint])),
    (Handoff, _handoff),
    (
        HandoffCase,
        lambda world, people: HandoffCase.objects.create(
            handoff=world[Handoff],
            reference="ORDER-1",
            started_at=_timezone.now() - _timedelta(days=2),
            due_at=_timezone.now() - _timedelta(days=1),
            breached_at=_timezone.now(),
        ),
    ),
    (
        Playbook,
        lambda world, people: Playbook.objects.create(journey_map=world[JourneyMap], name="First order late"),
    ),
]
URL_KWARGS.update(
    {
        "touchpoint_pk": lambda world: world[Touchpoint].pk,
        "ownership_pk": lambda world: world[Ownership].pk,
        "handoff_pk": lambda world: world[Handoff].pk,
        "case_pk": lambda world: world[HandoffCase].pk,
        "playbook_pk": lambda world: world[Playbook].pk,
    }
)

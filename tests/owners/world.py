"""Owners, SLAs, hand-offs and playbooks for the access test (tests/test_access.py)."""

from datetime import timedelta

from django.utils import timezone

from journeys.models import JourneyMap, Stage, Touchpoint
from owners.models import SLA, Handoff, HandoffCase, Ownership, Playbook


def _handoff(world, people):
    other = Touchpoint.objects.create(stage=world[Stage], name="Order confirmation", position=1)
    return Handoff.objects.create(
        journey_map=world[JourneyMap], from_touchpoint=world[Touchpoint], to_touchpoint=other, to_owner=people["editor"]
    )


BUILDERS = [
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
            started_at=timezone.now() - timedelta(days=2),
            due_at=timezone.now() - timedelta(days=1),
            breached_at=timezone.now(),
        ),
    ),
    (
        Playbook,
        lambda world, people: Playbook.objects.create(journey_map=world[JourneyMap], name="First order late"),
    ),
]
URL_KWARGS = {
    "ownership_pk": lambda world: world[Ownership].pk,
    "handoff_pk": lambda world: world[Handoff].pk,
    "case_pk": lambda world: world[HandoffCase].pk,
    "playbook_pk": lambda world: world[Playbook].pk,
}

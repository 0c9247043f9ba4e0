"""Automations' rows for the access test (tests/test_access.py), built through the real services."""

from datetime import time

from django.utils import timezone

from automations import services
from automations.models import Action, Automation, Enrolment, OwnerTask, Respect, StageCap, Step, Suppression
from customers.models import Profile
from journeys.models import JourneyMap, Stage, Touchpoint


def _automation(world, people):
    return services.automation_create(
        actor=people["admin"],
        journey_map=world[JourneyMap],
        name="Probe automation",
        trigger="stage_entered",
        trigger_config={"stage": world[Stage].pk},
    )


def _step(world, people):
    return services.step_add(
        automation=world[Automation],
        actor=people["admin"],
        kind="email",
        config={"templates": {"en": {"subject": "Hi"}}},
    )


def _enrolment(world, people):
    return Enrolment.objects.create(
        team=people["team"], automation=world[Automation], profile=world[Profile], entry_key="probe", status="completed"
    )


def _action(world, people):
    return Action.objects.create(
        team=people["team"],
        enrolment=world[Enrolment],
        step=world[Step],
        automation=world[Automation],
        profile=world[Profile],
        kind="email",
        status="done",
        done_at=timezone.now(),
    )


def _task(world, people):
    return OwnerTask.objects.create(
        team=people["team"],
        action=world[Action],
        profile=world[Profile],
        touchpoint=world[Touchpoint],
        owner=people["editor"],
        title="Call the probe customer",
        due_at=timezone.now(),
    )


BUILDERS = [
    (Automation, _automation),
    (Step, _step),
    (Enrolment, _enrolment),
    (Action, _action),
    (OwnerTask, _task),
    (Suppression, lambda world, people: services.profile_unsubscribe(profile=world[Profile])),
    (
        Respect,
        lambda world, people: Respect.objects.create(team=people["team"], quiet_start=time(22), quiet_end=time(7)),
    ),
    (
        StageCap,
        lambda world, people: services.stage_cap_create(
            stage=world[Stage], actor=people["admin"], max_messages=1, per_days=7
        ),
    ),
]

URL_KWARGS = {
    "automation_pk": lambda world: world[Automation].pk,
    "step_pk": lambda world: world[Step].pk,
    "task_pk": lambda world: world[OwnerTask].pk,
    "cap_pk": lambda world: world[StageCap].pk,
}

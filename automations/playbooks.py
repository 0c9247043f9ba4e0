"""Playbooks (owners) become automations in one step.

A playbook names a branch of the journey in words; the automation made from it starts as a draft
on the same map: customers stalled in the playbook's stage (its touchpoint's stage; without one,
the map's first stage) for longer than the stage's SLA enter, a task opens for the touchpoint's
accountable owner under its SLA, and moving on to the next stage ends the run. The playbook's
trigger and steps become the description, so the team edits the steps from there.
"""

from __future__ import annotations

from django.db import transaction

from journeys.models import Stage, Touchpoint
from owners.models import Playbook

from . import services
from .models import Automation


@transaction.atomic
def automation_from_playbook(*, playbook: Playbook, actor, name: str | None = None) -> Automation:
    """Create a draft automation from ``playbook`` (checks the actor's role through the services)."""
    touchpoint = playbook.touchpoint
    stage = playbook.stage or (touchpoint.stage if touchpoint else None)
    if stage is None:
        stage = Stage.objects.filter(journey_map=playbook.journey_map).order_by("position", "id").first()
    if touchpoint is None and stage is not None:
        touchpoint = Touchpoint.objects.filter(stage=stage).order_by("-is_moment", "position", "id").first()
    description = "\n\n".join(part for part in (playbook.trigger, playbook.steps) if part)
    automation = services.automation_create(
        actor=actor,
        journey_map=playbook.journey_map,
        name=(name or playbook.name)[:200],
        trigger=Automation.Trigger.STAGE_STALLED if stage else Automation.Trigger.EVENT_DONE,
        trigger_config={"stage": stage.pk} if stage else {"event": playbook.name[:200]},
        description=description,
        exit_criteria={"next_stage": True},
        playbook=playbook,
    )
    if touchpoint is not None:
        services.step_add(
            automation=automation,
            actor=actor,
            kind="task",
            config={"touchpoint": touchpoint.pk, "title": playbook.name},
        )
    else:
        services.step_add(
            automation=automation, actor=actor, kind="trait", config={"key": "playbook", "value": playbook.name}
        )
    return automation

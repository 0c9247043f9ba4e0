"""Celery tasks of automations: advancing enrolments, sending actions, and the periodic sweep
(scheduled by CELERY_BEAT_SCHEDULE["automations-sweep"]). Tasks take ids and call the engine."""

from celery import shared_task

from . import engine, outbox


@shared_task(name="automations.tasks.automation_advance", ignore_result=True)
def automation_advance(automation_id: int) -> dict:
    """Run the automation's due enrolments now (queued when customers enter or an awaited event arrives)."""
    return engine.advance(automation_ids=[automation_id])


@shared_task(name="automations.tasks.action_send", ignore_result=True, acks_late=True)
def action_send(action_id: int) -> dict:
    """Claim and perform one action (a no-op when another worker holds or finished it)."""
    return outbox.actions_send(ids=[action_id], limit=1)


@shared_task(name="automations.tasks.actions_send_due", ignore_result=True)
def actions_send_due() -> int:
    """Queue one send per due action (pending, or abandoned by a dead worker past its lease)."""
    ids = outbox.actions_due()
    for action_id in ids:
        action_send.delay(action_id)
    return len(ids)


@shared_task(name="automations.tasks.automations_sweep", ignore_result=False)
def automations_sweep() -> dict:
    """Enrol stalled customers, advance every due enrolment, queue the due sends."""
    stalled = engine.stalls_enrol()
    advanced = engine.advance()
    queued = actions_send_due()
    return {"stalled": stalled, "advanced": advanced["enrolments"], "actions": advanced["actions"], "queued": queued}

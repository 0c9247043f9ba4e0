"""Domain events: the signal every app sends when something an integration may care about happens.

The service that made the change sends ``domain_event`` inside its transaction::

    domain_event.send(sender=MapVersion, team_id=team.pk, event=DomainEvent.MAP_PUBLISHED, items=[data])

``items`` is a list of JSON-serialisable dicts, one per event: set-based work (the SLA sweeps)
announces all of a team's events of one kind in one send, so a receiver can handle them in one
bulk operation. Receivers that write (the webhooks' deliveries) write in the sender's transaction
and act after it commits, so nothing is sent for a change that rolls back. The signal lives here,
in the app every other one imports, so senders never import their receivers.
"""

from __future__ import annotations

from enum import StrEnum

from django.dispatch import Signal


class DomainEvent(StrEnum):
    """The events apps announce, by their public name."""

    RESPONSE_CREATED = "response.created"
    FOLLOWUP_OPENED = "followup.opened"
    FOLLOWUP_BREACHED = "followup.breached"
    HANDOFF_BREACHED = "handoff.breached"
    MAP_PUBLISHED = "map.published"
    EXPERIMENT_CONCLUDED = "experiment.concluded"
    REVIEW_RECORDED = "review.recorded"
    PROFILE_STAGE_CHANGED = "profile.stage_changed"


# Sent with ``team_id`` (int), ``event`` (a ``DomainEvent``) and ``items`` (list of dicts).
domain_event = Signal()

# Sent with ``team_id`` and ``event`` by a hot path that would write without a transaction when
# nobody needs one; a receiver that writes rows in the sender's transaction for that event (the
# webhooks, when an endpoint subscribes to it) answers True.
domain_event_needs_transaction = Signal()


def needs_transaction(*, team_id: int, event: DomainEvent) -> bool:
    """Return whether a receiver of ``event`` for the team writes in the sender's transaction."""
    answers = domain_event_needs_transaction.send(sender=DomainEvent, team_id=team_id, event=event)
    return any(answer for _receiver, answer in answers)

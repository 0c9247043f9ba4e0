"""Domain events: the one call every app makes when something an integration may care about happens.

``emit(team_id=…, event="map.published", data={…})`` is called inside the service that made the
change; delivery to the team's webhooks is queued with ``transaction.on_commit`` so nothing is
sent for a change that rolls back. Event names: ``response.created``, ``followup.opened``,
``followup.breached``, ``map.published``, ``experiment.concluded``, ``review.recorded``.
"""

from __future__ import annotations

from collections.abc import Callable

# Receivers registered by the webhooks module (and tests); each gets (team_id, event, data).
_receivers: list[Callable[[int, str, dict], None]] = []


def connect(receiver: Callable[[int, str, dict], None]) -> None:
    if receiver not in _receivers:
        _receivers.append(receiver)


def emit(*, team_id: int, event: str, data: dict) -> None:
    """Announce ``event`` with its JSON-serialisable ``data`` for ``team_id``."""
    for receiver in list(_receivers):
        receiver(team_id, event, data)


def _deliver_to_webhooks(team_id: int, event: str, data: dict) -> None:
    # Imported here: events is imported by models' neighbours, webhooks imports the models.
    from .webhooks import on_event

    on_event(team_id, event, data)


connect(_deliver_to_webhooks)

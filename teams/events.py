"""Domain events: the one call every app makes when something an integration may care about happens.

``emit(team_id=…, event="map.published", data={…})`` is called inside the service that made the
change; delivery to the team's webhooks is queued with ``transaction.on_commit`` so nothing is
sent for a change that rolls back. Event names: ``response.created``, ``followup.opened``,
``followup.breached``, ``map.published``, ``experiment.concluded``, ``review.recorded``.

``emit_many(team_id=…, event=…, items=[{…}, …])`` announces many events of one kind for one team
at once (the SLA sweeps): receivers connected with ``many=True`` (the webhooks) get the whole list
and look the team's endpoints up once; the others get one call per item.
"""

from __future__ import annotations

from collections.abc import Callable

# Receivers, in order. Each gets (team_id, event, data) once per event, or, when connected with
# ``many=True`` (the webhooks), (team_id, event, items) once per ``emit``/``emit_many``. One list, so
# a test that empties it silences the webhooks too.
_receivers: list[Callable] = []
_takes_list: set[Callable] = set()


def connect(receiver: Callable, *, many: bool = False) -> None:
    if receiver not in _receivers:
        _receivers.append(receiver)
    if many:
        _takes_list.add(receiver)


def emit(*, team_id: int, event: str, data: dict) -> None:
    """Announce ``event`` with its JSON-serialisable ``data`` for ``team_id``."""
    emit_many(team_id=team_id, event=event, items=[data])


def emit_many(*, team_id: int, event: str, items: list[dict]) -> None:
    """Announce ``event`` once per item of ``items`` (JSON-serialisable dicts) for ``team_id``."""
    if not items:
        return
    for receiver in list(_receivers):
        if receiver in _takes_list:
            receiver(team_id, event, items)
        else:
            for data in items:
                receiver(team_id, event, data)


def _deliver_to_webhooks(team_id: int, event: str, items: list[dict]) -> None:
    # Imported here: events is imported by models' neighbours, webhooks imports the models.
    from .webhooks import on_events

    on_events(team_id, event, items)


connect(_deliver_to_webhooks, many=True)

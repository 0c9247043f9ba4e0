"""Send domain events in tests the way the services do."""

from teams.signals import domain_event


def send_event(*, team_id: int, event: str, data: dict | None = None, items: list[dict] | None = None) -> None:
    """Send ``event`` with one ``data`` dict, or with ``items``, as a service would."""
    domain_event.send(sender=None, team_id=team_id, event=event, items=[data] if items is None else items)

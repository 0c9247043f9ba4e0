"""Extension point through which apps to the right hear that persona assignment may have changed.

Customers assigns each profile the persona whose trait rules it meets; personas cannot import
customers, so customers registers ``fn(*, team_id)`` here in its ``AppConfig.ready()``. The
persona services call every handler inside their transaction when a persona's rules, priority or
archived state change, or a persona with rules is created or deleted; a handler that starts work
defers it to the commit.
"""

from __future__ import annotations

from collections.abc import Callable

rules_changed_handlers: list[Callable] = []


def register_rules_changed_handler(fn: Callable) -> Callable:
    if fn not in rules_changed_handlers:
        rules_changed_handlers.append(fn)
    return fn


def rules_changed(*, team_id: int) -> None:
    """Tell every registered handler that the team's persona rules changed."""
    for handler in rules_changed_handlers:
        handler(team_id=team_id)

"""Hooks through which apps to the right of discussions change what it does, without an import back.

- **Email opt-outs**: ``register_email_opt_out(fn)``, where ``fn(user_ids)`` returns the ids of
  the people who asked for no email from Waymark; mention emails skip them (reviews registers the
  weekly digest's unsubscribe, so one click stops both).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_opt_outs: list[Callable[[set[int]], Iterable[int]]] = []


def register_email_opt_out(fn: Callable[[set[int]], Iterable[int]]) -> Callable:
    if fn not in _opt_outs:
        _opt_outs.append(fn)
    return fn


def email_opted_out(user_ids: Iterable[int]) -> set[int]:
    """Return which of ``user_ids`` want no email, by every registered rule."""
    ids = set(user_ids)
    out: set[int] = set()
    for fn in _opt_outs:
        if ids:
            out |= set(fn(ids))
    return out

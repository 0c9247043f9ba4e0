"""Extension point through which apps to the right of owners join the SLA sweep.

Owners cannot import the apps that open work under a touchpoint's SLA (automations' owner
tasks), yet an overdue item should be breached, mailed and escalated by the one sweep that does
it for hand-off cases. Such an app registers ``fn(*, now) -> SweepResult`` in its
``AppConfig.ready()``; ``services.sla_sweep`` runs every registered sweep after the hand-off
cases' and adds up the counts.
"""

from __future__ import annotations

from collections.abc import Callable

sla_sweeps: list[Callable] = []


def register_sla_sweep(fn: Callable) -> Callable:
    if fn not in sla_sweeps:
        sla_sweeps.append(fn)
    return fn

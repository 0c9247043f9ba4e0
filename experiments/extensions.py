"""Extension point through which apps to the right add to the experiment log.

Automations are measured like experiments (a random holdout against the enrolled); the
automations app cannot be imported here, so it registers ``fn(*, team, user) -> str`` (safe HTML,
or "" for nothing) in its ``AppConfig.ready()``, and the log page shows each section beside the
timeline.
"""

from __future__ import annotations

from collections.abc import Callable

log_sections: list[Callable] = []


def register_log_section(fn: Callable) -> Callable:
    if fn not in log_sections:
        log_sections.append(fn)
    return fn

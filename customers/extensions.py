"""Extension points through which apps to the right of customers add to a profile's timeline.

Feedback (survey answers, follow-ups) and automations (actions taken) cannot be imported here;
they register ``fn(profile, *, identifiers, before, limit) -> list[TimelineItem]`` in their
``AppConfig.ready()`` and the timeline interleaves what every source returns by time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # "event", "stage", "merge", "response", "followup" …
    at: datetime
    title: str
    data: dict = field(default_factory=dict)


timeline_sources: list[Callable] = []


def register_timeline_source(fn: Callable) -> Callable:
    if fn not in timeline_sources:
        timeline_sources.append(fn)
    return fn

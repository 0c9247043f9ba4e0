"""Extension points through which apps to the right of customers add to a profile's timeline.

Feedback (survey answers, follow-ups) and automations (actions taken) cannot be imported here;
they register ``fn(profile, *, identifiers, before, limit) -> list[TimelineItem]`` in their
``AppConfig.ready()`` and the timeline interleaves what every source returns by time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import pgettext_lazy

# The badge each kind shows on the profile's page; a kind without one shows as it is named.
KIND_LABELS = {
    "event": pgettext_lazy("timeline", "Event"),
    "stage": pgettext_lazy("timeline", "Stage"),
    "merge": pgettext_lazy("timeline", "Merge"),
}


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # "event", "stage", "merge", "response", "followup" …
    at: datetime
    title: str
    data: dict = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


timeline_sources: list[Callable] = []


def register_timeline_source(fn: Callable) -> Callable:
    if fn not in timeline_sources:
        timeline_sources.append(fn)
    return fn


# Privacy: apps to the right keep rows about a person under the identifiers customers resolves
# (survey answers by respondent id, their follow-ups). An erasure calls every
# ``fn(*, team_id, identifiers) -> {kind: rows deleted}`` in its transaction; an export includes
# every ``fn(*, team_id, identifiers) -> {kind: [JSON-ready rows]}``.
erasure_handlers: list[Callable] = []
export_sources: list[Callable] = []


def register_erasure_handler(fn: Callable) -> Callable:
    if fn not in erasure_handlers:
        erasure_handlers.append(fn)
    return fn


def register_export_source(fn: Callable) -> Callable:
    if fn not in export_sources:
        export_sources.append(fn)
    return fn

"""Extension points through which apps to the right of customers add to a profile's timeline.

Feedback (survey answers, follow-ups) and automations (actions taken) cannot be imported here;
they register ``fn(profile, *, identifiers, before, limit) -> list[TimelineItem]`` in their
``AppConfig.ready()`` and the timeline interleaves what every source returns by time.

``identifiers`` are the profile's ``(kind, value)`` pairs. ``before`` is a ``TimelineCursor`` or
None: a source returns its newest ``limit`` items that come after the cursor in the timeline's
order, filtering its query with ``before.q(kind, "<time field>")``; each item carries its row's
``id``, so two items at the same time still have an order and no page boundary drops one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware
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
    id: int = 0  # the row's id within its kind: the tie-breaker between items at the same time

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def sort_key(self) -> tuple:
        """The timeline's order, newest first when sorted in reverse: time, then kind, then id."""
        return (self.at, self.kind, self.id)

    @property
    def cursor(self) -> str:
        """Where the next page starts: pass it as ``before`` to get the items after this one."""
        return TimelineCursor(self.at, self.kind, self.id).encode()


CURSOR_SEPARATOR = "~"


@dataclass(frozen=True)
class TimelineCursor:
    """A position in a timeline: items strictly after it in (time, kind, id) order, newest first.

    A plain time (the older ``before=<datetime>``) is the position before every item at that time.
    """

    at: datetime
    kind: str = ""
    id: int = 0

    def encode(self) -> str:
        at = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return f"{at}{CURSOR_SEPARATOR}{self.kind}{CURSOR_SEPARATOR}{self.id}"

    @classmethod
    def parse(cls, raw: str) -> TimelineCursor | None:
        """Return the cursor ``raw`` spells (an item's ``cursor`` or an ISO 8601 time), or None."""
        at_text, *rest = (raw or "").strip().split(CURSOR_SEPARATOR)
        try:
            at = parse_datetime(at_text.replace(" ", "+"))
        except ValueError:
            return None
        if at is None or len(rest) not in (0, 2):
            return None
        if is_naive(at):
            at = make_aware(at, UTC)
        if not rest:
            return cls(at)
        kind, id_text = rest
        if not kind.isidentifier() or not id_text.isdigit():
            return None
        return cls(at, kind, int(id_text))

    def q(self, kind: str, at_field: str, id_field: str = "id") -> Q:
        """Return the filter a source of ``kind`` applies to come after this cursor."""
        if kind < self.kind:
            return Q(**{f"{at_field}__lte": self.at})
        if kind == self.kind:
            return Q(**{f"{at_field}__lt": self.at}) | Q(**{at_field: self.at, f"{id_field}__lt": self.id})
        return Q(**{f"{at_field}__lt": self.at})

    def admits(self, item: TimelineItem) -> bool:
        return item.sort_key < (self.at, self.kind, self.id)


timeline_sources: list[Callable] = []


def register_timeline_source(fn: Callable, *, labels: dict | None = None) -> Callable:
    """Add ``fn`` to every profile's timeline; ``labels`` names the badges of the kinds it returns."""
    if fn not in timeline_sources:
        timeline_sources.append(fn)
    KIND_LABELS.update(labels or {})
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


# Apps to the right that act on customers as events arrive (automations) register
# ``fn(*, team_id, events, transitions, matches)`` here; ``stages.events_match`` calls each after it
# matched a team's events, in its transaction, so what a hook writes commits with the match and a
# redelivered batch (already matched) calls no hook twice. ``events`` are the team's events of the
# batch, ``transitions`` the ``StageTransition`` rows recorded, ``matches`` ``[(event, [rules])]``.
match_hooks: list[Callable] = []


def register_match_hook(fn: Callable) -> Callable:
    if fn not in match_hooks:
        match_hooks.append(fn)
    return fn


# Apps that act on named events without waiting for the stage matching (automations' "did an event"
# triggers) register ``names(team_id) -> frozenset[str]`` (the event names they want, cheap: asked
# for every stored request) and ``fn(*, team_id, events)``. The stored events with a wanted name are
# queued apart from the matching (``tasks.events_arrive_enqueue``) and given to ``fn`` soon after
# their commit, in a transaction of their own; they are matched later as every event is, and the
# match hook sees them again: ``fn`` must write nothing the match hook would write twice (an
# automation's enrolment key names the event). An arrival queue lost (Redis flushed, a worker
# killed) loses nothing: the matching is the durable path.
arrival_hooks: list[tuple[Callable, Callable]] = []


def register_arrival_hook(names: Callable, fn: Callable) -> Callable:
    if not any(hook is fn for _names, hook in arrival_hooks):
        arrival_hooks.append((names, fn))
    return fn


def arrival_names(team_id: int) -> frozenset[str]:
    """The event names some arrival hook wants for the team (empty, the common case, costs no query)."""
    wanted: frozenset[str] = frozenset()
    for names, _fn in arrival_hooks:
        wanted |= names(team_id)
    return wanted

"""An independent reference for paths, in plain Python over the generated events.

It knows nothing of SQL, identities or the tracking plan's code: it reads the events the generator
made, the person each identifier belongs to (as the generator knows it) and the rules as plain
``(type, name, path) -> touchpoint`` equalities, and counts what ``analytics.paths`` should.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RefEvent:
    id: int
    who: str  # the identifier the event was sent with
    at: datetime
    type: str
    name: str
    path: str


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval, written out (the code under test uses statsmodels)."""
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def node(event: RefEvent, rules: dict, touchpoint_names: dict) -> tuple[str, str, bool]:
    """Return (key, label, detour) of an event against exact-match rules."""
    for (type_, name, path), touchpoint_id in rules.items():
        if event.type == type_ and (not name or name == event.name) and (not path or path == event.path):
            return f"tp:{touchpoint_id}", touchpoint_names[touchpoint_id], False
    if event.type == "page" and event.path:
        return f"page:{event.path}", event.path, True
    return f"{event.type}:{event.name}", event.name, True


def reference(
    events: list[RefEvent],
    person_of: dict[str, str],
    *,
    anchor: tuple[str, str],
    direction: str,
    steps: int,
    start: datetime,
    end: datetime,
    gap: timedelta,
    top: int,
    rules: dict,
    touchpoint_names: dict,
) -> dict:
    by_person: dict[str, list[RefEvent]] = {}
    for e in events:
        if e.type in ("track", "page", "screen") and start <= e.at < end:
            by_person.setdefault(person_of[e.who], []).append(e)
    paths = {}
    for person, evs in by_person.items():
        evs.sort(key=lambda e: (e.at, e.id))
        sessions, previous = [], None
        for e in evs:
            if previous is None or e.at - previous.at > gap:
                sessions.append([e])
            elif (e.type, e.name, e.path) != (previous.type, previous.name, previous.path):
                sessions[-1].append(e)
            previous = e
        found = None
        for session in sessions:
            for index, e in enumerate(session):
                kind, value = anchor
                hit = (
                    (kind == "event" and e.type == "track" and e.name == value)
                    or (kind == "page" and e.type == "page" and e.path == value)
                    or (kind == "touchpoint" and node(e, rules, touchpoint_names)[0] == f"tp:{value}")
                )
                if hit and (found is None or (e.at, e.id) < (found[0][found[1]].at, found[0][found[1]].id)):
                    found = (session, index)
        if found is None:
            continue
        session, index = found
        offsets = range(0, steps + 1) if direction == "after" else range(-steps, 1)
        paths[person] = {
            k: node(session[index + k], rules, touchpoint_names) for k in offsets if 0 <= index + k < len(session)
        }
    step_range = list(range(0, steps + 1)) if direction == "after" else list(range(-steps, 1))
    kept = {}
    for k in step_range:
        counts = Counter(path[k][0] for path in paths.values() if k in path)
        labels = {path[k][0]: path[k][1] for path in paths.values() if k in path}
        ranked = sorted(counts.items(), key=lambda item: (-item[1], labels[item[0]], item[0]))
        kept[k] = {key for key, _n in ranked[:top]}

    def folded(k, n):
        return n if n[0] in kept[k] else ("other", "Other", False)

    nodes, pairs = Counter(), Counter()
    for path in paths.values():
        for k, n in path.items():
            nodes[(k, folded(k, n))] += 1
            if k + 1 in path:
                pairs[(k, folded(k, n)[1], folded(k + 1, path[k + 1])[1], folded(k + 1, path[k + 1])[2])] += 1
    node_counts = {(k, n[1]): c for (k, n), c in nodes.items()}
    transitions = {}
    for (k, source, target, detour), c in pairs.items():
        n = node_counts[(k, source)]
        transitions[(k, source, target)] = {
            "profiles": c,
            "n": n,
            "share": c / n,
            "interval": wilson(c, n),
            "detour": detour,
        }
    return {
        "profiles": len(paths),
        "nodes": {(k, n[1]): (c, n[2]) for (k, n), c in nodes.items()},
        "transitions": transitions,
    }

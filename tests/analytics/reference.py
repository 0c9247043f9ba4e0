"""An independent funnel in plain Python: loops over one person's events, no SQL, no engine code.

It follows the rules written at the top of analytics/funnels.py, read as a person would apply them
by hand, so tests/analytics/test_funnels.py can compare every figure the engine gives.
``rows`` are dicts with ``id``, ``person`` (who the event is, known by the test, not looked up),
``step`` (the set of step numbers it matches, 1-based, or the stage), ``name``, ``type``, ``ts``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

Z95 = 1.959963984540054
EDGES = [0, 60, 600, 3600, 21600, 86400, 259200, 604800, 1209600, 2592000]


def wilson(k: int, n: int) -> tuple[float, float] | None:
    """The Wilson score interval, written out."""
    if n == 0:
        return None
    p = k / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return centre - half, centre + half


@dataclass
class Spec:
    matchers: list  # per step: a function row -> bool
    windows: list[timedelta]
    start: datetime
    end: datetime
    tz: str = "UTC"
    order: str = "ordered"
    count: str = "profiles"
    optional: set[int] = field(default_factory=set)  # 1-based
    exclusions: set[str] = field(default_factory=set)
    strict_types: tuple = ("track", "page", "screen")


@dataclass
class Attempt:
    person: object
    times: list  # per step: datetime or None
    previous: list  # per step: datetime measured from


def attempts(rows: list[dict], spec: Spec) -> list[Attempt]:
    people: dict = {}
    for row in sorted(rows, key=lambda r: (r["ts"], r["id"])):
        people.setdefault(row["person"], []).append(row)
    found = []
    n = len(spec.matchers)
    for person, events in people.items():
        actions = [e for e in events if e["type"] in spec.strict_types]
        in_period = [i for i, e in enumerate(actions) if spec.start <= e["ts"] < spec.end]
        if spec.order == "any":
            starts = [i for i in in_period if any(m(actions[i]) for m in spec.matchers)]
            if not starts:
                continue
            i0 = starts[0]
            t0 = actions[i0]["ts"]
            total = sum(spec.windows, timedelta())
            done = []
            for matcher in spec.matchers:
                hits = [e["ts"] for e in actions[i0:] if matcher(e) and e["ts"] - t0 <= total]
                if hits:
                    done.append(min(hits))
            done.sort()
            times = done + [None] * (n - len(done))
            previous = [t0, *times[:-1]]
            found.append(Attempt(person, times, previous))
            continue
        entries = [i for i in in_period if spec.matchers[0](actions[i])]
        if spec.count == "profiles":
            entries = entries[:1]
        for i in entries:
            times = [actions[i]["ts"]] + [None] * (n - 1)
            previous = [actions[i]["ts"]] + [None] * (n - 1)
            at, at_ts = i, actions[i]["ts"]
            for k in range(1, n):
                previous[k] = at_ts
                hit = None
                for j in range(at + 1, len(actions)):
                    if spec.order == "strict" and j != at + 1:
                        break
                    if spec.matchers[k](actions[j]) and actions[j]["ts"] - at_ts <= spec.windows[k]:
                        hit = j
                        break
                if hit is not None:
                    times[k] = actions[hit]["ts"]
                    at, at_ts = hit, actions[hit]["ts"]
                elif (k + 1) not in spec.optional:
                    break
            found.append(Attempt(person, times, previous))
    # Exclusions: any exclusion event of the person from the entry to the last step reached.
    kept = []
    for attempt in found:
        last = max(t for t in attempt.times if t is not None)
        bad = [
            r
            for r in rows
            if r["person"] == attempt.person and r["name"] in spec.exclusions and attempt.times[0] <= r["ts"] <= last
        ]
        if not bad:
            kept.append(attempt)
    return kept


def status(attempt: Attempt, spec: Spec) -> tuple[list[bool], list[bool]]:
    entered, converted = [], []
    alive = True
    for k in range(len(spec.matchers)):
        if spec.order == "any":
            entered.append(k == 0 or attempt.times[k - 1] is not None)
            converted.append(attempt.times[k] is not None)
            continue
        entered.append(alive)
        ok = alive and attempt.times[k] is not None
        converted.append(ok)
        if not ok and (k + 1) not in spec.optional:
            alive = False
    return entered, converted


def funnel(rows: list[dict], spec: Spec, breakdown: dict | None = None) -> dict:
    """Return the figures the engine's result holds, computed the long way."""
    found = attempts(rows, spec)
    n = len(spec.matchers)
    entered = [0] * n
    converted = [0] * n
    durations = [[] for _ in range(n)]
    dropped = [set() for _ in range(n)]
    complete = []
    for attempt in found:
        on_way, ok = status(attempt, spec)
        for k in range(n):
            entered[k] += on_way[k]
            converted[k] += ok[k]
            if on_way[k] and not ok[k]:
                dropped[k].add(attempt.person)
            if k and ok[k]:
                durations[k].append((attempt.times[k] - attempt.previous[k]).total_seconds())
        if spec.order == "any":
            complete.append(ok[-1])
        else:
            complete.append(all(ok[k] for k in range(n) if (k + 1) not in spec.optional))
    tz = ZoneInfo(spec.tz)
    weeks: dict = {}
    for attempt, done in zip(found, complete, strict=True):
        local = attempt.times[0].astimezone(tz)
        monday = local.date() - timedelta(days=local.weekday())
        weeks.setdefault(monday.isoformat(), [0, 0])
        weeks[monday.isoformat()][0] += 1
        weeks[monday.isoformat()][1] += done
    groups: dict = {}
    if breakdown is not None:
        for attempt, done in zip(found, complete, strict=True):
            value = breakdown.get(attempt.person) or "(none)"
            groups.setdefault(value, [0, 0])
            groups[value][0] += 1
            groups[value][1] += done
    return {
        "entries": len(found),
        "completed": sum(complete),
        "entered": entered,
        "converted": converted,
        "durations": durations,
        "medians": [_median(d) for d in durations],
        "histograms": [[sum(1 for d in ds if lo <= d < hi) for lo, hi in _bins()] for ds in durations],
        "weeks": weeks,
        "dropped": dropped,
        "groups": groups,
    }


def _bins():
    edges = [*EDGES, math.inf]
    return [(edges[i], edges[i + 1]) for i in range(len(EDGES))]


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2

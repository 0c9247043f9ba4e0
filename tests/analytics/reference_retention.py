"""An independent reference for retention, lifecycle and moments, in plain Python.

It reads a plain list of facts — ``(person, name, call type, aware timestamp)`` where ``person``
is who the event belongs to after every identity merge — and computes each figure by walking the
calendar in the team's zone with its own date arithmetic: no Django, no SQL, nothing shared with
``analytics``. Wilson bounds are written out from the formula.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

VISIT_TYPES = {"track", "page", "screen"}
Z = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float] | None:
    if n == 0:
        return None
    p = k / n
    denominator = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denominator
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denominator
    return centre - half, centre + half


def local_day(ts: dt.datetime, zone: str) -> dt.date:
    return ts.astimezone(ZoneInfo(zone)).date()


def bucket(day: dt.date, period: str) -> dt.date:
    if period == "day":
        return day
    if period == "week":
        while day.isoweekday() != 1:
            day -= dt.timedelta(days=1)
        return day
    return dt.date(day.year, day.month, 1)


def step(start: dt.date, period: str, k: int) -> dt.date:
    if period == "day":
        return start + dt.timedelta(days=k)
    if period == "week":
        return start + dt.timedelta(days=7 * k)
    year, month = start.year, start.month
    for _ in range(abs(k)):
        if k > 0:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        else:
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return dt.date(year, month, 1)


def buckets(first: dt.date, last: dt.date, period: str) -> list[dt.date]:
    out, at = [], bucket(first, period)
    while at <= bucket(last, period):
        out.append(at)
        at = step(at, period, 1)
    return out


def matches(fact, name: str) -> bool:
    _person, event, kind, _ts = fact
    return event == name if name else kind in VISIT_TYPES


def first_seen(facts) -> dict:
    seen: dict = {}
    for person, _n, _k, ts in facts:
        if person not in seen or ts < seen[person]:
            seen[person] = ts
    return seen


def retention(facts, *, zone, start, end, period, event, periods, today, entries=None):
    """Return ``{cohort start: (size, [(retained, n) or None per column])}``; ``entries`` overrides first seen."""
    entered = entries if entries is not None else first_seen(facts)
    members: dict = {}
    for person, ts in entered.items():
        day = local_day(ts, zone)
        if bucket(start, period) <= day <= end:
            members.setdefault(bucket(day, period), set()).add(person)
    today_bucket = bucket(today, period)
    table = {}
    for cohort in buckets(start, end, period):
        people = members.get(cohort, set())
        cells = []
        for k in range(periods + 1):
            at = step(cohort, period, k)
            if at > today_bucket:
                cells.append(None)
                continue
            back = {
                f[0]
                for f in facts
                if f[0] in people
                and matches(f, event)
                and f[3] >= entered[f[0]]
                and bucket(local_day(f[3], zone), period) == at
            }
            cells.append((len(back), len(people)))
        table[cohort] = (len(people), cells)
    return table


def lifecycle(facts, *, zone, start, end, period, event):
    seen = first_seen(facts)
    active: dict = {}
    for f in facts:
        if matches(f, event):
            active.setdefault(bucket(local_day(f[3], zone), period), set()).add(f[0])
    out = {}
    for at in buckets(start, end, period):
        now, before = active.get(at, set()), active.get(step(at, period, -1), set())
        new = {p for p in now if bucket(local_day(seen[p], zone), period) == at}
        out[at] = {
            "active": len(now),
            "new": len(new),
            "returning": len({p for p in now if p not in new and p in before}),
            "resurrected": len({p for p in now if p not in new and p not in before}),
            "dormant": len({p for p in before if p not in now}),
        }
    return out


def quantile(values, q):
    """Type-7 quantile (linear between closest ranks), written independently."""
    if not values:
        return None
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lower = math.floor(h)
    upper = math.ceil(h)
    return xs[lower] + (h - lower) * (xs[upper] - xs[lower])


def moment(facts, *, zone, first, last, reached_by, window_days, now):
    """Return (activated, n, pending, [seconds to first value]) for people first seen in the days."""
    seen = first_seen(facts)
    window = dt.timedelta(days=window_days)
    n = pending = 0
    durations = []
    for person, ts in seen.items():
        if not first <= local_day(ts, zone) <= last:
            continue
        if ts + window > now:
            pending += 1
            continue
        n += 1
        hits = [f[3] for f in facts if f[0] == person and reached_by(f)]
        if hits and min(hits) - ts <= window:
            durations.append((min(hits) - ts).total_seconds())
    return len(durations), n, pending, durations


def event_counts(facts, *, zone, day, name, window_days):
    """Return the per-person counts of ``name`` within N days of first seen, for people first seen on ``day``."""
    seen = first_seen(facts)
    window = dt.timedelta(days=window_days)
    counts = {}
    for person, ts in seen.items():
        if local_day(ts, zone) != day:
            continue
        counts[person] = sum(1 for f in facts if f[0] == person and f[1] == name and ts <= f[3] <= ts + window)
    return counts

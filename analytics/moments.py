"""Moments that matter, measured: activation within N days and time to first value, from events.

A moment is a touchpoint marked "moment that matters" (journeys); it is bound to events by its
touchpoint's active tracking rules (customers), the binding the map already has, so measuring a
moment needs no new field: the rules' event names, call types and path patterns select its events.
(A rule's property conditions are not applied here; the result says so when a rule has some.)
A moment can also be measured on an event name directly.

For the profiles first seen (first call of any kind, through identity → profile) between two local
days, whose N-day window has ended:

- **activation**: the share that reached the moment within N days of first seen (Wilson 95 %, n);
- **time to first value**: among those, seconds from first seen to the first moment event
  (median, p75, p90; linear interpolation between ranks), also given in days;
- **weekly trend**: both per first-seen week (the team's local Monday).

Profiles whose window has not ended yet are counted apart (``pending``), never as not activated.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import OuterRef as Outer
from django.db.models import Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Event, Profile, TrackingRule

from .query import local_bounds, period_start, period_starts, rate, team_zone

DAY = 86400.0


def _glob(pattern: str) -> str:
    return "^" + re.escape(pattern).replace(r"\*", ".*") + "$"


def moment_rules(touchpoint) -> list[TrackingRule]:
    return list(TrackingRule.objects.filter(touchpoint=touchpoint, is_active=True).order_by("id"))


def moment_filter(*, touchpoint=None, event: str = "") -> tuple[Q | None, list[str]]:
    """Return the events that mean the moment was reached, and notes on what could not be applied.

    None when nothing binds it (no rule with a name or a path, and no event name).
    """
    if event:
        return Q(event=event), []
    condition, notes = None, []
    for rule in moment_rules(touchpoint) if touchpoint is not None else []:
        if not rule.event_name and not rule.path_pattern:
            continue
        part = Q()
        if rule.event_type != TrackingRule.EventType.ANY:
            part &= Q(type=rule.event_type)
        if rule.event_name:
            part &= Q(event=rule.event_name)
        if rule.path_pattern:
            part &= Q(path__regex=_glob(rule.path_pattern))
        if rule.conditions:
            notes.append(_("The property conditions of rule “%(rule)s” are not applied.") % {"rule": rule})
        condition = part if condition is None else condition | part
    return condition, notes


def profile_reach(team, condition: Q, *, first: dt.date, last: dt.date):
    """Profiles first seen between two local days with ``seen`` and ``reached`` (first moment event) instants."""
    zone = team_zone(team)
    start, end = local_bounds(first, last, zone)
    events = Event.objects.filter(team=team, identity__profile_id=Outer("pk"))
    seen = Subquery(events.order_by("timestamp").values("timestamp")[:1])
    reached = Subquery(events.filter(condition).order_by("timestamp").values("timestamp")[:1])
    return (
        Profile.objects.filter(team=team, merged_into__isnull=True)
        .annotate(seen=seen)
        .filter(seen__gte=start, seen__lt=end)
        .annotate(reached=reached)
        .order_by()
    )


def reach_rows(team, condition: Q, *, touchpoint=None, event: str = "", first: dt.date, last: dt.date) -> list:
    """``(seen, reached)`` pairs of ``profile_reach``, from ClickHouse when it serves the events."""
    from customers import clickhouse

    if clickhouse.enabled():
        from .clickhouse import moment_reach

        return moment_reach(clickhouse.get_client(), team, touchpoint=touchpoint, event=event, first=first, last=last)
    return list(profile_reach(team, condition, first=first, last=last).values_list("seen", "reached"))


def reach_by_profile(team, *, touchpoint=None, event: str = "", first: dt.date, last: dt.date) -> list[tuple]:
    """``(profile id, seen, reached, traits)`` of the profiles first seen between two local days, from
    ClickHouse when it serves the events (the traits always from PostgreSQL, the system of record)."""
    from customers import clickhouse

    if clickhouse.enabled():
        from . import clickhouse as engine

        rows = engine.profile_reach(
            clickhouse.get_client(), team, touchpoint=touchpoint, event=event, first=first, last=last
        )
        return _with_traits(team, rows)
    condition, _notes = moment_filter(touchpoint=touchpoint, event=event)
    if condition is None:
        return []
    return list(profile_reach(team, condition, first=first, last=last).values_list("pk", "seen", "reached", "traits"))


def event_counts_by_profile(team, name: str, *, first: dt.date, last: dt.date, window_days: int) -> list[tuple]:
    """``(profile id, seen, count, traits)``: ``profile_event_counts``, from ClickHouse when it serves the events."""
    from customers import clickhouse

    if clickhouse.enabled():
        from . import clickhouse as engine

        rows = engine.profile_event_counts(
            clickhouse.get_client(), team, name, first=first, last=last, window_days=window_days
        )
        return _with_traits(team, rows)
    counted = profile_event_counts(team, name, first=first, last=last, window_days=window_days)
    return list(counted.values_list("pk", "seen", "count", "traits"))


def _with_traits(team, rows: list[tuple]) -> list[tuple]:
    """Each ClickHouse row with its profile's traits; people whose profile is gone (erased, merged away
    since) are left out, as the PostgreSQL query leaves them out."""
    traits = dict(
        Profile.objects.filter(team=team, merged_into__isnull=True, pk__in=[row[0] for row in rows]).values_list(
            "pk", "traits"
        )
    )
    return [(*row, traits[row[0]]) for row in rows if row[0] in traits]


def percentile(values: list[float], q: float) -> float | None:
    """Return the q-th percentile (0–100) by linear interpolation between closest ranks (NumPy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise(rows: list[tuple[dt.datetime, dt.datetime | None]], *, window_days: int, now: dt.datetime) -> dict:
    """Return activation and time to first value of ``(seen, reached)`` pairs."""
    window = dt.timedelta(days=window_days)
    closed = [(seen, reached) for seen, reached in rows if seen + window <= now]
    durations = [
        (reached - seen).total_seconds() for seen, reached in closed if reached is not None and reached - seen <= window
    ]
    ttfv = {}
    for name, q in (("median", 50), ("p75", 75), ("p90", 90)):
        seconds = percentile(durations, q)
        ttfv[name] = {"seconds": seconds, "days": None if seconds is None else seconds / DAY}
    ttfv["n"] = len(durations)
    ttfv["reason"] = "" if durations else _("No profile reached the moment within the window.")
    return {
        "activation": rate(len(durations), len(closed)),
        "pending": len(rows) - len(closed),
        "time_to_first_value": ttfv,
    }


@dataclass
class MomentQuery:
    """What a moment's measurement is asked for: the same object drives the page, the API and the CSV."""

    team: object
    start: dt.date
    end: dt.date
    touchpoint: object | None = None
    event: str = ""
    window_days: int = 7
    now: dt.datetime | None = field(default=None)


def moment_report(query: MomentQuery) -> dict:
    """Return the moment's activation, time to first value and their weekly trend."""
    now = query.now or timezone.now()
    condition, notes = moment_filter(touchpoint=query.touchpoint, event=query.event)
    base = {
        "touchpoint": getattr(query.touchpoint, "pk", None),
        "event": query.event,
        "window_days": query.window_days,
        "time_zone": query.team.time_zone,
        "notes": notes,
        "units": {"time_to_first_value": "seconds (and days)", "activation": "share of new profiles (0–1)"},
    }
    if condition is None:
        return {
            **base,
            "reason": _("This moment is bound to no event: add a tracking rule to its touchpoint."),
            "overall": None,
            "weeks": [],
        }
    zone = team_zone(query.team)
    rows = reach_rows(
        query.team, condition, touchpoint=query.touchpoint, event=query.event, first=query.start, last=query.end
    )
    by_week: dict[dt.date, list] = {}
    for seen, reached in rows:
        by_week.setdefault(period_start(seen.astimezone(zone).date(), "week"), []).append((seen, reached))
    weeks = [
        {"start": week, **summarise(by_week.get(week, []), window_days=query.window_days, now=now)}
        for week in period_starts(query.start, query.end, "week")
    ]
    return {**base, "reason": "", "overall": summarise(rows, window_days=query.window_days, now=now), "weeks": weeks}


def moment_rows(report: dict) -> list[list]:
    header = ["week_start", "n", "activated", "activation", "low", "high", "pending"]
    header += ["ttfv_median_seconds", "ttfv_p75_seconds", "ttfv_p90_seconds", "reason"]
    rows = [header]
    for week in report["weeks"]:
        act, ttfv = week["activation"], week["time_to_first_value"]
        rows.append(
            [
                week["start"].isoformat(),
                act["n"],
                act["k"],
                act["value"],
                act["low"],
                act["high"],
                week["pending"],
                ttfv["median"]["seconds"],
                ttfv["p75"]["seconds"],
                ttfv["p90"]["seconds"],
                act["reason"],
            ]
        )
    return rows


def moments_of(team) -> list:
    """Return the team's moments that matter (touchpoints marked so), map and stage loaded."""
    from journeys.models import Touchpoint

    return list(
        Touchpoint.objects.filter(stage__journey_map__team=team, is_moment=True)
        .select_related("stage__journey_map")
        .order_by("stage__journey_map__title", "stage__position", "position", "id")
    )


def profile_event_counts(team, name: str, *, first: dt.date, last: dt.date, window_days: int):
    """Profiles first seen between two local days with ``seen`` and ``count``: their ``name`` events
    from first seen to N days after it (boundary included), counted in SQL."""
    from django.db.models import Count, IntegerField, Value
    from django.db.models.functions import Coalesce

    counted = (
        Event.objects.filter(
            team=team,
            event=name,
            identity__profile_id=Outer("pk"),
            timestamp__gte=Outer("seen"),
            timestamp__lte=Outer("seen") + dt.timedelta(days=window_days),
        )
        .order_by()
        .values("identity__profile_id")
        .annotate(c=Count("id"))
        .values("c")
    )
    zone = team_zone(team)
    start, end = local_bounds(first, last, zone)
    events = Event.objects.filter(team=team, identity__profile_id=Outer("pk"))
    seen = Subquery(events.order_by("timestamp").values("timestamp")[:1])
    return (
        Profile.objects.filter(team=team, merged_into__isnull=True)
        .annotate(seen=seen)
        .filter(seen__gte=start, seen__lt=end)
        .annotate(count=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)))
        .order_by()
    )


# The dashboard panel: the first few moments, over the profiles first seen in the last four weeks
# (plus the window, so that four weeks' worth have a closed window): a bounded number of queries.
DASHBOARD_MOMENTS = 3
DASHBOARD_DAYS = 28


def dashboard_moments(team, *, now: dt.datetime | None = None, window_days: int = 7) -> list[dict]:
    """Return activation and time to first value of the team's first moments, for the team home."""
    now = now or timezone.now()
    today = timezone.localtime(now, team_zone(team)).date()
    start = today - dt.timedelta(days=DASHBOARD_DAYS + window_days)
    panel = []
    for touchpoint in moments_of(team)[:DASHBOARD_MOMENTS]:
        query = MomentQuery(team=team, start=start, end=today, touchpoint=touchpoint, window_days=window_days, now=now)
        condition, _notes = moment_filter(touchpoint=touchpoint)
        if condition is None:
            panel.append(
                {"touchpoint": touchpoint, "reason": _("Bound to no event: add a tracking rule."), "summary": None}
            )
            continue
        rows = reach_rows(team, condition, touchpoint=touchpoint, first=query.start, last=query.end)
        panel.append(
            {"touchpoint": touchpoint, "reason": "", "summary": summarise(rows, window_days=window_days, now=now)}
        )
    return panel

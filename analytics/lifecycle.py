"""Lifecycle: per period, who was new, returning, resurrected or went dormant on an event.

Definitions (PostHog's lifecycle is the reference; profiles resolved through identity → profile):

- **active** in a period: did the event (blank: any track, page or screen call) in it;
- **new**: active, and first seen (its first call of any kind) in this period;
- **returning**: active, not new, and active in the period before;
- **resurrected**: active, not new, and not active in the period before (PostHog: "resurrecting");
- **dormant**: active in the period before and not in this one (PostHog draws it below zero; here it
  is a positive count, labelled).

SQL returns the distinct (profile, active period, first-seen period) rows; the classification is a
set comparison between consecutive periods in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Event, Profile

from .query import (
    as_local_date,
    event_filter,
    local_bounds,
    local_midnight,
    period_add,
    period_start,
    period_starts,
    rate,
    team_zone,
    trunc,
)

STATUSES = ("new", "returning", "resurrected", "dormant")


@dataclass
class LifecycleQuery:
    """What a lifecycle chart is asked for: the same object drives the page, the API and the CSV."""

    team: object
    start: dt.date
    end: dt.date
    period: str = "week"
    event: str = ""
    today: dt.date | None = field(default=None)

    def local_today(self) -> dt.date:
        return self.today or timezone.localtime(timezone.now(), team_zone(self.team)).date()


def _first_seen(team, ref: str) -> Subquery:
    rows = Event.objects.filter(team=team, identity__profile_id=OuterRef(ref)).order_by("timestamp")
    return Subquery(rows.values("timestamp")[:1])


def active_rows(query: LifecycleQuery) -> list[tuple[int, dt.date, dt.date]]:
    """Return distinct ``(profile, active period, first-seen period)`` from the period before start to end."""
    from customers import clickhouse

    if clickhouse.enabled():
        from . import clickhouse as engine

        return engine.active_rows(clickhouse.get_client(), query)
    zone = team_zone(query.team)
    first_period = period_add(period_start(query.start, query.period), query.period, -1)
    first, last = local_bounds(first_period, query.end, zone)
    last = local_midnight(period_add(period_start(query.end, query.period), query.period, 1), zone)
    rows = (
        Event.objects.filter(event_filter(query.event), team=query.team, timestamp__gte=first, timestamp__lt=last)
        .annotate(seen=_first_seen(query.team, "identity__profile_id"))
        .annotate(active=trunc("timestamp", query.period, zone), seen_period=trunc("seen", query.period, zone))
        .order_by()
        .values_list("identity__profile_id", "active", "seen_period")
        .distinct()
    )
    return [(p, as_local_date(a, zone), as_local_date(s, zone)) for p, a, s in rows]


def lifecycle_table(query: LifecycleQuery) -> dict:
    """Return per period the counts of new, returning, resurrected and dormant profiles."""
    active: dict[dt.date, set[int]] = defaultdict(set)
    seen: dict[int, dt.date] = {}
    for profile, period, first in active_rows(query):
        active[period].add(profile)
        seen[profile] = first
    today_period = period_start(query.local_today(), query.period)
    rows = []
    for start in period_starts(query.start, query.end, query.period):
        now, before = active.get(start, set()), active.get(period_add(start, query.period, -1), set())
        new = {p for p in now if seen[p] == start}
        returning = (now - new) & before
        resurrected = now - new - before
        dormant = before - now
        rows.append(
            {
                "start": start,
                "complete": start < today_period,
                "active": len(now),
                "new": len(new),
                "returning": len(returning),
                "resurrected": len(resurrected),
                "dormant": len(dormant),
                # Of those active in the period before, the share still active: the quick ratio's other half.
                "kept": rate(len(before & now), len(before)),
            }
        )
    return {"period": query.period, "event": query.event, "time_zone": query.team.time_zone, "periods": rows}


def lifecycle_rows(table: dict) -> list[list]:
    rows = [["period_start", "complete", "active", *STATUSES, "kept_rate", "kept_low", "kept_high", "kept_n"]]
    for row in table["periods"]:
        kept = row["kept"]
        rows.append(
            [
                row["start"].isoformat(),
                row["complete"],
                row["active"],
                *(row[s] for s in STATUSES),
                kept["value"],
                kept["low"],
                kept["high"],
                kept["n"],
            ]
        )
    return rows


def _quarter_before(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = (day.month - 1) // 3 * 3 + 1
    this_quarter = day.replace(month=first_month, day=1)
    start = period_add(this_quarter, "month", -3)
    return start, this_quarter - dt.timedelta(days=1)


def new_customers(team, *, event: str, first: dt.date, last: dt.date) -> int:
    """Return how many profiles did ``event`` for the first time between two local days (one query).

    Blank ``event``: profiles first seen (their first call of any kind) in the window.
    """
    from customers import clickhouse

    if clickhouse.enabled():
        from . import clickhouse as engine

        return engine.new_customers(clickhouse.get_client(), team, event=event, first=first, last=last)
    zone = team_zone(team)
    start, end = local_bounds(first, last, zone)
    events = Event.objects.filter(team=team, identity__profile_id=OuterRef("pk"))
    if event:
        events = events.filter(event=event)
    entered = Subquery(events.order_by("timestamp").values("timestamp")[:1])
    return (
        Profile.objects.filter(team=team, merged_into__isnull=True)
        .annotate(entered=entered)
        .filter(entered__gte=start, entered__lt=end)
        .aggregate(n=Count("id"))["n"]
    )


def new_customers_comparison(team, *, event: str = "", today: dt.date | None = None) -> dict:
    """This month's new customers (to date) against last quarter's, per day so that a partial month compares."""
    today = today or timezone.localtime(timezone.now(), team_zone(team)).date()
    month_start = today.replace(day=1)
    quarter_start, quarter_end = _quarter_before(today)
    windows = {"this_month": (month_start, today), "last_quarter": (quarter_start, quarter_end)}
    result: dict = {"event": event, "time_zone": team.time_zone}
    for key, (first, last) in windows.items():
        days = (last - first).days + 1
        n = new_customers(team, event=event, first=first, last=last)
        result[key] = {"start": first, "end": last, "days": days, "new": n, "per_day": n / days}
    base = result["last_quarter"]["per_day"]
    if base:
        result["ratio"], result["reason"] = result["this_month"]["per_day"] / base, ""
    else:
        result["ratio"], result["reason"] = None, _("Last quarter had no new customers to compare with.")
    return result

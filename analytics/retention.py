"""Retention: cohorts by first-seen period or by entry into a stage, coming back to do an event.

A profile's entry is its first call of any kind (first seen) or its first entry into a stage,
resolved through identity → profile, so a merged profile counts once, with its earliest event
(a late-arriving older event moves it to the earlier cohort). It is retained in period k when it
did the return event (blank: any track, page or screen call) in the k-th period after the one it
entered in, at or after its entry. Periods are the team's local days, weeks (Monday) or months.

The counting is one SQL statement per table part: cohort sizes, and distinct profiles per
(cohort period, activity period); Python only lays the small result out as a table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Event, Profile, StageTransition

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

COHORT_FIRST_SEEN = "first_seen"
COHORT_STAGE = "stage"


@dataclass
class RetentionQuery:
    """What a retention table is asked for: the same object drives the page, the API and the CSV."""

    team: object
    start: dt.date
    end: dt.date
    period: str = "week"
    event: str = ""
    cohort_by: str = COHORT_FIRST_SEEN
    stage: object | None = None
    periods: int = 8
    today: dt.date | None = field(default=None)

    def local_today(self) -> dt.date:
        return self.today or timezone.localtime(timezone.now(), team_zone(self.team)).date()


def _entry_subquery(query: RetentionQuery, ref: str) -> Subquery:
    """The instant each profile entered: its first event, or its first entry into the stage."""
    if query.cohort_by == COHORT_STAGE:
        rows = StageTransition.objects.filter(profile_id=OuterRef(ref), to_stage=query.stage).order_by("entered_at")
        return Subquery(rows.values("entered_at")[:1])
    rows = Event.objects.filter(team=query.team, identity__profile_id=OuterRef(ref)).order_by("timestamp")
    return Subquery(rows.values("timestamp")[:1])


def cohort_sizes(query: RetentionQuery) -> dict[dt.date, int]:
    """Return ``{cohort period start: profiles}`` for the cohorts entering between start and end."""
    zone = team_zone(query.team)
    first, last = local_bounds(period_start(query.start, query.period), query.end, zone)
    rows = (
        Profile.objects.filter(team=query.team, merged_into__isnull=True)
        .annotate(entered=_entry_subquery(query, "pk"))
        .filter(entered__gte=first, entered__lt=last)
        .annotate(cohort=trunc("entered", query.period, zone))
        .order_by()
        .values("cohort")
        .annotate(n=Count("id"))
    )
    return {as_local_date(row["cohort"], zone): row["n"] for row in rows}


def retained_counts(query: RetentionQuery) -> dict[tuple[dt.date, dt.date], int]:
    """Return ``{(cohort start, activity period start): distinct profiles}`` (one SQL statement)."""
    zone = team_zone(query.team)
    first, last = local_bounds(period_start(query.start, query.period), query.end, zone)
    # Activity is counted up to the end of the last column of the last cohort.
    horizon = local_midnight(period_add(period_start(query.end, query.period), query.period, query.periods + 1), zone)
    rows = (
        Event.objects.filter(event_filter(query.event), team=query.team, timestamp__gte=first, timestamp__lt=horizon)
        .annotate(entered=_entry_subquery(query, "identity__profile_id"))
        .filter(entered__gte=first, entered__lt=last)
        .filter(timestamp__gte=F("entered"))
        .annotate(cohort=trunc("entered", query.period, zone), active=trunc("timestamp", query.period, zone))
        .order_by()
        .values("cohort", "active")
        .annotate(n=Count("identity__profile_id", distinct=True))
    )
    return {(as_local_date(row["cohort"], zone), as_local_date(row["active"], zone)): row["n"] for row in rows}


# PostgreSQL: one statement. The entries are one GROUP BY over events ⋈ identities (or the stage
# transitions), materialised once and used for both the sizes and the retained counts; the
# correlated subqueries the portable ORM form needs cost about ten times as much there (bench/retention.py).
PG_FIRST_SEEN = """
    SELECT i.profile_id, min(e.timestamp) AS entered
    FROM customers_event e JOIN customers_identity i ON i.id = e.identity_id
    WHERE e.team_id = %(team)s
    GROUP BY i.profile_id
"""
PG_STAGE_ENTRY = """
    SELECT t.profile_id, min(t.entered_at) AS entered
    FROM customers_stagetransition t
    WHERE t.team_id = %(team)s AND t.to_stage_id = %(stage)s
    GROUP BY t.profile_id
"""
PG_TABLE = """
WITH firsts AS ({firsts}),
cohort AS MATERIALIZED (
    SELECT f.profile_id, f.entered, date_trunc(%(period)s, f.entered AT TIME ZONE %(tz)s) AS cohort
    FROM firsts f JOIN customers_profile p ON p.id = f.profile_id AND p.merged_into_id IS NULL
    WHERE f.entered >= %(first)s AND f.entered < %(last)s
)
SELECT cohort, NULL, count(*) FROM cohort GROUP BY cohort
UNION ALL
SELECT c.cohort, date_trunc(%(period)s, e.timestamp AT TIME ZONE %(tz)s), count(DISTINCT c.profile_id)
FROM cohort c
JOIN customers_identity i ON i.profile_id = c.profile_id
JOIN customers_event e ON e.identity_id = i.id
WHERE e.team_id = %(team)s AND e.timestamp >= c.entered AND e.timestamp >= %(first)s AND e.timestamp < %(horizon)s
  AND {event}
GROUP BY 1, 2
"""


def _pg_counts(query: RetentionQuery) -> tuple[dict, dict]:
    zone = team_zone(query.team)
    first, last = local_bounds(period_start(query.start, query.period), query.end, zone)
    horizon = local_midnight(period_add(period_start(query.end, query.period), query.period, query.periods + 1), zone)
    params = {
        "team": query.team.pk,
        "stage": getattr(query.stage, "pk", None),
        "period": query.period,
        "tz": str(zone),
        "first": first,
        "last": last,
        "horizon": horizon,
        "event": query.event,
    }
    event = "e.event = %(event)s" if query.event else "e.type IN ('track', 'page', 'screen')"
    firsts = PG_STAGE_ENTRY if query.cohort_by == COHORT_STAGE else PG_FIRST_SEEN
    sizes, counts = {}, {}
    with connection.cursor() as cursor:
        cursor.execute(PG_TABLE.format(firsts=firsts, event=event), params)
        for cohort, active, n in cursor.fetchall():
            if active is None:
                sizes[cohort.date()] = n
            else:
                counts[(cohort.date(), active.date())] = n
    return sizes, counts


def retention_table(query: RetentionQuery) -> dict:
    """Return the cohort table: per cohort its size and, per period after entry, the retained rate."""
    from customers import clickhouse

    if clickhouse.enabled() and query.cohort_by != COHORT_STAGE:
        from .clickhouse import retention_counts

        sizes, counts = retention_counts(clickhouse.get_client(), query)
    elif connection.vendor == "postgresql":
        sizes, counts = _pg_counts(query)
    else:
        sizes, counts = cohort_sizes(query), retained_counts(query)
    today_period = period_start(query.local_today(), query.period)
    cohorts = []
    for start in period_starts(query.start, query.end, query.period):
        n = sizes.get(start, 0)
        cells = []
        for k in range(query.periods + 1):
            at = period_add(start, query.period, k)
            cell = {"index": k, "start": at, "complete": at < today_period, "reached": at <= today_period}
            if at > today_period:
                cell.update({"k": None, "n": n, "value": None, "low": None, "high": None})
                cell["reason"] = _("This period has not begun.")
            else:
                cell.update(rate(counts.get((start, at), 0), n))
            cells.append(cell)
        reason = "" if n else _("No profile entered in this period.")
        cohorts.append({"start": start, "size": n, "reason": reason, "cells": cells})
    return {
        "period": query.period,
        "event": query.event,
        "cohort_by": query.cohort_by,
        "stage": getattr(query.stage, "pk", None),
        "time_zone": query.team.time_zone,
        "columns": list(range(query.periods + 1)),
        "cohorts": cohorts,
    }


def retention_rows(table: dict) -> list[list]:
    """Return the table as CSV rows: one per cohort and period, full precision."""
    rows = [
        ["cohort_start", "cohort_size", "period_index", "period_start", "retained", "rate", "low", "high", "reason"]
    ]
    for cohort in table["cohorts"]:
        for cell in cohort["cells"]:
            rows.append(
                [
                    cohort["start"].isoformat(),
                    cohort["size"],
                    cell["index"],
                    cell["start"].isoformat(),
                    cell["k"],
                    cell["value"],
                    cell["low"],
                    cell["high"],
                    cell["reason"],
                ]
            )
    return rows

"""Shared pieces of the retention, lifecycle and moments analyses.

``rate`` gives a proportion with its Wilson 95 % interval and n (or, with no one to count, a reason
and no number: never a NaN). Periods (day, week, month) are cut in the team's time zone, by SQL
(``Trunc`` with the zone: PostgreSQL's ``AT TIME ZONE``, Django's registered function on SQLite)
and here in Python for labels and the gaps between cohorts, so a week across a daylight-saving
change is still the local Monday-to-Sunday.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

from django.db.models import DateTimeField, Q
from django.db.models.functions import Trunc
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PERIODS = ("day", "week", "month")
PERIOD_CHOICES = [("day", gettext_lazy("Day")), ("week", gettext_lazy("Week")), ("month", gettext_lazy("Month"))]
# Guards against queries that would return an unreadable table (and a slow one).
MAX_PERIODS = 53


def rate(k: int, n: int) -> dict:
    """Return ``{k, n, value, low, high, reason}``: the share k/n with its Wilson 95 % interval.

    With n = 0 the value and bounds are None and ``reason`` says why: a rate of nobody is not 0.
    """
    if n <= 0:
        return {"k": k, "n": n, "value": None, "low": None, "high": None, "reason": _("No one to count: n is 0.")}
    from statsmodels.stats.proportion import proportion_confint  # a slow import most processes never need

    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return {"k": k, "n": n, "value": k / n, "low": float(low), "high": float(high), "reason": ""}


def team_zone(team) -> ZoneInfo:
    return ZoneInfo(team.time_zone or "UTC")


def period_start(day: dt.date, period: str) -> dt.date:
    """Return the first day of the period holding ``day`` (weeks start on Monday, ISO 8601)."""
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def period_add(start: dt.date, period: str, count: int) -> dt.date:
    """Return the start of the period ``count`` periods after the one starting on ``start``."""
    if period == "day":
        return start + dt.timedelta(days=count)
    if period == "week":
        return start + dt.timedelta(weeks=count)
    months = start.year * 12 + start.month - 1 + count
    return dt.date(months // 12, months % 12 + 1, 1)


def period_index(start: dt.date, later: dt.date, period: str) -> int:
    """Return how many periods ``later`` (a period start) is after ``start`` (a period start)."""
    if period == "day":
        return (later - start).days
    if period == "week":
        return (later - start).days // 7
    return (later.year - start.year) * 12 + later.month - start.month


def period_starts(first: dt.date, last: dt.date, period: str) -> list[dt.date]:
    """Return the starts of the periods from the one holding ``first`` to the one holding ``last``."""
    start, end = period_start(first, period), period_start(last, period)
    count = period_index(start, end, period)
    return [period_add(start, period, i) for i in range(count + 1)]


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def local_bounds(first: dt.date, last: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Return the aware instants from local midnight of ``first`` to local midnight after ``last``."""
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


def trunc(field: str, period: str, zone: ZoneInfo) -> Trunc:
    """Truncate a timestamp to the local start of its period (an aware datetime, local midnight)."""
    return Trunc(field, period, output_field=DateTimeField(), tzinfo=zone)


def as_local_date(value, zone: ZoneInfo) -> dt.date:
    """Return a truncated period as a local date (SQLite may give a naive datetime or a string)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(zone)
        return value.date()
    return value


def event_filter(name: str, prefix: str = "") -> Q:
    """Match events by name (a track event's, or a page's or screen's); blank: any call that is a visit."""
    if name:
        return Q(**{f"{prefix}event": name})
    # A "return visit": any call the customer made; identify, group and alias are bookkeeping.
    return Q(**{f"{prefix}type__in": ["track", "page", "screen"]})


def share(value: float | None) -> str:
    """Format a share as a percentage with one decimal, or an en dash for "cannot compute"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:.1f} %"


def rate_difference(k_before: int, n_before: int, k_after: int, n_after: int) -> dict:
    """Return ``after − before`` of two independent shares with Newcombe's 95 % interval (from Wilson's).

    With either n at 0 there is no difference to give: the value and bounds are None, with a reason.
    """
    if n_before <= 0 or n_after <= 0:
        return {"value": None, "low": None, "high": None, "reason": _("No one to compare: one side's n is 0.")}
    from statsmodels.stats.proportion import confint_proportions_2indep  # a slow import most processes never need

    low, high = confint_proportions_2indep(k_after, n_after, k_before, n_before, method="newcomb", compare="diff")
    return {"value": k_after / n_after - k_before / n_before, "low": float(low), "high": float(high), "reason": ""}


def duration_text(seconds: float) -> str:
    """Return a duration for people ("about 3.5 h"); the tables give the seconds themselves."""
    if seconds < 120:
        return _("%(n)s s") % {"n": number_format(seconds, 0)}
    if seconds < 7200:
        return _("%(n)s min") % {"n": number_format(seconds / 60, 1)}
    if seconds < 2 * 86400:
        return _("%(n)s h") % {"n": number_format(seconds / 3600, 1)}
    return _("%(n)s days") % {"n": number_format(seconds / 86400, 1)}

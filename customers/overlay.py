"""The tracking plan on the map page (``journeys.extensions``): per touchpoint, the events and unique
customers of the chosen period with a daily sparkline, or **Not instrumented**.

Counts come from the daily roll-up (``TrackingRuleDay``), which the matching task keeps as events
arrive and ``stages.rollup_rebuild`` recounts when a map's rules change: the map page sums a few
rows per touchpoint and day, in two queries whatever the map's size, instead of matching raw
events on every view. Days are UTC days; the period ends today (UTC) and includes it.
Shown only on maps with tracking rules, so a team that sends no events sees nothing new.
With ``CLICKHOUSE_URL`` set, the counts come from ClickHouse's events (``clickhouse/overlay.py``).

The map page reads those counts as stored aggregates, not computed per view: ``OverlayStat``
rows (one per map and period) that the beat task ``overlay_stats_refresh_all`` writes every
``CUSTOMERS_OVERLAY_REFRESH_SECONDS``. A stored row older than ``CUSTOMERS_OVERLAY_MAX_AGE_SECONDS``
(the beat stopped, or the embedded default has none) is ignored and the counts are computed as
before, and a rule change drops the map's rows (``stages.rollup_rebuild``), so the page shows
figures at most that old, with "as of <time>" under the filters when they are stored ones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from html import escape as esc

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from journeys.extensions import card_language

from .cards import annotate_map_customers
from .models import OverlayStat, TrackingRule, TrackingRuleDay

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
OPTION = "period"
OPTION_CHOICES = (
    ("7", gettext_lazy("Last 7 days")),
    ("30", gettext_lazy("Last 30 days")),
    ("90", gettext_lazy("Last 90 days")),
)


def period_days(value) -> int:
    """Return a valid period in days from ``value`` (7, 30 or 90; the default otherwise)."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


def period_bounds(days: int, today: date | None = None) -> tuple[date, date]:
    """Return the first and last UTC day of a period of ``days`` ending today."""
    today = today or timezone.now().date()  # USE_TZ: now() is UTC
    return today - timedelta(days=days - 1), today


def touchpoint_counts(journey_map, *, days: int, today: date | None = None) -> dict[int, dict]:
    """Return ``{touchpoint_id: {"events", "profiles", "daily": [events per day, oldest first]}}``
    of the map's touchpoints with rules that counted events in the period (two queries)."""
    first, last = period_bounds(days, today)
    from . import clickhouse

    if clickhouse.enabled():
        from .clickhouse.overlay import touchpoint_counts as from_clickhouse

        return from_clickhouse(clickhouse.get_client(), journey_map, first=first, last=last)
    rows = TrackingRuleDay.objects.filter(
        journey_map=journey_map, day__gte=first, day__lte=last, rule__is_active=True, rule__touchpoint__isnull=False
    )
    totals = {
        row["rule__touchpoint_id"]: row
        for row in rows.values("rule__touchpoint_id")
        .annotate(events=Sum("events"), profiles=Count("identity__profile_id", distinct=True))
        .order_by()
    }
    counts: dict[int, dict] = {
        tp_id: {"events": row["events"], "profiles": row["profiles"], "daily": [0] * days}
        for tp_id, row in totals.items()
    }
    # Tuples, not dicts: a large map's period is thousands of (touchpoint, day) rows.
    for tp_id, day, events in rows.values_list("rule__touchpoint_id", "day").annotate(Sum("events")).order_by():
        found = counts.get(tp_id)
        if found is not None:  # None: its first row was matched between the two statements
            found["daily"][(day - first).days] = events
    return counts


# --- stored aggregates for the map page ------------------------------------------------------------


@transaction.atomic
def overlay_stats_refresh(*, journey_map, now: datetime | None = None) -> int:
    """Store the map's overlay counts for each period the map page offers; return the rows written.

    The system's own bookkeeping (the beat task calls it), so it takes no actor, like
    ``analytics.stages.stage_stats_refresh``. The counts are ``touchpoint_counts``'s, as of ``now``.
    """
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    rows = []
    for days in PERIODS:
        counts = touchpoint_counts(journey_map, days=days, today=today)
        rows.append(
            OverlayStat(
                journey_map=journey_map,
                days=days,
                computed_at=now,
                first_day=period_bounds(days, today)[0],
                counts=[[tp_id, c["events"], c["profiles"], c["daily"]] for tp_id, c in sorted(counts.items())],
            )
        )
    OverlayStat.objects.filter(journey_map=journey_map).delete()
    OverlayStat.objects.bulk_create(rows)
    return len(rows)


def overlay_stats_refresh_all(*, now: datetime | None = None) -> int:
    """Refresh every map with active tracking rules (the beat task) and drop the rows of maps that
    have none left; return the rows written."""
    from journeys.models import JourneyMap

    map_ids = TrackingRule.objects.filter(is_active=True).order_by().values_list("journey_map_id", flat=True)
    OverlayStat.objects.exclude(journey_map_id__in=map_ids).delete()
    written = 0
    for journey_map in JourneyMap.objects.filter(pk__in=map_ids).order_by("pk"):
        written += overlay_stats_refresh(journey_map=journey_map, now=now)
    return written


def stored_counts(journey_map, *, days: int, now: datetime | None = None) -> tuple[datetime, date, dict] | None:
    """Return ``(computed_at, first day, counts)`` of the stored period, counts as ``touchpoint_counts``
    returns them, or None when nothing recent enough is stored (one query)."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.CUSTOMERS_OVERLAY_MAX_AGE_SECONDS)
    row = (
        OverlayStat.objects.filter(journey_map=journey_map, days=days, computed_at__gte=since)
        .values_list("computed_at", "first_day", "counts")
        .first()
    )
    if row is None:
        return None
    computed_at, first, stored = row
    counts = {tp: {"events": events, "profiles": profiles, "daily": daily} for tp, events, profiles, daily in stored}
    return computed_at, first, counts


def annotate_map_overlay(journey_map, stages: list, touchpoints: list, *, options: dict) -> None:
    """Set ``overlay`` on each touchpoint (None on maps without rules, else its period's counts),
    ``customers_here`` on each stage and ``overlay_as_of`` on the map (when the counts are stored
    ones, else None): three queries on a map with rules and stored counts, one without rules."""
    days = period_days(options.get(OPTION))
    journey_map.overlay_as_of = None
    ruled = set(
        TrackingRule.objects.filter(journey_map=journey_map, is_active=True).values_list("touchpoint_id", flat=True)
    )
    # The stages' "customers here now" (customers.cards) from the same rules: one query fewer.
    annotate_map_customers(journey_map, stages, touchpoints, instrumented=bool(ruled))
    if not ruled:
        for touchpoint in touchpoints:
            touchpoint.overlay = None
        return
    stored = stored_counts(journey_map, days=days)
    if stored is None:
        first = period_bounds(days)[0]
        counts = touchpoint_counts(journey_map, days=days)
    else:
        journey_map.overlay_as_of, first, counts = stored
    for touchpoint in touchpoints:
        found = counts.get(touchpoint.pk)
        touchpoint.overlay = {
            "ruled": touchpoint.pk in ruled,
            "days": days,
            "first": first,
            "events": found["events"] if found else 0,
            "profiles": found["profiles"] if found else 0,
            "daily": found["daily"] if found else [0] * days,
        }


def overlay_as_of_html(journey_map) -> SafeString:
    """Say when the stored counts were computed, under the map's filters (nothing when computed now)."""
    when = getattr(journey_map, "overlay_as_of", None)
    if when is None:
        return mark_safe("")
    text = _("Tracking figures as of %(when)s") % {"when": when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    return mark_safe(f'<p class="wm-muted wm-small-text wm-as-of" data-testid="overlay-as-of">{esc(text)}</p>')


@lru_cache(maxsize=8192)
def _points(daily: tuple[int, ...]) -> str:
    """Return the polyline's points of a daily series. Cached: the stored series of a map's cards are
    the same on every view until the next refresh, and 30 floats formatted per card added up."""
    top = max(daily) or 1
    height = 20
    # x: one unit per day; y: 1 px margin so a flat line stays visible at the bottom.
    return " ".join(f"{i},{height - 1 - (value / top) * (height - 2):.1f}" for i, value in enumerate(daily))


def _sparkline(daily: list[int], label: str) -> str:
    """Return the sparkline's SVG; ``label`` is already escaped."""
    n = len(daily)
    height = 20
    return (
        f'<svg class="wm-sparkline" viewBox="0 0 {max(n - 1, 1)} {height}" preserveAspectRatio="none" role="img"'
        f' aria-label="{label}"><title>{label}</title><polyline points="{_points(tuple(daily))}" fill="none"'
        ' stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke"/></svg>'
    )


def sparkline(daily: list[int], label: str) -> SafeString:
    """Return an inline SVG of the daily counts, named by ``label`` for screen readers."""
    return mark_safe(_sparkline(daily, esc(label)))


def _counted(overlay: dict) -> tuple[str, str]:
    """Return the period's events and customers in words ("5 events", "3 customers")."""
    events = ngettext("%(n)d event", "%(n)d events", overlay["events"]) % {"n": overlay["events"]}
    customers = ngettext("%(n)d customer", "%(n)d customers", overlay["profiles"]) % {"n": overlay["profiles"]}
    return events, customers


def overlay_summary(overlay: dict, counted: tuple[str, str] | None = None) -> str:
    """Return the touchpoint's period in words: events, customers and the busiest day."""
    events, customers = counted or _counted(overlay)
    text = _("%(events)s from %(customers)s in the last %(days)d days") % {
        "events": events,
        "customers": customers,
        "days": overlay["days"],
    }
    daily = overlay["daily"]
    if overlay["events"]:
        peak = max(daily)
        day = overlay["first"] + timedelta(days=daily.index(peak))
        text += "; " + _("busiest day %(day)s (UTC): %(n)d") % {"day": day.isoformat(), "n": peak}
    return text


@lru_cache(maxsize=8192)
def _words(language: str | None, events: int, profiles: int, days: int, first: date, peak_at: int, peak: int):
    """Return the card's counts in words and its summary, escaped, in ``language`` (the active one):
    three catalog lookups per card otherwise, for the few counts that recur on every view."""
    overlay = {"events": events, "profiles": profiles, "days": days, "first": first}
    overlay["daily"] = [0] * peak_at + [peak]  # all overlay_summary reads of the series: the peak and its day
    counted = _counted(overlay)
    return esc(counted[0]), esc(counted[1]), esc(overlay_summary(overlay, counted))


@lru_cache(maxsize=256)
def _reason(language: str | None, days: int | None) -> str:
    """Return why a card has no counts, escaped, in ``language`` (the active one)."""
    if days is None:
        return esc(_("Not instrumented: no tracking rule"))
    return esc(_("Not instrumented: no events in %(days)d days") % {"days": days})


def touchpoint_overlay_html(touchpoint) -> SafeString:
    """Return the card's counts and sparkline, or why there are none. An f-string with every text
    through ``esc``, as the cards themselves (``journeys.cards``): it runs for every card."""
    overlay = getattr(touchpoint, "overlay", None)
    if overlay is None:
        return SafeString("")
    if not overlay["ruled"]:
        reason = _reason(card_language(), None)
    elif not overlay["events"]:
        reason = _reason(card_language(), overlay["days"])
    else:
        daily = overlay["daily"]
        peak = max(daily)
        events, customers, summary = _words(
            card_language(), overlay["events"], overlay["profiles"], overlay["days"], overlay["first"],
            daily.index(peak), peak,
        )  # fmt: skip
        return SafeString(
            f'<p class="wm-overlay" data-testid="overlay" data-events="{int(overlay["events"])}"'
            f' data-profiles="{int(overlay["profiles"])}">'
            f'<span class="wm-overlay-numbers">{events} · {customers}</span>'
            f"{_sparkline(daily, summary)}</p>"
        )
    return SafeString(
        '<p class="wm-overlay"><span class="wm-badge wm-not-instrumented" data-testid="not-instrumented">'
        f'<span aria-hidden="true">⚠</span> {reason}</span></p>'
    )

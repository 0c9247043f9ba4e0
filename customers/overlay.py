"""The tracking plan on the map page (``journeys.extensions``): per touchpoint, the events and unique
customers of the chosen period with a daily sparkline, or **Not instrumented**.

Counts come from the daily roll-up (``TrackingRuleDay``), which the matching task keeps as events
arrive and ``stages.rollup_rebuild`` recounts when a map's rules change: the map page sums a few
rows per touchpoint and day, in two queries whatever the map's size, instead of matching raw
events on every view. Days are UTC days; the period ends today (UTC) and includes it.
Shown only on maps with tracking rules, so a team that sends no events sees nothing new.
With ``CLICKHOUSE_URL`` set, the counts come from ClickHouse's events (``clickhouse/overlay.py``).
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape as esc

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .cards import annotate_map_customers
from .models import TrackingRule, TrackingRuleDay

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


def annotate_map_overlay(journey_map, stages: list, touchpoints: list, *, options: dict) -> None:
    """Set ``overlay`` on each touchpoint (None on maps without rules, else its period's counts) and
    ``customers_here`` on each stage: four queries on a map with rules, one without."""
    days = period_days(options.get(OPTION))
    ruled = set(
        TrackingRule.objects.filter(journey_map=journey_map, is_active=True).values_list("touchpoint_id", flat=True)
    )
    # The stages' "customers here now" (customers.cards) from the same rules: one query fewer.
    annotate_map_customers(journey_map, stages, touchpoints, instrumented=bool(ruled))
    if not ruled:
        for touchpoint in touchpoints:
            touchpoint.overlay = None
        return
    first, _last = period_bounds(days)
    counts = touchpoint_counts(journey_map, days=days)
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


def _sparkline(daily: list[int], label: str) -> str:
    """Return the sparkline's SVG; ``label`` is already escaped."""
    n = len(daily)
    top = max(daily) or 1
    height = 20
    # x: one unit per day; y: 1 px margin so a flat line stays visible at the bottom.
    points = " ".join(f"{i},{height - 1 - (value / top) * (height - 2):.1f}" for i, value in enumerate(daily))
    return (
        f'<svg class="wm-sparkline" viewBox="0 0 {max(n - 1, 1)} {height}" preserveAspectRatio="none" role="img"'
        f' aria-label="{label}"><title>{label}</title><polyline points="{points}" fill="none"'
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


def touchpoint_overlay_html(touchpoint) -> SafeString:
    """Return the card's counts and sparkline, or why there are none. An f-string with every text
    through ``esc``, as the cards themselves (``journeys.cards``): it runs for every card."""
    overlay = getattr(touchpoint, "overlay", None)
    if overlay is None:
        return mark_safe("")
    if not overlay["ruled"]:
        reason = _("Not instrumented: no tracking rule")
    elif not overlay["events"]:
        reason = _("Not instrumented: no events in %(days)d days") % {"days": overlay["days"]}
    else:
        counted = _counted(overlay)
        events, customers = (esc(text) for text in counted)
        return mark_safe(
            f'<p class="wm-overlay" data-testid="overlay" data-events="{int(overlay["events"])}"'
            f' data-profiles="{int(overlay["profiles"])}">'
            f'<span class="wm-overlay-numbers">{events} · {customers}</span>'
            f"{_sparkline(overlay['daily'], esc(overlay_summary(overlay, counted)))}</p>"
        )
    return mark_safe(
        '<p class="wm-overlay"><span class="wm-badge wm-not-instrumented" data-testid="not-instrumented">'
        f'<span aria-hidden="true">⚠</span> {esc(reason)}</span></p>'
    )

"""Customers' parts of the map page (``journeys.extensions``): who is in each stage now, and which
touchpoints the tracking plan covers. Shown only on maps with tracking rules, so a team that sends
no events sees nothing new."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import ProfileStage, StageTransition, TrackingRule

WINDOW_DAYS = 30


def annotate_map_customers(journey_map, stages: list, touchpoints: list) -> None:
    """Set ``customers_here`` on stages and ``tracking`` on touchpoints: three queries at most."""
    rules = list(TrackingRule.objects.filter(journey_map=journey_map, is_active=True).values("id", "touchpoint_id"))
    instrumented = bool(rules)
    here = {}
    entries = {}
    if instrumented:
        here = dict(
            ProfileStage.objects.filter(journey_map=journey_map)
            .values("stage_id")
            .annotate(n=Count("id"))
            .values_list("stage_id", "n")
        )
        since = timezone.now() - timedelta(days=WINDOW_DAYS)
        by_rule = dict(
            StageTransition.objects.filter(journey_map=journey_map, entered_at__gte=since, rule__isnull=False)
            .values("rule_id")
            .annotate(n=Count("id"))
            .values_list("rule_id", "n")
        )
        for rule in rules:
            if rule["touchpoint_id"] is not None:
                entries[rule["touchpoint_id"]] = entries.get(rule["touchpoint_id"], 0) + by_rule.get(rule["id"], 0)
    for stage in stages:
        stage.customers_here = here.get(stage.pk, 0) if instrumented else None
    for touchpoint in touchpoints:
        touchpoint.tracking = (
            None if not instrumented else {"ruled": touchpoint.pk in entries, "entries": entries.get(touchpoint.pk, 0)}
        )


def stage_customers_html(stage) -> SafeString:
    if getattr(stage, "customers_here", None) is None:
        return mark_safe("")
    label = ngettext("%(n)d customer here now", "%(n)d customers here now", stage.customers_here) % {
        "n": stage.customers_here
    }
    return format_html('<div class="wm-muted wm-customers-here" data-testid="customers-here">{}</div>', label)


def touchpoint_tracking_html(touchpoint) -> SafeString:
    tracking = getattr(touchpoint, "tracking", None)
    if tracking is None:
        return mark_safe("")
    if not tracking["ruled"]:
        return format_html('<span class="wm-badge wm-not-instrumented">{}</span>', _("Not instrumented"))
    label = ngettext("%(n)d entry in %(days)d days", "%(n)d entries in %(days)d days", tracking["entries"]) % {
        "n": tracking["entries"],
        "days": WINDOW_DAYS,
    }
    return format_html('<span class="wm-badge wm-tracked">{}</span>', label)

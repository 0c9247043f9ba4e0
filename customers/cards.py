"""Customers' part of each stage on the map page (``journeys.extensions``): who is in it now.
Shown only on maps with tracking rules, so a team that sends no events sees nothing new; the
touchpoints' part is ``customers.overlay``."""

from __future__ import annotations

from django.db.models import Count
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import ngettext

from .models import ProfileStage, TrackingRule


def annotate_map_customers(journey_map, stages: list, touchpoints: list, *, instrumented: bool | None = None) -> None:
    """Set ``customers_here`` on stages: one query, two when ``instrumented`` (whether the map has
    active rules) is not given. ``customers.overlay`` calls it with what it already loaded."""
    if instrumented is None:
        instrumented = TrackingRule.objects.filter(journey_map=journey_map, is_active=True).exists()
    here = {}
    if instrumented:
        here = dict(
            ProfileStage.objects.filter(journey_map=journey_map)
            .values("stage_id")
            .annotate(n=Count("id"))
            .values_list("stage_id", "n")
        )
    for stage in stages:
        stage.customers_here = here.get(stage.pk, 0) if instrumented else None


def stage_customers_html(stage) -> SafeString:
    if getattr(stage, "customers_here", None) is None:
        return mark_safe("")
    label = ngettext("%(n)d customer here now", "%(n)d customers here now", stage.customers_here) % {
        "n": stage.customers_here
    }
    return format_html('<div class="wm-muted wm-customers-here" data-testid="customers-here">{}</div>', label)

"""The map's stage columns: in the stage now, entered in the period, conversion to the next stage and
the median time in stage, read from the ``StageStat`` rows a task stores (one query per map page)."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from customers.overlay import OPTION, period_days

from .models import StageStat
from .query import duration_text


def annotate_stage_stats(journey_map, stages: list, touchpoints: list, *, options: dict) -> None:
    """Set ``stage_stats`` on each stage (None while nothing is stored): one query, whatever the map's size."""
    days = period_days(options.get(OPTION))
    rows = {row.stage_id: row for row in StageStat.objects.filter(journey_map=journey_map, days=days)}
    for stage in stages:
        stage.stage_stats = rows.get(stage.pk)


def stage_stats_html(stage) -> SafeString:
    """Return the stage column's figures: escaped by ``format_html``, percentages rounded for the page."""
    row = getattr(stage, "stage_stats", None)
    if row is None:
        return mark_safe("")
    parts = [
        format_html(
            "<dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>",
            _("In stage now"),
            row.in_stage_now,
            _("Entered (last %(days)s days)") % {"days": row.days},
            row.entered,
        )
    ]
    if row.conversion is not None:
        parts.append(
            format_html(
                "<dt>{}</dt><dd>{} % <small>[{}–{}] n={}</small></dd>",
                _("To the next stage"),
                number_format(100 * row.conversion, 1),
                number_format(100 * row.conversion_low, 1),
                number_format(100 * row.conversion_high, 1),
                row.entered,
            )
        )
    if row.time_median is not None:
        interval = (
            format_html(" <small>[{}–{}]</small>", duration_text(row.time_low), duration_text(row.time_high))
            if row.time_low is not None
            else ""
        )
        parts.append(
            format_html(
                "<dt>{}</dt><dd>{}{} <small>n={}</small></dd>",
                _("Median time in stage"),
                duration_text(row.time_median),
                interval,
                row.time_n,
            )
        )
    return format_html(
        '<dl class="wm-stage-stats" data-testid="stage-stats" title="{}">{}</dl>',
        _("Computed %(when)s") % {"when": row.computed_at.strftime("%Y-%m-%d %H:%M UTC")},
        mark_safe("".join(parts)),  # every part came from format_html
    )

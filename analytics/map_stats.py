"""The map's stage columns: in the stage now, entered in the period, conversion to the next stage and
the median time in stage, read from the ``StageStat`` rows a task stores (one query per map page)."""

from __future__ import annotations

from html import escape as esc

from django.utils.formats import number_format
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
    """Return the stage column's figures, percentages rounded for the page. An f-string with every value
    through ``esc``, as the cards are (``journeys.cards``): ``format_html`` checked each argument
    for lazy strings, a dozen a column."""
    row = getattr(stage, "stage_stats", None)
    if row is None:
        return mark_safe("")
    html = (
        f"<dt>{esc(_('In stage now'))}</dt><dd>{int(row.in_stage_now)}</dd>"
        f"<dt>{esc(_('Entered (last %(days)s days)') % {'days': row.days})}</dt><dd>{int(row.entered)}</dd>"
    )
    if row.conversion is not None:
        html += (
            f"<dt>{esc(_('To the next stage'))}</dt><dd>{esc(number_format(100 * row.conversion, 1))} % <small>"
            f"[{esc(number_format(100 * row.conversion_low, 1))}–{esc(number_format(100 * row.conversion_high, 1))}]"
            f" n={int(row.entered)}</small></dd>"
        )
    if row.time_median is not None:
        interval = (
            f" <small>[{esc(duration_text(row.time_low))}–{esc(duration_text(row.time_high))}]</small>"
            if row.time_low is not None
            else ""
        )
        html += (
            f"<dt>{esc(_('Median time in stage'))}</dt><dd>{esc(duration_text(row.time_median))}{interval}"
            f" <small>n={int(row.time_n)}</small></dd>"
        )
    title = esc(_("Computed %(when)s") % {"when": row.computed_at.strftime("%Y-%m-%d %H:%M UTC")})
    return SafeString(f'<dl class="wm-stage-stats" data-testid="stage-stats" title="{title}">{html}</dl>')

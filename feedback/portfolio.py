"""The portfolio's NPS and CSAT of each map: the answers placed on its stages in the last 90 days."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.extensions import MapFigure

from .models import Response
from .stats import AGGREGATES, csat_figure, nps_figure, scored

PORTFOLIO_DAYS = 90


def _rows(maps) -> dict[int, dict]:
    since = timezone.now() - timedelta(days=PORTFOLIO_DAYS)
    rows = (
        scored(Response.objects.filter(stage__journey_map_id__in=[m.pk for m in maps], created_at__gte=since))
        .values("stage__journey_map_id")
        .annotate(**AGGREGATES)
    )
    return {row["stage__journey_map_id"]: row for row in rows}


def _figure(fig, unit: str) -> MapFigure:
    if fig.value is None:
        return MapFigure(value=None, n=0, unit=unit, reason=_("No answers in the last 90 days"))
    return MapFigure(value=fig.value, n=fig.n, low=fig.low, high=fig.high, unit=unit)


def map_nps(maps) -> dict[int, MapFigure]:
    """Return each map's NPS (−100…100) over the last 90 days with its 95 % interval and n."""
    rows = _rows(maps)
    result = {}
    for m in maps:
        row = rows.get(m.pk, {})
        fig = nps_figure(row.get("promoters") or 0, row.get("detractors") or 0, row.get("nps_n") or 0)
        result[m.pk] = _figure(fig, "points")
    return result


def map_csat(maps) -> dict[int, MapFigure]:
    """Return each map's CSAT (% of 4–5) over the last 90 days with its 95 % interval and n."""
    rows = _rows(maps)
    result = {}
    for m in maps:
        row = rows.get(m.pk, {})
        result[m.pk] = _figure(csat_figure(row.get("csat_good") or 0, row.get("csat_n") or 0), "%")
    return result

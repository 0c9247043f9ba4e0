"""The portfolio's customer figures of each map: customers in the journey now, and how many converted."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext as _

from journeys.extensions import MapFigure
from journeys.models import Stage

from .models import ProfileStage


def customers_in_journey(maps) -> dict[int, MapFigure]:
    """Return the number of customers now on each map (in any of its stages)."""
    rows = (
        ProfileStage.objects.filter(journey_map_id__in=[m.pk for m in maps])
        .values("journey_map_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {row["journey_map_id"]: row["n"] for row in rows}
    return {m.pk: MapFigure(value=counts.get(m.pk, 0), n=counts.get(m.pk, 0)) for m in maps}


def bottom_stage_ids(stages: list[tuple[int, int, str]]) -> set[int]:
    """Return the ids of a map's bottom-of-funnel stages (converted, still retained).

    ``stages`` are ``(id, position, funnel)`` in the map's order. A stage without a funnel part
    counts by its place, as the map's funnel view lays it out (journeys.selectors.Board.funnel).
    """
    n = len(stages)
    return {pk for i, (pk, _pos, funnel) in enumerate(stages) if (funnel or _part_by_place(i, n)) == "bottom"}


def _part_by_place(i: int, n: int) -> str:
    return "top" if i < n / 3 else "middle" if i < 2 * n / 3 else "bottom"


def conversion(maps) -> dict[int, MapFigure]:
    """Return the share of each map's customers now in a bottom-of-funnel stage, with its Wilson 95 % interval."""
    ids = [m.pk for m in maps]
    stages: dict[int, list] = {pk: [] for pk in ids}
    for pk, map_id, position, funnel in (
        Stage.objects.filter(journey_map_id__in=ids)
        .order_by("position", "id")
        .values_list("pk", "journey_map_id", "position", "funnel")
    ):
        stages[map_id].append((pk, position, funnel))
    bottom = {map_id: bottom_stage_ids(rows) for map_id, rows in stages.items()}
    totals: dict[int, int] = {}
    converted: dict[int, int] = {}
    rows = (
        ProfileStage.objects.filter(journey_map_id__in=ids)
        .values("journey_map_id", "stage_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        map_id = row["journey_map_id"]
        totals[map_id] = totals.get(map_id, 0) + row["n"]
        if row["stage_id"] in bottom.get(map_id, ()):
            converted[map_id] = converted.get(map_id, 0) + row["n"]
    from statsmodels.stats.proportion import proportion_confint  # a slow import most processes never need

    result = {}
    for map_id in ids:
        n, k = totals.get(map_id, 0), converted.get(map_id, 0)
        if not n:
            result[map_id] = MapFigure(value=None, n=0, unit="%", reason=_("No customers in the journey yet"))
            continue
        low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
        result[map_id] = MapFigure(value=100 * k / n, n=n, low=100 * low, high=100 * high, unit="%")
    return result

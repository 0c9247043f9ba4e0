"""The portfolio: a team's maps grouped by product or line of business, with their figures side by side.

Journeys gives each map its health and open pain points; apps to the right add their figures
(customers in the journey, conversion, NPS, CSAT) through ``extensions.register_portfolio_figure``.
The whole portfolio costs a fixed number of queries, whatever the number of maps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .extensions import MapFigure, portfolio_columns, portfolio_figures
from .health import maps_health
from .selectors import map_list


@dataclass
class ProductGroup:
    """The maps of one product (``product`` is "" for maps without one)."""

    product: str
    maps: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.product or _("No product")

    @property
    def open_pain_points(self) -> int:
        return sum(m.open_pain_count for m in self.maps)


def portfolio(*, user, team=None, product: str | None = None, status: str = "") -> list[ProductGroup]:
    """Return the maps ``user`` may read grouped by product (named groups first, by name).

    Each map carries ``health`` and ``figures`` ({key: MapFigure}, journeys' own and the registered
    ones, in the columns' order). Archived maps are left out unless ``status`` asks for them.
    """
    maps = map_list(user=user, team=team).order_by("title", "pk")
    maps = maps.filter(status=status) if status else maps.exclude(status="archived")
    if product is not None:
        maps = maps.filter(product=product)
    maps = list(maps)
    health = maps_health(maps)
    extra = portfolio_figures(maps)
    groups: dict[str, ProductGroup] = {}
    for m in maps:
        m.health = health[m.pk]
        m.figures = {
            "open_pain_points": MapFigure(value=m.open_pain_count, n=m.open_pain_count),
            **extra.get(m.pk, {}),
        }
        groups.setdefault(m.product, ProductGroup(m.product)).maps.append(m)
    return sorted(groups.values(), key=lambda g: (g.product == "", g.product.casefold()))


def columns() -> list[dict]:
    """Return the figure columns in order: journeys' own, then the registered ones."""
    return [{"key": "open_pain_points", "label": _("Open pain points"), "unit": ""}, *portfolio_columns()]

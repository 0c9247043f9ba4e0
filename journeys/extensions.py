"""Extension points through which apps to the right of journeys add to the map.

Data flows one way (teams ← personas ← journeys ← feedback, experiments), so journeys cannot
import feedback or experiments. Instead, those apps register here in their ``AppConfig.ready()``:

- **Map annotators** add facts to the stages and touchpoints of a map page in a fixed number of
  queries, whatever the map's size: ``register_map_annotator(fn, touchpoint_html=...,
  stage_html=...)``. ``fn(journey_map, stages, touchpoints)`` sets attributes on the given
  objects (for example ``touchpoint.scores`` or ``touchpoint.experiments``); the map page puts
  what ``touchpoint_html(touchpoint)`` returns inside every touchpoint card and what
  ``stage_html(stage)`` returns inside every stage header; ``map_html(journey_map)``, once under
  the board's filters, says what applies to the whole board (when stored figures were computed).
  All return a ``SafeString`` in which every value is escaped: ``format_html`` does that, or, as
  the built-in parts do, an f-string with every text value through ``html.escape`` (a 12 × 15 map
  draws 180 cards, and a template included in each was most of the page's render time:
  ``journeys.cards``).
- **Health checks** say why a map may no longer be true: ``register_health_check(fn)``, where
  ``fn(maps)`` takes a list of maps and returns ``{map_id: [HealthIssue, ...]}`` in a fixed number
  of queries (the map list shows health for many maps at once).
- **Map options** add a choice to the map page's filters that annotators honour (customers' period
  of 7, 30 or 90 days): ``register_map_option(name, label=..., choices=..., default=...)``. The
  map page reads ``?<name>=`` (an unknown value falls back to the default), draws a select in its
  filter form (which reloads the board as an HTMX partial), and passes ``options={name: value}``
  to the annotators registered with ``wants_options=True``.
- **Map includes** add a template to the map page, between its header and the board (not in
  presentation mode): ``register_map_include(template_name)``. The template gets the page's
  context (``journey_map``, ``can_edit``, ``request``...) and whatever the annotators set on the
  map; it costs the page no query of its own (fetch more over HTMX after the page loads), so
  the map page's query count stays fixed.
- **Map links** add pages about a map to the map page's actions: ``register_map_link(label,
  url_name)``, where ``url_name`` is a URL name taking ``map_pk`` (for example feedback's
  "Scores" page). The map page reverses it; journeys never names the other app's URLs itself.
- **Portfolio figures** add a column of key figures to the portfolio (``/maps/portfolio/``):
  ``register_portfolio_figure(key, label=..., fn=..., unit=...)``, where ``fn(maps)`` returns
  ``{map_id: MapFigure}`` for any number of maps in a fixed number of queries (customers in the
  journey and conversion from customers, NPS and CSAT from feedback).
- **Lane sources** fill the swimlanes' derived lanes (``journeys.swimlanes``): ``register_lane_source(
  kind, fn)``, where ``kind`` is a ``Lane.Kind`` value (owners fill ``backstage`` with who answers
  for each stage) and ``fn(journey_map, stage_keys)`` returns ``{stage key: [LaneItem, ...]}`` in a
  fixed number of queries. Keys, not ids, so a version's stages (a share link, an export of a
  version) find what the app says about the same stages today.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.utils.translation import get_language

# The language a board's cards are drawn in, read once for them all (``board_language``): each card
# part looks its words up per language, and ``get_language()`` reads a context-local, which cost a
# 12 x 15 board about 900 reads of the same value.
_board_language: ContextVar[str | None] = ContextVar("waymark_board_language", default=None)


def card_language() -> str | None:
    """The active language, for a card part: inside ``board_language()`` the one read at its start."""
    language = _board_language.get()
    return language if language is not None else get_language()


@contextmanager
def board_language() -> Iterator[None]:
    """Draw a board's cards and columns in the active language, read once for all of them."""
    token = _board_language.set(get_language())
    try:
        yield
    finally:
        _board_language.reset(token)


@dataclass(frozen=True)
class HealthIssue:
    """One reason a map may no longer be true."""

    code: str  # e.g. "unowned_touchpoints"
    message: str  # e.g. "3 touchpoints have no accountable owner"
    count: int = 1
    weight: int = 10  # points taken from a score of 100
    severity: str = "warning"  # "warning" or "critical"


@dataclass
class MapAnnotator:
    fn: Callable
    touchpoint_html: Callable | None = None  # touchpoint -> SafeString
    stage_html: Callable | None = None  # stage -> SafeString
    wants_options: bool = False  # fn(..., options={name: value}) with the registered map options
    map_html: Callable | None = None  # journey_map -> SafeString, once per board (under the filters)


@dataclass(frozen=True)
class MapOption:
    name: str  # the query-string parameter, e.g. "period"
    label: object  # a lazy translation
    choices: tuple  # ((value, lazy label), ...)
    default: str


@dataclass(frozen=True)
class MapLink:
    label: str  # a lazy translation, so each reader gets their own language
    url_name: str


@dataclass(frozen=True)
class MapFigure:
    """One key figure of a map in the portfolio, with its n and, for rates, its 95 % interval.

    ``value`` is unrounded (None with a ``reason`` when it cannot be computed); ``unit`` is "" for a
    count, "%" for a percentage, "points" for an NPS.
    """

    value: float | None
    n: int
    low: float | None = None
    high: float | None = None
    unit: str = ""
    reason: str = ""

    @property
    def thin(self) -> bool:
        """Whether a rate rests on fewer than 30 (marked, not hidden)."""
        return self.unit in ("%", "points") and self.n < 30

    def as_dict(self) -> dict:
        return {
            "value": self.value,
            "n": self.n,
            "low": self.low,
            "high": self.high,
            "unit": self.unit,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PortfolioFigure:
    key: str  # e.g. "conversion"
    label: object  # a lazy translation
    fn: Callable  # fn(maps) -> {map_id: MapFigure}, a fixed number of queries
    unit: str = ""


@dataclass(frozen=True)
class LaneItem:
    """One entry in a swimlane cell: its text, a second line, and a tone for its colour and icon."""

    text: str
    detail: str = ""
    tone: str = ""  # "", "positive", "negative" or "warning"


@dataclass
class Registry:
    annotators: list[MapAnnotator] = field(default_factory=list)
    health_checks: list[Callable[[list], dict[int, list[HealthIssue]]]] = field(default_factory=list)
    links: list[MapLink] = field(default_factory=list)
    options: list[MapOption] = field(default_factory=list)
    portfolio: list[PortfolioFigure] = field(default_factory=list)
    lane_sources: list[tuple[str, Callable]] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)


registry = Registry()


def register_map_annotator(
    fn: Callable,
    *,
    touchpoint_html: Callable | None = None,
    stage_html: Callable | None = None,
    wants_options: bool = False,
    map_html: Callable | None = None,
) -> Callable:
    if not any(a.fn is fn for a in registry.annotators):
        registry.annotators.append(MapAnnotator(fn, touchpoint_html, stage_html, wants_options, map_html))
    return fn


def register_map_option(name: str, *, label, choices, default: str) -> None:
    """Add a choice to the map page's filters (see the module's docstring)."""
    if not any(o.name == name for o in registry.options):
        registry.options.append(MapOption(name, label, tuple(choices), default))


def map_options_from(params) -> dict[str, str]:
    """Return ``{name: value}`` of the registered options from a query string (defaults where unknown)."""
    values = {}
    for option in registry.options:
        value = params.get(option.name, option.default)
        values[option.name] = value if value in {str(v) for v, _ in option.choices} else option.default
    return values


def map_option_fields(values: dict[str, str]) -> list[dict]:
    """Return what the filter form draws for each option: name, label, choices and the value chosen."""
    return [
        {"name": o.name, "label": o.label, "choices": o.choices, "value": values.get(o.name, o.default)}
        for o in registry.options
    ]


def register_health_check(fn: Callable) -> Callable:
    if fn not in registry.health_checks:
        registry.health_checks.append(fn)
    return fn


def register_map_link(label, url_name: str) -> None:
    """Add a link to the map page's actions: ``url_name`` is reversed with ``map_pk``."""
    link = MapLink(label, url_name)
    if link not in registry.links:
        registry.links.append(link)


def register_map_include(template_name: str) -> None:
    """Add a template to the map page above the board (see the module's docstring)."""
    if template_name not in registry.includes:
        registry.includes.append(template_name)


def map_includes() -> list[str]:
    return list(registry.includes)


def map_links(journey_map) -> list[dict]:
    """Return ``[{"label", "url"}]`` of the registered links for ``journey_map`` (no queries)."""
    from django.urls import reverse

    return [
        {"label": link.label, "url": reverse(link.url_name, kwargs={"map_pk": journey_map.pk})}
        for link in registry.links
    ]


def register_lane_source(kind: str, fn: Callable) -> Callable:
    """Let ``fn(journey_map, stage_keys) -> {stage key: [LaneItem]}`` add to every lane of ``kind``."""
    if (kind, fn) not in registry.lane_sources:
        registry.lane_sources.append((kind, fn))
    return fn


def lane_source_items(journey_map, kinds: set[str], stage_keys: list[str]) -> dict[str, dict[str, list[LaneItem]]]:
    """Return ``{kind: {stage key: [LaneItem]}}`` from the sources of the ``kinds`` the canvas draws."""
    found: dict[str, dict[str, list[LaneItem]]] = {}
    for kind, fn in registry.lane_sources:
        if kind not in kinds:
            continue
        for key, items in fn(journey_map, stage_keys).items():
            found.setdefault(kind, {}).setdefault(key, []).extend(items)
    return found


def annotate_map(journey_map, stages: list, touchpoints: list, options: dict | None = None) -> None:
    options = options if options is not None else map_options_from({})
    for annotator in registry.annotators:
        if annotator.wants_options:
            annotator.fn(journey_map, stages, touchpoints, options=options)
        else:
            annotator.fn(journey_map, stages, touchpoints)


def touchpoint_renderers() -> list[Callable]:
    return [a.touchpoint_html for a in registry.annotators if a.touchpoint_html]


def stage_renderers() -> list[Callable]:
    return [a.stage_html for a in registry.annotators if a.stage_html]


def map_renderers() -> list[Callable]:
    return [a.map_html for a in registry.annotators if a.map_html]


def extra_health_issues(maps: Iterable) -> dict[int, list[HealthIssue]]:
    maps = list(maps)
    issues: dict[int, list[HealthIssue]] = {m.pk: [] for m in maps}
    for check in registry.health_checks:
        for map_id, found in check(maps).items():
            issues.setdefault(map_id, []).extend(found)
    return issues


# --- the portfolio ----------------------------------------------------------------------------


def register_portfolio_figure(key: str, *, label, fn: Callable, unit: str = "") -> None:
    """Add a column to the portfolio: ``fn(maps)`` returns ``{map_id: MapFigure}`` for those maps."""
    if not any(f.key == key for f in registry.portfolio):
        registry.portfolio.append(PortfolioFigure(key, label, fn, unit))


def portfolio_columns() -> list[dict]:
    return [{"key": f.key, "label": f.label, "unit": f.unit} for f in registry.portfolio]


def portfolio_figures(maps: list) -> dict[int, dict[str, MapFigure]]:
    """Return ``{map_id: {key: MapFigure}}`` of every registered figure (absent: no figure)."""
    result: dict[int, dict[str, MapFigure]] = {m.pk: {} for m in maps}
    if not maps:
        return result
    for figure in registry.portfolio:
        for map_id, value in figure.fn(maps).items():
            result.setdefault(map_id, {})[figure.key] = value
    return result

"""Reads of the feedback app for pages and the API, scoped and prefetched."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import get_language, gettext

from .models import FollowUp, Question, Response, ResponseTheme, Survey, Theme
from .stats import map_scores, stored_map_scores


def survey_list(*, user, team=None) -> QuerySet[Survey]:
    """Return the surveys the user may read (of ``team`` when given), with their placement and counts."""
    queryset = Survey.objects.for_user(user).select_related("touchpoint__stage__journey_map", "team")
    if team is not None:
        queryset = queryset.filter(team=team)
    return queryset.annotate(
        response_count=Count("responses", distinct=True),
        question_count=Count("questions", distinct=True),
    )


def survey_with_questions(queryset: QuerySet[Survey]) -> QuerySet[Survey]:
    return queryset.select_related("touchpoint__stage__journey_map", "team").prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("position", "id"))
    )


def response_list(*, user) -> QuerySet[Response]:
    return (
        Response.objects.for_user(user)
        .select_related("survey", "touchpoint", "stage")
        .prefetch_related(Prefetch("response_themes", queryset=ResponseTheme.objects.select_related("theme")))
    )


def followup_list(*, user) -> QuerySet[FollowUp]:
    return FollowUp.objects.for_user(user).select_related("owner", "touchpoint__stage__journey_map", "response__survey")


def theme_list(*, user, team=None) -> QuerySet[Theme]:
    queryset = Theme.objects.for_user(user)
    if team is not None:
        queryset = queryset.filter(team=team)
    return queryset.annotate(response_count=Count("response_themes"))


def open_followup_counts(user) -> dict:
    row = FollowUp.objects.filter(owner=user).aggregate(
        open=Count("id", filter=Q(status__in=["open", "acknowledged"])),
        overdue=Count("id", filter=Q(status__in=["open", "acknowledged"], breached_at__isnull=False)),
    )
    return row


@dataclass(frozen=True, slots=True)
class ScoreChip:
    """One figure of a map card or stage header, formatted once in Python (the map page has 180 cards)."""

    label: str  # "NPS"
    value: str  # "-34", "53%"
    note: str  # the small text: "n=175 · thin"
    title: str = ""  # the tooltip, when the chip has one
    thin: bool = False
    testid: str = ""


_PLACES = {0: Decimal(1), 1: Decimal("0.1"), 2: Decimal("0.01")}


def _fixed(value: float | None, places: int = 0) -> str:
    """Format like the template filter ``floatformat:places`` (half up, never "-0"), without a template."""
    if value is None:
        return ""
    rounded = Decimal(repr(value)).quantize(_PLACES[places], rounding=ROUND_HALF_UP)
    return f"{rounded if rounded else abs(rounded):f}"


def _thin(figure) -> str:
    return " · " + gettext("thin") if figure.thin else ""


def touchpoint_score_chips(scores: dict | None) -> list[ScoreChip]:
    """The chips of a touchpoint card: NPS, CSAT and CES of those with answers."""
    if not scores:
        return []
    chips = []
    nps, csat, ces = scores["nps"], scores["csat"], scores["ces"]
    if nps.n:
        value = _fixed(nps.value)
        thin_title = " " + gettext("(thin: fewer than 30 answers)") if nps.thin else ""
        title = f"NPS {value} ± {_fixed(nps.margin)}, n = {nps.n}{thin_title}"
        chips.append(ScoreChip("NPS", value, f"n={nps.n}{_thin(nps)}", title, nps.thin, "touchpoint-nps"))
    if csat.n:
        value = _fixed(csat.value)
        title = f"CSAT {value} % ± {_fixed(csat.margin)}, n = {csat.n}"
        chips.append(ScoreChip("CSAT", f"{value}%", f"n={csat.n}{_thin(csat)}", title, csat.thin))
    if ces.n:
        chips.append(
            ScoreChip("CES", _fixed(ces.value, 1), f"n={ces.n}", f"CES {_fixed(ces.value, 2)}, n = {ces.n}", ces.thin)
        )
    return chips


def stage_score_chips(scores: dict | None) -> list[ScoreChip]:
    """The chips of a stage header: NPS (with its margin) and CSAT."""
    if not scores:
        return []
    chips = []
    nps, csat = scores["nps"], scores["csat"]
    if nps.n:
        value, margin = _fixed(nps.value), _fixed(nps.margin)
        title = f"NPS {value} ± {margin}, n = {nps.n}"
        chips.append(ScoreChip("NPS", value, f"±{margin} · n={nps.n}{_thin(nps)}", title, nps.thin))
    if csat.n:
        chips.append(ScoreChip("CSAT", f"{_fixed(csat.value)}%", f"n={csat.n}{_thin(csat)}", "", csat.thin))
    return chips


def annotate_map_scores(journey_map, stages: list, touchpoints: list) -> None:
    """Set ``scores`` (NPS/CSAT/CES of the last 90 days) on each stage and touchpoint: one query.

    The stored sums (``stats.stored_map_scores``) when recent enough, and then ``scores_as_of`` on the
    map; else computed now (``scores_as_of`` None): one query more.

    Also sets ``score_chips``, the figures formatted for the map page (``ScoreChip``): formatting
    them here instead of with ``floatformat`` in the card template was a quarter of the page's
    render time (docs/performance.md).
    """
    stored = stored_map_scores(journey_map)
    if stored is None:
        journey_map.scores_as_of = None
        by_touchpoint, by_stage = map_scores([s.pk for s in stages], [t.pk for t in touchpoints])
        chips = _score_chips(by_touchpoint, by_stage)
    else:
        journey_map.scores_as_of, by_touchpoint, by_stage = stored
        chips = _stored_chips((journey_map.pk, journey_map.scores_as_of, get_language()), by_touchpoint, by_stage)
    for touchpoint in touchpoints:
        touchpoint.scores = by_touchpoint.get(touchpoint.pk)
        touchpoint.score_chips = chips[0].get(touchpoint.pk, [])
    for stage in stages:
        stage.scores = by_stage.get(stage.pk)
        stage.score_chips = chips[1].get(stage.pk, [])


def _score_chips(by_touchpoint: dict, by_stage: dict) -> tuple[dict, dict]:
    return (
        {key: touchpoint_score_chips(scores) for key, scores in by_touchpoint.items()},
        {key: stage_score_chips(scores) for key, scores in by_stage.items()},
    )


# The chips of the last few stored rows, per language: the same on every view of a map until the
# next refresh, and formatting them (Decimal rounding, catalog lookups) was most of the scores' share
# of a large board's Python.
_CHIPS: dict[tuple, tuple[dict, dict]] = {}
_CHIPS_KEEP = 64
_CHIPS_LOCK = threading.Lock()


def _stored_chips(key: tuple, by_touchpoint: dict, by_stage: dict) -> tuple[dict, dict]:
    """Return the chips of a stored row, ``key`` being (map id, computed at, language)."""
    found = _CHIPS.get(key)
    if found is None:
        found = _score_chips(by_touchpoint, by_stage)
        with _CHIPS_LOCK:
            while len(_CHIPS) >= _CHIPS_KEEP:
                _CHIPS.pop(next(iter(_CHIPS)))
            _CHIPS[key] = found
    return found

"""NPS, CSAT and CES as SQL aggregations, with their n, margin of error and thin-sample flag.

Every figure is computed by the database from counts (``Count(filter=Q(...))``) and sums, grouped
by period (``TruncWeek``/``TruncMonth``), survey, stage, touchpoint or persona; Python only turns
the few aggregated rows into figures. Nothing here loops over responses.

- NPS = 100 · (p − d), p and d the shares of promoters (9–10) and detractors (0–6) among those
  who answered the NPS question; 95 % margin of error 100 · 1.96 · sqrt((p + d − (p − d)²) / n).
- CSAT = the share of 4–5 answers on a 1–5 rating, ± 100 · 1.96 · sqrt(p (1 − p) / n).
- CES = the mean of 1–7 effort answers, ± 1.96 · s / sqrt(n).

The intervals are normal-approximation (Wald) intervals, value ± margin, with their ends clipped to
the figure's scale (``SCALES``). Figures keep full precision: pages round them when they print them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateField, F, Q, QuerySet, Sum
from django.db.models.functions import Trunc, TruncMonth, TruncWeek
from django.utils import timezone

from . import rollup
from .models import Display, MapScoreStat, Response, ResponseDay, ResponseDayChannel, ResponseTheme
from .nps import DETRACTOR_MAX, PROMOTER_MIN, nps, share_variance
from .validation import Channel

THIN_N = 30
# The map page's scores are of the last 90 days.
MAP_SCORE_DAYS = 90
Z95 = 1.96
# The range each figure can take: an interval end beyond it is clipped to it.
SCALES = {"nps": (-100.0, 100.0), "csat": (0.0, 100.0), "ces": (1.0, 7.0)}


@dataclass(frozen=True)
class Figure:
    """One statistic with its sample size and 95 % margin of error."""

    metric: str
    value: float | None
    margin: float | None
    n: int

    @property
    def thin(self) -> bool:
        return self.n < THIN_N

    @property
    def low(self) -> float | None:
        """Return the interval's lower end, from the unrounded value and margin, clipped to the scale."""
        if self.value is None or self.margin is None:
            return None
        return max(self.value - self.margin, SCALES[self.metric][0])

    @property
    def high(self) -> float | None:
        if self.value is None or self.margin is None:
            return None
        return min(self.value + self.margin, SCALES[self.metric][1])

    def as_dict(self) -> dict:
        # Spelled out rather than dataclasses.asdict (a deep copy): the map grid has hundreds of figures.
        return {
            "metric": self.metric,
            "value": self.value,
            "margin": self.margin,
            "n": self.n,
            "thin": self.thin,
            "low": self.low,
            "high": self.high,
        }


def nps_figure(promoters: int, detractors: int, n: int) -> Figure:
    """Return the NPS of ``n`` answers with its 95 % margin of error."""
    if not n:
        return Figure("nps", None, None, 0)
    return Figure(
        "nps", nps(promoters, detractors, n), 100 * Z95 * math.sqrt(share_variance(promoters, detractors, n)), n
    )


def csat_figure(satisfied: int, n: int) -> Figure:
    if not n:
        return Figure("csat", None, None, 0)
    p = satisfied / n
    return Figure("csat", 100 * p, 100 * Z95 * math.sqrt(p * (1 - p) / n), n)


def ces_figure(total: int | None, total_sq: int | None, n: int) -> Figure:
    if not n:
        return Figure("ces", None, None, 0)
    mean = (total or 0) / n
    if n < 2:
        return Figure("ces", mean, None, n)
    variance = max(((total_sq or 0) - n * mean * mean) / (n - 1), 0.0)
    return Figure("ces", mean, Z95 * math.sqrt(variance / n), n)


# The aggregations every grouping shares: one pass over the rows, all three figures. They count
# ``score`` (never null here: ``scored()`` filters it), not ``id``: ``id`` is in no statistics
# index, and counting it makes PostgreSQL read the table instead of the index alone (bench/).
AGGREGATES = {
    "n": Count("score"),
    "nps_n": Count("score", filter=Q(metric="nps")),
    "promoters": Count("score", filter=Q(metric="nps", score__gte=PROMOTER_MIN)),
    "detractors": Count("score", filter=Q(metric="nps", score__lte=DETRACTOR_MAX)),
    "csat_n": Count("score", filter=Q(metric="csat")),
    "csat_good": Count("score", filter=Q(metric="csat", score__gte=4)),
    "ces_n": Count("score", filter=Q(metric="ces")),
    "ces_sum": Sum("score", filter=Q(metric="ces")),
    "ces_sumsq": Sum(F("score") * F("score"), filter=Q(metric="ces")),
}


def figures(row: dict) -> dict[str, Figure]:
    """Turn one aggregated row into its NPS, CSAT and CES figures."""
    return {
        "nps": nps_figure(row["promoters"] or 0, row["detractors"] or 0, row["nps_n"] or 0),
        "csat": csat_figure(row["csat_good"] or 0, row["csat_n"] or 0),
        "ces": ces_figure(row["ces_sum"], row["ces_sumsq"], row["ces_n"] or 0),
    }


def scored(queryset: QuerySet[Response]) -> QuerySet[Response]:
    return queryset.filter(score__isnull=False).order_by()


def summary(queryset: QuerySet[Response]) -> dict:
    """Return ``{"n", "nps", "csat", "ces"}`` for all responses of ``queryset`` in one query."""
    row = scored(queryset).aggregate(**AGGREGATES)
    return {"n": row["n"], **figures(row)}


GROUPS = {
    "week": ("period", TruncWeek("created_at")),
    "month": ("period", TruncMonth("created_at")),
    "survey": ("survey_id", None),
    "stage": ("stage_id", None),
    "touchpoint": ("touchpoint_id", None),
    "persona": ("stage__journey_map__persona_id", None),
}


def grouped(queryset: QuerySet[Response], by: str) -> list[dict]:
    """Return one row per group (``by`` one of GROUPS), in one query: ``{"key", "n", "nps", …}``."""
    field, expression = GROUPS[by]
    queryset = scored(queryset)
    if expression is not None:
        queryset = queryset.annotate(period=expression)
    rows = queryset.values(field).annotate(**AGGREGATES).order_by(field)
    return [{"key": row[field], "n": row["n"], **figures(row)} for row in rows]


def _nulls_last(key):
    return (key is None, key)


def _period_groups(queryset: QuerySet[Response], by: str):
    """Return the scored rows of ``queryset`` grouped by (period, stage, touchpoint) with AGGREGATES."""
    _, period = GROUPS[by]
    return (
        scored(queryset)
        .annotate(period=period)
        .values("period", "stage_id", "touchpoint_id")
        .annotate(**AGGREGATES)
        .order_by()
    )


def breakdown(queryset: QuerySet[Response], by: str = "week", *, period_stage: bool = False) -> dict:
    """Return the totals, the trend (by ``by``: week or month), by stage and by touchpoint, in one query.

    One aggregation pass grouped by (period, stage, touchpoint) instead of four scans of the same
    rows; the groups are few (periods × touchpoints), so Python sums their counts and turns the
    sums into figures: the same figures as ``summary`` and ``grouped`` (counts and sums add up, the
    figures are computed from the sums). Groups come in key order, ``None`` last. With
    ``period_stage``, also ``by_period_stage``: one row per (period, stage) that has answers, keyed
    ``(period, stage_id)`` (the map statistics' week × stage grid), from the same pass.
    """
    return _summed([_period_groups(queryset, by)], period_stage=period_stage)


def _summed(row_sets: list, *, period_stage: bool = False) -> dict:
    """Add up groups of (period, stage, touchpoint) sums, from any number of sources, into
    ``breakdown``'s totals, trend, by stage, by touchpoint (and by period and stage)."""
    # Every rollup is summed in the same loop over the groups: one accumulator list per key.
    names = list(AGGREGATES)
    keys = {
        "totals": lambda row: None,
        "trend": lambda row: row["period"],
        "by_stage": lambda row: row["stage_id"],
        "by_touchpoint": lambda row: row["touchpoint_id"],
    }
    if period_stage:
        keys["by_period_stage"] = lambda row: (row["period"], row["stage_id"])
    sums: dict[str, dict] = {name: {} for name in keys}
    for rows in row_sets:
        for row in rows:
            values = [row[name] or 0 for name in names]
            for group, key_of in keys.items():
                key = key_of(row)
                acc = sums[group].get(key)
                if acc is None:
                    sums[group][key] = list(values)
                else:
                    for i, value in enumerate(values):
                        acc[i] += value

    def figures_of(acc: list | None) -> dict:
        row = dict(zip(names, acc or [0] * len(names), strict=True))
        return {"n": row["n"], **figures(row)}

    def listed(rollup: str, order=_nulls_last) -> list[dict]:
        found = sums[rollup]
        return [{"key": key, **figures_of(found[key])} for key in sorted(found, key=order)]

    result = {
        "totals": figures_of(sums["totals"].get(None)),
        "trend": listed("trend"),
        "by_stage": listed("by_stage"),
        "by_touchpoint": listed("by_touchpoint"),
    }
    if period_stage:
        result["by_period_stage"] = listed("by_period_stage", order=lambda key: (key[0], *_nulls_last(key[1])))
    return result


# Beyond this many changed (survey, day) pairs in a window, reading it from the responses is simpler.
STORED_DIRTY_MAX = 100
# The changed pairs the plan reads at most; with more queued, it reads the responses.
STORED_DIRTY_SCAN = 1000


@dataclass(frozen=True)
class StoredPlan:
    """How a window splits between the stored daily sums and the responses (``rollup``)."""

    first: date  # the stored days are first ≤ day < last
    last: date
    watermark: int
    dirty: list[tuple[int, date]]

    def raw(self, start: datetime, end: datetime) -> Q:
        """The responses of the window that are not in the stored sums read."""
        low, high = rollup.midnight(self.first), rollup.midnight(self.last)
        q = Q(created_at__gte=start, created_at__lt=low) | Q(created_at__gte=high, created_at__lt=end)
        q |= Q(id__gt=self.watermark, created_at__gte=low, created_at__lt=high)
        for survey_id, day in self.dirty:
            day_start, day_end = rollup.midnight(day), rollup.midnight(day + ONE_DAY)
            q |= Q(survey_id=survey_id, created_at__gte=day_start, created_at__lt=day_end)
        return q

    def stored(self, scope: Q, model=ResponseDay) -> QuerySet:
        days = model.objects.filter(scope, day__gte=self.first, day__lt=self.last)
        for survey_id, day in self.dirty:
            days = days.exclude(survey_id=survey_id, day=day)
        return days.order_by()


ONE_DAY = timedelta(days=1)


def stored_plan(start: datetime, end: datetime) -> StoredPlan | None:
    """Return how to read the window [start, end) from the stored daily sums, or None when they cannot
    serve it (SQLite, never refreshed, another time zone, no full stored day in it, too many changes):
    one query, the rollup's state with the changed days."""
    if not rollup.available():
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT zone, through, watermark,
                      (SELECT array_agg(survey_id || ' ' || day) FROM (
                          SELECT DISTINCT survey_id, day FROM feedback_responsedaydirty LIMIT %s) AS d)
               FROM feedback_responserollup LIMIT 1""",
            [STORED_DIRTY_SCAN],
        )
        state = cursor.fetchone()
    if state is None or state[0] != timezone.get_current_timezone_name():
        return None
    _zone, through, watermark, changed = state
    local_start = timezone.localtime(start)
    first = local_start.date()
    if local_start != rollup.midnight(first):
        first += ONE_DAY
    last = min(timezone.localtime(end).date(), through)
    if last <= first or len(changed or ()) >= STORED_DIRTY_SCAN:
        return None
    dirty = []
    for pair in changed or ():
        survey_id, day = pair.split(" ")
        day = date.fromisoformat(day)
        if first <= day < last:
            dirty.append((int(survey_id), day))
    if len(dirty) > STORED_DIRTY_MAX:
        return None
    return StoredPlan(first, last, watermark, sorted(dirty))


def _stored_groups(days: QuerySet[ResponseDay], by: str):
    """The stored daily sums grouped by (period, stage, touchpoint), their periods as ``breakdown``'s."""
    rows = (
        days.annotate(period=Trunc("day", by, output_field=DateField()))
        .values("period", "stage_id", "touchpoint_id")
        .annotate(**{name: Sum(name) for name in AGGREGATES})
    )
    # TruncWeek/TruncMonth of a response's created_at is local midnight in the current time zone.
    periods: dict = {}
    for row in rows:
        day = row["period"]
        if day not in periods:
            periods[day] = rollup.midnight(day)
        row["period"] = periods[day]
        yield row


def window_breakdown(
    scope: Q, start: datetime, end: datetime, by: str = "week", *, period_stage: bool = False, channels: bool = False
) -> tuple[dict, dict | None]:
    """Return ``breakdown`` of the responses matching ``scope`` (a filter on ``survey_id`` or
    ``stage_id``) created in [start, end), and with ``channels`` their count per channel (scored or
    not): the full stored days from the daily sums, the rest from the responses (``rollup``); the
    same answer as from the responses alone."""
    # The stored days add up to weeks and months; any other period is read from the responses.
    plan = stored_plan(start, end) if by in ("week", "month") else None
    if plan is None:
        responses = Response.objects.filter(scope, created_at__gte=start, created_at__lt=end)
        by_channel = dict(responses.order_by().values_list("channel").annotate(n=Count("pk"))) if channels else None
        return breakdown(responses, by, period_stage=period_stage), by_channel
    responses = Response.objects.filter(scope).filter(plan.raw(start, end))
    stored = plan.stored(scope)
    found = _summed([_period_groups(responses, by), _stored_groups(stored, by)], period_stage=period_stage)
    by_channel = None
    if channels:
        by_channel = dict(responses.order_by().values_list("channel").annotate(n=Count("pk")))
        stored_channels = plan.stored(scope, ResponseDayChannel).values_list("channel").annotate(total=Sum("responses"))
        for channel, count in stored_channels:
            by_channel[channel] = by_channel.get(channel, 0) + count
    return found, by_channel


def window(days: int | None = None, start: datetime | None = None, end: datetime | None = None) -> Q:
    end = end or timezone.now()
    start = start or (end - timedelta(days=days or 90))
    return Q(created_at__gte=start, created_at__lt=end)


def response_rate(survey_id: int, start: datetime, end: datetime, responses: int) -> dict:
    """Return the share of displays that became a response, in one query."""
    shown = Display.objects.filter(
        survey_id=survey_id, event=Display.Event.SHOWN, created_at__gte=start, created_at__lt=end
    ).count()
    rate = 100 * min(responses, shown) / shown if shown else None
    return {"displays": shown, "responses": responses, "rate": rate}


def channel_rates(answers_by_channel: dict[str, int], widget: dict) -> list[dict]:
    """Return each channel's responses and response rate, the widget first.

    Only the widget records displays (``displays/``), so only the widget has a rate; the hosted
    link, email, API and app channels have no denominator and say so (``rate`` None).
    """
    rows = [{"channel": "widget", **widget}]
    for channel in sorted(answers_by_channel, key=lambda c: ((*Channel.ALL, c).index(c), c)):
        if channel != "widget":
            rows.append({"channel": channel, "displays": None, "responses": answers_by_channel[channel], "rate": None})
    return rows


def survey_stats(survey, *, days: int = 180, by: str = "week", end: datetime | None = None) -> dict:
    """Return what the results page and ``surveys/<id>/stats/`` show.

    Totals, trend, by stage and by touchpoint (one aggregation pass, ``breakdown``), response
    rate and themes.
    """
    end = end or timezone.now()
    start = end - timedelta(days=days)
    responses = Response.objects.filter(survey_id=survey.pk).filter(created_at__gte=start, created_at__lt=end)
    figures_, by_channel = window_breakdown(Q(survey_id=survey.pk), start, end, by, channels=True)
    # A rate is answers over displays of the same channel: the widget's answers over its displays.
    widget = response_rate(survey.pk, start, end, by_channel.get("widget", 0))
    return {
        "start": start,
        "end": end,
        **figures_,
        "rate": widget,
        "rate_by_channel": channel_rates(by_channel, widget),
        "themes": theme_counts(responses),
    }


def _map_elements(journey_map) -> tuple[list[dict], list[dict]]:
    """Return the map's stages and touchpoints (id, name, …) in map order, in one query."""
    from journeys.models import Stage

    rows = (
        Stage.objects.filter(journey_map=journey_map)
        .order_by("position", "id", "touchpoints__position", "touchpoints__id")
        .values("id", "name", "position", "touchpoints__id", "touchpoints__name")
    )
    stages: dict[int, dict] = {}
    touchpoints = []
    for row in rows:
        stages.setdefault(row["id"], {"id": row["id"], "name": row["name"], "position": row["position"]})
        if row["touchpoints__id"] is not None:
            touchpoints.append({"id": row["touchpoints__id"], "name": row["touchpoints__name"], "stage": row["id"]})
    return list(stages.values()), touchpoints


def _cell(row: dict) -> dict:
    """Return a (period, stage) group as ``{"period", "stage", "n", "nps", "csat", "ces"}``."""
    period, stage = row["key"]
    return {"period": period, "stage": stage, **{name: value for name, value in row.items() if name != "key"}}


def map_stats(journey_map, *, days: int = 90, by: str = "week", end: datetime | None = None) -> dict:
    """Return what the map's Scores page and ``maps/<id>/stats/`` show: three queries, whatever the map's size.

    Over the answers placed on the map's stages in the window: totals, trend by ``by`` (week or
    month), by stage and by touchpoint (every stage and touchpoint of the map, in map order, with
    ``n`` = 0 where nobody answered; answers on a stage but no touchpoint last, ``key`` None), and
    ``by_period_stage``, the period × stage grid (only the cells with answers, by period, then
    stage order). One aggregation pass (``breakdown``) after one query for the map's stage and
    touchpoint names.
    """
    end = end or timezone.now()
    start = end - timedelta(days=days)
    stages, touchpoints = _map_elements(journey_map)
    empty = {"totals": {"n": 0, **figures(dict.fromkeys(AGGREGATES, 0))}, "trend": [], "by_period_stage": []}
    found = (
        window_breakdown(Q(stage_id__in=[s["id"] for s in stages]), start, end, by, period_stage=True)[0]
        if stages
        else {**empty, "by_stage": [], "by_touchpoint": []}
    )
    position = {stage["id"]: i for i, stage in enumerate(stages)}
    stage_rows = {row["key"]: row for row in found["by_stage"]}
    touchpoint_rows = {row["key"]: row for row in found["by_touchpoint"]}

    def row_for(rows: dict, key) -> dict:
        return rows.get(key) or {"key": key, **empty["totals"]}

    by_touchpoint = [
        {**row_for(touchpoint_rows, tp["id"]), "name": tp["name"], "stage": tp["stage"]} for tp in touchpoints
    ]
    known = {tp["id"] for tp in touchpoints}
    # Answers on the map's stages whose touchpoint is gone (deleted: null) or moved to another map.
    by_touchpoint += [{**row, "name": None, "stage": None} for key, row in touchpoint_rows.items() if key not in known]
    return {
        "start": start,
        "end": end,
        "by": by,
        "stages": stages,
        "totals": found["totals"],
        "trend": found["trend"],
        "by_stage": [{**row_for(stage_rows, s["id"]), "name": s["name"]} for s in stages],
        "by_touchpoint": by_touchpoint,
        "by_period_stage": sorted(
            (_cell(row) for row in found["by_period_stage"]),
            key=lambda row: (row["period"], position.get(row["stage"], len(position))),
        ),
    }


def theme_counts(responses: QuerySet[Response], by_stage: bool = False) -> list[dict]:
    """Return how many responses each theme tagged (per stage when asked), in one query."""
    fields = ["theme_id", "theme__name", "theme__color"] + (
        ["response__stage_id", "response__stage__name"] if by_stage else []
    )
    rows = (
        ResponseTheme.objects.filter(response__in=responses.order_by().values("id"))
        .values(*fields)
        .annotate(count=Count("id"))
        .order_by("-count", "theme__name")
    )
    return [
        {
            "theme": row["theme_id"],
            "name": row["theme__name"],
            "color": row["theme__color"],
            "count": row["count"],
            **({"stage": row["response__stage_id"], "stage_name": row["response__stage__name"]} if by_stage else {}),
        }
        for row in rows
    ]


def figure_json(row: dict) -> dict:
    """Return a grouped row with its figures as plain dicts (for the API and charts)."""
    out = {}
    for key, value in row.items():
        if isinstance(value, Figure):
            out[key] = value.as_dict()
        elif isinstance(value, datetime):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


SCORE_NAMES = list(AGGREGATES)


def _add(found: dict, key, values: list) -> None:
    acc = found.get(key)
    if acc is None:
        found[key] = values.copy()
    else:
        for i, value in enumerate(values):
            acc[i] += value


def score_figures(sums: dict) -> dict:
    """Return ``{key: {"key", "n", "nps", "csat", "ces"}}`` from ``{key: [sums in AGGREGATES' order]}``."""
    out = {}
    for key, acc in sums.items():
        row = dict(zip(SCORE_NAMES, acc, strict=True))
        out[key] = {"key": key, "n": row["n"], **figures(row)}
    return out


def map_score_sums(
    stage_ids: list[int], touchpoint_ids: list[int], days: int = 90, end: datetime | None = None
) -> tuple[dict, dict]:
    """Return ``({touchpoint_id: sums}, {stage_id: sums})`` of the last ``days`` before ``end``, the
    sums in ``AGGREGATES``' order: one query.

    One pass grouped by (stage, touchpoint), summed per touchpoint and per stage in Python (the
    counts and sums add up, as in ``breakdown``): the map page's two groupings read the answers once.
    """
    if not stage_ids and not touchpoint_ids:
        return {}, {}
    rows = (
        scored(Response.objects.filter(window(days, end=end)))
        .filter(Q(touchpoint_id__in=touchpoint_ids) | Q(stage_id__in=stage_ids))
        .values("stage_id", "touchpoint_id")
        .annotate(**AGGREGATES)
        .values_list("stage_id", "touchpoint_id", *SCORE_NAMES)
    )
    wanted_touchpoints, wanted_stages = set(touchpoint_ids), set(stage_ids)
    by_touchpoint: dict = {}
    by_stage: dict = {}
    for stage_id, touchpoint_id, *sums in rows:
        values = [value or 0 for value in sums]
        if touchpoint_id in wanted_touchpoints:
            _add(by_touchpoint, touchpoint_id, values)
        if stage_id in wanted_stages:
            _add(by_stage, stage_id, values)
    return by_touchpoint, by_stage


def map_scores(
    stage_ids: list[int], touchpoint_ids: list[int], days: int = 90, end: datetime | None = None
) -> tuple[dict, dict]:
    """Return ``({touchpoint_id: figures}, {stage_id: figures})`` of the last ``days``: one query,
    computed now (the map page reads the stored ones, ``stored_map_scores``)."""
    by_touchpoint, by_stage = map_score_sums(stage_ids, touchpoint_ids, days, end)
    return score_figures(by_touchpoint), score_figures(by_stage)


# --- stored aggregates for the map page ------------------------------------------------------------


@transaction.atomic
def map_scores_refresh_all(*, days: int = MAP_SCORE_DAYS, now: datetime | None = None) -> int:
    """Store every map's score sums of the last ``days`` (the beat task); return the rows written.

    One pass over the period's answers for all maps, grouped by (stage, touchpoint) as
    ``map_score_sums`` groups one map's, each group added to the map of its touchpoint and to the
    map of its stage. A row for every map, so a map without answers reads "none" rather than
    counting them per view. The system's own bookkeeping: no actor.
    """
    from journeys.models import JourneyMap, Stage, Touchpoint

    now = now or timezone.now()
    map_of_stage = dict(Stage.objects.order_by().values_list("pk", "journey_map_id"))
    map_of_touchpoint = dict(Touchpoint.objects.order_by().values_list("pk", "stage__journey_map_id"))
    sums = {map_id: ({}, {}) for map_id in JourneyMap.objects.order_by().values_list("pk", flat=True)}
    rows = (
        scored(Response.objects.filter(window(days, end=now)))
        .values("stage_id", "touchpoint_id")
        .annotate(**AGGREGATES)
        .values_list("stage_id", "touchpoint_id", *SCORE_NAMES)
    )
    for stage_id, touchpoint_id, *found in rows:
        values = [value or 0 for value in found]
        map_id = map_of_touchpoint.get(touchpoint_id)
        if map_id in sums:
            _add(sums[map_id][0], touchpoint_id, values)
        map_id = map_of_stage.get(stage_id)
        if map_id in sums:
            _add(sums[map_id][1], stage_id, values)
    MapScoreStat.objects.filter(days=days).delete()
    MapScoreStat.objects.bulk_create(
        MapScoreStat(
            journey_map_id=map_id,
            days=days,
            computed_at=now,
            names=SCORE_NAMES,
            touchpoints=[[key, *acc] for key, acc in sorted(by_touchpoint.items())],
            stages=[[key, *acc] for key, acc in sorted(by_stage.items())],
        )
        for map_id, (by_touchpoint, by_stage) in sums.items()
    )
    return len(sums)


def stored_map_scores(
    journey_map, *, days: int = MAP_SCORE_DAYS, now: datetime | None = None
) -> tuple[datetime, dict, dict] | None:
    """Return ``(computed_at, {touchpoint_id: figures}, {stage_id: figures})`` as ``map_scores`` computed
    them at ``computed_at``, or None when nothing recent enough is stored (one query)."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.FEEDBACK_MAP_SCORES_MAX_AGE_SECONDS)
    row = (
        MapScoreStat.objects.filter(journey_map=journey_map, days=days, computed_at__gte=since)
        .values_list("computed_at", "names", "touchpoints", "stages")
        .first()
    )
    if row is None or row[1] != SCORE_NAMES:
        return None
    computed_at, _names, touchpoints, stages = row
    return (
        computed_at,
        score_figures({key: sums for key, *sums in touchpoints}),
        score_figures({key: sums for key, *sums in stages}),
    )

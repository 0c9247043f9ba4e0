"""Stage figures from the stage transitions: entered, conversion to the next stage, time in stage.

For a map and a period ``[start, end)``, per stage (the map's stages in order; "next" is the stage
after it on the map, the last stage has none):

- **entered**: the profiles who entered the stage in the period (each once: their first entry in it);
- **converted**: of those, the ones who entered the next stage after that entry and before the
  period's end: a share with its Wilson 95 % interval and n (every period measured at its own end,
  so two periods compare like with like);
- **time in stage**: for every stay that ended in the period (the profile's next transition on the
  map came in it), the time from entering the stage to that next transition, in seconds: n, the
  median and a distribution-free 95 % interval of the median (the order statistics the binomial
  distribution gives; none below 6 stays).

``stage_changes`` puts two consecutive periods side by side (the weekly review's "since the last
review" against the period of the same length before it) and ranks the largest changes.
The map page reads ``StageStat`` rows that ``stage_stats_refresh`` stores: computed by a task,
never per view.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Window
from django.db.models.functions import Lead
from django.utils import timezone
from django.utils.translation import gettext_noop

from customers.models import ProfileStage, StageTransition
from customers.overlay import PERIODS
from journeys.models import JourneyMap, Stage

from .models import StageStat
from .query import rate, rate_difference

LAST_STAGE = gettext_noop("The last stage has no next stage.")
# Below this many stays the order statistics cannot give a 95 % interval of the median.
MEDIAN_CI_MIN = 6
# The periods the map page offers (customers' tracking period): a row per stage and period.
STAT_PERIODS = PERIODS


def median_interval(values: list[float]) -> dict:
    """Return ``{n, median, low, high}``: the median and its distribution-free 95 % interval.

    The interval runs from the l-th to the (n − l + 1)-th smallest value, l the smallest count
    whose binomial(n, ½) probability reaches 2.5 %: its coverage is at least 95 %.
    """
    n = len(values)
    if not n:
        return {"n": 0, "median": None, "low": None, "high": None}
    ordered = sorted(values)
    low = high = None
    from scipy.stats import binom  # a slow import most processes never need

    rank = int(binom.ppf(0.025, n, 0.5))
    if n >= MEDIAN_CI_MIN and rank >= 1:
        low, high = ordered[rank - 1], ordered[n - rank]
    return {"n": n, "median": statistics.median(ordered), "low": low, "high": high}


def _stages(journey_map: JourneyMap) -> list[Stage]:
    return list(Stage.objects.filter(journey_map=journey_map).order_by("position", "id"))


def stage_figures(
    journey_map: JourneyMap, *, start: datetime, end: datetime, stages: list[Stage] | None = None
) -> dict:
    """Return ``{stage_id: {entered, converted, conversion, next_stage, time_in_stage}}`` for ``[start, end)``."""
    stages = stages if stages is not None else _stages(journey_map)
    following = {s.pk: (stages[i + 1].pk if i + 1 < len(stages) else None) for i, s in enumerate(stages)}
    moves: dict[int, list[tuple]] = {}
    rows = (
        StageTransition.objects.filter(journey_map=journey_map, entered_at__gte=start, entered_at__lt=end)
        .order_by("profile_id", "entered_at", "id")
        .values_list("profile_id", "to_stage_id", "entered_at")
    )
    for profile_id, stage_id, at in rows.iterator(chunk_size=5000):
        moves.setdefault(profile_id, []).append((stage_id, at))
    entered = {s.pk: 0 for s in stages}
    converted = {s.pk: 0 for s in stages}
    for own in moves.values():
        seen = set()
        for index, (stage_id, _at) in enumerate(own):
            if stage_id in seen or stage_id not in entered:
                continue
            seen.add(stage_id)
            entered[stage_id] += 1
            target = following[stage_id]
            if target is not None and any(later == target for later, _t in own[index + 1 :]):
                converted[stage_id] += 1
    # Stays that ended in the period: each transition and the profile's next one on the map.
    stays = (
        StageTransition.objects.filter(journey_map=journey_map, entered_at__lt=end)
        .annotate(
            left_at=Window(
                Lead("entered_at"), partition_by=[F("profile_id")], order_by=[F("entered_at").asc(), F("id").asc()]
            )
        )
        .filter(left_at__gte=start, left_at__lt=end)
        .values_list("to_stage_id", "entered_at", "left_at")
    )
    durations: dict[int, list[float]] = {s.pk: [] for s in stages}
    for stage_id, at, left in stays.iterator(chunk_size=5000):
        if stage_id in durations:
            durations[stage_id].append((left - at).total_seconds())
    figures = {}
    for stage in stages:
        target = following[stage.pk]
        share = rate(converted[stage.pk], entered[stage.pk]) if target is not None else None
        figures[stage.pk] = {
            "stage": stage.pk,
            "name": stage.name,
            "next_stage": target,
            "entered": entered[stage.pk],
            "converted": converted[stage.pk] if target is not None else None,
            "conversion": share
            or {"k": 0, "n": entered[stage.pk], "value": None, "low": None, "high": None, "reason": LAST_STAGE},
            "time_in_stage": {"unit": "seconds", **median_interval(durations[stage.pk])},
        }
    return figures


def stage_changes(journey_map: JourneyMap, *, since: datetime, until: datetime, top: int = 3) -> dict:
    """Return the largest changes in conversion and time in stage, ``[since, until)`` against the period before.

    Conversion changes are ranked by the absolute difference in the share (Newcombe's interval given);
    time-in-stage changes by the absolute relative change of the median. Stages without figures on
    both sides are left out of the ranking (a change of nothing is no change).
    """
    stages = _stages(journey_map)
    length = max(until - since, timedelta(days=1))
    before_start = since - length
    now_figures = stage_figures(journey_map, start=since, end=until, stages=stages)
    then_figures = stage_figures(journey_map, start=before_start, end=since, stages=stages)
    names = {s.pk: s.name for s in stages}
    conversion, time_in_stage = [], []
    for stage in stages:
        now, then = now_figures[stage.pk], then_figures[stage.pk]
        if now["next_stage"] is not None and now["conversion"]["n"] and then["conversion"]["n"]:
            difference = rate_difference(
                then["conversion"]["k"], then["conversion"]["n"], now["conversion"]["k"], now["conversion"]["n"]
            )
            conversion.append(
                {
                    "stage": stage.pk,
                    "name": stage.name,
                    "next_stage": now["next_stage"],
                    "next_name": names[now["next_stage"]],
                    "before": then["conversion"],
                    "after": now["conversion"],
                    "difference": difference,
                }
            )
        a, b = then["time_in_stage"], now["time_in_stage"]
        if a["median"] and b["median"] is not None:
            time_in_stage.append(
                {
                    "stage": stage.pk,
                    "name": stage.name,
                    "before": a,
                    "after": b,
                    "change_seconds": b["median"] - a["median"],
                    "change_ratio": b["median"] / a["median"] - 1,
                }
            )
    conversion.sort(key=lambda row: (-abs(row["difference"]["value"]), row["stage"]))
    time_in_stage.sort(key=lambda row: (-abs(row["change_ratio"]), row["stage"]))
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "before_since": before_start.isoformat(),
        "conversion": conversion[:top],
        "time_in_stage": time_in_stage[:top],
    }


# --- stored aggregates for the map page ------------------------------------------------------------


@transaction.atomic
def stage_stats_refresh(*, journey_map: JourneyMap, now: datetime | None = None) -> int:
    """Store the map's stage figures for each period the map page offers; return the rows written.

    The system's own bookkeeping (the beat task calls it), so it takes no actor: it changes no one's
    data, only the stored copy of figures anyone in the team may read.
    """
    now = now or timezone.now()
    stages = _stages(journey_map)
    here = dict(
        ProfileStage.objects.filter(journey_map=journey_map)
        .values("stage_id")
        .annotate(n=Count("id"))
        .values_list("stage_id", "n")
    )
    rows = []
    for days in STAT_PERIODS:
        start = now - timedelta(days=days)
        figures = stage_figures(journey_map, start=start, end=now, stages=stages)
        for stage in stages:
            f = figures[stage.pk]
            share, stay = f["conversion"], f["time_in_stage"]
            rows.append(
                StageStat(
                    journey_map=journey_map,
                    stage=stage,
                    days=days,
                    computed_at=now,
                    in_stage_now=here.get(stage.pk, 0),
                    entered=f["entered"],
                    converted=f["converted"],
                    conversion=share["value"],
                    conversion_low=share["low"],
                    conversion_high=share["high"],
                    time_n=stay["n"],
                    time_median=stay["median"],
                    time_low=stay["low"],
                    time_high=stay["high"],
                )
            )
    StageStat.objects.filter(journey_map=journey_map).delete()
    StageStat.objects.bulk_create(rows)
    return len(rows)


def stage_stats_refresh_all(*, now: datetime | None = None) -> int:
    """Refresh every map with stage transitions (the beat task); return the rows written."""
    written = 0
    map_ids = StageTransition.objects.order_by().values_list("journey_map_id", flat=True).distinct()
    for journey_map in JourneyMap.objects.filter(pk__in=map_ids).order_by("pk"):
        written += stage_stats_refresh(journey_map=journey_map, now=now)
    return written

"""The map's stage funnel from stored rows: the same figures as ``SqlEngine.stage_figures``, read from
a few thousand rows instead of walked from the transitions on every view (PostgreSQL only).

What is stored, per map, for the funnel of its stages in order with their default windows (the
longest SLA of each stage's touchpoints) in the team's time zone — the ``signature`` kept on
``StageFunnelState``:

- ``StageFunnelEntry``: every step-1 transition of every profile, walked through the stages by the
  funnel's rules (``analytics.funnels``): how many steps it reached, the day it happened in the
  team's zone, the day of its time rounded to the millisecond (the rule's test of the period's end)
  and the day of the profile's previous step-1 transition. A profile's first entry in a period
  ``[first day, last day]`` is the entry whose day is at least the first day, whose rounded day is
  at most the last day and whose previous entry's day is before the first day (or which has none):
  the period's funnel is a sum over entries, not a walk.
- ``StageFunnelDuration``: per entry and step reached after the first, the time from the previous
  step in milliseconds and its fine histogram bin (``FINE_EDGES_MS``: every edge of the page's
  histogram, each of its bins cut in eight).
- ``StageFunnelDay`` and ``StageFunnelBin``: the two summed by (day, rounded day, previous day,
  persona, steps reached) and (day, rounded day, previous day, step, fine bin). A period reads these:
  counts, weeks, personas and histograms are sums; a median is found in its fine bin by the bins'
  counts and then read exactly from ``StageFunnelDuration`` (one bin's durations, in index order).

Kept exact: triggers (migration 0003) queue a profile in ``StageFunnelDirty`` whenever its stage
transitions are inserted, moved (a merge) or deleted, or its persona trait changes;
``stage_funnel_refresh`` recomputes the queued profiles' rows and applies the difference to the
sums. It runs every minute (``analytics.tasks.stage_funnels_refresh_all``) and before every read
that finds the map's queue non-empty; a read that finds more than ``REFRESH_ON_READ_LIMIT`` profiles queued, or a
query other than the stored one (other windows, stages or time zone: an SLA, the map or the team's
zone changed, and the next run rebuilds), is answered by ``stage_figures`` instead. So a stored
answer is never stale. ``manage.py stage_funnels_rebuild`` rebuilds maps by hand.
"""

from __future__ import annotations

import bisect
import itertools
from datetime import datetime, timedelta

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from journeys.models import JourneyMap

from .funnels import (
    HISTOGRAM_EDGES,
    MAX_STEPS,
    NO_JIT,
    FunnelQuery,
    _stage_figures_from,
    aggregates_in_database,
    stage_step_cte,
    stage_windows,
    team_zone,
)
from .models import StageFunnelDirty, StageFunnelState

FINE_PER_BIN = 8
# The last bin of the page's histogram (30 days and more) is cut up to a year, then left open.
_LAST_FINE_EDGE = 366 * 86400


def _fine_edges() -> list[int]:
    edges = []
    coarse = [*HISTOGRAM_EDGES, _LAST_FINE_EDGE]
    for low, high in itertools.pairwise(coarse):
        for part in range(FINE_PER_BIN):
            if low == 0:
                edge = low * 1000 + (high - low) * 1000 * part // FINE_PER_BIN
            else:
                edge = round(low * 1000 * (high / low) ** (part / FINE_PER_BIN))
            edges.append(edge)
    edges.append(_LAST_FINE_EDGE * 1000)
    return edges


# Bin b (1-based, as PostgreSQL's width_bucket counts) holds durations in [FINE_EDGES_MS[b-1], FINE_EDGES_MS[b]).
FINE_EDGES_MS = _fine_edges()
# The page's bin (0-based) each fine bin falls in: every page edge is a fine edge.
COARSE_OF_FINE = {
    b: bisect.bisect_right([e * 1000 for e in HISTOGRAM_EDGES], FINE_EDGES_MS[b - 1]) - 1
    for b in range(1, len(FINE_EDGES_MS) + 1)
}
# Beyond this many profiles queued for a map, a read is answered by ``stage_figures`` and the
# task catches up: a read should not spend seconds refreshing.
REFRESH_ON_READ_LIMIT = 2000
# pg_advisory_xact_lock's first key: the map's id is the second. Refreshes take it exclusively, reads shared.
LOCK_SPACE = 19019
# How long a read waits for a refresh or build holding its map's lock before it walks instead: a
# routine refresh takes well under a second, a build of a large map minutes.
READ_LOCK_WAIT = "2s"

MS = "CAST(ROUND(EXTRACT(EPOCH FROM {}) * 1000) AS BIGINT)"


# --- what a map's stored funnel answers -------------------------------------------------------


def map_signature(journey_map: JourneyMap) -> dict | None:
    """Return the signature of the map's own funnel as it is configured now, or None without one."""
    stages = list(journey_map.stages.order_by("position", "id"))
    if not 2 <= len(stages) <= MAX_STEPS:
        return None
    windows = stage_windows(stages)
    return {
        "stages": [stage.pk for stage in stages],
        "windows": [int(windows[stage.pk].total_seconds() * 1000) for stage in stages],
        "time_zone": str(team_zone(journey_map.team)),
    }


def query_signature(query: FunnelQuery) -> dict | None:
    """Return the signature a stored funnel needs to answer ``query``, or None if none can."""
    if connection.vendor != "postgresql" or query.journey_map is None or not query.is_stage_funnel:
        return None
    if not aggregates_in_database(query) or query.breakdown.startswith("property:"):
        return None
    tz = query.tzinfo
    for moment in (query.start, query.end):
        if moment.astimezone(tz).timetz().replace(tzinfo=None) != datetime.min.time():
            return None  # the stored days cut the period at the zone's midnights only
    return {
        "stages": [step.ref for step in query.steps],
        "windows": [int(step.window.total_seconds() * 1000) for step in query.steps],
        "time_zone": str(tz),
    }


def _lock(cursor, map_id: int, *, shared: bool = False, wait: str | None = None) -> bool:
    """Take the map's lock until the transaction ends; with ``wait`` (e.g. "2s"), give up after that
    long and return False: a read does not queue behind a rebuild, it walks."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    if wait is None:
        cursor.execute(f"SELECT {function}(%s, %s)", [LOCK_SPACE, map_id])
        return True
    try:
        with transaction.atomic():  # a savepoint: the timeout's error leaves the transaction usable
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [wait])
            cursor.execute(f"SELECT {function}(%s, %s)", [LOCK_SPACE, map_id])
    except OperationalError:
        return False
    finally:
        cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    return True


# --- building and refreshing ------------------------------------------------------------------


def _walk(cursor, map_id: int, signature: dict, profiles: list[int] | None) -> None:
    """Fill ``pg_temp.sf_walk`` with every step-1 transition of the map (of ``profiles`` only, if
    given) walked through the stages as ``SqlEngine.stage_figures`` walks a period's first entries."""
    stage_ids, windows = signature["stages"], signature["windows"]
    n = len(stage_ids)
    params: dict = {"map": map_id, "stage_1": stage_ids[0], "profiles": profiles}
    only = " AND t.profile_id = ANY(%(profiles)s)" if profiles is not None else ""
    ctes = [
        "s1 AS MATERIALIZED (SELECT t.profile_id AS pid, t.id AS id_1, t.entered_at AS at_1, "  # noqa: S608
        f"{MS.format('t.entered_at')} AS ms_1, lag(t.entered_at) OVER (PARTITION BY t.profile_id "
        "ORDER BY t.entered_at, t.id) AS prev_at FROM customers_stagetransition t "
        f"WHERE t.journey_map_id = %(map)s AND t.to_stage_id = %(stage_1)s{only})"
    ]
    for k in range(2, n + 1):
        params[f"stage_{k}"] = stage_ids[k - 1]
        params[f"window_{k}"] = windows[k - 1]
        ctes.append(stage_step_cte(k, MS.format("c.entered_at")))  # as stage_figures walks
    columns = ", ".join(f"ms_{k}" for k in range(1, n + 1))
    cursor.execute("DROP TABLE IF EXISTS pg_temp.sf_walk")
    cursor.execute(
        "CREATE TEMPORARY TABLE sf_walk ON COMMIT DROP AS WITH "  # noqa: S608 (the module's own SQL)
        + ", ".join(ctes)
        + f" SELECT pid, id_1, at_1, prev_at, {columns} FROM s{n}",  # noqa: S608
        params,
    )


def _store_walk(cursor, map_id: int, signature: dict) -> None:
    """Store ``pg_temp.sf_walk``'s entries and durations."""
    n = len(signature["stages"])
    params = {"map": map_id, "tz": signature["time_zone"], "edges": FINE_EDGES_MS}
    days = (
        "(w.at_1 AT TIME ZONE %(tz)s)::date, (to_timestamp(w.ms_1 / 1000.0::float8) AT TIME ZONE %(tz)s)::date, "
        "(w.prev_at AT TIME ZONE %(tz)s)::date"
    )
    reached = " + ".join(["1", *(f"(w.ms_{k} IS NOT NULL)::int" for k in range(2, n + 1))])
    cursor.execute(
        "INSERT INTO analytics_stagefunnelentry (journey_map_id, profile_id, transition_id, entered_at, day, "  # noqa: S608
        f"round_day, prev_day, persona, reached) SELECT %(map)s, w.pid, w.id_1, w.at_1, {days}, "
        f"p.traits ->> 'persona', {reached} FROM pg_temp.sf_walk w LEFT JOIN customers_profile p ON p.id = w.pid",
        params,
    )
    steps = ", ".join(f"({k}, w.ms_{k} - w.ms_{k - 1})" for k in range(2, n + 1))
    cursor.execute(
        "INSERT INTO analytics_stagefunnelduration (journey_map_id, profile_id, step, bin, duration_ms, day, "  # noqa: S608
        f"round_day, prev_day) SELECT %(map)s, w.pid, d.step, width_bucket(d.ms, %(edges)s::bigint[]), d.ms, {days} "
        f"FROM pg_temp.sf_walk w CROSS JOIN LATERAL (VALUES {steps}) d(step, ms) WHERE d.ms IS NOT NULL",
        params,
    )


# The sums' keys, and the rows each sums: (table, source, key columns).
SUMS = (
    ("analytics_stagefunnelday", "analytics_stagefunnelentry", ["day", "round_day", "prev_day", "persona", "reached"]),
    ("analytics_stagefunnelbin", "analytics_stagefunnelduration", ["day", "round_day", "prev_day", "step", "bin"]),
)


def _sum_all(cursor, map_id: int) -> None:
    """Sum the map's day and bin rows from all its entries and durations."""
    for table, source, keys in SUMS:
        columns = ", ".join(keys)
        cursor.execute(f"DELETE FROM {table} WHERE journey_map_id = %s", [map_id])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {table} (journey_map_id, {columns}, entries) SELECT %(map)s, {columns}, count(*) "  # noqa: S608
            f"FROM {source} WHERE journey_map_id = %(map)s GROUP BY {columns}",
            {"map": map_id},
        )


def _count_into_deltas(cursor, params: dict, *, sign: int) -> None:
    """Add the queued profiles' entries and durations, counted per key, to ``pg_temp.sf_delta_<n>``
    (negated with ``sign=-1``: what they contributed before the refresh)."""
    for index, (_table, source, keys) in enumerate(SUMS):
        columns = ", ".join(keys)
        cursor.execute(
            f"INSERT INTO pg_temp.sf_delta_{index} SELECT {columns}, {sign} * count(*) FROM {source} "  # noqa: S608
            f"WHERE journey_map_id = %(map)s AND profile_id = ANY(%(profiles)s) GROUP BY {columns}",
            params,
        )


def _apply_deltas(cursor, map_id: int) -> None:
    """Apply the net of ``pg_temp.sf_delta_<n>`` to the day and bin rows: only the keys the queued
    profiles touch change, so a refresh costs what it recomputes, not what the map holds. Safe
    because refreshes of a map hold its lock exclusively."""
    for index, (table, _source, keys) in enumerate(SUMS):
        columns = ", ".join(keys)
        match = " AND ".join(f"t.{key} IS NOT DISTINCT FROM n.{key}" for key in keys)
        cursor.execute("DROP TABLE IF EXISTS pg_temp.sf_net")
        cursor.execute(
            f"CREATE TEMPORARY TABLE sf_net ON COMMIT DROP AS SELECT {columns}, sum(entries) AS entries "  # noqa: S608
            f"FROM pg_temp.sf_delta_{index} GROUP BY {columns} HAVING sum(entries) <> 0"
        )
        cursor.execute(
            f"UPDATE {table} t SET entries = t.entries + n.entries FROM pg_temp.sf_net n "  # noqa: S608
            f"WHERE t.journey_map_id = %s AND t.day = n.day AND {match}",
            [map_id],
        )
        cursor.execute(
            f"INSERT INTO {table} (journey_map_id, {columns}, entries) SELECT %s, {columns}, n.entries "  # noqa: S608
            f"FROM pg_temp.sf_net n WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.journey_map_id = %s "
            f"AND t.day = n.day AND {match})",
            [map_id, map_id],
        )
        cursor.execute(
            f"DELETE FROM {table} WHERE journey_map_id = %s AND entries = 0 "  # noqa: S608
            "AND day IN (SELECT day FROM pg_temp.sf_net)",
            [map_id],
        )
        cursor.execute("DROP TABLE pg_temp.sf_net")
        cursor.execute(f"DROP TABLE pg_temp.sf_delta_{index}")


def stage_funnel_build(*, journey_map: JourneyMap) -> StageFunnelState | None:
    """(Re)build the map's stored funnel from all its transitions; None (and nothing stored) when
    the map has no funnel (fewer than two stages, or more than a funnel takes)."""
    map_id = journey_map.pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(NO_JIT)
        _lock(cursor, map_id)
        # The queue first: whatever is committed after this statement stays queued for the next refresh.
        cursor.execute("DELETE FROM analytics_stagefunneldirty WHERE journey_map_id = %s", [map_id])
        for table in ("entry", "duration", "day", "bin"):
            cursor.execute(f"DELETE FROM analytics_stagefunnel{table} WHERE journey_map_id = %s", [map_id])  # noqa: S608
        signature = map_signature(journey_map)
        if signature is None:
            StageFunnelState.objects.filter(journey_map=journey_map).delete()
            return None
        _walk(cursor, map_id, signature, None)
        _store_walk(cursor, map_id, signature)
        _sum_all(cursor, map_id)
        cursor.execute("DROP TABLE pg_temp.sf_walk")
        now = timezone.now()
        state, _created = StageFunnelState.objects.update_or_create(
            journey_map=journey_map, defaults={"signature": signature, "built_at": now, "refreshed_at": now}
        )
    return state


def stage_funnel_vacuum() -> bool:
    """VACUUM ANALYZE the stored tables after a build, outside any transaction (False inside one).

    The median's read is an index-only scan of one bin's durations; until the rows a build wrote
    are in the visibility map each of them is fetched from the table as well (20 times slower).
    Autovacuum gets there on its own after large inserts; a build should not wait for it."""
    if connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE analytics_stagefunnelentry, analytics_stagefunnelduration, "
            "analytics_stagefunnelday, analytics_stagefunnelbin"
        )
    return True


def stage_funnel_refresh(*, journey_map: JourneyMap, limit: int | None = None) -> bool:
    """Bring the map's stored funnel up to date: rebuild it when its signature is not the map's
    (or nothing is stored yet), else recompute the queued profiles. With ``limit`` (a read's own
    refresh) returns False, doing nothing, when more than ``limit`` profiles are queued, a rebuild
    is due or the lock is not free within ``READ_LOCK_WAIT``."""
    map_id = journey_map.pk
    state = StageFunnelState.objects.filter(journey_map=journey_map).first()
    if state is None or state.signature != map_signature(journey_map):
        if limit is not None:
            return False
        stage_funnel_build(journey_map=journey_map)
        return True
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(NO_JIT)
        if not _lock(cursor, map_id, wait=READ_LOCK_WAIT if limit is not None else None):
            return False
        if limit is not None:
            cursor.execute(
                "SELECT count(DISTINCT profile_id) FROM analytics_stagefunneldirty WHERE journey_map_id = %s", [map_id]
            )
            if cursor.fetchone()[0] > limit:
                return False
        cursor.execute(
            "DELETE FROM analytics_stagefunneldirty WHERE journey_map_id = %s RETURNING profile_id", [map_id]
        )
        profiles = sorted({row[0] for row in cursor.fetchall()})
        if not profiles:
            return True
        params = {"map": map_id, "profiles": profiles}
        where = "journey_map_id = %(map)s AND profile_id = ANY(%(profiles)s)"
        for index, (table, _source, keys) in enumerate(SUMS):
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.sf_delta_{index}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE sf_delta_{index} ON COMMIT DROP AS SELECT {', '.join(keys)}, "  # noqa: S608
                f"entries::bigint FROM {table} WITH NO DATA"
            )
        _count_into_deltas(cursor, params, sign=-1)
        cursor.execute(f"DELETE FROM analytics_stagefunnelentry WHERE {where}", params)  # noqa: S608
        cursor.execute(f"DELETE FROM analytics_stagefunnelduration WHERE {where}", params)  # noqa: S608
        _walk(cursor, map_id, state.signature, profiles)
        _store_walk(cursor, map_id, state.signature)
        _count_into_deltas(cursor, params, sign=1)
        _apply_deltas(cursor, map_id)
        cursor.execute("DROP TABLE pg_temp.sf_walk")
        StageFunnelState.objects.filter(pk=state.pk).update(refreshed_at=timezone.now())
    return True


def stage_funnels_refresh_all() -> int:
    """Refresh every stored funnel and build the ones of maps whose transitions were queued; returns how many."""
    # A deleted map's transitions queued their profiles as they went.
    StageFunnelDirty.objects.exclude(journey_map_id__in=JourneyMap.objects.values("pk")).delete()
    stored = set(StageFunnelState.objects.values_list("journey_map_id", flat=True))
    queued = set(StageFunnelDirty.objects.values_list("journey_map_id", flat=True).distinct())
    maps = JourneyMap.objects.filter(pk__in=stored | queued).select_related("team").order_by("pk")
    built = False
    for journey_map in maps:
        state = StageFunnelState.objects.filter(journey_map=journey_map).first()
        built |= state is None or state.signature != map_signature(journey_map)
        stage_funnel_refresh(journey_map=journey_map)
    if built:
        stage_funnel_vacuum()
    return len(maps)


# --- reading ----------------------------------------------------------------------------------


def stored_figures(query: FunnelQuery) -> dict | None:
    """Return ``query``'s figures from the stored funnel, or None when it cannot answer them exactly
    (another query than the stored one, or too much queued): the caller then walks the transitions."""
    signature = query_signature(query)
    if signature is None:
        return None
    journey_map = query.journey_map
    state = StageFunnelState.objects.filter(journey_map=journey_map).first()
    if state is None or state.signature != signature:
        return None
    if StageFunnelDirty.objects.filter(journey_map_id=journey_map.pk).exists() and not stage_funnel_refresh(
        journey_map=journey_map, limit=REFRESH_ON_READ_LIMIT
    ):
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        # Shared: no refresh commits between this read's statements, so they agree with each other.
        if not _lock(cursor, journey_map.pk, shared=True, wait=READ_LOCK_WAIT):
            return None
        if StageFunnelDirty.objects.filter(journey_map_id=journey_map.pk).exists():
            return None  # queued since the refresh above: exact or nothing
        return _read(cursor, query, signature)


def _period(alias: str = "") -> str:
    """The rows of the period's first entries: in the period (the end tested on the rounded time),
    and the profile's previous step-1 entry before it."""
    a = f"{alias}." if alias else ""
    return (
        f"{a}journey_map_id = %(map)s AND {a}day >= %(first)s AND {a}day <= %(last)s AND {a}round_day <= %(last)s "
        f"AND ({a}prev_day IS NULL OR {a}prev_day < %(first)s)"
    )


def _read(cursor, query: FunnelQuery, signature: dict) -> dict:
    n = len(signature["stages"])
    tz = query.tzinfo
    first = query.start.astimezone(tz).date()
    last = (query.end.astimezone(tz) - timedelta(days=1)).date()
    params = {"map": query.journey_map.pk, "first": first, "last": last, "n": n}
    period = _period()
    cursor.execute(
        "SELECT persona, date_trunc('week', round_day)::date, reached, sum(entries) "  # noqa: S608
        f"FROM analytics_stagefunnelday WHERE {period} GROUP BY 1, 2, 3",
        params,
    )
    rows = cursor.fetchall()
    reached_at_least = [0] * (n + 1)
    weeks: dict[str, list[int]] = {}
    personas: dict[str | None, list[int]] = {}
    for persona, week, reached, entries in rows:
        entries = int(entries)
        for k in range(1, reached + 1):
            reached_at_least[k] += entries
        done = entries if reached == n else 0
        for bucket in (weeks.setdefault(week.isoformat(), [0, 0]), personas.setdefault(persona, [0, 0])):
            bucket[0] += entries
            bucket[1] += done
    cursor.execute(
        f"SELECT step, bin, sum(entries) FROM analytics_stagefunnelbin WHERE {period} GROUP BY 1, 2",  # noqa: S608
        params,
    )
    fine: dict[int, dict[int, int]] = {}
    for step, fine_bin, entries in cursor.fetchall():
        fine.setdefault(step, {})[fine_bin] = int(entries)
    per_step = []
    for k in range(2, n + 1):
        count = reached_at_least[k]
        bins = [0] * len(HISTOGRAM_EDGES)
        for fine_bin, entries in fine.get(k, {}).items():
            bins[COARSE_OF_FINE[fine_bin]] += entries
        middle = None
        if count:
            # percentile_disc's 0.5 and 0.5000001 in stage_figures: the lower and the upper middle rank.
            middle = _values_at(cursor, params, k, fine.get(k, {}), [(count + 1) // 2, count // 2 + 1])
        per_step.append([count, middle, *bins])
    total = reached_at_least[1]
    if query.breakdown == "persona":
        per_value = [[value, e, c] for value, (e, c) in personas.items()]
    elif query.breakdown:
        per_value = _trait_groups(cursor, params, query.breakdown.split(":", 1)[1])
    else:
        per_value = [[None, total, reached_at_least[n]]]
    per_week = [[week, e, c] for week, (e, c) in weeks.items()]
    return _stage_figures_from(query, per_step, per_week, per_value)


def _values_at(cursor, params: dict, step: int, fine: dict[int, int], ranks: list[int]) -> list[int]:
    """Return the durations of the given ranks (1-based, ascending) among step ``step``'s in the
    period: the fine bins' counts say which bin holds a rank, the bin's rows in order say which value
    (one read for ranks in the same bin)."""
    places: dict[int, list[int]] = {}  # bin -> offsets in it
    for rank in ranks:
        before = 0
        for fine_bin in sorted(fine):
            if before + fine[fine_bin] >= rank:
                places.setdefault(fine_bin, []).append(rank - before - 1)
                break
            before += fine[fine_bin]
    values = []
    for fine_bin, offsets in sorted(places.items()):
        cursor.execute(
            "SELECT duration_ms FROM analytics_stagefunnelduration WHERE step = %(step)s AND bin = %(bin)s "  # noqa: S608
            f"AND {_period()} ORDER BY duration_ms OFFSET %(offset)s LIMIT %(limit)s",
            {**params, "step": step, "bin": fine_bin, "offset": offsets[0], "limit": offsets[-1] - offsets[0] + 1},
        )
        found = [int(row[0]) for row in cursor.fetchall()]
        values += [found[offset - offsets[0]] for offset in offsets]
    return values


def _trait_groups(cursor, params: dict, key: str) -> list[list]:
    """A trait other than the persona is read from the profiles now: one join over the period's entries."""
    cursor.execute(
        "SELECT p.traits ->> %(key)s, count(*), count(*) FILTER (WHERE e.reached = %(n)s) "  # noqa: S608
        "FROM analytics_stagefunnelentry e LEFT JOIN customers_profile p ON p.id = e.profile_id "
        f"WHERE {_period('e')} GROUP BY 1",
        {**params, "key": key},
    )
    return [list(row) for row in cursor.fetchall()]

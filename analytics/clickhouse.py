"""The ClickHouse engine: the same analyses as the SQL engine, answered from ClickHouse.

One interface, two engines. Each analysis keeps its SQL engine (PostgreSQL or SQLite: the app
database) and, when ``CLICKHOUSE_URL`` is set (``customers.clickhouse``), asks this module for the
same rows instead; everything after the rows (rates, intervals, folding, labels) is shared, so both
engines give the same answers to the row (``tests/analytics/test_clickhouse_parity.py``).

The SQL is ClickHouse's own, not a port: a person's events are one sorted array
(``groupUniqArray`` of tuples, which also drops a copy shipped twice), and a funnel walks it with
one ``arrayFold`` over the steps (each step ``arrayFirstIndex`` past where the one before left
off); retention is ``retention()`` summed per cohort (``sumForEach``); periods are
``toStartOfWeek``/``toStartOfMonth`` in the team's zone. ``funnel_levels`` counts a funnel entirely
inside ClickHouse with ``windowFunnel``. People are resolved through the identity → profile map
(``argMax`` by version), never through the profile stored on the event.

Stage funnels and stage cohorts read ``StageTransition`` rows, which stay in PostgreSQL: those go
to the SQL engine.
"""

from __future__ import annotations

import datetime as dt
import json
from datetime import UTC, datetime, timedelta

from customers import rules as tracking
from customers.models import Profile, Source, TrackingRule

from . import funnels
from .query import local_bounds, local_midnight, period_add, period_start, team_zone

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ACTIONS = ("track", "page", "screen")


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (no float on the way)."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=int(value))


def json_text(value) -> str | None:
    """A JSON value as PostgreSQL's ``->>`` gives it: strings bare, everything else as JSON text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": ")) if isinstance(value, (dict, list)) else json.dumps(value)


class Sql:
    """A statement's parameters, bound by ClickHouse (``{name:Type}``), never pasted into the text."""

    def __init__(self, client):
        self.client = client
        self.db = client.database
        self.params: dict = {}

    def p(self, value, kind: str) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"{{{name}:{kind}}}"

    def rows(self, sql: str) -> list[list]:
        return self.client.query(sql, self.params)

    def people(self, team_id: int) -> str:
        """The identity → profile map as it stands (the latest version of each identity)."""
        return (
            f"(SELECT identity_id, argMax(profile_id, version) AS pid FROM {self.db}.identities "  # noqa: S608
            f"WHERE team_id = {self.p(team_id, 'UInt64')} GROUP BY identity_id)"
        )

    def events(
        self, team_id: int, *, start=None, end=None, end_inclusive=False, where: str = "", final: bool = True
    ) -> str:
        """The team's events, one row each (FINAL collapses a batch shipped twice), with their person now.

        ``final=False`` for a caller that drops the copies itself (reading without FINAL is cheaper).
        """
        team = self.p(team_id, "UInt64")
        bounds = ""
        if start is not None:
            bounds += f" AND e.timestamp >= fromUnixTimestamp64Micro({self.p(micros(start), 'Int64')}, 'UTC')"
        if end is not None:
            op = "<=" if end_inclusive else "<"
            bounds += f" AND e.timestamp {op} fromUnixTimestamp64Micro({self.p(micros(end), 'Int64')}, 'UTC')"
        return (
            "(SELECT e.id AS id, m.pid AS pid, toUnixTimestamp64Micro(e.timestamp) AS us, "  # noqa: S608
            "intDiv(toUnixTimestamp64Micro(e.timestamp) + 500, 1000) AS ms, e.type AS type, e.event AS name, "
            f"e.path AS path FROM {self.db}.events AS e{' FINAL' if final else ''} "
            f"INNER JOIN {self.people(team_id)} AS m "
            f"ON m.identity_id = e.identity_id WHERE e.team_id = {team}{bounds}{where})"
        )

    def ids(self, ids) -> str:
        """A subquery of these ids, each part of at most ``ID_CHUNK`` a parameter of its own."""
        ordered = sorted(ids)
        parts = [ordered[at : at + ID_CHUNK] for at in range(0, len(ordered), ID_CHUNK)] or [[]]
        return "(" + " UNION ALL ".join(f"SELECT arrayJoin({self.p(part, 'Array(UInt64)')})" for part in parts) + ")"

    def actions(self) -> str:
        return " AND e.type IN ('track', 'page', 'screen')"

    def name_filter(self, name: str) -> str:
        """The return event of retention and lifecycle: a name, or (blank) any visit."""
        if name:
            return f" AND e.event = {self.p(name, 'String')}"
        return self.actions()


# ClickHouse refuses an array of more than a million elements as one value, and a parameter is one
# value: ids are looked up in parts.
ID_CHUNK = 500_000


def rows_by_ids(client, team_id: int, ids, columns: str) -> list[list]:
    """``[id, *columns]`` of the team's events with these ids (one row per id, copies collapsed)."""
    ordered = sorted(ids)
    found = []
    for at in range(0, len(ordered), ID_CHUNK):
        sql = Sql(client)
        chunk = sql.p(ordered[at : at + ID_CHUNK], "Array(UInt64)")
        found += sql.rows(
            f"SELECT id, {columns} FROM {sql.db}.events WHERE team_id = {sql.p(team_id, 'UInt64')} "  # noqa: S608
            f"AND id IN (SELECT arrayJoin({chunk})) GROUP BY id"
        )
    return found


def rule_sql(sql: Sql, rule, column_prefix: str = "") -> str:
    """A tracking rule's call type, event name and path pattern as a ClickHouse condition."""
    parts = []
    if rule.event_type != TrackingRule.EventType.ANY:
        parts.append(f"{column_prefix}type = {sql.p(rule.event_type, 'String')}")
    if rule.event_name:
        parts.append(f"{column_prefix}name = {sql.p(rule.event_name, 'String')}")
    if rule.path_pattern:
        # The SQL engine's LIKE with * as %: ClickHouse's LIKE, with its own escapes.
        pattern = rule.path_pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
        parts.append(f"{column_prefix}path LIKE {sql.p(pattern, 'String')}")
    return "(" + (" AND ".join(parts) or "1") + ")"


def period_sql(column: str, period: str, zone: str) -> str:
    """The local start of the period holding ``column`` (microseconds) as a Date, in ``zone``."""
    local = f"fromUnixTimestamp64Micro({column}, '{zone}')"
    if period == "day":
        return f"toDate({local})"
    if period == "week":
        return f"toStartOfWeek({local}, 1)"
    return f"toStartOfMonth({local})"


def _zone(team) -> str:
    zone = str(team_zone(team))
    # A zone name is one of the IANA names (validated on the team); keep it to their characters.
    if not all(ch.isalnum() or ch in "/_-+" for ch in zone):
        raise ValueError(zone)
    return zone


# --- funnels ----------------------------------------------------------------------------------


class ClickHouseEngine(funnels.SqlEngine):
    """Funnels from ClickHouse: each person's occurrences one sorted array, walked step by step.

    ``run`` counts the figures inside ClickHouse (``tally``): nothing per entry comes back, only the
    counts, the two middle durations of each step and the histogram's bins, which ``funnels.figures``
    formats as it does the SQL engine's. Breakdowns (whose values come partly from PostgreSQL) and
    the dropped-off list read the entries (``entries``); stage funnels go to the SQL engine.

    ``windowFunnel`` (``funnel_levels``) is not what the product's funnels count, so it only serves
    comparisons: it keeps the best of every start (a funnel here enters at the first step-1
    occurrence of the period, or at each one counting conversions), it measures one window from
    step 1 (here each step has its own window from the step before), it compares whole seconds (here
    milliseconds, ties broken by event id), has no optional step and no exclusion, and it returns a
    level only, where the figures need each step's time (time to convert, the entry's week).
    """

    # A person's occurrence packed into one UInt128, so that sorting them is sorting integers and a
    # copy shipped twice (same instant, id and steps) lands next to its twin for ``arrayCompact``:
    # microseconds after the period's start (52 bits: 142 years), the event id (64), the steps it
    # matches (12 bits: ``funnels.MAX_STEPS``).
    PACK_US, PACK_ID = 76, 12

    # The statement's levels must stay apart. Merged into one expression (the planner's default),
    # the walk's lookups end up inside lazily evaluated ``if`` branches (short-circuit evaluation),
    # and a lazy branch computes what it reads again instead of sharing it, so the walk is computed
    # over and over for every figure counted from it. Kept as separate steps, each level is
    # computed once and read by the next.
    KEEP_LEVELS = " SETTINGS query_plan_merge_expressions = 0"
    # The events are joined to the identity map (a million rows is a small build side). ClickHouse's
    # default list of algorithms picks ``parallel_hash`` where it can, whose partitioned build and
    # probe cost far more than the plain hash join's when the query has one thread (docs/scaling.md).
    JOIN = "join_algorithm = 'hash'"

    def _settings(self) -> str:
        """The SETTINGS clause of a funnel statement."""
        kept = self.KEEP_LEVELS.removeprefix(" SETTINGS ")
        return " SETTINGS " + ", ".join(part for part in (kept, self.JOIN) if part)

    def __init__(self, client):
        super().__init__()
        self.client = client

    def _step_sql(self, sql: Sql, step) -> str:
        if step.kind == "event":
            return f"(name = {sql.p(step.ref, 'String')})"
        rules = TrackingRule.objects.filter(touchpoint_id=step.ref, is_active=True)
        parts = [rule_sql(sql, rule) for rule in rules]
        return "(" + " OR ".join(parts) + ")" if parts else "0"

    def _occurrences(self, sql: Sql, query: funnels.FunnelQuery, *, with_ids: bool) -> str:
        """Each person's occurrences in the period (plus the windows): a statement of ``pid`` and the
        arrays ``t`` (ms) and ``m`` (the steps each matches, bits), sorted by time then event id, and
        ``ids`` when asked for."""
        steps = query.steps
        total_window = sum((step.window for step in steps), timedelta())
        upper = query.end + total_window
        base = micros(query.start)
        masks = " + ".join(f"(if({self._step_sql(sql, step)}, {1 << i}, 0))" for i, step in enumerate(steps))
        keep = "" if query.order == "strict" else " WHERE mask != 0"
        narrow = sql.actions()
        if query.order != "strict" and all(step.kind == "event" for step in steps):
            # Only the steps' events can match (a strict funnel needs every action: "the very next");
            # said on the read, the events of other names are dropped before the join to the people.
            narrow += f" AND e.event IN {sql.p(sorted({step.ref for step in steps}), 'Array(String)')}"
        # Copies of a batch shipped twice are dropped by arrayCompact, so the read needs no FINAL.
        events = sql.events(query.team.pk, start=query.start, end=upper, end_inclusive=True, where=narrow, final=False)
        pack = (
            f"bitShiftLeft(toUInt128(us - {sql.p(base, 'Int64')}), {self.PACK_US}) "
            f"+ bitShiftLeft(toUInt128(id), {self.PACK_ID}) + mask"
        )
        low64 = "18446744073709551615"
        arrays = [
            "arrayMap(x -> toUInt16(bitAnd(x, 4095)), k) AS m",
            f"arrayMap(x -> intDiv(toInt64(bitShiftRight(x, {self.PACK_US})) + {sql.p(base, 'Int64')} + 500, 1000), "
            "k) AS t",
        ]
        if with_ids:
            arrays.append(f"arrayMap(x -> toUInt64(bitAnd(bitShiftRight(x, {self.PACK_ID}), {low64})), k) AS ids")
        return (
            f"SELECT pid, arrayCompact(arraySort(groupArray({pack}))) AS k, {', '.join(arrays)} "  # noqa: S608
            f"FROM (SELECT id, pid, us, toUInt16({masks}) AS mask FROM {events}{keep}) GROUP BY pid"
        )

    def _walk(self, sql: Sql, query: funnels.FunnelQuery, *, with_ids: bool) -> tuple[str, dict]:
        """The per-entry walk: a statement with ``p1``, ``start_ts`` and, per step, ``c<k>`` (the index
        found, 0 if none), ``p<k>``/``pts<k>`` (where the next step is measured from) over the arrays
        ``t`` (ms) and ``m`` (step bits); and the expressions of each step's time and origin."""
        steps = query.steps
        n = len(steps)
        total_window = sum((step.window for step in steps), timedelta())
        upper = query.end + total_window
        with_ids = with_ids or query.count == "conversions"
        occurrences = self._occurrences(sql, query, with_ids=with_ids)
        end_ms = sql.p(funnels.ms(query.end), "Int64")
        exclusion_join = ""
        if query.exclusions:
            names = sql.p(list(query.exclusions), "Array(String)")
            excluded = sql.events(
                query.team.pk, start=query.start, end=upper, end_inclusive=True, where=f" AND has({names}, e.event)"
            )
            exclusion_join = (
                f" LEFT JOIN (SELECT pid, arraySort(groupUniqArray(ms)) AS xs FROM {excluded} GROUP BY pid) AS x "  # noqa: S608
                "ON x.pid = f.pid"
            )
        # Each step reads where the one before ended (p, and pts: the time there).
        first, levels, array_join = [], [], ""
        times, froms = [], []
        if query.order == "any":
            window = sql.p(int(total_window.total_seconds() * 1000), "Int64")
            first.append(f"arrayFirstIndex(tt -> tt < {end_ms}, t) AS p1")
            first.append("t[p1] AS start_ts")
            level = []
            for k in range(1, n + 1):
                level.append(
                    f"arrayFirstIndex((mm, tt, i) -> bitTest(mm, {k - 1}) AND i >= p1 AND tt - start_ts <= {window}, "
                    f"m, t, arrayEnumerate(t)) AS c{k}"
                )
                level.append(f"t[c{k}] AS tc{k}")
                times.append(f"if(c{k} = 0, NULL, tc{k})")
            levels.append(level)
        else:
            if query.count == "profiles":
                first.append(f"arrayFirstIndex((mm, tt) -> bitTest(mm, 0) AND tt < {end_ms}, m, t) AS p1")
            else:
                array_join = (
                    f" ARRAY JOIN arrayFilter((i, mm, tt) -> bitTest(mm, 0) AND tt < {end_ms}, "
                    "arrayEnumerate(t), m, t) AS p1"
                )
                first.append("p1")
            first.append("t[p1] AS start_ts")
            first.append("start_ts AS pts1")
            times.append("start_ts")
            if n > 1:
                # One fold over the steps (not one SELECT level each): a chain of levels names each
                # step by the whole expression of the one before, twice over, so the statement's
                # names (and its planning) doubled with every step. The fold's state is where each
                # step left off (p: the index of the step reached, or of the last one reached
                # before a skipped optional step; 0 once a required step is missed); the time there
                # is t[p], the array being sorted by time.
                windows = sql.p([int(step.window.total_seconds() * 1000) for step in steps[1:]], "Array(Int64)")
                optional = sql.p([int(step.optional) for step in steps[1:]], "Array(UInt8)")
                if query.order == "strict":
                    found = (
                        "if(acc[-1] = 0 OR acc[-1] >= length(t), 0, if(bitTest(m[acc[-1] + 1], k - 1) "
                        "AND t[acc[-1] + 1] - t[acc[-1]] <= w, acc[-1] + 1, 0))"
                    )
                else:
                    # The first match after where the step before left off, within the window.
                    found = (
                        "if(acc[-1] = 0, 0, arrayFirstIndex((mm, tt, i) -> bitTest(mm, k - 1) AND i > acc[-1] "
                        "AND tt - t[acc[-1]] <= w, m, t, arrayEnumerate(t)))"
                    )
                levels.append(
                    [
                        # An optional step not found leaves p where it was (a step found is past it).
                        f"arrayFold((acc, k, w, o) -> arrayPushBack(acc, toUInt32(greatest({found}, o * acc[-1]))), "
                        f"range(2, {n + 1}), {windows}, {optional}, [toUInt32(p1)]) AS walk"
                    ]
                )
                level = []
                for k in range(2, n + 1):
                    level.append(f"walk[{k}] AS p{k}")
                    # A step was reached where the fold moved on.
                    level.append(f"if(walk[{k}] = walk[{k - 1}], 0, walk[{k}]) AS c{k}")
                    level.append(f"t[c{k}] AS tc{k}")
                    level.append(f"t[p{k}] AS pts{k}")
                    times.append(f"if(c{k} = 0, NULL, tc{k})")
                    froms.append(f"if(p{k - 1} = 0, NULL, pts{k - 1})")
                levels.append(level)
        carried = ["m", "t", *(["ids"] if with_ids else [])]
        if query.exclusions:
            carried.append("xs")
            levels.append(["if(arrayExists(v -> v >= start_ts, xs), arrayFirst(v -> v >= start_ts, xs), NULL) AS x_ts"])
        walked = (
            f"SELECT pid, {', '.join(carried)}, {', '.join(first)} "  # noqa: S608
            f"FROM (SELECT f.pid AS pid, {', '.join(f'f.{a} AS {a}' for a in carried if a != 'xs')}"
            f"{', x.xs AS xs' if query.exclusions else ''} FROM ({occurrences}) AS f{exclusion_join}){array_join}"
        )
        for level in levels:
            walked = f"SELECT *, {', '.join(level)} FROM ({walked})"  # noqa: S608
        return walked, {"times": times, "froms": froms}

    def entries(self, query: funnels.FunnelQuery) -> list[funnels.Entry]:
        if query.is_stage_funnel:
            return super().entries(query)  # stage transitions live in PostgreSQL
        sql = Sql(self.client)
        walked, parts = self._walk(sql, query, with_ids=True)
        if query.order == "any":
            select = ["pid", "pid", "ids[p1]", "start_ts", *parts["times"]]
        else:
            key = "pid" if query.count == "profiles" else "ids[p1]"
            select = [key, "pid", "ids[p1]", "start_ts", *parts["times"], *parts["froms"]]
        x_ts = "x_ts" if query.exclusions else "NULL"
        rows = sql.rows(f"SELECT {', '.join(select)}, {x_ts} FROM ({walked}) WHERE p1 > 0{self._settings()}")  # noqa: S608
        rows = [[*row[:-1], None, row[-1]] for row in rows]  # the breakdown value goes before x_ts
        if query.breakdown:
            self._breakdown(query, rows, len(select))
        return [funnels.entry_from_row(query, row) for row in rows]

    def tally(self, query: funnels.FunnelQuery) -> dict:
        """Return the funnel's counts (``funnels.tally``'s), counted inside ClickHouse.

        Per entry: which steps it was on the way to (``a<k>``) and reached (``d<k>``), each reached
        step's duration from the step before (``u<k>``, ms), whether it completed, its local week;
        summed over the entries, with the exact lower and upper middle duration of each step (the
        median is their mean, as ``statistics.median`` takes it) and the histogram's bins.
        """
        if self.single_pass(query):
            return self._tally_single_pass(query)
        sql = Sql(self.client)
        walked, _parts = self._walk(sql, query, with_ids=False)
        steps, n = query.steps, len(query.steps)
        per = []
        if query.order == "any":
            found = ", ".join(f"c{k}" for k in range(1, n + 1))
            found_times = ", ".join(f"tc{k}" for k in range(1, n + 1))
            per.append(f"arraySort(arrayFilter((tc, c) -> c > 0, [{found_times}], [{found}])) AS ft")
            per.append("length(ft) AS cnt")
            for k in range(1, n + 1):
                per.append(f"{'1' if k == 1 else f'cnt >= {k - 1}'} AS a{k}")
                per.append(f"cnt >= {k} AS d{k}")
                if k > 1:
                    per.append(f"ft[{k}] - ft[{k - 1}] AS u{k}")
            per.append(f"cnt = {n} AS done")
            per.append("ft[cnt] AS last")
        else:
            per += ["1 AS a1", "1 AS d1"]
            for k in range(2, n + 1):
                carry = f"a{k - 1}" if steps[k - 2].optional else f"d{k - 1}"
                per.append(f"{carry} AS a{k}")
                per.append(f"a{k} AND c{k} > 0 AS d{k}")
                per.append(f"tc{k} - pts{k - 1} AS u{k}")
            required = [f"d{k}" for k in range(1, n + 1) if not steps[k - 1].optional]
            per.append(f"{' AND '.join(required)} AS done")
            per.append(
                f"greatest(start_ts, {', '.join(f'if(d{k}, tc{k}, start_ts)' for k in range(2, n + 1))}) AS last"
            )
        per += self._per_entry(query, "start_ts")
        kept = " AND (x_ts IS NULL OR x_ts > last)" if query.exclusions else ""
        # Only the walk's numbers cross into the counting (its arrays stay behind).
        scalars = ["p1", "start_ts", *(f"c{k}" for k in range(1, n + 1) if k > 1 or query.order == "any")]
        scalars += [f"tc{k}" for k in range(1, n + 1) if k > 1 or query.order == "any"]
        if query.order != "any":
            scalars += [f"pts{k}" for k in range(1, n)]
        if query.exclusions:
            scalars.append("x_ts")
        row = sql.rows(
            f"SELECT {', '.join(self._SUMS)} FROM (SELECT *, {', '.join(per)} FROM "  # noqa: S608
            f"(SELECT {', '.join(scalars)} FROM ({walked}) WHERE p1 > 0)) WHERE 1{kept}{self._settings()}"
        )[0]
        return self._counted(query, row)

    @staticmethod
    def single_pass(query: funnels.FunnelQuery) -> bool:
        """Whether ``tally`` walks each person's occurrences once, element by element: an ordered
        funnel counted per profile, without optional steps or exclusions (the funnel page's default)."""
        return (
            query.order == "ordered"
            and query.count == "profiles"
            and not query.exclusions
            and not any(step.optional for step in query.steps)
        )

    def _tally_single_pass(self, query: funnels.FunnelQuery) -> dict:
        """``tally`` for an ordered per-profile funnel without optional steps or exclusions.

        Each person's sorted occurrences are walked once (one ``arrayFold`` over the elements, not
        one search per step): an occurrence of the next step within its window of the step before
        is taken, and a later one never has to be looked for, since the earliest is the one the rules
        take and, if it is too late, every later one is too (step 1 likewise: its first occurrence
        before the period's end). An occurrence moves the walk on by one step at most, so it is used
        once. The walk's state is the times of the steps reached so far (``r``), which is all the
        counting needs.
        """
        sql = Sql(self.client)
        steps, n = query.steps, len(query.steps)
        occurrences = self._occurrences(sql, query, with_ids=False)
        end_ms = sql.p(funnels.ms(query.end), "Int64")
        windows = sql.p([int(step.window.total_seconds() * 1000) for step in steps[1:]], "Array(Int64)")
        walk = (
            f"arrayFold((acc, tt, mm) -> if(length(acc) < {n} AND bitTest(mm, length(acc)) AND if(length(acc) = 0, "
            f"tt < {end_ms}, tt - acc[-1] <= {windows}[length(acc)]), arrayPushBack(acc, tt), acc), t, m, "
            "CAST([], 'Array(Int64)')) AS r"
        )
        per = ["length(r) AS cnt", "1 AS a1", "1 AS d1"]
        for k in range(2, n + 1):
            per.append(f"d{k - 1} AS a{k}")
            per.append(f"cnt >= {k} AS d{k}")
            per.append(f"r[{k}] - r[{k - 1}] AS u{k}")
        per.append(f"cnt = {n} AS done")
        per += self._per_entry(query, "r[1]")
        row = sql.rows(
            f"SELECT {', '.join(self._SUMS)} FROM (SELECT *, {', '.join(per)} FROM "  # noqa: S608
            f"(SELECT {walk} FROM ({occurrences})) WHERE length(r) > 0){self._settings()}"
        )[0]
        return self._counted(query, row)

    # Summed per step (-ForEach) over the entries; a step's durations skip the entries that did not
    # reach it (NULL); its median is the mean of the exact lower and upper middle values, as
    # ``statistics.median`` takes it.
    _SUMS = (
        "count()",
        "sumForEach(on_way)",
        "sumForEach(reached)",
        "quantileExactLowForEach(0.5)(spans)",
        "quantileExactHighForEach(0.5)(spans)",
        "sumMap(bins, arrayWithConstant(length(bins), toUInt64(1)))",
        "countIf(done)",
        "sumMap([week], [toUInt64(1)], [toUInt64(done)])",
    )

    def _per_entry(self, query: funnels.FunnelQuery, entered_at: str) -> list[str]:
        """What ``_SUMS`` adds up per entry, from its ``a<k>``, ``d<k>``, ``u<k>`` and ``done``."""
        n = len(query.steps)
        # A reached step's histogram bin as a map key (step × 16 + bin): the bin is how many edges
        # the duration has passed (a sum of comparisons, no lambda per entry).
        keys = []
        for k in range(2, n + 1):
            passed = " + ".join(f"(u{k} >= {edge * 1000})" for edge in funnels.HISTOGRAM_EDGES)
            keys.append(f"if(d{k}, {k * 16} + {passed}, 0)")
        return [
            f"[{', '.join(f'a{k}' for k in range(1, n + 1))}] AS on_way",
            f"[{', '.join(f'd{k}' for k in range(1, n + 1))}] AS reached",
            f"[{', '.join(f'if(d{k}, u{k}, NULL)' for k in range(2, n + 1))}] AS spans",
            f"arrayFilter(x -> x > 0, [{', '.join(keys)}]) AS bins",
            # A Date, not its text: the week of each entry is a number until the sum's keys.
            f"toMonday(fromUnixTimestamp64Milli({entered_at}, '{_zone(query.team)}')) AS week",
        ]

    def _counted(self, query: funnels.FunnelQuery, row: list) -> dict:
        """``funnels.tally``'s dict from the one row of ``_SUMS``."""
        n = len(query.steps)
        bins = len(funnels.HISTOGRAM_EDGES)
        total = int(row[0])
        entered = [int(v) for v in row[1]] or [0] * n
        converted = [int(v) for v in row[2]] or [0] * n
        lows, highs = row[3] or [0] * (n - 1), row[4] or [0] * (n - 1)
        histogram = dict(zip(*row[5], strict=True)) if row[5] else {}
        timings = [(0, None, [])]  # the first step has no time to convert
        for index in range(1, n):
            count = converted[index]
            median = None
            if count:
                low, high = int(lows[index - 1]), int(highs[index - 1])
                median = low / 1000 if count % 2 else (low / 1000 + high / 1000) / 2
            counts = [int(histogram.get((index + 1) * 16 + b, 0)) for b in range(1, bins + 1)]
            timings.append((count, median, funnels.histogram_bins(counts)))
        completed = int(row[6])
        weeks = (
            {dt.date.fromisoformat(week): [int(e), int(c)] for week, e, c in zip(*row[7], strict=True)}
            if row[7]
            else {}
        )
        return {
            "total": total,
            "completed": completed,
            "entered": entered,
            "converted": converted,
            "timings": timings,
            "weeks": weeks,
            "groups": {},
        }

    def _figures(self, query: funnels.FunnelQuery) -> dict:
        """One period's figures: counted inside ClickHouse unless the query needs its entries."""
        if query.is_stage_funnel:
            return super()._figures(query)  # stage transitions live in PostgreSQL
        if query.breakdown:
            return funnels.summarize(query, self.entries(query))
        return funnels.figures(query, **self.tally(query))

    def _breakdown(self, query: funnels.FunnelQuery, rows: list[list], at: int) -> None:
        """Fill in each entry's breakdown value: traits from PostgreSQL, the entering event's from ClickHouse."""
        breakdown = query.breakdown
        if breakdown == "persona" or breakdown.startswith("trait:"):
            key = "persona" if breakdown == "persona" else breakdown.split(":", 1)[1]
            traits = dict(Profile.objects.filter(pk__in={row[1] for row in rows}).values_list("pk", "traits"))
            for row in rows:
                row[at] = json_text((traits.get(row[1]) or {}).get(key))
        elif breakdown == "channel":
            for row in rows:
                row[at] = query.steps[0].channel or ""
        elif breakdown == "source" or breakdown.startswith("property:"):
            found = {
                event_id: (source_id, props)
                for event_id, source_id, props in rows_by_ids(
                    self.client, query.team.pk, {row[2] for row in rows}, "any(source_id), any(properties)"
                )
            }
            if breakdown == "source":
                names = dict(Source.objects.filter(team=query.team).values_list("pk", "name"))
                for row in rows:
                    row[at] = names.get(found.get(row[2], (None, ""))[0])
            else:
                key = breakdown.split(":", 1)[1]
                for row in rows:
                    props = json.loads(found.get(row[2], (None, "{}"))[1] or "{}")
                    row[at] = json_text(props.get(key)) if isinstance(props, dict) else None

    def funnel_levels(self, query: funnels.FunnelQuery, window: timedelta) -> list[int]:
        """Return how many people reached at least each step, counted inside ClickHouse with ``windowFunnel``.

        ``windowFunnel``'s window runs from the first step to the last (PostHog's and Plausible's
        funnels), not step by step as Waymark's funnels do; it answers "did they go through the steps
        in order within ``window``", for dashboards and benchmarks that need only the counts.
        """
        sql = Sql(self.client)
        conditions = ", ".join(self._step_sql(sql, step) for step in query.steps)
        events = sql.events(
            query.team.pk, start=query.start, end=query.end + window, end_inclusive=True, where=sql.actions()
        )
        seconds = sql.p(int(window.total_seconds()), "UInt64")
        rows = sql.rows(
            f"SELECT level, count() FROM (SELECT pid, windowFunnel({seconds})(toDateTime(intDiv(us, 1000000)), "  # noqa: S608
            f"{conditions}) AS level FROM {events} GROUP BY pid) WHERE level > 0 GROUP BY level"
        )
        counts = {int(level): int(count) for level, count in rows}
        return [sum(c for level, c in counts.items() if level >= k) for k in range(1, len(query.steps) + 1)]


# --- retention and lifecycle ------------------------------------------------------------------


def retention_counts(client, query) -> tuple[dict, dict]:
    """Return the cohort sizes and ``{(cohort, active period): profiles}``, in one pass over the events.

    Per person, in the same GROUP BY: first seen (``min`` over every event: the cohort) and the
    periods in which they did the return event (``groupUniqArrayIf``); then per cohort the people
    and, per period index, how many were active (``sumMap``). No join, and no FINAL: a copy shipped
    twice changes neither a minimum nor a set.
    """
    zone = team_zone(query.team)
    tz = _zone(query.team)
    first, last = local_bounds(period_start(query.start, query.period), query.end, zone)
    horizon = local_midnight(period_add(period_start(query.end, query.period), query.period, query.periods + 1), zone)
    sql = Sql(client)
    everything = sql.events(query.team.pk, final=False)
    returned = f"us >= {sql.p(micros(first), 'Int64')} AND us < {sql.p(micros(horizon), 'Int64')}"
    if query.event:
        returned += f" AND name = {sql.p(query.event, 'String')}"
    else:
        returned += " AND type IN ('track', 'page', 'screen')"
    cohort = period_sql("entered", query.period, tz)
    if query.period == "week":
        index = "intDiv(dateDiff('day', cohort, a), 7)"
    else:
        index = f"dateDiff('{query.period}', cohort, a)"
    periods = int(query.periods)
    rows = sql.rows(
        "SELECT toString(cohort), count(), sumMap(idx, arrayWithConstant(length(idx), toUInt64(1))) FROM ("  # noqa: S608
        f"SELECT {cohort} AS cohort, arrayFilter(i -> i >= 0 AND i <= {periods}, "
        f"arrayMap(a -> {index}, active)) AS idx FROM ("
        f"SELECT pid, min(us) AS entered, groupUniqArrayIf({period_sql('us', query.period, tz)}, {returned}) AS active "
        f"FROM {everything} GROUP BY pid "
        f"HAVING entered >= {sql.p(micros(first), 'Int64')} AND entered < {sql.p(micros(last), 'Int64')})) "
        "GROUP BY cohort"
    )
    sizes, counts = {}, {}
    for start, size, (indexes, numbers) in rows:
        day = dt.date.fromisoformat(start)
        sizes[day] = int(size)
        for k, n in zip(indexes, numbers, strict=True):
            if n:
                counts[(day, period_add(day, query.period, int(k)))] = int(n)
    return sizes, counts


def active_rows(client, query) -> list[tuple[int, dt.date, dt.date]]:
    """Lifecycle: distinct ``(profile, active period, first-seen period)`` rows."""
    zone = team_zone(query.team)
    tz = _zone(query.team)
    first_period = period_add(period_start(query.start, query.period), query.period, -1)
    first, _last = local_bounds(first_period, query.end, zone)
    last = local_midnight(period_add(period_start(query.end, query.period), query.period, 1), zone)
    sql = Sql(client)
    activity = sql.events(query.team.pk, start=first, end=last, where=sql.name_filter(query.event))
    seen = f"(SELECT pid, min(us) AS seen FROM {sql.events(query.team.pk)} GROUP BY pid)"  # noqa: S608
    rows = sql.rows(
        f"SELECT DISTINCT e.pid, toString({period_sql('e.us', query.period, tz)}), "  # noqa: S608
        f"toString({period_sql('s.seen', query.period, tz)}) FROM {activity} AS e INNER JOIN {seen} AS s "
        "ON s.pid = e.pid"
    )
    return [(int(p), dt.date.fromisoformat(a), dt.date.fromisoformat(s)) for p, a, s in rows]


def new_customers(client, team, *, event: str, first: dt.date, last: dt.date) -> int:
    """The profiles whose first ``event`` (blank: first call of any kind) falls between two local days."""
    start, end = local_bounds(first, last, team_zone(team))
    sql = Sql(client)
    where = f" AND e.event = {sql.p(event, 'String')}" if event else ""
    rows = sql.rows(
        f"SELECT count() FROM (SELECT pid, min(us) AS entered FROM {sql.events(team.pk, where=where)} "  # noqa: S608
        f"GROUP BY pid) WHERE entered >= {sql.p(micros(start), 'Int64')} AND entered < {sql.p(micros(end), 'Int64')}"
    )
    return int(rows[0][0])


# --- moments ----------------------------------------------------------------------------------


def moment_sql(sql: Sql, *, touchpoint=None, event: str = "") -> str | None:
    """The events that mean the moment was reached (``moments.moment_filter``'s rules, as ClickHouse SQL)."""
    from .moments import _glob, moment_rules

    if event:
        return f"name = {sql.p(event, 'String')}"
    parts = []
    for rule in moment_rules(touchpoint) if touchpoint is not None else []:
        if not rule.event_name and not rule.path_pattern:
            continue
        part = []
        if rule.event_type != TrackingRule.EventType.ANY:
            part.append(f"type = {sql.p(rule.event_type, 'String')}")
        if rule.event_name:
            part.append(f"name = {sql.p(rule.event_name, 'String')}")
        if rule.path_pattern:
            part.append(f"match(path, {sql.p(_glob(rule.path_pattern), 'String')})")
        parts.append("(" + " AND ".join(part) + ")")
    return " OR ".join(parts) if parts else None


def moment_reach(client, team, *, touchpoint=None, event: str = "", first: dt.date, last: dt.date) -> list[tuple]:
    """``(seen, reached)`` of the profiles first seen between two local days (``moments.profile_reach``)."""
    rows = profile_reach(client, team, touchpoint=touchpoint, event=event, first=first, last=last)
    return [(seen, reached) for _pid, seen, reached in rows]


def profile_reach(client, team, *, touchpoint=None, event: str = "", first: dt.date, last: dt.date) -> list[tuple]:
    """``(profile, seen, reached)`` of the profiles first seen between two local days."""
    start, end = local_bounds(first, last, team_zone(team))
    sql = Sql(client)
    condition = moment_sql(sql, touchpoint=touchpoint, event=event)
    rows = sql.rows(
        f"SELECT pid, min(us) AS seen, minIf(us, {condition}) AS reached, countIf({condition}) AS hits "  # noqa: S608
        f"FROM {sql.events(team.pk, final=False)} GROUP BY pid "
        f"HAVING seen >= {sql.p(micros(start), 'Int64')} AND seen < {sql.p(micros(end), 'Int64')}"
    )
    return [(int(pid), from_micros(seen), from_micros(reached) if hits else None) for pid, seen, reached, hits in rows]


def profile_event_counts(client, team, name: str, *, first: dt.date, last: dt.date, window_days: int) -> list[tuple]:
    """``(profile, seen, count)`` of the profiles first seen between two local days: their ``name``
    events from first seen to ``window_days`` after it, both ends included (``moments.profile_event_counts``).

    A copy shipped twice is one event (counted by id).
    """
    start, end = local_bounds(first, last, team_zone(team))
    sql = Sql(client)
    window = sql.p(window_days * 86400 * 1_000_000, "Int64")
    rows = sql.rows(
        "SELECT pid, seen, length(arrayDistinct(arrayMap(x -> x.2, "  # noqa: S608
        f"arrayFilter(x -> x.1 >= seen AND x.1 <= seen + {window}, hits)))) FROM ("
        f"SELECT pid, min(us) AS seen, groupArrayIf((us, id), name = {sql.p(name, 'String')}) AS hits "
        f"FROM {sql.events(team.pk, final=False)} GROUP BY pid "
        f"HAVING seen >= {sql.p(micros(start), 'Int64')} AND seen < {sql.p(micros(end), 'Int64')})"
    )
    return [(int(pid), from_micros(seen), int(count)) for pid, seen, count in rows]


# --- paths ------------------------------------------------------------------------------------


def path_rows(client, query, *, anchor: tuple[str, object]) -> list[tuple]:
    """``(profile, step, type, name, path, context, properties)`` of every anchored path (``paths.sequence_rows``).

    ``anchor`` is ``("page", path)``, ``("event", name)`` or ``("ids", [event ids])``.
    """
    from .paths import AFTER

    start, end = query.period
    sql = Sql(client)
    kind, value = anchor
    if kind == "page":
        is_anchor = f"type = 'page' AND path = {sql.p(value, 'String')}"
    elif kind == "event":
        is_anchor = f"type = 'track' AND name = {sql.p(value, 'String')}"
    else:
        is_anchor = f"id IN {sql.ids(value)}"
    low, high = (0, query.steps) if query.direction == AFTER else (-query.steps, 0)
    gap = sql.p(query.gap_minutes * 60 * 1000, "Int64")
    events = sql.events(query.team.pk, start=start, end=end, where=sql.actions())
    # Each lambda takes its arrays as arguments (the previous event's from shifted copies): a lambda
    # that captured a whole array would copy it once per element, quadratic in a person's events.
    statement = (
        "SELECT pid, t - j AS step, ids[ki[t]] AS id, ty[ki[t]], nm[ki[t]], pa[ki[t]] FROM ("  # noqa: S608
        "SELECT pid, a.1 AS us, a.2 AS ids, a.3 AS ty, a.4 AS nm, a.5 AS pa, "
        # A pause longer than the gap (to the millisecond) starts a session; a repeat is not a step.
        f"arrayMap((u, p, i) -> i = 1 OR intDiv(u - p + 500, 1000) > {gap}, us, "
        "arrayPushFront(arrayPopBack(us), 0), arrayEnumerate(us)) AS brk, "
        "arrayMap((b, i, t, pt, n, pn, x, px) -> i > 1 AND NOT b AND t = pt AND n = pn AND x = px, brk, "
        "arrayEnumerate(us), ty, arrayPushFront(arrayPopBack(ty), ''), nm, arrayPushFront(arrayPopBack(nm), ''), "
        "pa, arrayPushFront(arrayPopBack(pa), '')) AS rep, "
        "arrayFilter((s, r) -> NOT r, arrayCumSum(brk), rep) AS ksn, "
        "arrayFilter((i, r) -> NOT r, arrayEnumerate(us), rep) AS ki, "
        "arrayFirstIndex(f -> f, arrayFilter((f, r) -> NOT r, a.6, rep)) AS j, ksn[j] AS sj, "
        f"arrayFilter((k, s) -> s = sj AND k - j BETWEEN {low} AND {high}, arrayEnumerate(ksn), ksn) AS ts "
        "FROM (SELECT pid, arraySort(groupUniqArray((us, id, type, name, path, anchor))) AS a "
        f"FROM (SELECT *, toUInt8({is_anchor}) AS anchor FROM {events}) GROUP BY pid)) "
        "ARRAY JOIN ts AS t WHERE j > 0 ORDER BY pid, step"
    )
    rows = sql.rows(statement)
    if not rows:
        return []
    extra = {
        event_id: (ctx, props)
        for event_id, ctx, props in rows_by_ids(
            client, query.team.pk, {row[2] for row in rows}, "any(context), any(properties)"
        )
    }
    result = []
    for pid, step, event_id, typ, name, path in rows:
        ctx, props = extra.get(event_id, ("{}", "{}"))
        result.append((int(pid), int(step), typ, name or "", path or "", json.loads(ctx), json.loads(props)))
    return result


def touchpoint_anchor_ids(client, query, rules, start: datetime, end: datetime) -> list[int]:
    """The ids of the period's events a touchpoint's rules match, decided by ``customers.rules`` as on PostgreSQL."""
    sql = Sql(client)
    parts = []
    for rule in rules:
        part = []
        if rule.event_type != TrackingRule.EventType.ANY:
            part.append(f"e.type = {sql.p(rule.event_type, 'String')}")
        if rule.event_name:
            part.append(f"e.event = {sql.p(rule.event_name, 'String')}")
        parts.append("(" + (" AND ".join(part) or "1") + ")")
    narrow = " OR ".join(parts)
    team = sql.p(query.team.pk, "UInt64")
    rows = sql.rows(
        f"SELECT e.id, any(e.type), any(e.event), any(e.path), any(e.context), any(e.properties) "  # noqa: S608
        f"FROM {sql.db}.events AS e FINAL WHERE e.team_id = {team} "
        f"AND e.timestamp >= fromUnixTimestamp64Micro({sql.p(micros(start), 'Int64')}, 'UTC') "
        f"AND e.timestamp < fromUnixTimestamp64Micro({sql.p(micros(end), 'Int64')}, 'UTC') "
        f"AND e.type IN ('track', 'page', 'screen') AND ({narrow}) GROUP BY e.id"
    )
    ids = []
    for pk, type_, name, path, context, properties in rows:
        context, properties = json.loads(context or "{}"), json.loads(properties or "{}")
        url = tracking.event_url(context, properties)
        props = properties if isinstance(properties, dict) else {}
        if any(tracking.matches(rule, type_=type_, event=name, path=path, url=url, properties=props) for rule in rules):
            ids.append(int(pk))
    return ids

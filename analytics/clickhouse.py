"""The ClickHouse engine: the same analyses as the SQL engine, answered from ClickHouse.

One interface, two engines. Each analysis keeps its SQL engine (PostgreSQL or SQLite: the app
database) and, when ``CLICKHOUSE_URL`` is set (``customers.clickhouse``), asks this module for the
same rows instead; everything after the rows (rates, intervals, folding, labels) is shared, so both
engines give the same answers to the row (``tests/analytics/test_clickhouse_parity.py``).

The SQL is ClickHouse's own, not a port: a person's events are one sorted array
(``groupUniqArray`` of tuples, which also drops a copy shipped twice), and a funnel walks it with
``arrayFirstIndex`` step by step; retention is ``retention()`` summed per cohort (``sumForEach``);
periods are ``toStartOfWeek``/``toStartOfMonth`` in the team's zone. ``funnel_levels`` counts a
funnel entirely inside ClickHouse with ``windowFunnel``. People are resolved through the
identity → profile map (``argMax`` by version), never through the profile stored on the event.

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

    def events(self, team_id: int, *, start=None, end=None, end_inclusive=False, where: str = "") -> str:
        """The team's events, one row each (FINAL collapses a batch shipped twice), with their person now."""
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
            f"e.path AS path FROM {self.db}.events AS e FINAL INNER JOIN {self.people(team_id)} AS m "
            f"ON m.identity_id = e.identity_id WHERE e.team_id = {team}{bounds}{where})"
        )

    def actions(self) -> str:
        return " AND e.type IN ('track', 'page', 'screen')"

    def name_filter(self, name: str) -> str:
        """The return event of retention and lifecycle: a name, or (blank) any visit."""
        if name:
            return f" AND e.event = {self.p(name, 'String')}"
        return self.actions()


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
    """Funnels from ClickHouse: each person's occurrences one array, walked step by step."""

    def __init__(self, client):
        super().__init__()
        self.client = client

    def _step_sql(self, sql: Sql, step) -> str:
        if step.kind == "event":
            return f"(name = {sql.p(step.ref, 'String')})"
        rules = TrackingRule.objects.filter(touchpoint_id=step.ref, is_active=True)
        parts = [rule_sql(sql, rule) for rule in rules]
        return "(" + " OR ".join(parts) + ")" if parts else "0"

    def step_counts(self, query: funnels.FunnelQuery) -> list[int]:
        """Return how many entries reached each step, counted inside ClickHouse (no rows come back).

        For ordered or strict funnels without optional steps or exclusions, where the count of step k
        is the number of entries whose walk found it; the same numbers as ``run``'s ``converted``.
        """
        if query.order == "any" or query.exclusions or any(step.optional for step in query.steps):
            raise ValueError("step_counts counts ordered funnels without optional steps or exclusions")
        return [int(count) for count in self.entries(query, counts_only=True)]

    def entries(self, query: funnels.FunnelQuery, counts_only: bool = False) -> list[funnels.Entry]:
        if query.is_stage_funnel:
            return super().entries(query)  # stage transitions live in PostgreSQL
        steps = query.steps
        n = len(steps)
        total_window = sum((step.window for step in steps), timedelta())
        upper = query.end + total_window
        sql = Sql(self.client)
        masks = " + ".join(f"(if({self._step_sql(sql, step)}, {1 << i}, 0))" for i, step in enumerate(steps))
        keep = "" if query.order == "strict" else " WHERE mask != 0"
        events = sql.events(query.team.pk, start=query.start, end=upper, end_inclusive=True, where=sql.actions())
        occurrences = (
            "SELECT pid, arraySort(x -> (x.2, x.1), groupUniqArray((id, us, mask, ms))) AS occ "  # noqa: S608
            f"FROM (SELECT id, pid, us, ms, toUInt16({masks}) AS mask FROM {events}{keep}) GROUP BY pid"
        )
        end_ms = sql.p(funnels.ms(query.end), "Int64")
        exclusion_join, x_ts = "", "NULL"
        if query.exclusions:
            names = sql.p(list(query.exclusions), "Array(String)")
            excluded = sql.events(
                query.team.pk, start=query.start, end=upper, end_inclusive=True, where=f" AND has({names}, e.event)"
            )
            exclusion_join = (
                f" LEFT JOIN (SELECT pid, arraySort(groupUniqArray(ms)) AS xs FROM {excluded} GROUP BY pid) AS x "  # noqa: S608
                "ON x.pid = f.pid"
            )
            x_ts = "if(arrayExists(v -> v >= start_ts, xs), arrayFirst(v -> v >= start_ts, xs), NULL)"
        columns = []
        if query.order == "any":
            window = sql.p(int(total_window.total_seconds() * 1000), "Int64")
            columns.append(f"arrayFirstIndex(x -> x.4 < {end_ms}, occ) AS p1")
            columns.append("occ[p1].4 AS start_ts")
            times = []
            for k in range(1, n + 1):
                columns.append(
                    f"arrayFirstIndex((x, i) -> bitTest(x.3, {k - 1}) AND i >= p1 AND x.4 - start_ts <= {window}, "
                    f"occ, arrayEnumerate(occ)) AS c{k}"
                )
                times.append(f"if(c{k} = 0, NULL, occ[c{k}].4)")
            select = ["pid", "pid", "occ[p1].1", "start_ts", *times]
            array_join = ""
        else:
            first = f"bitTest(x.3, 0) AND x.4 < {end_ms}"
            if query.count == "profiles":
                columns.append(f"arrayFirstIndex(x -> {first}, occ) AS p1")
                array_join = ""
            else:
                array_join = (
                    f" ARRAY JOIN arrayFilter(i -> bitTest(occ[i].3, 0) AND occ[i].4 < {end_ms}, "
                    "arrayEnumerate(occ)) AS p1"
                )
                columns.append("p1")
            columns.append("occ[p1].4 AS start_ts")
            columns.append("start_ts AS pts1")
            times, froms = ["start_ts"], []
            for k, step in enumerate(steps[1:], 2):
                window = sql.p(int(step.window.total_seconds() * 1000), "Int64")
                prev = k - 1
                if query.order == "strict":
                    nxt = f"occ[p{prev} + 1]"
                    found = (
                        f"if(p{prev} = 0 OR p{prev} >= length(occ), 0, if(bitTest({nxt}.3, {k - 1}) "
                        f"AND {nxt}.4 - pts{prev} <= {window}, p{prev} + 1, 0))"
                    )
                else:
                    found = (
                        f"if(p{prev} = 0, 0, arrayFirstIndex((x, i) -> bitTest(x.3, {k - 1}) AND i > p{prev} "
                        f"AND x.4 - pts{prev} <= {window}, occ, arrayEnumerate(occ)))"
                    )
                columns.append(f"{found} AS c{k}")
                if step.optional:
                    columns.append(f"if(c{k} = 0, p{prev}, c{k}) AS p{k}")
                    columns.append(f"if(c{k} = 0, pts{prev}, occ[c{k}].4) AS pts{k}")
                else:
                    columns.append(f"c{k} AS p{k}")
                    columns.append(f"occ[c{k}].4 AS pts{k}")
                times.append(f"if(c{k} = 0, NULL, occ[c{k}].4)")
                froms.append(f"if(p{prev} = 0, NULL, pts{prev})")
            key = "pid" if query.count == "profiles" else "occ[p1].1"
            select = [key, "pid", "occ[p1].1", "start_ts", *times, *froms]
        # Aliases of one SELECT chain (p1 → c2 → p2 …): ClickHouse resolves them in order.
        walked = (
            f"SELECT pid, occ{', xs' if query.exclusions else ''}, {', '.join(columns)} "  # noqa: S608
            f"FROM (SELECT f.pid AS pid, f.occ AS occ{', x.xs AS xs' if query.exclusions else ''} "
            f"FROM ({occurrences}) AS f{exclusion_join}){array_join}"
        )
        if counts_only:
            reached = ", ".join(f"countIf(c{k} > 0)" for k in range(2, n + 1))
            return sql.rows(f"SELECT count(), {reached} FROM ({walked}) WHERE p1 > 0")[0]  # noqa: S608
        rows = sql.rows(f"SELECT {', '.join(select)}, {x_ts} FROM ({walked}) WHERE p1 > 0")  # noqa: S608
        rows = [[*row[:-1], None, row[-1]] for row in rows]  # the breakdown value goes before x_ts
        if query.breakdown:
            self._breakdown(query, rows, len(select))
        return [funnels.entry_from_row(query, row) for row in rows]

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
            sql = Sql(self.client)
            ids = sql.p(sorted({row[2] for row in rows}), "Array(UInt64)")
            found = {
                event_id: (source_id, props)
                for event_id, source_id, props in sql.rows(
                    f"SELECT id, any(source_id), any(properties) FROM {sql.db}.events "  # noqa: S608
                    f"WHERE team_id = {sql.p(query.team.pk, 'UInt64')} AND has({ids}, id) GROUP BY id"
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
    """Return the cohort sizes and ``{(cohort, active period): profiles}``, counted with ``retention()``."""
    zone = team_zone(query.team)
    tz = _zone(query.team)
    first, last = local_bounds(period_start(query.start, query.period), query.end, zone)
    horizon = local_midnight(period_add(period_start(query.end, query.period), query.period, query.periods + 1), zone)
    sql = Sql(client)
    everything = sql.events(query.team.pk)
    cohort = (
        f"SELECT pid, entered, {period_sql('entered', query.period, tz)} AS cohort FROM "  # noqa: S608
        f"(SELECT pid, min(us) AS entered FROM {everything} GROUP BY pid) "
        f"WHERE entered >= {sql.p(micros(first), 'Int64')} AND entered < {sql.p(micros(last), 'Int64')}"
    )
    activity = sql.events(query.team.pk, start=first, end=horizon, where=sql.name_filter(query.event))
    active = period_sql("e.us", query.period, tz)
    if query.period == "week":
        index = f"intDiv(dateDiff('day', c.cohort, {active}), 7)"
    else:
        index = f"dateDiff('{query.period}', c.cohort, {active})"
    conditions = ", ".join(f"toUInt8(idx = {k})" for k in range(query.periods + 1))
    rows = sql.rows(
        f"WITH cohorts AS ({cohort}) "  # noqa: S608
        "SELECT toString(cohort), count(), [] FROM cohorts GROUP BY cohort "
        "UNION ALL "
        "SELECT toString(cohort), 0, sumForEach(r) FROM ("
        f"SELECT c.pid, c.cohort AS cohort, retention(toUInt8(1), {conditions}) AS r FROM "
        f"(SELECT e.pid AS pid, e.us AS us, c.cohort AS cohort, {index} AS idx FROM {activity} AS e "
        "INNER JOIN cohorts AS c ON c.pid = e.pid WHERE e.us >= c.entered) AS c "
        "GROUP BY c.pid, c.cohort) GROUP BY cohort"
    )
    sizes, counts = {}, {}
    for start, size, retained in rows:
        day = dt.date.fromisoformat(start)
        if not retained:
            sizes[day] = int(size)
            continue
        for k, n in enumerate(retained[1:]):
            if n:
                counts[(day, period_add(day, query.period, k))] = int(n)
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
    start, end = local_bounds(first, last, team_zone(team))
    sql = Sql(client)
    condition = moment_sql(sql, touchpoint=touchpoint, event=event)
    rows = sql.rows(
        f"SELECT min(us) AS seen, minIf(us, {condition}) AS reached, countIf({condition}) AS hits "  # noqa: S608
        f"FROM {sql.events(team.pk)} GROUP BY pid "
        f"HAVING seen >= {sql.p(micros(start), 'Int64')} AND seen < {sql.p(micros(end), 'Int64')}"
    )
    return [(from_micros(seen), from_micros(reached) if hits else None) for seen, reached, hits in rows]


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
        is_anchor = f"a[i].3 = 'page' AND a[i].5 = {sql.p(value, 'String')}"
    elif kind == "event":
        is_anchor = f"a[i].3 = 'track' AND a[i].4 = {sql.p(value, 'String')}"
    else:
        is_anchor = f"has({sql.p(list(value), 'Array(UInt64)')}, a[i].2)"
    low, high = (0, query.steps) if query.direction == AFTER else (-query.steps, 0)
    gap = sql.p(query.gap_minutes * 60 * 1000, "Int64")
    events = sql.events(query.team.pk, start=start, end=end, where=sql.actions())
    statement = (
        "SELECT pid, t - j AS step, a[ki[t]].2 AS id, a[ki[t]].3, a[ki[t]].4, a[ki[t]].5 FROM ("  # noqa: S608
        "SELECT pid, a, "
        # A pause longer than the gap (to the millisecond) starts a session; a repeat is not a step.
        f"arrayMap(i -> i = 1 OR intDiv(a[i].1 - a[i - 1].1 + 500, 1000) > {gap}, arrayEnumerate(a)) AS brk, "
        "arrayMap(i -> i > 1 AND NOT brk[i] AND a[i].3 = a[i - 1].3 AND a[i].4 = a[i - 1].4 "
        "AND a[i].5 = a[i - 1].5, arrayEnumerate(a)) AS rep, "
        "arrayCumSum(brk) AS sn, arrayFilter(i -> NOT rep[i], arrayEnumerate(a)) AS ki, "
        f"arrayFirstIndex(i -> {is_anchor}, ki) AS j, "
        f"arrayFilter(t -> sn[ki[t]] = sn[ki[j]] AND t - j BETWEEN {low} AND {high}, arrayEnumerate(ki)) AS ts "
        "FROM (SELECT pid, arraySort(x -> (x.1, x.2), groupUniqArray((us, id, type, name, path))) AS a "
        f"FROM {events} GROUP BY pid)) ARRAY JOIN ts AS t WHERE j > 0 ORDER BY pid, step"
    )
    rows = sql.rows(statement)
    if not rows:
        return []
    details = Sql(client)
    ids = details.p(sorted({row[2] for row in rows}), "Array(UInt64)")
    extra = {
        event_id: (ctx, props)
        for event_id, ctx, props in details.rows(
            f"SELECT id, any(context), any(properties) FROM {details.db}.events "  # noqa: S608
            f"WHERE team_id = {details.p(query.team.pk, 'UInt64')} AND has({ids}, id) GROUP BY id"
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

"""Paths: what customers did after (or before) a touchpoint, an event or a page, step by step.

One query object (``PathQuery``) drives the page and the API. The sequence work is one SQL
statement with window functions, the same on PostgreSQL and SQLite: events of the period resolve
to profiles through ``event → identity → profile`` (a merge moves identities, so a person's events
before and after an identify are one path); ``LAG`` over (profile, time) cuts sessions where the
gap exceeds the query's, and drops an event that repeats the one before it (a reload is not a
step); ``ROW_NUMBER`` numbers the rest, so the N steps after the profile's first anchor in the
period are a join on the step number. Each profile counts once: its first anchor, one path.

Events are ordered by their corrected time (``Event.timestamp``), then by id, so a late event takes
its place in the path and two events of the same instant keep the order they arrived in.

Nodes are labelled in Python with the tracking plan's own matching (``customers.rules``): an event
a touchpoint's rule matches is that touchpoint; one only a stage's entry rule matches is that
stage; anything else is "not on the map" — a detour the map does not show.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers import rules as tracking
from customers.models import Event, Identity, TrackingRule
from journeys.models import JourneyMap, Stage, Touchpoint
from teams.models import Team

AFTER, BEFORE = "after", "before"
ANCHOR_KINDS = ("touchpoint", "event", "page")
# The calls that are behaviour; identify, group and alias say who someone is, not what they did.
PATH_TYPES = ("track", "page", "screen")
OTHER = "other"

STEPS_DEFAULT, STEPS_MAX = 3, 8
DAYS_DEFAULT, DAYS_MAX = 30, 365
GAP_DEFAULT, GAP_MAX = 30, 24 * 60  # minutes
TOP_DEFAULT, TOP_MAX = 6, 20


@dataclass(frozen=True)
class PathQuery:
    """What to trace: from or to an anchor, how many steps, over which period and session gap."""

    team: Team
    anchor_kind: str  # "touchpoint", "event" or "page"
    anchor: str  # the touchpoint's id, the event name or the page path
    direction: str = AFTER
    journey_map: JourneyMap | None = None
    steps: int = STEPS_DEFAULT
    days: int = DAYS_DEFAULT
    gap_minutes: int = GAP_DEFAULT
    top: int = TOP_DEFAULT
    end: datetime | None = None  # default: now

    @property
    def period(self) -> tuple[datetime, datetime]:
        end = self.end or timezone.now()
        return end - timedelta(days=self.days), end

    def params(self) -> dict:
        """Return the query as the URL parameters that ask for it again."""
        params = {
            "from" if self.direction == AFTER else "to": f"{self.anchor_kind}:{self.anchor}",
            "steps": self.steps,
            "days": self.days,
            "gap": self.gap_minutes,
            "top": self.top,
        }
        if self.journey_map is not None:
            params["map"] = self.journey_map.pk
        return params


def parse_anchor(value: str) -> tuple[str, str] | None:
    """Return ``(kind, value)`` from ``touchpoint:12``, ``event:Order Completed`` or ``page:/cart``.

    A bare value is a page path when it starts with ``/``, else an event name.
    """
    value = (value or "").strip()
    if not value:
        return None
    kind, sep, rest = value.partition(":")
    if sep and kind in ANCHOR_KINDS and rest.strip():
        return kind, rest.strip()
    return ("page", value) if value.startswith("/") else ("event", value)


@dataclass(frozen=True)
class Node:
    """A place in a path: a touchpoint, a stage's entry, a raw event not on the map, or "other"."""

    key: str  # "tp:12", "stage:3", "track:Order Completed", "page:/cart", "screen:Home", "other"
    label: str
    kind: str  # "touchpoint", "stage", "event" or "other"
    on_map: bool | None  # None: no map to judge by
    touchpoint_id: int | None = None
    stage_id: int | None = None
    event_type: str = ""
    event_name: str = ""
    path: str = ""

    @property
    def is_detour(self) -> bool:
        return self.on_map is False and self.kind == "event"


@dataclass
class PathResult:
    query: PathQuery
    profiles: int = 0
    anchor_label: str = ""
    steps: list[dict] = field(default_factory=list)  # {step, profiles, ended}
    nodes: list[dict] = field(default_factory=list)
    transitions: list[dict] = field(default_factory=list)
    reason: str = ""

    @property
    def detours(self) -> list[dict]:
        return [node for node in self.nodes if node["detour"]]


def rate(k: int, n: int) -> dict:
    """Return the share k of n with its Wilson 95 % interval; no number (and why) when n is 0."""
    if n <= 0:
        return {"k": k, "n": n, "value": None, "low": None, "high": None, "reason": _("No one to count: n is 0.")}
    from statsmodels.stats.proportion import proportion_confint  # a slow import most processes never need

    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return {"k": k, "n": n, "value": k / n, "low": float(low), "high": float(high), "reason": ""}


# --- labelling ------------------------------------------------------------------------------------


def raw_node(type_: str, name: str, path: str, *, on_map: bool | None) -> Node:
    """Return the node of an event on no touchpoint: a page by its path, a track or screen by its name."""
    if type_ == "page" and path:
        return Node(f"page:{path}", path, "event", on_map, event_type="page", path=path)
    return Node(f"{type_}:{name}", name or type_, "event", on_map, event_type=type_, event_name=name)


class Labeller:
    """Name each event by the map it is read against (memoised: paths repeat the same few events)."""

    def __init__(self, query: PathQuery):
        self.journey_map = query.journey_map
        self.rules: list = []
        self.touchpoints: dict[int, Touchpoint] = {}
        self.stages: dict[int, Stage] = {}
        self._memo: dict = {}
        if self.journey_map is not None:
            self.rules = [r for r in tracking.team_rules(query.team.pk) if r.journey_map_id == self.journey_map.pk]
            self.stages = {s.pk: s for s in Stage.objects.filter(journey_map=self.journey_map)}
            self.touchpoints = {t.pk: t for t in Touchpoint.objects.filter(stage__journey_map=self.journey_map)}
        # Conditions read properties: only then must each event be matched on its own.
        self._by_properties = any(rule.conditions for rule in self.rules)

    def label(self, type_: str, name: str, path: str, context, properties) -> Node:
        url = tracking.event_url(context, properties)
        memo_key = (type_, name, path, url, json.dumps(properties, sort_keys=True, default=str))
        if not self._by_properties:
            memo_key = memo_key[:4]
        node = self._memo.get(memo_key)
        if node is None:
            node = self._match(type_, name, path, url, properties if isinstance(properties, dict) else {})
            self._memo[memo_key] = node
        return node

    def _match(self, type_: str, name: str, path: str, url: str, properties: dict) -> Node:
        if self.journey_map is None:
            return raw_node(type_, name, path, on_map=None)
        stage_id = None
        for rule in self.rules:
            if not tracking.matches(rule, type_=type_, event=name, path=path, url=url, properties=properties):
                continue
            touchpoint = self.touchpoints.get(rule.touchpoint_id) if rule.touchpoint_id else None
            if touchpoint is not None:
                return Node(
                    f"tp:{touchpoint.pk}",
                    touchpoint.name,
                    "touchpoint",
                    True,
                    touchpoint_id=touchpoint.pk,
                    stage_id=touchpoint.stage_id,
                )
            stage_id = stage_id or rule.stage_id
        if stage_id is not None and stage_id in self.stages:
            stage = self.stages[stage_id]
            label = _("%(stage)s (stage entry)") % {"stage": stage.name}
            return Node(f"stage:{stage_id}", label, "stage", True, stage_id=stage_id)
        return raw_node(type_, name, path, on_map=False)


# --- the sequence query ---------------------------------------------------------------------------


def _gap_seconds_sql() -> str:
    """The seconds between an event and the one before it, to the millisecond on both databases."""
    if connection.vendor == "postgresql":
        return "ROUND(EXTRACT(EPOCH FROM (ts - prev_ts)) * 1000) / 1000.0"
    return "ROUND((julianday(ts) - julianday(prev_ts)) * 86400000.0) / 1000.0"


def _ids_sql() -> str:
    """``eid`` is one of a list of ids given as one parameter (any length, one statement)."""
    if connection.vendor == "postgresql":
        return "eid = ANY(%s)"
    return "eid IN (SELECT value FROM json_each(%s))"


def _ids_param(ids: list[int]):
    return list(ids) if connection.vendor == "postgresql" else json.dumps(list(ids))


SEQUENCE_SQL = """
WITH ev AS (
  SELECT i.profile_id AS pid, e.id AS eid, e.timestamp AS ts, e.type AS typ, e.event AS name, e.path AS path,
         e.properties AS props, e.context AS ctx,
         LAG(e.timestamp) OVER w AS prev_ts, LAG(e.type) OVER w AS prev_typ,
         LAG(e.event) OVER w AS prev_name, LAG(e.path) OVER w AS prev_path
  FROM {event} e JOIN {identity} i ON i.id = e.identity_id
  WHERE e.team_id = %s AND e.timestamp >= %s AND e.timestamp < %s AND e.type IN ('track', 'page', 'screen')
  WINDOW w AS (PARTITION BY i.profile_id ORDER BY e.timestamp, e.id)
),
marked AS (
  SELECT ev.*,
         CASE WHEN prev_ts IS NULL OR {gap} > %s THEN 1 ELSE 0 END AS brk,
         CASE WHEN prev_ts IS NOT NULL AND {gap} <= %s AND prev_typ = typ AND prev_name = name AND prev_path = path
              THEN 1 ELSE 0 END AS rep
  FROM ev
),
sess AS (
  SELECT marked.*, SUM(brk) OVER (PARTITION BY pid ORDER BY ts, eid ROWS UNBOUNDED PRECEDING) AS sn FROM marked
),
kept AS (
  SELECT pid, eid, ts, typ, name, path, props, ctx, sn,
         CASE WHEN {anchor} THEN 1 ELSE 0 END AS is_anchor,
         ROW_NUMBER() OVER (PARTITION BY pid, sn ORDER BY ts, eid) AS seq
  FROM sess WHERE rep = 0
),
anchors AS (
  SELECT pid, sn, seq FROM (
    SELECT pid, sn, seq, ROW_NUMBER() OVER (PARTITION BY pid ORDER BY ts, eid) AS k FROM kept WHERE is_anchor = 1
  ) first_anchor WHERE k = 1
)
SELECT k.pid, k.seq - a.seq AS step, k.typ, k.name, k.path, k.ctx, k.props
FROM kept k JOIN anchors a ON a.pid = k.pid AND a.sn = k.sn
WHERE k.seq - a.seq BETWEEN %s AND %s
ORDER BY k.pid, step
"""


def _touchpoint_anchor_ids(query: PathQuery, start: datetime, end: datetime) -> tuple[list[int], str]:
    """Return the ids of the period's events a touchpoint's rules match (or why there are none).

    The database narrows by what rules state exactly (call type, event name); ``customers.rules``
    decides, as it does for stage matching, so patterns and property conditions mean the same here.
    """
    try:
        touchpoint_id = int(query.anchor)
    except ValueError:
        return [], _("Choose a touchpoint of the map.")
    rules = [r for r in tracking.team_rules(query.team.pk) if r.touchpoint_id == touchpoint_id]
    if not rules:
        return [], _(
            "This touchpoint has no tracking rule yet, so no event means a customer is there: "
            "bind it to an event on the map first."
        )
    narrow = Q()
    for rule in rules:
        part = Q()
        if rule.event_type != TrackingRule.EventType.ANY:
            part &= Q(type=rule.event_type)
        if rule.event_name:
            part &= Q(event=rule.event_name)
        narrow |= part
    from customers import clickhouse

    if clickhouse.enabled():
        from . import clickhouse as engine

        return engine.touchpoint_anchor_ids(clickhouse.get_client(), query, rules, start, end), ""
    candidates = (
        Event.objects.filter(team_id=query.team.pk, timestamp__gte=start, timestamp__lt=end, type__in=PATH_TYPES)
        .filter(narrow)
        .values_list("pk", "type", "event", "path", "context", "properties")
    )
    ids = []
    for pk, type_, name, path, context, properties in candidates.iterator(chunk_size=2000):
        url = tracking.event_url(context, properties)
        props = properties if isinstance(properties, dict) else {}
        if any(tracking.matches(rule, type_=type_, event=name, path=path, url=url, properties=props) for rule in rules):
            ids.append(pk)
    return ids, ""


def _json(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def sequence_rows(query: PathQuery) -> tuple[list[tuple], str]:
    """Return ``(profile, step, type, name, path, context, properties)`` rows of every anchored path."""
    start, end = query.period
    adapt = connection.ops.adapt_datetimefield_value
    if query.anchor_kind == "touchpoint":
        ids, reason = _touchpoint_anchor_ids(query, start, end)
        if reason:
            return [], reason
        if not ids:
            return [], ""
        anchor_sql, anchor_params = _ids_sql(), [_ids_param(ids)]
    elif query.anchor_kind == "page":
        anchor_sql, anchor_params = "typ = 'page' AND path = %s", [query.anchor]
    else:
        anchor_sql, anchor_params = "typ = 'track' AND name = %s", [query.anchor]
    from customers import clickhouse

    if clickhouse.enabled():
        from . import clickhouse as engine

        anchor = ("ids", ids) if query.anchor_kind == "touchpoint" else (query.anchor_kind, query.anchor)
        return engine.path_rows(clickhouse.get_client(), query, anchor=anchor), ""
    low, high = (0, query.steps) if query.direction == AFTER else (-query.steps, 0)
    gap = _gap_seconds_sql()
    # Table names are the models' own and the fragments are constants of this module, never input.
    sql = SEQUENCE_SQL.format(
        event=connection.ops.quote_name(Event._meta.db_table),
        identity=connection.ops.quote_name(Identity._meta.db_table),
        gap=gap,
        anchor=anchor_sql,
    )
    gap_seconds = query.gap_minutes * 60
    params = [query.team.pk, adapt(start), adapt(end), gap_seconds, gap_seconds, *anchor_params, low, high]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = [
            (pid, int(step), typ, name or "", path or "", _json(ctx), _json(props))
            for pid, step, typ, name, path, ctx, props in cursor.fetchall()
        ]
    return rows, ""


# --- from rows to a diagram -----------------------------------------------------------------------


def _node_dict(step: int, node: Node, profiles: int) -> dict:
    return {
        "id": f"{step}|{node.key}",
        "step": step,
        "key": node.key,
        "label": node.label,
        "kind": node.kind,
        "on_map": node.on_map,
        "detour": node.is_detour,
        "touchpoint": node.touchpoint_id,
        "stage": node.stage_id,
        "event_type": node.event_type,
        "event_name": node.event_name,
        "path": node.path,
        "profiles": profiles,
    }


def anchor_label(query: PathQuery) -> str:
    if query.anchor_kind == "touchpoint":
        touchpoint = Touchpoint.objects.filter(pk=query.anchor if query.anchor.isdigit() else None).first()
        return touchpoint.name if touchpoint is not None else query.anchor
    return query.anchor


def paths_compute(query: PathQuery) -> PathResult:
    """Return the top transitions per step from (or to) the query's anchor, counted per profile."""
    result = PathResult(query=query, anchor_label=anchor_label(query))
    if query.journey_map is None and query.anchor_kind == "touchpoint":
        result.reason = _("Choose a map: a touchpoint is read through its map's tracking rules.")
        return result
    rows, reason = sequence_rows(query)
    if reason:
        result.reason = reason
        return result
    labeller = Labeller(query)
    paths: dict[int, dict[int, Node]] = defaultdict(dict)
    for pid, step, typ, name, path, ctx, props in rows:
        paths[pid][step] = labeller.label(typ, name, path, ctx, props)
    result.profiles = len(paths)
    if not paths:
        result.reason = _(
            "No customer reached the starting point in these %(days)d days, so there is no path to draw."
        ) % {"days": query.days}
        return result
    step_range = list(range(0, query.steps + 1)) if query.direction == AFTER else list(range(-query.steps, 1))

    # Per step, the top nodes by profiles; the rest fold into "other" (ties broken by label, then key).
    counts: dict[int, Counter] = {step: Counter() for step in step_range}
    nodes_by_key: dict[str, Node] = {}
    for path in paths.values():
        for step, node in path.items():
            counts[step][node.key] += 1
            nodes_by_key.setdefault(node.key, node)
    kept: dict[int, set[str]] = {}
    other = Node(OTHER, _("Other"), "other", None)
    for step in step_range:
        ranked = sorted(counts[step].items(), key=lambda item: (-item[1], nodes_by_key[item[0]].label, item[0]))
        kept[step] = {key for key, _n in ranked[: query.top]}

    def folded(step: int, node: Node) -> Node:
        return node if node.key in kept[step] else other

    node_profiles: Counter = Counter()
    node_objects: dict[tuple[int, str], Node] = {}
    pairs: Counter = Counter()
    for path in paths.values():
        for step, node in path.items():
            shown = folded(step, node)
            node_profiles[(step, shown.key)] += 1
            node_objects[(step, shown.key)] = shown
            if step + 1 in path:
                pairs[(step, shown.key, folded(step + 1, path[step + 1]).key)] += 1

    ordered = sorted(
        node_objects.items(),
        key=lambda item: (item[0][0], item[1].key == OTHER, -node_profiles[item[0]], item[1].label, item[1].key),
    )
    result.nodes = [_node_dict(step, node, node_profiles[(step, key)]) for (step, key), node in ordered]
    for (step, source, target), profiles in sorted(
        pairs.items(),
        key=lambda item: (
            item[0][0],
            -item[1],
            node_objects[(item[0][0], item[0][1])].label,
            item[0][2] == OTHER,
            node_objects[(item[0][0] + 1, item[0][2])].label,
            item[0][1],
            item[0][2],
        ),
    ):
        source_node, target_node = node_objects[(step, source)], node_objects[(step + 1, target)]
        result.transitions.append(
            {
                "from_step": step,
                "to_step": step + 1,
                "source": f"{step}|{source}",
                "target": f"{step + 1}|{target}",
                "from_label": source_node.label,
                "to_label": target_node.label,
                "from_on_map": source_node.on_map,
                "to_on_map": target_node.on_map,
                "detour": target_node.is_detour,
                "profiles": profiles,
                "share": rate(profiles, node_profiles[(step, source)]),
            }
        )
    for step in step_range:
        present = sum(1 for path in paths.values() if step in path)
        if query.direction == AFTER:
            ended = sum(1 for path in paths.values() if step in path and step + 1 not in path)
            ended = ended if step < query.steps else None
        else:
            ended = sum(1 for path in paths.values() if step in path and step - 1 not in path)
            ended = ended if step > -query.steps else None
        result.steps.append({"step": step, "profiles": present, "ended": ended})
    if not result.transitions:
        result.reason = ngettext(
            "%(n)d customer reached the starting point, but did nothing else in the same session.",
            "%(n)d customers reached the starting point, but none did anything else in the same session.",
            result.profiles,
        ) % {"n": result.profiles}
    return result


def result_json(result: PathResult) -> dict:
    """Return the result as the API gives it: every figure unrounded, with its n."""
    query = result.query
    start, end = query.period
    return {
        "query": {
            "map": query.journey_map.pk if query.journey_map is not None else None,
            "team": query.team.pk,
            "direction": query.direction,
            "anchor": {"kind": query.anchor_kind, "value": query.anchor, "label": result.anchor_label},
            "steps": query.steps,
            "days": query.days,
            "gap_minutes": query.gap_minutes,
            "top": query.top,
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        "profiles": result.profiles,
        "reason": result.reason,
        "steps": result.steps,
        "nodes": result.nodes,
        "results": result.transitions,
    }


CSV_HEADER = [
    "from_step",
    "from",
    "to_step",
    "to",
    "profiles",
    "share",
    "share_low",
    "share_high",
    "n",
    "to_on_map",
]


def csv_rows(result: PathResult) -> list[list]:
    rows = [CSV_HEADER]
    for t in result.transitions:
        share = t["share"]
        rows.append(
            [
                t["from_step"],
                t["from_label"],
                t["to_step"],
                t["to_label"],
                t["profiles"],
                share["value"],
                share["low"],
                share["high"],
                share["n"],
                "" if t["to_on_map"] is None else ("yes" if t["to_on_map"] else "no"),
            ]
        )
    return rows

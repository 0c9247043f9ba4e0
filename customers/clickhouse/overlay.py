"""The map overlay's aggregates from ClickHouse: per touchpoint, events, unique customers and daily counts.

The same answer as ``customers.overlay.touchpoint_counts`` (which sums the PostgreSQL roll-up the
matcher keeps), computed from the events: an event counts once per touchpoint whose active rule it
meets (``customers.rules.matches``: call type, name, the path pattern on the path or the page URL,
case-insensitive, and the property conditions). Rules without property conditions become SQL and
are counted inside ClickHouse (``countIf``/``uniqExactIf`` per touchpoint, grouped by UTC day); a
touchpoint with a conditioned rule, or a pattern ClickHouse's regular expressions cannot say,
has its candidate events (narrowed by call type and name) decided by ``customers.rules`` here.
"""

from __future__ import annotations

import fnmatch
import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from customers import rules as tracking

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _regex(pattern: str) -> str | None:
    """The rule's glob as an RE2 expression (anchored, case-insensitive), or None when RE2 cannot say it."""
    translated = fnmatch.translate(pattern)
    if "(?>" in translated:  # atomic groups (several stars): not in RE2
        return None
    return "(?i)^" + translated.replace("\\Z", "$")


class _Params:
    def __init__(self):
        self.values: dict = {}

    def __call__(self, value, kind: str) -> str:
        name = f"o{len(self.values)}"
        self.values[name] = value
        return f"{{{name}:{kind}}}"


URL = (
    "if(JSONExtractString(context, 'page', 'url') != '', JSONExtractString(context, 'page', 'url'), "
    "JSONExtractString(properties, 'url'))"
)


def _rule_sql(rule, p: _Params) -> str | None:
    parts = []
    if rule.event_type != "any":
        parts.append(f"type = {p(rule.event_type, 'String')}")
    if rule.event_name:
        parts.append(f"event = {p(rule.event_name, 'String')}")
    if rule.path_pattern:
        regex = _regex(rule.path_pattern)
        if regex is None:
            return None
        bound = p(regex, "String")
        parts.append(f"(match(path, {bound}) OR match({URL}, {bound}))")
    return "(" + (" AND ".join(parts) or "1") + ")"


def touchpoint_counts(client, journey_map, *, first: date, last: date) -> dict[int, dict]:
    """Return ``{touchpoint_id: {"events", "profiles", "daily"}}`` for the UTC days ``first``…``last``."""
    days = (last - first).days + 1
    by_touchpoint: dict[int, list] = defaultdict(list)
    for rule in tracking.team_rules(journey_map.team_id):
        if rule.journey_map_id == journey_map.pk and rule.touchpoint_id is not None:
            by_touchpoint[rule.touchpoint_id].append(rule)
    if not by_touchpoint:
        return {}
    p = _Params()
    in_sql, in_python = {}, {}
    for touchpoint_id, rules in by_touchpoint.items():
        parts = [None if rule.conditions else _rule_sql(rule, p) for rule in rules]
        if all(parts):
            in_sql[touchpoint_id] = " OR ".join(parts)
        else:
            in_python[touchpoint_id] = rules
    db = client.database
    team = p(journey_map.team_id, "UInt64")
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    events = (
        f"(SELECT e.id AS id, m.pid AS pid, e.type AS type, e.event AS event, e.path AS path, "  # noqa: S608
        f"e.context AS context, e.properties AS properties, toDate(e.timestamp, 'UTC') AS day FROM {db}.events AS e "
        f"FINAL INNER JOIN (SELECT identity_id, argMax(profile_id, version) AS pid FROM {db}.identities "
        f"WHERE team_id = {team} GROUP BY identity_id) AS m ON m.identity_id = e.identity_id "
        f"WHERE e.team_id = {team} AND e.timestamp >= fromUnixTimestamp64Micro({p(_micros(start), 'Int64')}, 'UTC') "
        f"AND e.timestamp < fromUnixTimestamp64Micro({p(_micros(end), 'Int64')}, 'UTC') LIMIT 1 BY id)"
    )
    counts: dict[int, dict] = {}
    if in_sql:
        ids = list(in_sql)
        per_day = ", ".join(f"uniqExactIf(id, {in_sql[t]})" for t in ids)
        people = ", ".join(f"uniqExactIf(pid, {in_sql[t]})" for t in ids)
        rows = client.query(
            f"SELECT toString(day), [{per_day}], [] FROM {events} GROUP BY day "  # noqa: S608
            f"UNION ALL SELECT '', [], [{people}] FROM {events}",
            p.values,
        )
        daily = {t: [0] * days for t in ids}
        profiles = dict.fromkeys(ids, 0)
        for day, day_counts, people_counts in rows:
            if not day:
                profiles = dict(zip(ids, people_counts, strict=True))
                continue
            index = (date.fromisoformat(day) - first).days
            for touchpoint_id, n in zip(ids, day_counts, strict=True):
                daily[touchpoint_id][index] = int(n)
        for touchpoint_id in ids:
            if sum(daily[touchpoint_id]):
                counts[touchpoint_id] = {
                    "events": sum(daily[touchpoint_id]),
                    "profiles": int(profiles[touchpoint_id]),
                    "daily": daily[touchpoint_id],
                }
    if in_python:
        counts.update(_decided_here(client, events, p, in_python, first, days))
    return counts


def _decided_here(client, events: str, p: _Params, by_touchpoint: dict, first: date, days: int) -> dict:
    narrow = []
    for rules in by_touchpoint.values():
        for rule in rules:
            part = []
            if rule.event_type != "any":
                part.append(f"type = {p(rule.event_type, 'String')}")
            if rule.event_name:
                part.append(f"event = {p(rule.event_name, 'String')}")
            narrow.append("(" + (" AND ".join(part) or "1") + ")")
    rows = client.query(
        f"SELECT pid, toString(day), type, event, path, context, properties FROM {events} "  # noqa: S608
        f"WHERE {' OR '.join(narrow)}",
        p.values,
    )
    daily = {t: [0] * days for t in by_touchpoint}
    people: dict[int, set] = {t: set() for t in by_touchpoint}
    for pid, day, type_, name, path, context, properties in rows:
        context, properties = json.loads(context or "{}"), json.loads(properties or "{}")
        props = properties if isinstance(properties, dict) else {}
        url = tracking.event_url(context, properties)
        for touchpoint_id, rules in by_touchpoint.items():
            if any(tracking.matches(r, type_=type_, event=name, path=path, url=url, properties=props) for r in rules):
                daily[touchpoint_id][(date.fromisoformat(day) - first).days] += 1
                people[touchpoint_id].add(pid)
    return {
        t: {"events": sum(daily[t]), "profiles": len(people[t]), "daily": daily[t]}
        for t in by_touchpoint
        if sum(daily[t])
    }

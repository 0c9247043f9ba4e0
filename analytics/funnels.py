"""Funnels drawn from the map: the query, its rules, and the SQL engine that answers it.

What a funnel counts (the reference in tests/analytics/reference.py follows the same text):

- **Who.** Events are read through their identity's profile (event → identity → profile), never
  through the ids stored on the event, so a merge moves a person's whole history into one funnel.
  Stage funnels read ``StageTransition`` rows, which merges move too.
- **Entry.** Counted per profile, a profile enters at its first step-1 occurrence in the period
  ``[start, end)``; counted per conversion, every step-1 occurrence in the period is an entry.
- **Ordered.** Each next step is the earliest occurrence that comes after the previous matched
  one (by timestamp, then id) and no later than the step's window after it (a step exactly on
  the window's end counts). An optional step that is not found is skipped: the next step is
  measured from the last step found. A required step not found ends the entry there.
- **Strict.** As ordered, but the next step must be the profile's very next action (track, page
  or screen call; for stage funnels the very next stage transition on the map).
- **Any order.** The entry is the first occurrence of any step in the period; a step is done when
  it occurs within the sum of the windows after the entry; "step k" counts the entries that did
  at least k of the steps.
- **Exclusions.** An entry with an exclusion event between its entry and the last step it reached
  (both ends included) is left out altogether.
- Times are compared to the millisecond; durations are reported in seconds.

The engine is a seam: ``engine_for(team).run(query)``. ``SqlEngine`` runs on PostgreSQL and
SQLite: the matching of steps is one set-based statement (a CTE per step); the per-entry rows it
returns are then counted in Python, once each. On PostgreSQL an ordered funnel of stages or of event
names counted per profile is counted inside the statement instead (``aggregates_in_database``), and
the map's own stage funnel is read from stored rows when they answer it exactly (``stage_store``).
"""

from __future__ import annotations

import itertools
import statistics
import zoneinfo
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Max
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from customers.models import Profile, TrackingRule
from journeys.models import JourneyMap, Stage, Touchpoint
from owners.models import SLA
from teams.models import Team

from .query import rate as query_rate

DEFAULT_WINDOW = timedelta(days=30)
DEFAULT_PERIOD_DAYS = 28
MAX_STEPS = 12
ORDERS = ("ordered", "strict", "any")
COUNTS = ("profiles", "conversions")
BREAKDOWN_KINDS = ("persona", "source", "channel")
# Edges of the time-to-convert histogram, in seconds: a minute, ten, an hour, six, a day, 3, 7, 14, 30.
HISTOGRAM_EDGES = [0, 60, 600, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400]
ACTION_TYPES = ("track", "page", "screen")
OTHER = "other"
# PostgreSQL's JIT compiles a statement whose cost estimate passes jit_above_cost; the funnel
# statements pass it at a few thousand profiles and spend seconds (tens at 100,000 profiles)
# compiling expressions for a plan that then runs in a fraction of that. Off for these statements
# only, inside their transaction (SET LOCAL), so the server's setting stays everyone else's.
NO_JIT = "SET LOCAL jit = off"
NONE_VALUE = "(none)"

# Reasons are kept in English here and translated where shown (``reason_display``).
NO_ENTRIES = gettext_noop("Nobody entered the funnel in the period.")
NO_PREVIOUS = gettext_noop("Nobody reached the previous step.")
NO_CONVERSIONS = gettext_noop("Nobody converted at this step, so there is no time to convert.")
NO_RULES = gettext_noop("No active tracking rule binds this touchpoint to events.")


@dataclass(frozen=True)
class Step:
    """One step: a stage (read from stage transitions), a touchpoint or an event name (read from events)."""

    kind: str  # "stage" | "touchpoint" | "event"
    ref: int | str  # the stage's or touchpoint's id, or the event's name
    label: str
    window: timedelta  # how long after the previous step this one may come
    optional: bool = False
    channel: str = ""  # a touchpoint's channel

    @property
    def token(self) -> str:
        return f"{self.kind}:{self.ref}"


@dataclass
class FunnelQuery:
    """Everything a funnel needs; the page's form and the API build the same object."""

    team: Team
    steps: list[Step]
    start: datetime
    end: datetime
    journey_map: JourneyMap | None = None
    order: str = "ordered"
    count: str = "profiles"
    exclusions: list[str] = field(default_factory=list)
    breakdown: str = ""  # "", "persona", "source", "channel", "trait:<key>", "property:<key>"
    top: int = 5
    compare_start: datetime | None = None
    compare_end: datetime | None = None

    @property
    def is_stage_funnel(self) -> bool:
        return all(step.kind == "stage" for step in self.steps)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return team_zone(self.team)

    def compared(self) -> FunnelQuery | None:
        """Return the same query over the comparison period, or None without one."""
        if self.compare_start is None or self.compare_end is None:
            return None
        return replace(self, start=self.compare_start, end=self.compare_end, compare_start=None, compare_end=None)

    def as_dict(self) -> dict:
        """Return the query as the API echoes it (and as ``query_from`` reads it back)."""
        local = self.tzinfo
        return {
            "team": self.team.pk,
            "map": self.journey_map.pk if self.journey_map else None,
            "steps": [step.token for step in self.steps],
            "windows": [int(step.window.total_seconds()) for step in self.steps],
            "optional": [index for index, step in enumerate(self.steps, 1) if step.optional],
            "order": self.order,
            "count": self.count,
            "exclude": list(self.exclusions),
            "breakdown": self.breakdown,
            "top": self.top,
            "start": self.start.astimezone(local).date().isoformat(),
            "end": (self.end.astimezone(local) - timedelta(days=1)).date().isoformat(),
            "compare_start": self.compare_start.astimezone(local).date().isoformat() if self.compare_start else None,
            "compare_end": (self.compare_end.astimezone(local) - timedelta(days=1)).date().isoformat()
            if self.compare_end
            else None,
        }


def team_zone(team: Team) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(team.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_midnight(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


# --- building a query -------------------------------------------------------------------------


def stage_windows(stages: list[Stage]) -> dict[int, timedelta]:
    """Return each stage's default window: the longest SLA of its touchpoints, else 30 days."""
    longest = dict(
        SLA.objects.filter(touchpoint__stage__in=stages)
        .values("touchpoint__stage")
        .annotate(longest=Max("response_target"))
        .values_list("touchpoint__stage", "longest")
    )
    return {stage.pk: longest.get(stage.pk) or DEFAULT_WINDOW for stage in stages}


def _list(data, key: str) -> list[str]:
    """Return the values of ``key`` from a QueryDict (repeated) or a dict (a list or one value)."""
    if hasattr(data, "getlist"):
        values = data.getlist(key)
        if len(values) == 1 and "," in values[0] and key in ("step", "window", "optional", "exclude"):
            values = values[0].split(",")
    else:
        value = data.get(key, data.get(f"{key}s", []))
        values = value if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in values if v is not None and str(v).strip() != ""]


def _date(data, key: str, errors: dict) -> date | None:
    raw = data.get(key) or ""
    if not raw:
        return None
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        errors[key] = _("Give a date as YYYY-MM-DD.")
        return None


def query_from(data, *, user, team: Team | None = None) -> FunnelQuery:
    """Return the ``FunnelQuery`` that ``data`` (query string, form or JSON) asks for, or raise ValidationError.

    Keys: ``map``; ``step`` (repeated or comma-separated ``stage:<id>``, ``touchpoint:<id>``,
    ``event:<name>``; default the map's stages); ``window`` (hours, one for all steps or one per
    step); ``optional`` (1-based step numbers); ``order``; ``count``; ``exclude`` (event names);
    ``breakdown``; ``top``; ``start``/``end`` and ``compare_start``/``compare_end`` (dates in the
    team's time zone, both ends included). The map decides the team; without one, ``team`` does.
    """
    from teams.access import get_object_for_user, require_role
    from teams.models import Role

    errors: dict[str, str] = {}
    journey_map = None
    if data.get("map"):
        journey_map = get_object_for_user(JourneyMap.objects.select_related("team"), user, pk=data.get("map"))
        team = journey_map.team
    if team is None:
        raise ValidationError({"map": _("Choose a map (or name the team).")})
    require_role(user, team.pk, Role.VIEWER)
    tz = team_zone(team)

    tokens = _list(data, "step")
    if not tokens:
        if journey_map is None:
            raise ValidationError({"step": _("Choose a map or at least two steps.")})
        tokens = [f"stage:{pk}" for pk in journey_map.stages.order_by("position", "id").values_list("pk", flat=True)]
    if len(tokens) < 2 or len(tokens) > MAX_STEPS:
        raise ValidationError({"step": _("A funnel has from 2 to %(max)s steps.") % {"max": MAX_STEPS}})
    steps = _steps(tokens, team=team, journey_map=journey_map, errors=errors)

    windows = _list(data, "window")
    if windows:
        try:
            hours = [float(value) for value in windows]
        except ValueError:
            hours = []
            errors["window"] = _("Give windows in hours.")
        if hours and (len(hours) not in (1, len(steps)) or any(h <= 0 or h > 24 * 366 for h in hours)):
            errors["window"] = _("Give one window, or one per step, in hours between 0 and 8784.")
        elif hours and steps:
            hours = hours * len(steps) if len(hours) == 1 else hours
            steps = [replace(step, window=timedelta(hours=h)) for step, h in zip(steps, hours, strict=True)]
    optional = _list(data, "optional")
    try:
        optional_ix = {int(value) for value in optional}
    except ValueError:
        optional_ix = set()
        errors["optional"] = _("Give optional steps by number.")
    if optional_ix and (1 in optional_ix or not optional_ix <= set(range(2, len(tokens) + 1))):
        errors["optional"] = _("Only steps after the first can be optional.")
    steps = [replace(step, optional=index in optional_ix) for index, step in enumerate(steps, 1)]

    order = data.get("order") or "ordered"
    if order not in ORDERS:
        errors["order"] = _("Choose ordered, strict or any.")
    count = data.get("count") or "profiles"
    if count not in COUNTS:
        errors["count"] = _("Count profiles or conversions.")
    if order == "any" and (count == "conversions" or optional_ix):
        errors["order"] = _("Any-order funnels count profiles and have no optional steps.")
    breakdown = (data.get("breakdown") or "").strip()
    if breakdown and breakdown not in BREAKDOWN_KINDS and not breakdown.startswith(("trait:", "property:")):
        errors["breakdown"] = _("Break down by persona, source, channel, trait:<key> or property:<key>.")
    if breakdown.startswith(("trait:", "property:")) and not breakdown.split(":", 1)[1]:
        errors["breakdown"] = _("Name the trait or property.")
    if breakdown == "channel" and steps and steps[0].kind not in ("stage", "touchpoint"):
        errors["breakdown"] = _("Channel breakdowns need stages or a touchpoint as the first step.")
    try:
        top = int(data.get("top") or 5)
    except (TypeError, ValueError):
        top = 0
    if not 1 <= top <= 50:
        errors["top"] = _("Show from 1 to 50 breakdown values.")

    today = timezone.now().astimezone(tz).date()
    end_day = _date(data, "end", errors) or today
    start_day = _date(data, "start", errors) or end_day - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if start_day > end_day:
        errors["start"] = _("The period starts after it ends.")
    compare_start_day = _date(data, "compare_start", errors)
    compare_end_day = _date(data, "compare_end", errors)
    if (compare_start_day is None) != (compare_end_day is None):
        errors["compare_start"] = _("Give both ends of the comparison period.")
    elif compare_start_day and compare_end_day and compare_start_day > compare_end_day:
        errors["compare_start"] = _("The comparison period starts after it ends.")
    if errors:
        raise ValidationError(errors)
    return FunnelQuery(
        team=team,
        journey_map=journey_map,
        steps=steps,
        start=local_midnight(start_day, tz),
        end=local_midnight(end_day + timedelta(days=1), tz),
        order=order,
        count=count,
        exclusions=_list(data, "exclude"),
        breakdown=breakdown,
        top=top,
        compare_start=local_midnight(compare_start_day, tz) if compare_start_day else None,
        compare_end=local_midnight(compare_end_day + timedelta(days=1), tz) if compare_end_day else None,
    )


def _steps(tokens: list[str], *, team: Team, journey_map: JourneyMap | None, errors: dict) -> list[Step]:
    kinds = {token.partition(":")[0] for token in tokens}
    if not kinds <= {"stage", "touchpoint", "event"} or any(":" not in t or not t.partition(":")[2] for t in tokens):
        errors["step"] = _("Give steps as stage:<id>, touchpoint:<id> or event:<name>.")
        return []
    if "stage" in kinds and kinds != {"stage"}:
        errors["step"] = _("A funnel reads stages or events, not both: stages come from stage transitions.")
        return []
    ids = {}
    for kind in ("stage", "touchpoint"):
        wanted = [t.partition(":")[2] for t in tokens if t.startswith(f"{kind}:")]
        if not wanted:
            continue
        if not all(w.isdigit() for w in wanted):
            errors["step"] = _("A stage or touchpoint is given by its id.")
            return []
        model = Stage if kind == "stage" else Touchpoint
        rows = model.objects.for_team(team).filter(pk__in=[int(w) for w in wanted])
        if kind == "stage":
            rows = rows.select_related("journey_map")
        ids[kind] = {row.pk: row for row in rows}
        if len(ids[kind]) != len(set(wanted)):
            errors["step"] = _("A step names a stage or touchpoint that is not in the team.")
            return []
    stages = list(ids.get("stage", {}).values())
    if stages and journey_map is not None and any(s.journey_map_id != journey_map.pk for s in stages):
        errors["step"] = _("Every stage must be on the chosen map.")
        return []
    if stages and len({s.journey_map_id for s in stages}) > 1:
        errors["step"] = _("Every stage must be on the same map.")
        return []
    windows = stage_windows(stages) if stages else {}
    slas = dict(
        SLA.objects.filter(touchpoint__in=list(ids.get("touchpoint", {}))).values_list("touchpoint", "response_target")
    )
    steps = []
    for token in tokens:
        kind, _sep, ref = token.partition(":")
        if kind == "stage":
            stage = ids["stage"][int(ref)]
            steps.append(Step("stage", stage.pk, stage.name, windows[stage.pk]))
        elif kind == "touchpoint":
            touchpoint = ids["touchpoint"][int(ref)]
            steps.append(
                Step(
                    "touchpoint",
                    touchpoint.pk,
                    touchpoint.name,
                    slas.get(touchpoint.pk) or DEFAULT_WINDOW,
                    channel=touchpoint.channel,
                )
            )
        else:
            steps.append(Step("event", ref[:200], ref[:200], DEFAULT_WINDOW))
    return steps


def map_query(journey_map: JourneyMap, *, user, data=None) -> FunnelQuery:
    """Return the stage funnel of ``journey_map`` (its stages in order, default windows)."""
    params = data.copy() if data is not None else QueryDict(mutable=True)
    params["map"] = str(journey_map.pk)
    params.pop("step", None)
    return query_from(params, user=user)


# --- the engine -------------------------------------------------------------------------------


@dataclass
class Entry:
    """One entry into the funnel: who, when each step was reached (ms since the epoch), its breakdown value."""

    key: int
    profile_id: int
    times: list[int | None]  # per step; None when not reached
    previous: list[int | None]  # per step: the time of the step it was measured from
    value: str | None = None
    exclusion: int | None = None  # the first exclusion event at or after the entry


def ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def entry_from_row(query: FunnelQuery, row) -> Entry:
    """Return an ``Entry`` from a row ``(key, pid, oid_1, start_ts, t_1…t_n[, from_2…from_n], bvalue[, x_ts])``
    (any order: no ``from`` columns); both engines answer in this shape."""
    n = len(query.steps)
    key, pid, _oid, start_ts = row[0], row[1], row[2], row[3]
    if query.order == "any":
        found = sorted(t for t in row[4 : 4 + n] if t is not None)
        times = [*found, *[None] * (n - len(found))]
        previous = [start_ts, *times[:-1]]
        rest = row[4 + n :]
    else:
        times = list(row[4 : 4 + n])
        previous = [start_ts, *row[4 + n : 4 + 2 * n - 1]]
        rest = row[4 + 2 * n - 1 :]
    value = rest[0] if rest else None
    exclusion = rest[1] if len(rest) > 1 else None
    return Entry(
        key=key,
        profile_id=pid,
        times=[int(t) if t is not None else None for t in times],
        previous=[int(t) if t is not None else None for t in previous],
        value=None if value is None else str(value),
        exclusion=int(exclusion) if exclusion is not None else None,
    )


def stage_step_cte(k: int, ms_c: str) -> str:
    """The CTE ``s<k>`` of a stage funnel's walk: each row of ``s<k-1>`` with the step-``k`` transition
    it reaches (``id_k``, ``at_k``, ``ms_k``; null when none), for parameters ``map``, ``stage_<k>``
    and ``window_<k>`` (milliseconds). ``ms_c``: the engine's milliseconds of ``c.entered_at``.

    The probe takes the earliest transition after the previous step within the window plus a
    millisecond (what the (profile, map, entered_at) index can answer); the rule's own test, in
    milliseconds, is then applied to that one row: a later transition cannot pass a test the
    earliest one failed.
    """
    return (  # noqa: S608 (constants and step numbers formatted in; every value is a parameter)
        "s{k} AS MATERIALIZED (SELECT s.*, n.id AS id_{k}, n.entered_at AS at_{k}, n.ms AS ms_{k} "
        "FROM s{prev} s LEFT JOIN LATERAL (SELECT c.id, c.entered_at, {ms_c} AS ms FROM (SELECT t.id, "
        "t.entered_at FROM customers_stagetransition t WHERE s.at_{prev} IS NOT NULL AND t.profile_id = s.pid "
        "AND t.journey_map_id = %(map)s AND t.to_stage_id = %(stage_{k})s AND t.entered_at >= s.at_{prev} "
        "AND t.entered_at <= s.at_{prev} + (%(window_{k})s + 1) * interval '1 millisecond' "
        "AND (t.entered_at, t.id) > (s.at_{prev}, s.id_{prev}) ORDER BY t.entered_at, t.id LIMIT 1) c "
        "WHERE {ms_c} - s.ms_{prev} <= %(window_{k})s) n ON true)"
    ).format(prev=k - 1, k=k, ms_c=ms_c)


class SqlEngine:
    """Funnels by SQL on the Django database (PostgreSQL or SQLite)."""

    def __init__(self, using: str = "default"):
        self.using = using

    @property
    def vendor(self) -> str:
        return connections[self.using].vendor

    def _ms(self, column: str) -> str:
        if self.vendor == "postgresql":
            return f"CAST(ROUND(EXTRACT(EPOCH FROM {column}) * 1000) AS BIGINT)"
        return f"CAST(ROUND((julianday({column}) - 2440587.5) * 86400000.0) AS INTEGER)"

    def _json_text(self, column: str, key: str, params: list) -> str:
        if self.vendor == "postgresql":
            params.append(key)
            return f"({column} ->> %s)"
        params.append('$."' + key.replace('"', '\\"') + '"')
        return f"CAST(json_extract({column}, %s) AS TEXT)"

    # The SQL: base rows (occurrences with a per-profile rank), one CTE per step, the breakdown.

    def _step_match(self, step: Step, params: list) -> str:
        if step.kind == "stage":
            params.append(step.ref)
            return "r.stage_id = %s"
        if step.kind == "event":
            params.append(step.ref)
            return "r.name = %s"
        rules = TrackingRule.objects.filter(touchpoint_id=step.ref, is_active=True)
        parts = []
        for rule in rules:
            conditions = []
            if rule.event_type != TrackingRule.EventType.ANY:
                conditions.append("r.type = %s")
                params.append(rule.event_type)
            if rule.event_name:
                conditions.append("r.name = %s")
                params.append(rule.event_name)
            if rule.path_pattern:
                pattern = rule.path_pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                conditions.append("r.path LIKE %s ESCAPE '\\'")
                params.append(pattern.replace("*", "%"))
            parts.append("(" + (" AND ".join(conditions) or "1 = 1") + ")")
        return "(" + " OR ".join(parts) + ")" if parts else "1 = 0"

    def entries(self, query: FunnelQuery) -> list[Entry]:
        """Return every entry of ``query``'s period with the time it reached each step."""
        steps = query.steps
        total_window = sum((step.window for step in steps), timedelta())
        upper = query.end + total_window
        params: list = []
        if query.is_stage_funnel:
            base = (
                f"SELECT t.id AS oid, t.profile_id AS pid, t.entered_at AS ts_raw, {self._ms('t.entered_at')} AS ts, "  # noqa: S608
                "t.to_stage_id AS stage_id, '' AS name, '' AS type, '' AS path "
                "FROM customers_stagetransition t WHERE t.journey_map_id = %s AND t.entered_at >= %s "
                "AND t.entered_at <= %s"
            )
            params += [query.journey_map.pk if query.journey_map else steps[0].ref, query.start, upper]
            if not query.journey_map:
                params[0] = Stage.objects.get(pk=steps[0].ref).journey_map_id
        else:
            base = (
                f"SELECT e.id AS oid, i.profile_id AS pid, e.timestamp AS ts_raw, {self._ms('e.timestamp')} AS ts, "  # noqa: S608
                "0 AS stage_id, e.event AS name, e.type AS type, e.path AS path "
                "FROM customers_event e JOIN customers_identity i ON i.id = e.identity_id "
                "WHERE e.team_id = %s AND e.timestamp >= %s AND e.timestamp <= %s AND e.type IN (%s, %s, %s)"
            )
            params += [query.team.pk, query.start, upper, *ACTION_TYPES]
        ctes = [f"base AS ({base})"]
        rank_filter = ""
        if query.order != "strict":
            # Only the rows that are some step matter; the strict order ranks every action.
            match_params: list = []
            alias = " OR ".join(self._step_match(step, match_params) for step in steps)
            rank_filter = f" WHERE {alias}"
            params += match_params
        ctes.append(
            "ranked AS (SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.pid ORDER BY r.ts_raw, r.oid) AS rn "  # noqa: S608
            f"FROM base r{rank_filter})"
        )
        occ = []
        for index, step in enumerate(steps, 1):
            occ.append(
                f"SELECT r.pid, r.rn, r.ts, r.oid, {index} AS step FROM ranked r WHERE {self._step_match(step, params)}"  # noqa: S608
            )
        ctes.append("occ AS (" + " UNION ALL ".join(occ) + ")")
        occ_params = len(params)
        end_ms = ms(query.end)
        if query.order == "any":
            ctes.append("s0 AS (SELECT o.pid AS ek, o.pid, MIN(o.rn) AS rn0 FROM occ o WHERE o.ts < %s GROUP BY o.pid)")
            params.append(end_ms)
            ctes.append(
                "s1 AS (SELECT s0.ek, s0.pid, s0.rn0, MIN(o.ts) AS ts0, MIN(o.oid) AS oid_1 FROM s0 "
                "JOIN occ o ON o.pid = s0.pid AND o.rn = s0.rn0 GROUP BY s0.ek, s0.pid, s0.rn0)"
            )
            window_ms = int(total_window.total_seconds() * 1000)
            columns = []
            for index in range(1, len(steps) + 1):
                columns.append(
                    f"(SELECT MIN(o.ts) FROM occ o WHERE o.pid = s1.pid AND o.step = {index} AND o.rn >= s1.rn0 "  # noqa: S608
                    f"AND o.ts - s1.ts0 <= {window_ms}) AS t_{index}"
                )
            final = f"SELECT s1.ek, s1.pid, s1.oid_1, s1.ts0 AS start_ts, {', '.join(columns)}"
            last = "s1"
        else:
            if query.count == "profiles":
                ctes.append(
                    "e0 AS (SELECT o.pid, MIN(o.rn) AS rn FROM occ o WHERE o.step = 1 AND o.ts < %s GROUP BY o.pid)"
                )
                params.append(end_ms)
                ctes.append(
                    "s1 AS (SELECT o.pid AS ek, o.pid, o.oid AS oid_1, o.ts AS t_1, o.rn AS rn_1, "
                    "o.rn AS prn_1, o.ts AS pts_1 FROM e0 JOIN occ o ON o.pid = e0.pid AND o.rn = e0.rn AND o.step = 1)"
                )
            else:
                ctes.append(
                    "s1 AS (SELECT o.oid AS ek, o.pid, o.oid AS oid_1, o.ts AS t_1, o.rn AS rn_1, "
                    "o.rn AS prn_1, o.ts AS pts_1 FROM occ o WHERE o.step = 1 AND o.ts < %s)"
                )
                params.append(end_ms)
            for index, step in enumerate(steps[1:], 2):
                prev = index - 1
                window_ms = int(step.window.total_seconds() * 1000)
                adjacency = f"o.rn = s.prn_{prev} + 1" if query.order == "strict" else f"o.rn > s.prn_{prev}"
                ctes.append(
                    f"c{index} AS (SELECT s.ek, MIN(o.rn) AS rn FROM s{prev} s JOIN occ o ON o.pid = s.pid "  # noqa: S608
                    f"AND o.step = {index} AND {adjacency} AND o.ts - s.pts_{prev} <= {window_ms} GROUP BY s.ek)"
                )
                if step.optional:
                    prn = f"COALESCE(c.rn, s.prn_{prev})"
                    pts = f"COALESCE(o.ts, s.pts_{prev})"
                else:
                    prn, pts = "c.rn", "o.ts"
                ctes.append(
                    f"s{index} AS (SELECT s.*, o.ts AS t_{index}, s.pts_{prev} AS from_{index}, {prn} AS prn_{index}, "  # noqa: S608
                    f"{pts} AS pts_{index} FROM s{prev} s LEFT JOIN c{index} c ON c.ek = s.ek "
                    f"LEFT JOIN occ o ON o.pid = s.pid AND o.rn = c.rn AND o.step = {index})"
                )
            last = f"s{len(steps)}"
            columns = [f"{last}.t_{i}" for i in range(1, len(steps) + 1)]
            columns += [f"{last}.from_{i}" for i in range(2, len(steps) + 1)]
            final = f"SELECT {last}.ek, {last}.pid, {last}.oid_1, {last}.t_1 AS start_ts, {', '.join(columns)}"
        if query.exclusions:
            placeholders = ", ".join(["%s"] * len(query.exclusions))
            ctes.append(
                f"x AS (SELECT i.profile_id AS pid, {self._ms('e.timestamp')} AS ts FROM customers_event e "  # noqa: S608
                "JOIN customers_identity i ON i.id = e.identity_id WHERE e.team_id = %s AND e.timestamp >= %s "
                f"AND e.timestamp <= %s AND e.event IN ({placeholders}))"
            )
            params += [query.team.pk, query.start, upper, *query.exclusions]
        final += ", " + self._breakdown_sql(query, params)
        start_expr = "s1.ts0" if query.order == "any" else f"{last}.t_1"
        if query.exclusions:
            final += f", (SELECT MIN(x.ts) FROM x WHERE x.pid = {last}.pid AND x.ts >= {start_expr}) AS x_ts"  # noqa: S608
        tail = final + f" FROM {last}" + self._breakdown_joins(query, last)
        connection = connections[self.using]
        # Datetimes as the backend stores them (SQLite compares text: "+00:00" would sort after).
        params = [connection.ops.adapt_datetimefield_value(p) if isinstance(p, datetime) else p for p in params]
        if self.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("WITH " + ", ".join(ctes) + " " + tail, params)
                rows = cursor.fetchall()
            return [entry_from_row(query, row) for row in rows]
        # PostgreSQL has no statistics on a CTE: with a low estimate it joins the step CTEs to the
        # occurrences by nested loops, scanning them once per entry and step. An indexed, analysed
        # temporary table of the occurrences gives the planner the sizes and an index to probe.
        with transaction.atomic(using=self.using), connection.cursor() as cursor:
            cursor.execute(NO_JIT)
            cursor.execute("DROP TABLE IF EXISTS pg_temp.occ")
            cursor.execute(
                "CREATE TEMPORARY TABLE occ ON COMMIT DROP AS WITH "  # noqa: S608 (the module's own SQL)
                + ", ".join(ctes[:3])
                + " SELECT pid, rn, ts, oid, step FROM occ",
                params[:occ_params],
            )
            cursor.execute("CREATE INDEX ON pg_temp.occ (pid, step, rn)")
            cursor.execute("ANALYZE pg_temp.occ")
            cursor.execute("WITH " + ", ".join(ctes[3:]) + " " + tail, params[occ_params:])
            rows = cursor.fetchall()
            cursor.execute("DROP TABLE pg_temp.occ")
        return [entry_from_row(query, row) for row in rows]

    def _breakdown_joins(self, query: FunnelQuery, last: str) -> str:
        breakdown = query.breakdown
        if breakdown == "source" or breakdown.startswith("property:"):
            if query.is_stage_funnel:
                joins = (
                    f" LEFT JOIN customers_stagetransition t1 ON t1.id = {last}.oid_1 "
                    "LEFT JOIN customers_event e1 ON e1.id = t1.event_id"
                )
            else:
                joins = f" LEFT JOIN customers_event e1 ON e1.id = {last}.oid_1"
            if breakdown == "source":
                joins += " LEFT JOIN customers_source src ON src.id = e1.source_id"
            return joins
        if breakdown == "channel" and query.is_stage_funnel:
            return (
                f" LEFT JOIN customers_stagetransition t1 ON t1.id = {last}.oid_1 "
                "LEFT JOIN customers_trackingrule tr ON tr.id = t1.rule_id "
                "LEFT JOIN journeys_touchpoint tp ON tp.id = tr.touchpoint_id"
            )
        if breakdown == "persona" or breakdown.startswith("trait:"):
            return f" LEFT JOIN customers_profile p ON p.id = {last}.pid"
        return ""

    def _breakdown_sql(self, query: FunnelQuery, params: list) -> str:
        breakdown = query.breakdown
        if not breakdown:
            return "NULL AS bvalue"
        if breakdown == "persona":
            return self._json_text("p.traits", "persona", params) + " AS bvalue"
        if breakdown.startswith("trait:"):
            return self._json_text("p.traits", breakdown.split(":", 1)[1], params) + " AS bvalue"
        if breakdown.startswith("property:"):
            return self._json_text("e1.properties", breakdown.split(":", 1)[1], params) + " AS bvalue"
        if breakdown == "source":
            return "src.name AS bvalue"
        if breakdown == "channel":
            if query.is_stage_funnel:
                return "tp.channel AS bvalue"
            channel = query.steps[0].channel or ""
            params.append(channel)
            return "%s AS bvalue"
        return "NULL AS bvalue"

    def run(self, query: FunnelQuery) -> dict:
        """Return the funnel's figures for the query's period, and the comparison period if any."""
        result = self._figures(query)
        compared = query.compared()
        result["comparison"] = self._figures(compared) if compared else None
        return result

    def _figures(self, query: FunnelQuery) -> dict:
        if self.vendor == "postgresql" and aggregates_in_database(query):
            if not query.is_stage_funnel:
                return self.event_figures(query)
            from .stage_store import stored_figures

            # The map's own funnel from its stored rows when they answer it exactly, else walked here.
            stored = stored_figures(query) if self.using == "default" else None
            return stored if stored is not None else self.stage_figures(query)
        return summarize(query, self.entries(query))

    def event_figures(self, query: FunnelQuery) -> dict:
        """Return an ordered, per-profile event funnel's figures counted inside PostgreSQL.

        The same figures as ``summarize(query, self.entries(query))``, without a row per entry
        leaving the database: the team's action events of the steps' names in the period plus the
        windows, each read once through its identity's profile; each profile's first step-1 event
        in the period; then per step, for the entries that reached the step before, the earliest
        event of that step after it (by time, then id) within the window. Every entry's events are
        all read, so each step is a hash join of the entries with the step's events, not a probe
        per entry; the counting is ``stage_figures``'.
        """
        steps = query.steps
        n = len(steps)
        upper = query.end + sum((step.window for step in steps), timedelta())
        params: dict = {"team": query.team.pk, "start": query.start, "end": query.end, "upper": upper}
        names = []
        for k, step in enumerate(steps, 1):
            params[f"name_{k}"] = step.ref
            names.append(f"%(name_{k})s")
        types = []
        for k, kind in enumerate(ACTION_TYPES):
            params[f"type_{k}"] = kind
            types.append(f"%(type_{k})s")
        ctes = [
            "ev AS MATERIALIZED (SELECT i.profile_id AS pid, e.id, e.timestamp AS at, e.event AS name "  # noqa: S608
            "FROM customers_event e JOIN customers_identity i ON i.id = e.identity_id WHERE e.team_id = %(team)s "
            f"AND e.timestamp >= %(start)s AND e.timestamp <= %(upper)s AND e.type IN ({', '.join(types)}) "
            f"AND e.event IN ({', '.join(names)}))",
            # As in stage_figures: before the period's end once rounded to the millisecond.
            f"n1 AS MATERIALIZED (SELECT DISTINCT ON (pid) pid, id AS id_1, at AS at_1, {self._ms('at')} AS ms_1 "  # noqa: S608
            "FROM ev WHERE name = %(name_1)s AND at < %(end)s - interval '500 microseconds' ORDER BY pid, at, id)",
        ]
        for k in range(2, n + 1):
            params[f"window_{k}"] = int(steps[k - 1].window.total_seconds() * 1000)
            # The bound on the raw time narrows the join; the rule's own test is in milliseconds. Both
            # grow with the time, so the earliest event that passes is the earliest event, if it passes.
            ctes.append(
                "n{k} AS MATERIALIZED (SELECT DISTINCT ON (s.pid) s.pid, e.id AS id_{k}, e.at AS at_{k}, "  # noqa: S608
                "{ms_e} AS ms_{k} FROM n{prev} s JOIN ev e ON e.pid = s.pid AND e.name = %(name_{k})s "
                "AND (e.at, e.id) > (s.at_{prev}, s.id_{prev}) "
                "AND e.at <= s.at_{prev} + (%(window_{k})s + 1) * interval '1 millisecond' "
                "AND {ms_e} - s.ms_{prev} <= %(window_{k})s ORDER BY s.pid, e.at, e.id)".format(
                    k=k, prev=k - 1, ms_e=self._ms("e.at")
                )
            )
        columns = ", ".join(f"ms_{k}" for k in range(1, n + 1))
        joins = " ".join(f"LEFT JOIN n{k} USING (pid)" for k in range(2, n + 1))
        ctes.append(f"walk AS (SELECT pid, {columns} FROM n1 {joins})")  # noqa: S608
        return self._figures_in_database(query, ctes, "walk", params)

    def stage_figures(self, query: FunnelQuery) -> dict:
        """Return an ordered, per-profile stage funnel's figures counted inside PostgreSQL.

        The same figures as ``summarize(query, self.entries(query))`` (the rules at the top of this
        module), without a row per entry leaving the database: each profile's first step-1 transition
        in the period, then per step the earliest transition of that stage after the previous step
        (by time, then id) within the window, one probe of the (profile, map, entered_at) index per
        entry and step; the counts, the medians (the two middle values, so Python's median of them is
        the reference's) and the histograms are aggregated in the same statement.
        """
        steps = query.steps
        n = len(steps)
        map_id = query.journey_map.pk if query.journey_map else Stage.objects.get(pk=steps[0].ref).journey_map_id
        params: dict = {"map": map_id, "start": query.start, "end": query.end}
        # A time rounds to a millisecond before the period's end exactly when it is more than half
        # a millisecond before it (the engine rounds half up): the index and the rule agree.
        ctes = [
            "s1 AS MATERIALIZED (SELECT DISTINCT ON (t.profile_id) t.profile_id AS pid, t.id AS id_1, "  # noqa: S608
            f"t.entered_at AS at_1, {self._ms('t.entered_at')} AS ms_1 FROM customers_stagetransition t "
            "WHERE t.journey_map_id = %(map)s AND t.to_stage_id = %(stage_1)s AND t.entered_at >= %(start)s "
            "AND t.entered_at < %(end)s - interval '500 microseconds' ORDER BY t.profile_id, t.entered_at, t.id)"
        ]
        params["stage_1"] = steps[0].ref
        for k in range(2, n + 1):
            window_ms = int(steps[k - 1].window.total_seconds() * 1000)
            params[f"stage_{k}"] = steps[k - 1].ref
            params[f"window_{k}"] = window_ms
            ctes.append(stage_step_cte(k, self._ms("c.entered_at")))
        return self._figures_in_database(query, ctes, f"s{n}", params)

    def _figures_in_database(self, query: FunnelQuery, ctes: list[str], walk: str, params: dict) -> dict:
        """Return ``figures`` counted by one statement from ``walk``, the last of ``ctes``: a row
        per entry with its profile (``pid``) and the time it reached each step (``ms_1``…, null
        when not reached)."""
        n = len(query.steps)
        params["tz"] = str(query.tzinfo)
        value = "NULL"
        joins = ""
        if query.breakdown:
            key = "persona" if query.breakdown == "persona" else query.breakdown.split(":", 1)[1]
            params["key"] = key
            value = "p.traits ->> %(key)s"
            joins = " LEFT JOIN customers_profile p ON p.id = s.pid"
        durations = ", ".join(f"s.ms_{k} - s.ms_{k - 1} AS d_{k}" for k in range(2, n + 1))
        ctes.append(
            f"f AS MATERIALIZED (SELECT s.ms_1, {durations}, s.ms_{n} IS NOT NULL AS done, {value} AS bvalue "  # noqa: S608
            f"FROM {walk} s{joins})"
        )
        timing = []
        for k in range(2, n + 1):
            bins = [
                f"count(*) FILTER (WHERE d_{k} >= {low * 1000}"
                + (f" AND d_{k} < {high * 1000})" if high is not None else ")")
                for low, high in itertools.pairwise([*HISTOGRAM_EDGES, None])
            ]
            # 0.5 gives the lower middle value, 0.5000001 the upper one (below 5 million values): one sort.
            timing.append(
                f"json_build_array(count(d_{k}), percentile_disc(ARRAY[0.5, 0.5000001]) WITHIN GROUP "
                f"(ORDER BY d_{k}), {', '.join(bins)})"
            )
        sql = (
            "WITH "  # noqa: S608 (the module's own SQL; every value is a parameter)
            + ", ".join(ctes)
            + " SELECT (SELECT json_build_array("
            + ", ".join(timing)
            + ") FROM f), (SELECT json_agg(json_build_array(w, e, c)) FROM (SELECT date_trunc('week', "
            "to_timestamp(ms_1 / 1000.0::float8) AT TIME ZONE %(tz)s)::date AS w, count(*) AS e, "
            "count(*) FILTER (WHERE done) AS c FROM f GROUP BY 1) weeks), "
            "(SELECT json_agg(json_build_array(bvalue, e, c)) FROM (SELECT bvalue, count(*) AS e, "
            "count(*) FILTER (WHERE done) AS c FROM f GROUP BY 1) groups)"
        )
        connection = connections[self.using]
        with transaction.atomic(using=self.using), connection.cursor() as cursor:
            cursor.execute(NO_JIT)
            cursor.execute(sql, params)
            per_step, per_week, per_value = cursor.fetchone()
        return _stage_figures_from(query, per_step, per_week or [], per_value or [])

    def dropped(self, query: FunnelQuery, step: int) -> list[int]:
        """Return the ids of the profiles who entered step ``step`` (1-based) but did not convert there."""
        return dropped_profiles(query, self.entries(query), step)


def aggregates_in_database(query: FunnelQuery) -> bool:
    """Whether ``SqlEngine.stage_figures`` or ``event_figures`` answers the query: an ordered funnel
    of stages or of event names counted per profile, without optional steps or exclusions, broken
    down by nothing or a profile trait. The map's own stage funnel (its default) is one; anything
    else (touchpoint steps among them) is counted from its entries."""
    return (
        (query.is_stage_funnel or all(step.kind == "event" for step in query.steps))
        and query.order == "ordered"
        and query.count == "profiles"
        and not query.exclusions
        and not any(step.optional for step in query.steps)
        and (not query.breakdown or query.breakdown == "persona" or query.breakdown.startswith("trait:"))
    )


def _stage_figures_from(query: FunnelQuery, per_step: list, per_week: list, per_value: list) -> dict:
    """Return ``figures`` from the aggregated statement's three answers (see ``SqlEngine.stage_figures``)."""
    n = len(query.steps)
    total = sum(row[1] for row in per_value)
    converted = [total]
    timings: list[tuple[int, float | None, list[dict]]] = [(0, None, [])]
    for k in range(n - 1):
        count, middle, *bins = per_step[k]
        low, high = middle or (None, None)  # no durations: no percentiles
        converted.append(count)
        # As statistics.median of the durations in seconds: the middle one, or the mean of the two.
        median = None if not count else low / 1000 if count % 2 else (low / 1000 + high / 1000) / 2
        edges = [*HISTOGRAM_EDGES, None]
        timings.append(
            (
                count,
                median,
                [
                    {"low_seconds": a, "high_seconds": b, "count": c}
                    for (a, b), c in zip(itertools.pairwise(edges), bins, strict=True)
                ],
            )
        )
    groups: dict[str, list[int]] = {}
    if query.breakdown:
        for value, entered, completed in per_value:
            group = groups.setdefault(value if value not in (None, "") else NONE_VALUE, [0, 0])
            group[0] += entered
            group[1] += completed
    return figures(
        query,
        total=total,
        completed=sum(row[2] for row in per_value),
        entered=[total, *converted[:-1]],
        converted=converted,
        timings=timings,
        weeks={date.fromisoformat(week): [entered, completed] for week, entered, completed in per_week},
        groups=groups,
    )


def engine_for(team: Team):
    """Return the engine that answers the team's funnels: ClickHouse when ``CLICKHOUSE_URL`` is set."""
    from customers import clickhouse

    if clickhouse.enabled():
        from .clickhouse import ClickHouseEngine

        return ClickHouseEngine(clickhouse.get_client())
    return SqlEngine()


# --- counting the entries ---------------------------------------------------------------------


def kept(entries: list[Entry]) -> list[Entry]:
    """Return the entries without an exclusion event between their entry and their last step reached."""
    result = []
    for entry in entries:
        last = max(t for t in entry.times if t is not None)
        if entry.exclusion is not None and entry.exclusion <= last:
            continue
        result.append(entry)
    return result


def reached(query: FunnelQuery, entry: Entry) -> tuple[list[bool], list[bool]]:
    """Return, per step, whether the entry was on the way to it (entered) and whether it got there."""
    entered, converted = [], []
    alive = True
    for index, step in enumerate(query.steps):
        if query.order == "any":
            entered.append(index == 0 or entry.times[index - 1] is not None)
            converted.append(entry.times[index] is not None)
            continue
        entered.append(alive)
        done = alive and entry.times[index] is not None
        converted.append(done)
        if not step.optional and not done:
            alive = False
    return entered, converted


def rate(k: int, n: int, reason: str) -> dict:
    """Return k/n with its Wilson 95 % interval (``query.rate``), or this step's reason when n is 0."""
    share = query_rate(k, n)
    return {
        "k": k,
        "n": n,
        "rate": share["value"],
        "low": share["low"],
        "high": share["high"],
        "reason": reason if n == 0 else None,
    }


def histogram(durations: list[float]) -> list[dict]:
    edges = [*HISTOGRAM_EDGES, None]
    bins = []
    for low, high in itertools.pairwise(edges):
        count = sum(1 for d in durations if d >= low and (high is None or d < high))
        bins.append({"low_seconds": low, "high_seconds": high, "count": count})
    return bins


def week_start(moment_ms: int, tz: zoneinfo.ZoneInfo) -> date:
    local = datetime.fromtimestamp(moment_ms / 1000, tz=tz)
    return local.date() - timedelta(days=local.weekday())


def summarize(query: FunnelQuery, entries: list[Entry]) -> dict:
    """Return the figures of a funnel from its entries (the engine-independent half)."""
    return figures(query, **tally(query, entries))


def histogram_bins(counts: list[int]) -> list[dict]:
    """The histogram's bins from their counts (one per pair of ``HISTOGRAM_EDGES``, the last open)."""
    edges = [*HISTOGRAM_EDGES, None]
    return [
        {"low_seconds": low, "high_seconds": high, "count": count}
        for (low, high), count in zip(itertools.pairwise(edges), counts, strict=True)
    ]


def tally(query: FunnelQuery, entries: list[Entry]) -> dict:
    """Return the counts ``figures`` takes, counted from the entries (exclusions applied here);
    ClickHouse counts the same inside ClickHouse (``analytics.clickhouse.ClickHouseEngine.tally``)."""
    entries = kept(entries)
    steps = query.steps
    n = len(steps)
    entered = [0] * n
    converted = [0] * n
    durations: list[list[float]] = [[] for _ in steps]
    completed_by: list[bool] = []
    for entry in entries:
        on_way, done = reached(query, entry)
        for index in range(n):
            entered[index] += on_way[index]
            converted[index] += done[index]
            if index and done[index]:
                durations[index].append((entry.times[index] - entry.previous[index]) / 1000)
        completed_by.append(_completed(query, done))
    tz = query.tzinfo
    weeks: dict[date, list[int]] = {}
    groups: dict[str, list[int]] = {}
    for entry, done in zip(entries, completed_by, strict=True):
        bucket = weeks.setdefault(week_start(entry.times[0], tz), [0, 0])
        bucket[0] += 1
        bucket[1] += done
        if query.breakdown:
            group = groups.setdefault(entry.value if entry.value not in (None, "") else NONE_VALUE, [0, 0])
            group[0] += 1
            group[1] += done
    timings = [
        (len(times), statistics.median(times) if times else None, histogram(times) if index else [])
        for index, times in enumerate(durations)
    ]
    return {
        "total": len(entries),
        "completed": sum(completed_by),
        "entered": entered,
        "converted": converted,
        "timings": timings,
        "weeks": weeks,
        "groups": groups,
    }


def figures(
    query: FunnelQuery,
    *,
    total: int,
    completed: int,
    entered: list[int],
    converted: list[int],
    timings: list[tuple[int, float | None, list[dict]]],
    weeks: dict[date, list[int]],
    groups: dict[str, list[int]],
) -> dict:
    """Return the funnel's figures from its counts: per step entered, converted and (n, median,
    histogram) of the time to convert; per week and per breakdown value [entered, completed].

    ``summarize`` counts them from the entries, ``SqlEngine``'s aggregated stage funnel in the
    database: both answer through here, so the two cannot word a figure differently.
    """
    rows = []
    for index, step in enumerate(query.steps):
        n_times, median, bins = timings[index]
        rows.append(
            {
                "index": index + 1,
                "label": step.label,
                "step": step.token,
                "optional": step.optional,
                "window_seconds": int(step.window.total_seconds()),
                "entered": entered[index],
                "converted": converted[index],
                "dropped": entered[index] - converted[index],
                "from_previous": rate(converted[index], entered[index], NO_ENTRIES if index == 0 else NO_PREVIOUS),
                "overall": rate(converted[index], total, NO_ENTRIES),
                "time_to_convert": {
                    "unit": "seconds",
                    "n": n_times,
                    "median": median,
                    "histogram": bins,
                    "reason": None if n_times or index == 0 else NO_CONVERSIONS,
                },
                "reason": _step_reason(step, entered[index], index),
            }
        )
    tz = query.tzinfo
    breakdown = _breakdown(query, groups) if query.breakdown else []
    return {
        "period": {
            "start": query.start.isoformat(),
            "end": query.end.isoformat(),
            "time_zone": str(tz),
        },
        "counting": query.count,
        "order": query.order,
        "entries": total,
        "completed": completed,
        "conversion": rate(completed, total, NO_ENTRIES),
        "steps": rows,
        "weeks": [
            {
                "week_start": week.isoformat(),
                "entered": k[0],
                "converted": k[1],
                "conversion": rate(k[1], k[0], NO_ENTRIES),
            }
            for week, k in sorted(weeks.items())
        ],
        "breakdown": {"by": query.breakdown, "rows": breakdown} if query.breakdown else None,
    }


def _completed(query: FunnelQuery, done: list[bool]) -> bool:
    if query.order == "any":
        return done[-1]
    return all(done[i] for i, step in enumerate(query.steps) if not step.optional)


def _step_reason(step: Step, entered: int, index: int) -> str | None:
    if step.kind == "touchpoint" and not TrackingRule.objects.filter(touchpoint_id=step.ref, is_active=True).exists():
        return NO_RULES
    if entered == 0:
        return NO_ENTRIES if index == 0 else NO_PREVIOUS
    return None


def _breakdown(query: FunnelQuery, groups: dict[str, list[int]]) -> list[dict]:
    ranked = sorted(groups.items(), key=lambda item: (-item[1][0], item[0]))
    rows = ranked[: query.top]
    rest = ranked[query.top :]
    if rest:
        rows.append((OTHER, [sum(g[0] for _v, g in rest), sum(g[1] for _v, g in rest)]))
    return [
        {
            "value": value,
            "is_other": bool(rest) and index == len(rows) - 1,
            "entered": k[0],
            "converted": k[1],
            "conversion": rate(k[1], k[0], NO_ENTRIES),
        }
        for index, (value, k) in enumerate(rows)
    ]


def dropped_profiles(query: FunnelQuery, entries: list[Entry], step: int) -> list[int]:
    """Return the profiles (ids, sorted) who were on the way to ``step`` and did not reach it."""
    if not 1 <= step <= len(query.steps):
        raise ValidationError({"step_index": _("Choose a step between 1 and %(n)s.") % {"n": len(query.steps)}})
    found = set()
    for entry in kept(entries):
        on_way, done = reached(query, entry)
        if on_way[step - 1] and not done[step - 1]:
            found.add(entry.profile_id)
    # Profiles merged since are followed to the profile they live on in.
    merged = dict(Profile.objects.filter(pk__in=found, merged_into__isnull=False).values_list("pk", "merged_into"))
    return sorted({merged.get(pk, pk) for pk in found})

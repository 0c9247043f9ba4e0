"""Where each customer is: stored events matched against the tracking plan move profiles between stages.

Run after the events are stored (a Celery task, ``tasks.events_match``), so ingestion answers
without waiting for it. For each profile and map the event matched last (by the event's corrected
time) decides the stage; an event older than the profile's current stage entry changes nothing, so
a late or replayed event cannot move a customer back.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Case, DateTimeField, F, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from teams.signals import DomainEvent, domain_event

from . import extensions
from . import rules as rule_cache
from .extensions import match_hooks
from .models import Event, OverlayStat, Profile, ProfileStage, StageTransition, TrackingRuleDay

logger = logging.getLogger(__name__)


def events_match(*, event_ids: list[int]) -> int:
    """Update current stages from the given events; return the number of transitions recorded.

    Each event is matched once: the events still unmatched are locked (rows another worker holds
    are skipped: that worker matches them), matched, and marked in the same transaction, so a task
    delivered twice, or run beside the sweep, records nothing twice.
    """
    with transaction.atomic():
        events = list(
            Event.objects.filter(pk__in=event_ids, matched_at__isnull=True)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("identity")
            .only(
                "id", "team_id", "type", "event", "path", "properties", "context", "timestamp", "identity__profile_id"
            )
            .order_by("timestamp", "id")
        )
        if not events:
            return 0
        _touch_profiles(events)
        by_team: dict[int, list[Event]] = {}
        for event in events:
            by_team.setdefault(event.team_id, []).append(event)
        recorded = 0
        for team_id, team_events in by_team.items():
            team_rules = rule_cache.team_rules(team_id)
            transitions, matches = _match_team(team_id, team_rules, team_events) if team_rules else ([], [])
            recorded += len(transitions)
            _call_match_hooks(team_id, team_events, transitions, matches)
        Event.objects.filter(pk__in=[event.pk for event in events]).update(matched_at=timezone.now())
    return recorded


def events_arrive(*, event_ids: list[int]) -> int:
    """Give stored events to the arrival hooks, before (or apart from) their matching; return the events.

    Each team's events go to each hook in a transaction of their own (a failing hook is logged and
    loses only its writes). Events of merged-away identities are resolved by the hook.
    """
    if not extensions.arrival_hooks or not event_ids:
        return 0
    events = list(
        Event.objects.filter(pk__in=event_ids)
        .only(
            "id", "team_id", "source_id", "type", "event", "path", "properties", "context", "timestamp", "identity_id"
        )
        .order_by("timestamp", "id")
    )
    by_team: dict[int, list[Event]] = {}
    for event in events:
        by_team.setdefault(event.team_id, []).append(event)
    for team_id, team_events in by_team.items():
        for _names, hook in extensions.arrival_hooks:
            try:
                with transaction.atomic():
                    hook(team_id=team_id, events=team_events)
            except Exception:
                logger.exception("customers: arrival hook %s failed", getattr(hook, "__qualname__", hook))
    return len(events)


def _call_match_hooks(team_id: int, events: list[Event], transitions: list, matches: list) -> None:
    """Give the matched batch to the apps that act on it (``extensions.match_hooks``).

    Each hook runs in a savepoint: a hook that fails loses its own writes and is logged, never the
    stage matching (the events stay matched; the hook's own sweep is its safety net).
    """
    for hook in match_hooks:
        try:
            with transaction.atomic():
                hook(team_id=team_id, events=events, transitions=transitions, matches=matches)
        except Exception:
            logger.exception("customers: match hook %s failed", getattr(hook, "__qualname__", hook))


def events_match_due(*, older_than: timedelta = timedelta(minutes=1), limit: int = 5000) -> int:
    """Match the events left unmatched (their task was never queued, or its worker died).

    Only events received more than ``older_than`` ago: younger ones are normally in a queued task.
    """
    cutoff = timezone.now() - older_than
    ids = list(
        Event.objects.filter(matched_at__isnull=True, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("id", flat=True)[:limit]
    )
    recorded = 0
    for start in range(0, len(ids), 500):
        recorded += events_match(event_ids=ids[start : start + 500])
    return recorded


def utc_day(at: datetime) -> date:
    """Return the UTC day of an aware time: the overlay's days are UTC days."""
    return at.astimezone(UTC).date()


def rollup_add(team_id: int, days: dict[tuple, int]) -> None:
    """Add ``{(map_id, rule_id, day, identity_id): events}`` to the daily roll-up in one statement.

    An upsert that adds to the stored count (``ON CONFLICT … DO UPDATE``, the same SQL on
    PostgreSQL and SQLite): Django's ``update_conflicts`` can only overwrite, not add.
    """
    table = connection.ops.quote_name(TrackingRuleDay._meta.db_table)
    adapt = connection.ops.adapt_datefield_value
    rows = [
        (team_id, map_id, rule_id, adapt(day), identity_id, n)
        for (map_id, rule_id, day, identity_id), n in days.items()
    ]
    # Sorted, so two workers upserting overlapping keys take the row locks in the same order.
    rows.sort(key=lambda row: (row[2], row[3], row[4]))
    # The table name is the model's own, never input.
    sql = (
        f"INSERT INTO {table} (team_id, journey_map_id, rule_id, day, identity_id, events) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT (rule_id, day, identity_id) DO UPDATE SET events = {table}.events + excluded.events"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _touch_profiles(events: list[Event]) -> None:
    latest: dict[int, object] = {}
    for event in events:
        profile_id = event.identity.profile_id
        if profile_id not in latest or event.timestamp > latest[profile_id]:
            latest[profile_id] = event.timestamp
    if connection.vendor == "postgresql":
        # The rows travel as two arrays: Django's CASE WHEN with one branch per profile cost more to
        # build and compile than the update itself, and held the matching drain behind ingestion.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Profile._meta.db_table} AS p SET last_seen_at = GREATEST(p.last_seen_at, v.at)"  # noqa: S608
                " FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at) WHERE p.id = v.id",
                [list(latest), list(latest.values())],
            )
        return
    # One statement for the whole call (a row at a time was most of a batch's cost on SQLite).
    seen = Case(
        *(When(pk=profile_id, then=Value(at)) for profile_id, at in latest.items()), output_field=DateTimeField()
    )
    Profile.objects.filter(pk__in=list(latest)).update(last_seen_at=Greatest(F("last_seen_at"), seen))


def _stages_move(rows: list[ProfileStage]) -> None:
    """Write the new current stage of each changed ``ProfileStage`` row, in one statement."""
    if connection.vendor != "postgresql":
        ProfileStage.objects.bulk_update(rows, ["stage", "entered_at", "transition"])
        return
    # As in _touch_profiles: bulk_update's three CASE expressions of one branch per row cost the
    # drain more Python than the rows cost PostgreSQL.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ProfileStage._meta.db_table} AS ps"  # noqa: S608 (the model's own table name)
            " SET stage_id = v.stage_id, entered_at = v.entered_at, transition_id = v.transition_id"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::bigint[])"
            " AS v(id, stage_id, entered_at, transition_id) WHERE ps.id = v.id",
            [
                [row.pk for row in rows],
                [row.stage_id for row in rows],
                [row.entered_at for row in rows],
                [row.transition_id for row in rows],
            ],
        )


def _matching(team_rules, event: Event) -> list:
    """Return the rules ``event`` meets, in rule order."""
    properties = event.properties if isinstance(event.properties, dict) else {}
    url = rule_cache.event_url(event.context, properties)
    return [
        rule
        for rule in team_rules
        if rule_cache.matches(
            rule, type_=event.type, event=event.event, path=event.path, url=url, properties=properties
        )
    ]


def _count(days: dict, event: Event, matched: list) -> None:
    """Add the event to the roll-up under the rules it matched, once per touchpoint: under the
    first of the touchpoint's rules it meets (a stage-entry rule counts on its own)."""
    places = set()
    for rule in matched:
        place = rule.touchpoint_id if rule.touchpoint_id is not None else ("rule", rule.id)
        if place in places:
            continue
        places.add(place)
        key = (rule.journey_map_id, rule.id, utc_day(event.timestamp), event.identity_id)
        days[key] = days.get(key, 0) + 1


def rollup_rebuild(*, journey_map_id: int, days: int = 90) -> int:
    """Recount the map's roll-up for the last ``days`` UTC days from its stored, matched events;
    return the events counted. Run when the map's rules change (a new rule counts the events
    already received; a removed one gives its events back to the touchpoint's other rules).

    Events still unmatched are left to the matching task, which counts them as it matches them.
    """
    from journeys.models import JourneyMap

    team_id = JourneyMap.objects.filter(pk=journey_map_id).values_list("team_id", flat=True).first()
    first = utc_day(timezone.now()) - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    with transaction.atomic():
        TrackingRuleDay.objects.filter(journey_map_id=journey_map_id, day__gte=first).delete()
        # The stored page counts are of the old rules: the page counts per view until the next refresh.
        OverlayStat.objects.filter(journey_map_id=journey_map_id).delete()
        if team_id is None:
            return 0
        map_rules = tuple(r for r in rule_cache._load(team_id) if r.journey_map_id == journey_map_id)
        if not map_rules:
            return 0
        events = Event.objects.filter(team_id=team_id, timestamp__gte=since, matched_at__isnull=False)
        types = {r.event_type for r in map_rules}
        if "any" not in types:
            events = events.filter(type__in=types)
        counts: dict = {}
        total = 0
        rows = events.only("id", "type", "event", "path", "properties", "context", "timestamp", "identity_id")
        for event in rows.order_by().iterator(chunk_size=2000):
            _count(counts, event, _matching(map_rules, event))
            if len(counts) > 5000:
                total += _flush(team_id, counts)
        total += _flush(team_id, counts)
    return total


def _flush(team_id: int, counts: dict) -> int:
    n = sum(counts.values())
    if counts:
        rollup_add(team_id, counts)
    counts.clear()
    return n


def _match_team(team_id: int, team_rules, events: list[Event]) -> tuple[list[StageTransition], list]:
    """Match the team's events; return the transitions recorded and ``[(event, rules matched)]``."""
    # The last matching event per (profile, map) decides; earlier ones in the same call are steps on
    # the way and are recorded as transitions in order.
    wanted: list[tuple[int, object, Event]] = []
    days: dict[tuple, int] = {}
    matches: list = []
    for event in events:
        seen_maps = set()
        matched = _matching(team_rules, event)
        if matched:
            matches.append((event, matched))
        _count(days, event, matched)
        for rule in matched:
            if rule.journey_map_id not in seen_maps:
                seen_maps.add(rule.journey_map_id)
                wanted.append((event.identity.profile_id, rule, event))
    if days:
        rollup_add(team_id, days)
    if not wanted:
        return [], matches
    transitions = _enter_many(team_id, wanted)
    if transitions:
        domain_event.send(
            sender=StageTransition,
            team_id=team_id,
            event=DomainEvent.PROFILE_STAGE_CHANGED,
            items=[
                {
                    "profile": t.profile_id,
                    "map": t.journey_map_id,
                    "from_stage": t.from_stage_id,
                    "to_stage": t.to_stage_id,
                    "entered_at": t.entered_at.isoformat(),
                    "event": t.event_id,
                }
                for t in transitions
            ],
        )
    return transitions, matches


def _enter_many(team_id: int, wanted: list[tuple[int, object, Event]]) -> list[StageTransition]:
    """Record the stage entries of ``wanted`` (profile, rule, event), in order; return the transitions.

    Set-wise: the current stages of every (profile, map) concerned are locked in one query, the
    entries decided in Python in order (no change for the stage the profile is in, nor for an event
    older than the current entry: a late event cannot move a customer back), the transitions inserted together, and
    the current stages written with one statement per kind of write.
    """
    pairs = {(profile_id, rule.journey_map_id) for profile_id, rule, _event in wanted}
    with transaction.atomic():
        # Profiles × maps, a superset of the pairs read through the (profile, map) unique index; an
        # OR of one condition per pair was read by scanning the table (seconds for 500 events).
        rows = ProfileStage.objects.select_for_update().filter(
            profile_id__in=sorted({p for p, _m in pairs}), journey_map_id__in=sorted({m for _p, m in pairs})
        )
        current = {
            (row.profile_id, row.journey_map_id): row
            for row in rows.order_by("pk")
            if (row.profile_id, row.journey_map_id) in pairs
        }
        state = {pair: (row.stage_id, row.entered_at) for pair, row in current.items()}
        transitions: list[StageTransition] = []
        for profile_id, rule, event in wanted:
            pair = (profile_id, rule.journey_map_id)
            now = state.get(pair)
            if now is not None and (now[0] == rule.stage_id or event.timestamp < now[1]):
                continue
            transitions.append(
                StageTransition(
                    team_id=team_id,
                    profile_id=profile_id,
                    journey_map_id=rule.journey_map_id,
                    from_stage_id=now[0] if now else None,
                    to_stage_id=rule.stage_id,
                    entered_at=event.timestamp,
                    event_id=event.pk,
                    rule_id=rule.id,
                )
            )
            state[pair] = (rule.stage_id, event.timestamp)
        if not transitions:
            return []
        StageTransition.objects.bulk_create(transitions)
        last = {(t.profile_id, t.journey_map_id): t for t in transitions}
        changed, new = [], []
        for pair, transition in last.items():
            row = current.get(pair)
            if row is None:
                new.append(
                    ProfileStage(
                        team_id=team_id,
                        profile_id=pair[0],
                        journey_map_id=pair[1],
                        stage_id=transition.to_stage_id,
                        entered_at=transition.entered_at,
                        transition=transition,
                    )
                )
            else:
                row.stage_id, row.entered_at, row.transition = (
                    transition.to_stage_id,
                    transition.entered_at,
                    transition,
                )
                changed.append(row)
        if changed:
            _stages_move(changed)
        if new:
            ProfileStage.objects.bulk_create(new, ignore_conflicts=True)
            placed = {
                (row.profile_id, row.journey_map_id): row.transition_id
                for row in ProfileStage.objects.filter(
                    profile_id__in={row.profile_id for row in new},
                    journey_map_id__in={row.journey_map_id for row in new},
                )
            }
            for row in new:
                pair = (row.profile_id, row.journey_map_id)
                if placed.get(pair) != row.transition_id:
                    # Another worker placed the profile first: keep whichever entry is later.
                    ProfileStage.objects.filter(
                        profile_id=pair[0], journey_map_id=pair[1], entered_at__lte=row.entered_at
                    ).update(stage_id=row.stage_id, entered_at=row.entered_at, transition=row.transition)
    return transitions

"""Reads for the pages and the API: always through ``for_user``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from teams.models import Team

from . import overlay
from . import rules as rule_cache
from .extensions import TimelineCursor, TimelineItem, export_sources, timeline_sources
from .models import (
    Erasure,
    Event,
    Identity,
    IngestRefusal,
    Profile,
    ProfileMerge,
    ProfileStage,
    Source,
    StageTransition,
    TrackingRule,
    TraitChange,
)


def source_list(*, user, team: Team | None = None) -> QuerySet[Source]:
    queryset = Source.objects.for_user(user)
    return queryset.filter(team=team) if team is not None else queryset


def profile_list(*, user, team: Team | None = None, include_merged: bool = False) -> QuerySet[Profile]:
    queryset = Profile.objects.for_user(user)
    if team is not None:
        queryset = queryset.filter(team=team)
    if not include_merged:
        queryset = queryset.filter(merged_into__isnull=True)
    return queryset


def persona_choices(*, team: Team) -> list:
    """Return the team's active personas, for the profile list's persona filter."""
    from personas.models import Persona

    return list(Persona.objects.for_team(team).filter(archived=False).only("id", "name").order_by("name"))


def profile_get(*, user, pk) -> Profile:
    from teams.access import get_object_for_user

    return get_object_for_user(Profile, user, pk=pk)


def event_list(*, user, team: Team | None = None, profile: Profile | None = None) -> QuerySet[Event]:
    queryset = Event.objects.for_user(user)
    if team is not None:
        queryset = queryset.filter(team=team)
    if profile is not None:
        queryset = queryset.filter(identity__profile=profile)
    return queryset


def tracking_rule_list(*, user, team: Team | None = None) -> QuerySet[TrackingRule]:
    queryset = TrackingRule.objects.for_user(user).select_related("stage", "touchpoint", "journey_map")
    return queryset.filter(team=team) if team is not None else queryset


def profile_details(profile: Profile) -> dict:
    """Return the identities, current stages and merges of a profile (three queries)."""
    return {
        "identities": list(Identity.objects.filter(profile=profile).order_by("created_at", "id")),
        "stages": list(
            ProfileStage.objects.filter(profile=profile)
            .select_related("stage", "journey_map")
            .order_by("journey_map_id")
        ),
        "merges": list(ProfileMerge.objects.filter(into_profile=profile).order_by("-created_at", "-id")[:50]),
    }


def profile_timeline(
    *, profile: Profile, before: TimelineCursor | datetime | None = None, limit: int = 100
) -> list[TimelineItem]:
    """Return the profile's events, stage changes, merges and what other apps add, newest first.

    Paged by ``before`` (the last item's ``cursor``): every source returns its newest ``limit``
    items after the cursor, and the merge keeps the newest ``limit`` of all, ordered by time, kind
    and id, so items at the same time on either side of a page boundary are neither lost nor repeated.
    """
    if isinstance(before, datetime):
        before = TimelineCursor(before)
    events = Event.objects.filter(identity__profile=profile).select_related("source").order_by("-timestamp", "-id")
    transitions = StageTransition.objects.filter(profile=profile).select_related("from_stage", "to_stage")
    merges = ProfileMerge.objects.filter(into_profile=profile)
    if before is not None:
        events = events.filter(before.q("event", "timestamp"))
        transitions = transitions.filter(before.q("stage", "entered_at"))
        merges = merges.filter(before.q("merge", "created_at"))
    items = [
        TimelineItem(
            "event",
            event.timestamp,
            event.event or event.type,
            {
                "id": event.pk,
                "type": event.type,
                "event": event.event,
                "source": event.source.name,
                "properties": event.properties,
                "traits": event.traits,
                "flags": event.flags,
            },
            id=event.pk,
        )
        for event in events[:limit]
    ]
    items += [
        TimelineItem(
            "stage",
            t.entered_at,
            t.to_stage.name,
            {
                "map": t.journey_map_id,
                "from_stage": t.from_stage_id,
                "from_stage_name": t.from_stage.name if t.from_stage else None,
                "to_stage": t.to_stage_id,
                "event": t.event_id,
            },
            id=t.pk,
        )
        for t in transitions.order_by("-entered_at", "-id")[:limit]
    ]
    items += [
        TimelineItem(
            "merge",
            m.created_at,
            m.identifier,
            {"status": m.status, "from_profile": m.from_profile_id, "reason": m.reason, "trigger": m.trigger},
            id=m.pk,
        )
        for m in merges.order_by("-created_at", "-id")[:limit]
    ]
    if timeline_sources:
        identifiers = list(Identity.objects.filter(profile=profile).values_list("kind", "value"))
        for fn in timeline_sources:
            items += fn(profile, identifiers=identifiers, before=before, limit=limit)
    if before is not None:
        # A source that filters loosely must not repeat an item of an earlier page.
        items = [item for item in items if before.admits(item)]
    items.sort(key=lambda item: item.sort_key, reverse=True)
    return items[:limit]


def _json(value) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _rows(queryset, fields: list[str]) -> Iterator[str]:
    """Yield a JSON array of ``fields`` of each row, read in chunks (a profile may have many events)."""
    yield "["
    for index, row in enumerate(queryset.values(*fields).iterator(chunk_size=1000)):
        yield ("," if index else "") + _json(row)
    yield "]"


EXPORT_EVENT_FIELDS = [
    "id",
    "source_id",
    "message_id",
    "type",
    "event",
    "anonymous_id",
    "user_id",
    "group_id",
    "previous_id",
    "path",
    "properties",
    "traits",
    "context",
    "timestamp",
    "original_timestamp",
    "sent_at",
    "received_at",
    "flags",
]


def profile_export(profile: Profile) -> Iterator[str]:
    """Yield one JSON document with everything kept about the person, in pieces for streaming.

    The profile, identities, traits and their history, current stages, stage transitions, merges,
    events, and what other apps keep under the person's identifiers (survey answers, follow-ups).
    """
    identifiers = list(Identity.objects.filter(profile=profile).values_list("value", flat=True))
    head = {
        "format": "waymark.customers.profile-export/1",
        "exported_at": timezone.now(),
        "profile": {
            "id": profile.pk,
            "team": profile.team_id,
            "user_id": profile.user_id,
            "first_seen_at": profile.first_seen_at,
            "last_seen_at": profile.last_seen_at,
            "created_at": profile.created_at,
        },
        "traits": profile.traits,
    }
    yield _json(head)[:-1]
    parts = [
        (
            "identities",
            Identity.objects.filter(profile=profile).order_by("created_at", "id"),
            ["kind", "value", "created_at"],
        ),
        (
            "trait_history",
            TraitChange.objects.filter(profile=profile).order_by("changed_at", "id"),
            ["key", "value", "previous_value", "changed_at", "event_id"],
        ),
        (
            "current_stages",
            ProfileStage.objects.filter(profile=profile).order_by("journey_map_id"),
            ["journey_map_id", "journey_map__title", "stage_id", "stage__name", "entered_at"],
        ),
        (
            "stage_transitions",
            StageTransition.objects.filter(profile=profile).order_by("entered_at", "id"),
            ["journey_map_id", "from_stage_id", "to_stage_id", "to_stage__name", "entered_at", "event_id"],
        ),
        (
            "merges",
            ProfileMerge.objects.filter(Q(into_profile=profile) | Q(from_profile=profile)).order_by("created_at", "id"),
            ["into_profile_id", "from_profile_id", "status", "trigger", "identifier", "reason", "created_at"],
        ),
        ("events", Event.objects.filter(identity__profile=profile).order_by("timestamp", "id"), EXPORT_EVENT_FIELDS),
    ]
    for name, queryset, fields in parts:
        yield f",{_json(name)}:"
        yield from _rows(queryset, fields)
    for source in export_sources:
        for name, rows in source(team_id=profile.team_id, identifiers=identifiers).items():
            yield f",{_json(name)}:{_json(rows)}"
    yield "}"


def erasure_list(*, user, team: Team | None = None) -> QuerySet[Erasure]:
    queryset = Erasure.objects.for_user(user).select_related("erased_by")
    return queryset.filter(team=team) if team is not None else queryset


# --- the tracking plan: events no rule of a map binds -------------------------------------------

# Names (and paths) read per call type, most frequent first, before the mapped ones are dropped:
# enough for any real tracking plan, and a bound on a page with ids in its paths.
UNMAPPED_SCAN = 2000


@dataclass(frozen=True)
class UnmappedEvent:
    """An event name (track) or page path (page) received in the period that no rule of the map binds."""

    event_type: str  # "track" or "page"
    name: str  # the event's name, or the page's path
    events: int
    profiles: int
    last_seen: datetime


def _maps_track(rule: TrackingRule, name: str) -> bool:
    if rule.event_type not in (TrackingRule.EventType.TRACK, TrackingRule.EventType.ANY):
        return False
    # A rule naming the event, or one that takes every track call (conditions only).
    return rule.event_name == name or not (rule.event_name or rule.path_pattern)


def _maps_path(rule: TrackingRule, path: str) -> bool:
    if rule.event_type not in (TrackingRule.EventType.PAGE, TrackingRule.EventType.ANY):
        return False
    if rule.path_pattern:
        return bool(rule_cache._pattern(rule.path_pattern).match(path))
    return not rule.event_name  # a rule taking every page view (conditions only)


def unmapped_events(*, journey_map, days: int, limit: int = 100) -> list[UnmappedEvent]:
    """Return the event names and page paths of the period that no active rule of the map binds,
    most frequent first, with their events and unique customers (two grouped queries).

    Judged on the name or path alone: property conditions narrow which of those events count, so
    they do not make a name unmapped; a page rule by page name maps no path.
    """
    first, last = overlay.period_bounds(days)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    rules = list(TrackingRule.objects.filter(journey_map=journey_map, is_active=True))
    events = Event.objects.filter(team_id=journey_map.team_id, timestamp__gte=since, timestamp__lt=until)
    found: list[UnmappedEvent] = []
    for event_type, column, mapped in (("track", "event", _maps_track), ("page", "path", _maps_path)):
        groups = (
            events.filter(type=event_type)
            .exclude(**{column: ""})
            .values(column)
            .annotate(n=Count("id"), profiles=Count("identity__profile_id", distinct=True), last=Max("timestamp"))
            .order_by("-n", column)[:UNMAPPED_SCAN]
        )
        for group in groups:
            name = group[column]
            if not any(mapped(rule, name) for rule in rules):
                found.append(UnmappedEvent(event_type, name, group["n"], group["profiles"], group["last"]))
    found.sort(key=lambda u: (-u.events, -u.profiles, u.event_type, u.name))
    return found[:limit]


def refusal_list(*, source: Source, limit: int = IngestRefusal.KEEP) -> QuerySet[IngestRefusal]:
    """Return the source's last refusals, newest first (the caller has checked access to the source)."""
    return IngestRefusal.objects.filter(source=source).order_by("-id")[:limit]

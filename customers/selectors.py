"""Reads for the pages and the API: always through ``for_user``."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from teams.models import Team

from .extensions import TimelineItem, timeline_sources
from .models import Event, Identity, Profile, ProfileMerge, ProfileStage, Source, StageTransition, TrackingRule


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


def profile_timeline(*, profile: Profile, before: datetime | None = None, limit: int = 100) -> list[TimelineItem]:
    """Return the profile's events, stage changes, merges and what other apps add, newest first."""
    events = Event.objects.filter(identity__profile=profile).select_related("source").order_by("-timestamp", "-id")
    transitions = StageTransition.objects.filter(profile=profile).select_related("from_stage", "to_stage")
    merges = ProfileMerge.objects.filter(into_profile=profile)
    if before is not None:
        events = events.filter(timestamp__lt=before)
        transitions = transitions.filter(entered_at__lt=before)
        merges = merges.filter(created_at__lt=before)
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
        )
        for t in transitions.order_by("-entered_at", "-id")[:limit]
    ]
    items += [
        TimelineItem(
            "merge",
            m.created_at,
            m.identifier,
            {"status": m.status, "from_profile": m.from_profile_id, "reason": m.reason, "trigger": m.trigger},
        )
        for m in merges.order_by("-created_at", "-id")[:limit]
    ]
    if timeline_sources:
        identifiers = list(Identity.objects.filter(profile=profile).values_list("kind", "value"))
        for fn in timeline_sources:
            items += fn(profile, identifiers=identifiers, before=before, limit=limit)
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]

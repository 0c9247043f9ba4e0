"""Reads of discussions for the pages, the board and the API."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from journeys.models import JourneyMap

from .models import Comment, Notification, Presence, Thread
from .services import PRESENCE_TTL


@dataclass
class Tally:
    """Threads and comments about one part of the map."""

    open: int = 0
    resolved: int = 0
    comments: int = 0

    @property
    def threads(self) -> int:
        return self.open + self.resolved


@dataclass
class MapTally:
    """The board's counts: per stage and touchpoint (pain points count on their touchpoint), and the whole map."""

    stages: dict[int, Tally] = field(default_factory=lambda: defaultdict(Tally))
    touchpoints: dict[int, Tally] = field(default_factory=lambda: defaultdict(Tally))
    total: Tally = field(default_factory=Tally)


def map_tally(journey_map: JourneyMap) -> MapTally:
    """Count the map's threads and comments by part, in one query."""
    tally = MapTally()
    rows = (
        Thread.objects.filter(journey_map=journey_map)
        .values("target", "status", "stage_id", "touchpoint_id", "pain_point__touchpoint_id")
        .annotate(threads=Count("id", distinct=True), comments=Count("comments"))
        .order_by()
    )
    for row in rows:
        buckets = [tally.total]
        if row["target"] == Thread.Target.STAGE:
            buckets.append(tally.stages[row["stage_id"]])
        elif row["target"] == Thread.Target.TOUCHPOINT:
            buckets.append(tally.touchpoints[row["touchpoint_id"]])
        elif row["target"] == Thread.Target.PAIN_POINT:
            buckets.append(tally.touchpoints[row["pain_point__touchpoint_id"]])
        for bucket in buckets:
            if row["status"] == Thread.Status.OPEN:
                bucket.open += row["threads"]
            else:
                bucket.resolved += row["threads"]
            bucket.comments += row["comments"]
    return tally


def _threads(queryset):
    return queryset.select_related(
        "journey_map", "stage", "touchpoint", "pain_point", "version", "created_by", "resolved_by"
    ).prefetch_related(
        Prefetch("comments", queryset=Comment.objects.select_related("author").order_by("created_at", "id"))
    )


def thread_list(*, user, journey_map: JourneyMap | None = None, status: str | None = None):
    """Return the threads ``user`` may read (of one map, open or resolved), newest activity first."""
    threads = Thread.objects.for_user(user)
    if journey_map is not None:
        threads = threads.filter(journey_map=journey_map)
    if status:
        threads = threads.filter(status=status)
    return _threads(threads)


def threads_about(*, user, journey_map: JourneyMap, target: str, part_id: int | None) -> list[Thread]:
    """Return the threads about one part of the map, open ones first; a touchpoint's include its pain points'.

    For the map itself (``target="map"``): every thread of the map, whatever it is about.
    """
    threads = Thread.objects.for_user(user).filter(journey_map=journey_map)
    if target == Thread.Target.STAGE:
        threads = threads.filter(stage_id=part_id)
    elif target == Thread.Target.TOUCHPOINT:
        threads = threads.filter(Q(touchpoint_id=part_id) | Q(pain_point__touchpoint_id=part_id))
    elif target == Thread.Target.PAIN_POINT:
        threads = threads.filter(pain_point_id=part_id)
    elif target == Thread.Target.VERSION:
        threads = threads.filter(version_id=part_id)
    found = list(_threads(threads))
    found.sort(key=lambda t: (not t.is_open,))  # stable: newest activity first within each
    return found


def open_threads_of(journey_map: JourneyMap) -> list[Thread]:
    """Return the map's open threads for a review's agenda, oldest question first."""
    return list(
        _threads(Thread.objects.filter(journey_map=journey_map, status=Thread.Status.OPEN)).order_by("created_at", "id")
    )


def notification_list(*, user, team=None, unread_only: bool = False):
    """Return ``user``'s own notifications (of one team, when given), newest first."""
    found = Notification.objects.for_user(user).filter(recipient_id=getattr(user, "pk", None))
    if team is not None:
        found = found.filter(team=team)
    if unread_only:
        found = found.filter(read_at=None)
    return found.select_related(
        "team",
        "comment__author",
        "comment__thread__journey_map",
        "comment__thread__stage",
        "comment__thread__touchpoint",
        "comment__thread__pain_point",
        "comment__thread__version",
    )


def unread_count(*, user) -> int:
    """Return how many notifications ``user`` has not read, in all their teams."""
    return notification_list(user=user, unread_only=True).count()


def presence_list(*, journey_map: JourneyMap, now=None):
    """Return who has the map open now (seen within ``PRESENCE_TTL``), by name."""
    now = now or timezone.now()
    return (
        Presence.objects.filter(journey_map=journey_map, seen_at__gte=now - PRESENCE_TTL)
        .select_related("user")
        .order_by("user__username", "id")
    )

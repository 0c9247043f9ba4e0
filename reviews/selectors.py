"""Reads for the review pages, the dashboard, the digest and the API, in a fixed number of queries.

The agenda of a map is built from what changed since its last review: the version diff (journeys'
``diff_documents``), NPS/CSAT movement per stage (feedback's SQL statistics), SLA breaches and
overdue follow-ups, experiments started and concluded, map health and pain points opened and fixed.
Open action items carry over from one review to the next.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from analytics.moments import dashboard_moments
from analytics.stages import stage_changes
from discussions.selectors import open_threads_of
from experiments.models import Experiment
from feedback import stats as feedback_stats
from feedback.models import FollowUp, Response
from journeys.extensions import HealthIssue
from journeys.health import Health, maps_health
from journeys.models import JourneyMap, MapVersion, PainPoint, Stage
from journeys.snapshot import diff_documents
from owners.models import HandoffCase
from teams.models import Membership, Team

from .models import ActionItem, DigestPreference, Review, ReviewSettings

NO_REVIEW_DAYS = 14
EMPTY_DOCUMENT = {"map": {}, "stages": []}


# --- settings and lists ---------------------------------------------------------------------


def settings_for(team: Team | int) -> ReviewSettings:
    """Return the team's review settings (the defaults, unsaved, where it has none yet)."""
    team_id = team if isinstance(team, int) else team.pk
    found = ReviewSettings.objects.filter(team_id=team_id).first()
    return found or ReviewSettings(team_id=team_id)


def review_list(*, user) -> QuerySet[Review]:
    """Return the reviews ``user`` may read, with what their rows show."""
    return (
        Review.objects.for_user(user)
        .select_related("journey_map", "facilitator", "map_version", "created_by")
        .prefetch_related("attendees")
        .annotate(
            action_item_count=Count("action_items", distinct=True),
            open_action_item_count=Count("action_items", filter=Q(action_items__done=False), distinct=True),
        )
    )


def review_get(*, user, pk) -> Review:
    from teams.access import get_object_for_user

    items = ActionItem.objects.select_related("owner", "touchpoint", "pain_point", "experiment")
    queryset = review_list(user=user).prefetch_related(Prefetch("action_items", queryset=items))
    return get_object_for_user(queryset, user, pk=pk)


def action_item_list(*, user) -> QuerySet[ActionItem]:
    return ActionItem.objects.for_user(user).select_related(
        "owner", "review__journey_map", "touchpoint", "pain_point", "experiment"
    )


def last_review_of(journey_map: JourneyMap) -> Review | None:
    """Return the review whose agenda covered the most recent period."""
    return (
        Review.objects.filter(journey_map=journey_map)
        .select_related("map_version", "facilitator")
        .order_by("-covers_until", "-id")
        .first()
    )


def _last_review_date() -> Subquery:
    return Subquery(Review.objects.filter(journey_map=OuterRef("pk")).order_by("-date", "-id").values("date")[:1])


def maps_with_review_status(user, *, team: Team | None = None, not_reviewed_since: datetime.date | None = None):
    """Return the maps ``user`` may read with their last review date, kind and open action items.

    ``not_reviewed_since`` keeps the maps with no review on or after that date (for quarterly and
    pricing-change reviews: "which maps has nobody looked at since the price change?").
    """
    queryset = JourneyMap.objects.for_user(user).exclude(status=JourneyMap.Status.ARCHIVED)
    if team is not None:
        queryset = queryset.filter(team=team)
    last = Review.objects.filter(journey_map=OuterRef("pk")).order_by("-date", "-id")
    open_items = (
        ActionItem.objects.filter(review__journey_map=OuterRef("pk"), done=False)
        .order_by()
        .values("review__journey_map")
        .annotate(n=Count("pk"))
        .values("n")
    )
    queryset = queryset.select_related("team", "persona").annotate(
        last_review_date=Subquery(last.values("date")[:1]),
        last_review_kind=Subquery(last.values("kind")[:1]),
        open_action_items=Subquery(open_items),
    )
    if not_reviewed_since is not None:
        reviewed = Review.objects.filter(journey_map=OuterRef("pk"), date__gte=not_reviewed_since)
        queryset = queryset.filter(~Exists(reviewed))
    return queryset.order_by(F("last_review_date").asc(nulls_first=True), "title")


def week_end(today: datetime.date) -> datetime.date:
    """Return the Sunday of ``today``'s ISO week."""
    return today + datetime.timedelta(days=7 - today.isoweekday())


def next_review_due(last_review_date: datetime.date | None, cadence_days: int) -> datetime.date | None:
    """Return when a map is next due for review (None: never reviewed, so due now)."""
    if last_review_date is None:
        return None
    return last_review_date + datetime.timedelta(days=cadence_days)


def is_due_by(last_review_date: datetime.date | None, cadence_days: int, day: datetime.date) -> bool:
    due = next_review_due(last_review_date, cadence_days)
    return due is None or due <= day


def decorate_due(maps: Iterable[JourneyMap], cadence_days: int, today: datetime.date) -> list[JourneyMap]:
    """Set ``next_review_due``, ``due_this_week`` and ``review_overdue`` on each map."""
    end = week_end(today)
    out = []
    for m in maps:
        m.next_review_due = next_review_due(m.last_review_date, cadence_days)
        m.due_this_week = is_due_by(m.last_review_date, cadence_days, end)
        m.review_overdue = m.next_review_due is not None and m.next_review_due < today
        out.append(m)
    return out


# --- health ---------------------------------------------------------------------------------


def review_health(maps: list) -> dict[int, list[HealthIssue]]:
    """Health check: "no review for 14 days" (one query for any number of maps).

    A map younger than 14 days is not yet stale; archived maps are not reviewed.
    """
    ids = [m.pk for m in maps if getattr(m, "status", None) != JourneyMap.Status.ARCHIVED]
    if not ids:
        return {}
    today = timezone.localdate()
    cutoff = today - datetime.timedelta(days=NO_REVIEW_DAYS)
    rows = (
        JourneyMap.objects.filter(pk__in=ids).annotate(last=_last_review_date()).values_list("pk", "last", "created_at")
    )
    issues: dict[int, list[HealthIssue]] = {}
    for pk, last, created_at in rows:
        if last is not None and last >= cutoff:
            continue
        if last is None and timezone.localdate(created_at) > cutoff:
            continue
        if last is None:
            message = f"Never reviewed (the team reviews every map at least every {NO_REVIEW_DAYS} days)"
        else:
            days = (today - last).days
            message = f"No review for {days} days (last on {last:%-d %b %Y})"
        issues[pk] = [HealthIssue("no_recent_review", message, weight=15, severity="warning")]
    return issues


# --- the agenda -----------------------------------------------------------------------------


@dataclass
class StageMovement:
    """A stage's NPS or CSAT since the last review against the period before it."""

    stage: Stage
    metric: str
    now: feedback_stats.Figure
    before: feedback_stats.Figure

    @property
    def delta(self) -> float | None:
        if self.now.value is None or self.before.value is None:
            return None
        return round(self.now.value - self.before.value, 1)

    @property
    def margin(self) -> float | None:
        """Return the 95 % margin of error of the difference (independent samples)."""
        if self.now.margin is None or self.before.margin is None:
            return None
        return round(math.sqrt(self.now.margin**2 + self.before.margin**2), 1)

    @property
    def significant(self) -> bool:
        """Return whether the move is larger than its margin of error."""
        return self.delta is not None and self.margin is not None and abs(self.delta) > self.margin

    @property
    def direction(self) -> str:
        if self.delta is None:
            return "none"
        return "up" if self.delta > 0 else "down" if self.delta < 0 else "flat"


@dataclass
class Agenda:
    """What the team goes through in a review of one map: everything since the last review."""

    journey_map: JourneyMap
    since: datetime.datetime
    until: datetime.datetime
    last_review: Review | None
    base_version: MapVersion | None
    latest_version: MapVersion | None
    diff: dict | None
    draft_ahead: bool
    movements: list[StageMovement]
    handoff_breaches: list[HandoffCase]
    followup_breaches: list[FollowUp]
    overdue_followups: list[FollowUp]
    experiments_started: list[Experiment]
    experiments_concluded: list[Experiment]
    experiments_running: list[Experiment]
    health: Health
    pain_points_opened: list[PainPoint]
    pain_points_fixed: list[PainPoint]
    carried_over: list[ActionItem]
    done_since: list[ActionItem]
    open_threads: list = field(default_factory=list)  # discussions.Thread, open, oldest first
    cadence_days: int = 7
    notes: list[str] = field(default_factory=list)
    # The largest changes in conversion to the next stage and in time in stage (analytics.stages).
    stage_changes: dict | None = None

    @property
    def is_first(self) -> bool:
        return self.last_review is None

    @property
    def flagged_movements(self) -> list[StageMovement]:
        return [m for m in self.movements if m.significant]

    @property
    def change_count(self) -> int:
        """Return how many things changed since the last review (what the page header counts)."""
        return (
            (self.diff["summary"]["total"] if self.diff else 0)
            + len(self.flagged_movements)
            + len(self.handoff_breaches)
            + len(self.followup_breaches)
            + len(self.experiments_started)
            + len(self.experiments_concluded)
            + len(self.pain_points_opened)
            + len(self.pain_points_fixed)
        )


def _base_version(journey_map: JourneyMap, last: Review | None, since: datetime.datetime) -> MapVersion | None:
    if last is not None and last.map_version_id:
        return last.map_version
    return MapVersion.objects.filter(journey_map=journey_map, created_at__lt=since).order_by("-number").first()


def _movements(stages: list[Stage], since: datetime.datetime, until: datetime.datetime) -> list[StageMovement]:
    """Return NPS and CSAT per stage, this period against the one before it (two queries)."""
    if not stages:
        return []
    length = max(until - since, datetime.timedelta(days=1))
    ids = [s.pk for s in stages]
    current = Response.objects.filter(stage_id__in=ids, created_at__gte=since, created_at__lt=until)
    previous = Response.objects.filter(stage_id__in=ids, created_at__gte=since - length, created_at__lt=since)
    now_rows = {r["key"]: r for r in feedback_stats.grouped(current, "stage")}
    before_rows = {r["key"]: r for r in feedback_stats.grouped(previous, "stage")}
    out = []
    for stage in stages:
        now, before = now_rows.get(stage.pk), before_rows.get(stage.pk)
        for metric in ("nps", "csat"):
            a = now[metric] if now else feedback_stats.Figure(metric, None, None, 0)
            b = before[metric] if before else feedback_stats.Figure(metric, None, None, 0)
            if a.n or b.n:
                out.append(StageMovement(stage, metric, a, b))
    return out


def _experiments_of(journey_map: JourneyMap) -> QuerySet[Experiment]:
    return Experiment.objects.filter(
        Q(journey_map=journey_map)
        | Q(stage__journey_map=journey_map)
        | Q(touchpoint__stage__journey_map=journey_map)
        | Q(pain_point__touchpoint__stage__journey_map=journey_map)
    )


def agenda_for(journey_map: JourneyMap, *, now: datetime.datetime | None = None) -> Agenda:
    """Build the map's agenda from everything that changed since its last review."""
    until = now or timezone.now()
    cadence = settings_for(journey_map.team_id).review_cadence_days
    last = last_review_of(journey_map)
    since = last.covers_until if last is not None else until - datetime.timedelta(days=cadence)

    versions = list(MapVersion.objects.filter(journey_map=journey_map).order_by("-number")[:1])
    latest = versions[0] if versions else None
    base = _base_version(journey_map, last, since)
    diff = None
    if latest is not None and (base is None or base.pk != latest.pk):
        diff = diff_documents(base.snapshot if base is not None else EMPTY_DOCUMENT, latest.snapshot)
    draft_ahead = latest is None or journey_map.revision != latest.source_revision

    stages = list(Stage.objects.filter(journey_map=journey_map).order_by("position", "id"))

    handoff_breaches = list(
        HandoffCase.objects.filter(handoff__journey_map=journey_map, breached_at__gte=since, breached_at__lt=until)
        .select_related("handoff__from_touchpoint", "handoff__to_touchpoint", "handoff__to_owner")
        .order_by("-breached_at")
    )
    followups = FollowUp.objects.filter(touchpoint__stage__journey_map=journey_map).select_related(
        "owner", "touchpoint"
    )
    followup_breaches = list(followups.filter(breached_at__gte=since, breached_at__lt=until).order_by("-breached_at"))
    overdue_followups = list(
        followups.exclude(status=FollowUp.Status.CLOSED).filter(due_at__lt=until).order_by("due_at")
    )

    experiments = list(
        _experiments_of(journey_map)
        .filter(
            Q(started_at__gte=since, started_at__lt=until)
            | Q(concluded_at__gte=since, concluded_at__lt=until)
            | Q(status=Experiment.Status.RUNNING)
        )
        .select_related("owner", "primary_metric")
        .distinct()
        .order_by("-started_at", "title")
    )

    def within(moment):
        return moment is not None and since <= moment < until

    pains = list(
        PainPoint.objects.filter(touchpoint__stage__journey_map=journey_map)
        .filter(Q(created_at__gte=since, created_at__lt=until) | Q(fixed_at__gte=since, fixed_at__lt=until))
        .select_related("touchpoint")
        .order_by("-severity", "created_at")
    )
    items = list(
        ActionItem.objects.filter(review__journey_map=journey_map)
        .filter(Q(done=False) | Q(done_at__gte=since))
        .select_related("owner", "review", "touchpoint", "pain_point", "experiment")
        .order_by("done", F("due_date").asc(nulls_last=True), "position", "id")
    )
    return Agenda(
        journey_map=journey_map,
        since=since,
        until=until,
        last_review=last,
        base_version=base,
        latest_version=latest,
        diff=diff,
        draft_ahead=draft_ahead,
        movements=_movements(stages, since, until),
        handoff_breaches=handoff_breaches,
        followup_breaches=followup_breaches,
        overdue_followups=overdue_followups,
        experiments_started=[e for e in experiments if within(e.started_at)],
        experiments_concluded=[e for e in experiments if within(e.concluded_at)],
        experiments_running=[e for e in experiments if e.status == Experiment.Status.RUNNING],
        health=maps_health([journey_map])[journey_map.pk],
        pain_points_opened=[p for p in pains if within(p.created_at)],
        pain_points_fixed=[p for p in pains if within(p.fixed_at)],
        carried_over=[i for i in items if not i.done],
        done_since=[i for i in items if i.done],
        open_threads=open_threads_of(journey_map),
        cadence_days=cadence,
        stage_changes=stage_changes(journey_map, since=since, until=until),
    )


# --- the dashboard and the digest -----------------------------------------------------------


def nps_trend(team: Team, *, weeks: int = 12, now: datetime.datetime | None = None) -> list[dict]:
    """Return the team's weekly NPS across all its surveys, with intervals (one query)."""
    now = now or timezone.now()
    start = now - datetime.timedelta(weeks=weeks)
    responses = Response.objects.filter(team=team, metric="nps", created_at__gte=start, created_at__lt=now)
    return [
        {"week": row["key"], "nps": row["nps"], "n": row["nps"].n}
        for row in feedback_stats.grouped(responses, "week")
        if row["nps"].n
    ]


def owner_load(team: Team, *, now: datetime.datetime | None = None) -> list[dict]:
    """Return open follow-ups, overdue ones and SLA breaches per owner (two queries)."""
    now = now or timezone.now()
    rows = (
        FollowUp.objects.filter(team=team)
        .exclude(status=FollowUp.Status.CLOSED)
        .values("owner_id", "owner__username", "owner__first_name", "owner__last_name")
        .annotate(
            open=Count("pk"),
            overdue=Count("pk", filter=Q(due_at__lt=now)),
            breached=Count("pk", filter=Q(breached_at__isnull=False)),
        )
    )
    load: dict = {}
    for row in rows:
        load[row["owner_id"]] = {
            "owner_id": row["owner_id"],
            "name": _name(row["owner__first_name"], row["owner__last_name"], row["owner__username"]),
            "open": row["open"],
            "overdue": row["overdue"],
            "breached": row["breached"],
            "handoff_breaches": 0,
        }
    cases = (
        HandoffCase.objects.filter(
            handoff__journey_map__team=team, completed_at__isnull=True, breached_at__isnull=False
        )
        .values(
            "handoff__to_owner_id",
            "handoff__to_owner__username",
            "handoff__to_owner__first_name",
            "handoff__to_owner__last_name",
        )
        .annotate(n=Count("pk"))
    )
    for row in cases:
        owner_id = row["handoff__to_owner_id"]
        entry = load.setdefault(
            owner_id,
            {
                "owner_id": owner_id,
                "name": _name(
                    row["handoff__to_owner__first_name"],
                    row["handoff__to_owner__last_name"],
                    row["handoff__to_owner__username"],
                ),
                "open": 0,
                "overdue": 0,
                "breached": 0,
                "handoff_breaches": 0,
            },
        )
        entry["handoff_breaches"] = row["n"]
    return sorted(
        load.values(), key=lambda e: (-(e["breached"] + e["handoff_breaches"]), -e["overdue"], -e["open"], e["name"])
    )


def _name(first: str | None, last: str | None, username: str | None) -> str:
    full = f"{first or ''} {last or ''}".strip()
    return full or username or "Nobody (unassigned)"


@dataclass
class Dashboard:
    team: Team
    settings: ReviewSettings
    maps: list[JourneyMap]
    health: dict[int, Health]
    nps_trend: list[dict]
    owner_load: list[dict]
    running_experiments: list[Experiment]
    overdue_items: list[ActionItem]
    recent_reviews: list[Review]
    today: datetime.date
    # Moments that matter, measured (analytics.moments): activation and time to first value.
    moments: list[dict] = field(default_factory=list)

    @property
    def due_this_week(self) -> list[JourneyMap]:
        return [m for m in self.maps if m.due_this_week]

    @property
    def chart(self) -> dict:
        return {
            "labels": [row["week"].strftime("%-d %b") for row in self.nps_trend],
            "nps": [row["nps"].value for row in self.nps_trend],
            "low": [row["nps"].low for row in self.nps_trend],
            "high": [row["nps"].high for row in self.nps_trend],
            "n": [row["n"] for row in self.nps_trend],
        }


def dashboard_for(user, team: Team, *, now: datetime.datetime | None = None) -> Dashboard:
    """Return everything the team home shows, in a fixed number of queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    review_settings = settings_for(team)
    maps = decorate_due(
        maps_with_review_status(user, team=team).order_by("title"), review_settings.review_cadence_days, today
    )
    health = maps_health(maps)
    for m in maps:
        m.health = health[m.pk]
    return Dashboard(
        team=team,
        settings=review_settings,
        maps=maps,
        health=health,
        nps_trend=nps_trend(team, now=now),
        owner_load=owner_load(team, now=now),
        running_experiments=list(
            Experiment.objects.filter(team=team, status=Experiment.Status.RUNNING)
            .select_related("owner", "journey_map", "primary_metric")
            .order_by("started_at", "title")[:10]
        ),
        overdue_items=list(
            ActionItem.objects.for_team(team)
            .overdue(today)
            .select_related("owner", "review__journey_map")
            .order_by("due_date", "id")[:20]
        ),
        recent_reviews=list(
            Review.objects.for_team(team).select_related("journey_map", "facilitator").order_by("-date", "-id")[:5]
        ),
        today=today,
        moments=dashboard_moments(team, now=now),
    )


@dataclass
class Digest:
    """One person's weekly digest for one team."""

    team: Team
    user: object
    followups: list[FollowUp]
    followup_breaches: list[FollowUp]
    handoff_breaches: list[HandoffCase]
    action_items: list[ActionItem]
    maps_due: list[JourneyMap]
    today: datetime.date

    @property
    def is_empty(self) -> bool:
        return not (
            self.followups or self.followup_breaches or self.handoff_breaches or self.action_items or self.maps_due
        )

    @property
    def overdue_followups(self) -> list[FollowUp]:
        now = timezone.now()
        return [f for f in self.followups if f.due_at < now]

    @property
    def overdue_items(self) -> list[ActionItem]:
        return [i for i in self.action_items if i.is_overdue(self.today)]


def digest_recipients(team: Team) -> list:
    """Return the team's members who get the digest: with an email address and not unsubscribed."""
    unsubscribed = DigestPreference.objects.filter(user=OuterRef("user"), unsubscribed=True)
    memberships = (
        Membership.objects.filter(team=team, user__is_active=True)
        .exclude(user__email="")
        .exclude(Exists(unsubscribed))
        .select_related("user")
        .order_by("user__username")
    )
    return [m.user for m in memberships]


def digest_opted_out(user_ids: set[int]) -> set[int]:
    """Return which of ``user_ids`` unsubscribed from the digest (and so from Waymark's other emails)."""
    return set(
        DigestPreference.objects.filter(user_id__in=user_ids, unsubscribed=True).values_list("user_id", flat=True)
    )


def digest_for(team: Team, user, *, maps_due: list[JourneyMap], now: datetime.datetime | None = None) -> Digest:
    """Return what ``user`` has on their plate in ``team``; ``maps_due`` is shared by all members."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    followups = list(
        FollowUp.objects.filter(team=team, owner=user)
        .exclude(status=FollowUp.Status.CLOSED)
        .select_related("touchpoint__stage__journey_map")
        .order_by("due_at")[:50]
    )
    return Digest(
        team=team,
        user=user,
        followups=followups,
        followup_breaches=[f for f in followups if f.breached_at is not None],
        handoff_breaches=list(
            HandoffCase.objects.filter(
                handoff__journey_map__team=team,
                handoff__to_owner=user,
                completed_at__isnull=True,
                breached_at__isnull=False,
            )
            .select_related("handoff__from_touchpoint", "handoff__to_touchpoint", "handoff__journey_map")
            .order_by("breached_at")[:50]
        ),
        action_items=list(
            ActionItem.objects.for_team(team)
            .filter(owner=user, done=False)
            .select_related("review__journey_map")
            .order_by(F("due_date").asc(nulls_last=True), "id")[:50]
        ),
        maps_due=maps_due,
        today=today,
    )


def maps_due_this_week(team: Team, *, today: datetime.date) -> list[JourneyMap]:
    """Return the team's maps due for review by the end of this week (one query)."""
    cadence = settings_for(team).review_cadence_days
    queryset = JourneyMap.objects.for_team(team).exclude(status=JourneyMap.Status.ARCHIVED)
    maps = decorate_due(queryset.annotate(last_review_date=_last_review_date()).order_by("title"), cadence, today)
    return [m for m in maps if m.due_this_week]

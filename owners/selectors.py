"""Reads for owners, SLAs, hand-offs and playbooks: pages, the API, the map annotator and health.

Every function answers in a fixed number of queries, whatever the size of the map or the number
of maps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import markdown
import nh3
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from journeys.extensions import HealthIssue, LaneItem
from journeys.models import JourneyMap, Stage, Touchpoint
from teams.models import Membership

from .models import SLA, Handoff, HandoffCase, Ownership, Playbook
from .sla import format_duration


def with_departed(queryset: QuerySet[Ownership], *, team_id: int | None = None) -> QuerySet[Ownership]:
    """Annotate ``departed``: the owner no longer has a membership in the map's team.

    Give ``team_id`` when every row is of one map (the map page): membership is then tested
    against that team directly instead of through a join to each row's map.
    """
    team = OuterRef("journey_map__team_id") if team_id is None else team_id
    is_member = Membership.objects.filter(team_id=team, user_id=OuterRef("user_id"))
    return queryset.annotate(departed=~Exists(is_member))


# What a labelled ownership shows (``_label``, the cards, the owners panel): the rest of the
# ownership and of its user (password, dates) is neither read nor parsed.
OWNERSHIP_FIELDS = (
    "journey_map_id", "touchpoint_id", "stage_id", "role",
    "user__username", "user__first_name", "user__last_name",
)  # fmt: skip


def ownerships_for(user) -> QuerySet[Ownership]:
    return with_departed(
        Ownership.objects.for_user(user).select_related("user", "journey_map__team", "touchpoint__stage", "stage")
    )


def accountable_owners(touchpoint_ids: Iterable[int]) -> dict[int, object]:
    """Return ``{touchpoint_id: user}`` of the accountable owners, in one query (for follow-ups)."""
    rows = Ownership.objects.filter(
        touchpoint_id__in=list(touchpoint_ids), role=Ownership.Role.ACCOUNTABLE
    ).select_related("user")
    return {o.touchpoint_id: o.user for o in rows}


def initials(user) -> str:
    full = (user.get_full_name() or "").split()
    if len(full) >= 2:
        return (full[0][0] + full[-1][0]).upper()
    return user.get_username()[:2].upper()


def display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _label(ownership: Ownership) -> Ownership:
    ownership.initials = initials(ownership.user)
    ownership.name = display_name(ownership.user)
    return ownership


# --- the owners panel of a map -------------------------------------------------------------


def map_touchpoints_with_owners(journey_map: JourneyMap, *, unowned: bool = False, query: str = "") -> list:
    """Return the map's touchpoints in order, each with ``owners``, ``accountable``, ``sla`` and ``handoffs``."""
    touchpoints = (
        Touchpoint.objects.filter(stage__journey_map=journey_map)
        .select_related("stage")
        .order_by("stage__position", "stage_id", "position", "id")
    )
    if unowned:
        touchpoints = touchpoints.exclude(ownerships__role=Ownership.Role.ACCOUNTABLE)
    if query:
        touchpoints = touchpoints.filter(Q(name__icontains=query) | Q(stage__name__icontains=query))
    touchpoints = list(touchpoints)
    annotate_touchpoints(journey_map, touchpoints)
    return touchpoints


def annotate_touchpoints(journey_map: JourneyMap, touchpoints: list) -> None:
    """Set ``owners``, ``accountable``, ``owner_departed``, ``sla``, ``handoffs`` on each touchpoint.

    Three queries: ownerships (with departure), SLAs, hand-offs out.
    """
    ids = [t.pk for t in touchpoints]
    by_tp: dict[int, list[Ownership]] = defaultdict(list)
    # The map page runs this for every touchpoint (240 ownerships on a 12 x 15 map): load only
    # what the cards and the owners panel show.
    rows = with_departed(
        Ownership.objects.filter(touchpoint_id__in=ids).select_related("user").only(*OWNERSHIP_FIELDS),
        team_id=journey_map.team_id,
    )
    for o in rows.order_by("role", "user__username"):
        _label(o)
        by_tp[o.touchpoint_id].append(o)
    slas = {s.touchpoint_id: s for s in SLA.objects.filter(touchpoint_id__in=ids)}
    handoffs: dict[int, list[Handoff]] = defaultdict(list)
    for h in Handoff.objects.filter(from_touchpoint_id__in=ids).select_related("to_touchpoint", "to_owner"):
        h.to_owner_name = display_name(h.to_owner) if h.to_owner else ""
        handoffs[h.from_touchpoint_id].append(h)
    for t in touchpoints:
        owners = by_tp.get(t.pk, [])
        t.owners = owners
        t.accountable = next((o for o in owners if o.role == Ownership.Role.ACCOUNTABLE), None)
        t.owner_departed = any(o.departed for o in owners)
        t.sla_target = slas.get(t.pk)
        t.sla_label = format_duration(t.sla_target.response_target) if t.sla_target else ""
        t.handoffs = handoffs.get(t.pk, [])
        for h in t.handoffs:
            h.target_label = format_duration(h.response_target)


# --- the map annotator and health check ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnerLabel:
    """What the map page shows of an accountable owner: no ``Ownership`` or user is loaded for it."""

    initials: str
    name: str
    departed: bool


@dataclass(frozen=True, slots=True)
class HandoffLabel:
    """What a map card shows of a hand-off out of its touchpoint."""

    to_touchpoint_name: str
    to_owner_name: str
    target_label: str


def _owner_label(username: str, first_name: str, last_name: str, departed: bool) -> OwnerLabel:
    """Return ``initials`` and ``display_name`` of a user from its name fields (the same rules)."""
    full = f"{first_name} {last_name}".strip()  # User.get_full_name()
    words = full.split()
    initials = (words[0][0] + words[-1][0]).upper() if len(words) >= 2 else username[:2].upper()
    return OwnerLabel(initials, full or username, departed)


def annotate_map(journey_map: JourneyMap, stages: list, touchpoints: list) -> None:
    """Map annotator: owners, SLAs and hand-offs of every touchpoint; accountable owner of every stage.

    Four queries of plain values, not model instances: a 12 × 15 map has 240 ownerships with
    their users, 180 SLAs and 45 hand-offs, and building them as instances was the largest part
    of the page's per-card Python. Sets ``accountable`` (an ``OwnerLabel`` or None),
    ``owner_departed``, ``sla_label``, ``sla_in_hours`` and ``handoffs`` (``HandoffLabel``s) on each
    touchpoint, ``accountable`` and ``owner_departed`` on each stage. The owners panel, which lists
    every owner, uses ``annotate_touchpoints``.
    """
    # Selected by the map, not by the touchpoints' ids: 180 ids bound into three statements were a
    # tenth of the annotator's Python (each parameter prepared by Django, the query split by psycopg).
    # A filtered page's touchpoints pick theirs below; the others' rows are a few more to read.
    of_map = {"touchpoint__stage__journey_map": journey_map}
    accountable: dict[int, OwnerLabel] = {}
    departed: set[int] = set()
    rows = (
        with_departed(Ownership.objects.filter(**of_map), team_id=journey_map.team_id)
        .order_by("role", "user__username")
        .values_list("touchpoint_id", "role", "user__username", "user__first_name", "user__last_name", "departed")
    )
    for tp_id, role, username, first_name, last_name, gone in rows:
        if gone:
            departed.add(tp_id)
        if role == Ownership.Role.ACCOUNTABLE and tp_id not in accountable:
            accountable[tp_id] = _owner_label(username, first_name, last_name, gone)
    durations: dict = {}  # a map's SLAs share a few targets: each formatted once

    def duration(value) -> str:
        label = durations.get(value)
        if label is None:
            label = durations[value] = format_duration(value)
        return label

    slas = {
        tp_id: (duration(target), in_hours)
        for tp_id, target, in_hours in SLA.objects.filter(**of_map).values_list(
            "touchpoint_id", "response_target", "business_hours"
        )
    }
    handoffs: dict[int, list[HandoffLabel]] = defaultdict(list)
    rows = (
        Handoff.objects.filter(from_touchpoint__stage__journey_map=journey_map)
        .order_by("journey_map", "id")
        .values_list(
            "from_touchpoint_id",
            "to_touchpoint__name",
            "to_owner__username",
            "to_owner__first_name",
            "to_owner__last_name",
            "response_target",
        )
    )
    for tp_id, to_name, username, first_name, last_name, target in rows:
        owner = _owner_label(username, first_name, last_name, False).name if username is not None else ""
        handoffs[tp_id].append(HandoffLabel(to_name, owner, duration(target)))
    for t in touchpoints:
        t.accountable = accountable.get(t.pk)
        t.owner_departed = t.pk in departed
        t.sla_label, t.sla_in_hours = slas.get(t.pk, ("", False))
        t.handoffs = handoffs.get(t.pk, [])
    stage_owners = (
        with_departed(
            Ownership.objects.filter(stage_id__in=[s.pk for s in stages], role=Ownership.Role.ACCOUNTABLE),
            team_id=journey_map.team_id,
        )
        .order_by("id")
        .values_list("stage_id", "user__username", "user__first_name", "user__last_name", "departed")
    )
    by_stage = {stage_id: _owner_label(*user) for stage_id, *user in stage_owners}
    for s in stages:
        s.accountable = by_stage.get(s.pk)
        s.owner_departed = bool(s.accountable and s.accountable.departed)


def owner_health(maps: list) -> dict[int, list[HealthIssue]]:
    """Health check: unowned touchpoints, moments without an SLA, owners who left the team (3 queries)."""
    ids = [m.pk for m in maps]
    issues: dict[int, list[HealthIssue]] = {pk: [] for pk in ids}
    has_owner = Ownership.objects.filter(touchpoint_id=OuterRef("pk"), role=Ownership.Role.ACCOUNTABLE)
    counts = (
        Touchpoint.objects.filter(stage__journey_map_id__in=ids)
        .values("stage__journey_map_id")
        .annotate(
            unowned=Count("pk", filter=~Q(Exists(has_owner))),
            moments_no_sla=Count("pk", filter=Q(is_moment=True, sla__isnull=True)),
        )
    )
    for row in counts:
        map_id = row["stage__journey_map_id"]
        if row["unowned"]:
            n = row["unowned"]
            issues[map_id].append(
                HealthIssue(
                    code="unowned_touchpoints",
                    message=ngettext(
                        "%(count)s touchpoint without an accountable owner",
                        "%(count)s touchpoints without an accountable owner",
                        n,
                    )
                    % {"count": n},
                    count=n,
                    weight=min(30, 5 * n),
                )
            )
        if row["moments_no_sla"]:
            n = row["moments_no_sla"]
            issues[map_id].append(
                HealthIssue(
                    code="moments_without_sla",
                    message=ngettext(
                        "%(count)s moment that matters without an SLA",
                        "%(count)s moments that matter without an SLA",
                        n,
                    )
                    % {"count": n},
                    count=n,
                    weight=min(30, 10 * n),
                    severity="critical",
                )
            )
    departed = (
        with_departed(Ownership.objects.filter(journey_map_id__in=ids))
        .filter(departed=True)
        .values("journey_map_id")
        .annotate(n=Count("pk"))
    )
    for row in departed:
        n = row["n"]
        issues[row["journey_map_id"]].append(
            HealthIssue(
                code="departed_owners",
                message=ngettext(
                    "%(count)s ownership held by people who left the team",
                    "%(count)s ownerships held by people who left the team",
                    n,
                )
                % {"count": n},
                count=n,
                weight=min(30, 10 * n),
                severity="critical",
            )
        )
    return {k: v for k, v in issues.items() if v}


# --- pages ---------------------------------------------------------------------------------


def my_ownership(user) -> dict:
    """Return what ``user`` owns across their teams: touchpoints, stages, hand-offs, playbooks."""
    mine = ownerships_for(user).filter(user=user).order_by("journey_map__title", "role", "id")
    touchpoint_rows = [o for o in mine if o.touchpoint_id]
    slas = {
        s.touchpoint_id: s for s in SLA.objects.filter(touchpoint_id__in=[o.touchpoint_id for o in touchpoint_rows])
    }
    for o in touchpoint_rows:
        o.sla_label = format_duration(slas[o.touchpoint_id].response_target) if o.touchpoint_id in slas else ""
    open_cases = list(
        HandoffCase.objects.for_user(user)
        .filter(handoff__to_owner=user, completed_at__isnull=True)
        .select_related("handoff__from_touchpoint", "handoff__to_touchpoint", "handoff__journey_map")
        .order_by("due_at")[:50]
    )
    playbooks = list(
        Playbook.objects.for_user(user)
        .filter(owner=user)
        .select_related("journey_map", "stage", "touchpoint")
        .order_by("journey_map__title", "name")
    )
    return {
        "touchpoints": touchpoint_rows,
        "stages": [o for o in mine if o.stage_id],
        "open_cases": open_cases,
        "playbooks": playbooks,
    }


def handoffs_of_map(journey_map: JourneyMap) -> list[Handoff]:
    open_cases = HandoffCase.objects.filter(completed_at__isnull=True).order_by("due_at")
    handoffs = list(
        Handoff.objects.filter(journey_map=journey_map)
        .select_related("from_touchpoint__stage", "to_touchpoint__stage", "from_owner", "to_owner")
        .prefetch_related(Prefetch("cases", queryset=open_cases, to_attr="open_cases"))
        .annotate(n_cases=Count("cases"), n_breached=Count("cases", filter=Q(cases__breached_at__isnull=False)))
        .order_by("from_touchpoint__stage__position", "from_touchpoint__position", "id")
    )
    for h in handoffs:
        h.target_label = format_duration(h.response_target)
    return handoffs


def breaches_for(user, *, journey_map: JourneyMap | None = None) -> QuerySet[HandoffCase]:
    queryset = (
        HandoffCase.objects.for_user(user)
        .filter(breached_at__isnull=False)
        .select_related(
            "handoff__journey_map", "handoff__from_touchpoint", "handoff__to_touchpoint", "handoff__to_owner"
        )
        .order_by("-breached_at", "-id")
    )
    if journey_map is not None:
        queryset = queryset.filter(handoff__journey_map=journey_map)
    return queryset


def playbooks_of_map(journey_map: JourneyMap) -> list[Playbook]:
    return list(
        Playbook.objects.filter(journey_map=journey_map)
        .select_related("owner", "stage", "touchpoint__stage")
        .order_by("name")
    )


def stages_of(journey_map: JourneyMap) -> QuerySet[Stage]:
    return Stage.objects.filter(journey_map=journey_map).order_by("position", "id")


def backstage_lane(journey_map: JourneyMap, stage_keys: list[str]) -> dict[str, list]:
    """Lane source: the accountable owners of each stage and of its touchpoints, in one query."""
    rows = (
        Ownership.objects.filter(journey_map=journey_map, role=Ownership.Role.ACCOUNTABLE)
        .select_related("user", "stage", "touchpoint__stage")
        .order_by("touchpoint__position", "id")
    )
    by_stage: dict[str, list] = {}
    for o in rows:
        stage = o.stage if o.stage_id else o.touchpoint.stage
        what = stage.name if o.stage_id else o.touchpoint.name
        # A stage's own owner first, then the touchpoints' in their order on the map.
        items = by_stage.setdefault(str(stage.key), [])
        item = LaneItem(display_name(o.user), gettext("Accountable: %(what)s") % {"what": what})
        if o.stage_id:
            items.insert(0, item)
        else:
            items.append(item)
    return {key: items for key, items in by_stage.items() if key in stage_keys}


def register_extensions() -> None:
    """Put owners on the map page, in map health and in the backstage lane (called from ``OwnersConfig.ready``)."""
    from journeys.extensions import register_health_check, register_lane_source, register_map_annotator

    from .cards import stage_owner_html, touchpoint_owner_html

    register_map_annotator(annotate_map, touchpoint_html=touchpoint_owner_html, stage_html=stage_owner_html)
    register_health_check(owner_health)
    register_lane_source("backstage", backstage_lane)


MARKDOWN_TAGS = {
    "p", "br", "hr", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render_markdown(text: str) -> str:
    """Return ``text`` as HTML with only harmless tags and links kept (no scripts, no handlers)."""
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"])
    return mark_safe(nh3.clean(html, tags=MARKDOWN_TAGS, link_rel="noopener noreferrer nofollow"))

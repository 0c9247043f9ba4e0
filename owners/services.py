"""State-changing operations on owners, SLAs, hand-offs and playbooks.

Views, the API, the Django admin and the SLA sweep all call these. Each checks the actor's role
in the map's team (``actor=None`` is the system; Django superusers manage everything) and that
every person named is a member of that team.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from journeys.models import JourneyMap, Stage, Touchpoint
from teams.access import check_actor
from teams.models import Membership
from teams.signals import DomainEvent, domain_event

from . import sla as sla_clock
from .models import SLA, Handoff, HandoffCase, Ownership, Playbook

User = get_user_model()


# --- helpers -------------------------------------------------------------------------------


def _stamp(instance, actor) -> None:
    """Record ``actor`` as the author of the history row this save writes."""
    if isinstance(actor, AbstractBaseUser):
        instance._history_user = actor


def _require_member(user, team_id: int, field: str = "user") -> None:
    if user is None:
        return
    if not Membership.objects.filter(team_id=team_id, user=user).exists():
        raise ValidationError(
            {field: gettext("%(user)s is not a member of this map's team.") % {"user": user.get_username()}}
        )


def _map_of(*, touchpoint: Touchpoint | None = None, stage: Stage | None = None) -> JourneyMap:
    if touchpoint is not None:
        return touchpoint.stage.journey_map
    if stage is not None:
        return stage.journey_map
    raise ValidationError({"touchpoint": gettext("Choose a touchpoint or a stage.")})


def _link(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- ownership -----------------------------------------------------------------------------


@transaction.atomic
def ownership_assign(
    *,
    actor,
    user,
    touchpoint: Touchpoint | None = None,
    stage: Stage | None = None,
    role: str = Ownership.Role.ACCOUNTABLE,
) -> Ownership:
    """Give ``user`` a role on a touchpoint or a stage; a new accountable owner replaces the old one.

    The accountable row is changed in place under a lock on its touchpoint (or stage), so two
    people assigning at once leave exactly one accountable owner and the history shows who
    replaced whom.
    """
    if (touchpoint is None) == (stage is None):
        raise ValidationError({"touchpoint": gettext("Choose either a touchpoint or a stage.")})
    if role not in Ownership.Role.values:
        raise ValidationError(
            {"role": gettext("Choose one of %(choices)s.") % {"choices": ", ".join(Ownership.Role.values)}}
        )
    journey_map = _map_of(touchpoint=touchpoint, stage=stage)
    check_actor(actor, journey_map.team_id)
    if user is None:
        raise ValidationError({"user": gettext("Choose a team member.")})
    _require_member(user, journey_map.team_id)

    target = {"touchpoint": touchpoint} if touchpoint is not None else {"stage": stage}
    # Serialise writers on the same touchpoint/stage: the lock is held until the transaction ends.
    (Touchpoint if touchpoint is not None else Stage).objects.select_for_update().filter(
        pk=(touchpoint or stage).pk
    ).first()
    existing = Ownership.objects.filter(**target, role=role, user=user).first()
    if existing is not None:
        return existing
    if role == Ownership.Role.ACCOUNTABLE:
        current = Ownership.objects.filter(**target, role=role).first()
        if current is not None:
            current.user = user
            _stamp(current, actor)
            current.save(update_fields=["user"])
            return current
    ownership = Ownership(journey_map=journey_map, user=user, role=role, **target)
    _stamp(ownership, actor)
    try:
        with transaction.atomic():
            ownership.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"user": gettext("Someone else changed this owner at the same time; try again.")}
        ) from exc
    return ownership


@transaction.atomic
def ownership_remove(*, actor, ownership: Ownership) -> None:
    """Remove one person's role on a touchpoint or stage."""
    check_actor(actor, ownership.journey_map.team_id)
    _stamp(ownership, actor)
    ownership.delete()


@transaction.atomic
def ownership_reassign_accountable(*, actor, touchpoints: Iterable[Touchpoint], user) -> int:
    """Make ``user`` the accountable owner of every touchpoint given; return how many changed.

    All or nothing: if ``user`` is not a member of one touchpoint's team, nothing changes.
    """
    touchpoints = list(
        Touchpoint.objects.select_related("stage__journey_map").filter(pk__in=[t.pk for t in touchpoints])
    )
    team_ids = {t.stage.journey_map.team_id for t in touchpoints}
    for team_id in team_ids:
        check_actor(actor, team_id)
    member_of = set(Membership.objects.filter(user=user, team_id__in=team_ids).values_list("team_id", flat=True))
    outside = sorted(team_ids - member_of)
    if outside:
        raise ValidationError(
            {
                "user": gettext("%(user)s is not a member of every team of these touchpoints.")
                % {"user": user.get_username()}
            }
        )
    list(Touchpoint.objects.select_for_update().filter(pk__in=[t.pk for t in touchpoints]).values_list("pk"))
    current = {
        o.touchpoint_id: o
        for o in Ownership.objects.filter(touchpoint__in=touchpoints, role=Ownership.Role.ACCOUNTABLE)
    }
    changed = 0
    for touchpoint in touchpoints:
        ownership = current.get(touchpoint.pk)
        if ownership is not None and ownership.user_id == user.pk:
            continue
        if ownership is None:
            ownership = Ownership(
                journey_map=touchpoint.stage.journey_map,
                touchpoint=touchpoint,
                user=user,
                role=Ownership.Role.ACCOUNTABLE,
            )
        else:
            ownership.user = user
        _stamp(ownership, actor)
        ownership.save()
        changed += 1
    return changed


# --- SLAs ----------------------------------------------------------------------------------


def _positive(value: timedelta | None, field: str, *, allow_zero: bool = False) -> timedelta:
    if value is None:
        raise ValidationError({field: gettext("Give a duration, e.g. 48:00:00 for 48 hours.")})
    if value < timedelta(0) or (value == timedelta(0) and not allow_zero):
        raise ValidationError(
            {field: gettext("Give a duration longer than zero.") if not allow_zero else gettext("Cannot be negative.")}
        )
    return value


@transaction.atomic
def sla_set(
    *,
    actor,
    touchpoint: Touchpoint,
    response_target: timedelta,
    business_hours: bool = False,
    escalation_delay: timedelta = timedelta(hours=24),
) -> SLA:
    """Create or change the touchpoint's SLA."""
    check_actor(actor, touchpoint.stage.journey_map.team_id)
    _positive(response_target, "response_target")
    _positive(escalation_delay, "escalation_delay", allow_zero=True)
    sla = SLA.objects.select_for_update().filter(touchpoint=touchpoint).first() or SLA(touchpoint=touchpoint)
    sla.response_target = response_target
    sla.business_hours = business_hours
    sla.escalation_delay = escalation_delay
    _stamp(sla, actor)
    sla.save()
    return sla


@transaction.atomic
def sla_remove(*, actor, sla: SLA) -> None:
    check_actor(actor, sla.touchpoint.stage.journey_map.team_id)
    _stamp(sla, actor)
    sla.delete()


@transaction.atomic
def touchpoint_owner_update(
    *,
    actor,
    touchpoint: Touchpoint,
    accountable=None,
    response_target: timedelta | None = None,
    business_hours: bool = False,
    escalation_delay: timedelta | None = None,
) -> None:
    """Set a touchpoint's accountable owner and SLA together (None clears either), all or nothing."""
    check_actor(actor, touchpoint.stage.journey_map.team_id)
    if accountable is not None:
        ownership_assign(actor=actor, touchpoint=touchpoint, user=accountable)
    else:
        for ownership in Ownership.objects.filter(touchpoint=touchpoint, role=Ownership.Role.ACCOUNTABLE):
            ownership_remove(actor=actor, ownership=ownership)
    if response_target is not None:
        sla_set(
            actor=actor,
            touchpoint=touchpoint,
            response_target=response_target,
            business_hours=business_hours,
            escalation_delay=escalation_delay if escalation_delay is not None else timedelta(hours=24),
        )
    else:
        for sla in SLA.objects.filter(touchpoint=touchpoint):
            sla_remove(actor=actor, sla=sla)


# --- hand-offs -----------------------------------------------------------------------------


def _accountable_user(touchpoint: Touchpoint):
    ownership = (
        Ownership.objects.select_related("user").filter(touchpoint=touchpoint, role=Ownership.Role.ACCOUNTABLE).first()
    )
    return ownership.user if ownership else None


@dataclass
class HandoffInput:
    from_touchpoint: Touchpoint
    to_touchpoint: Touchpoint
    from_owner: object = None
    to_owner: object = None
    response_target: timedelta = timedelta(hours=24)
    business_hours: bool = False
    escalation_delay: timedelta = timedelta(hours=24)
    notes: str = ""


def _validate_handoff(data: HandoffInput) -> JourneyMap:
    journey_map = data.from_touchpoint.stage.journey_map
    if data.to_touchpoint.stage.journey_map_id != journey_map.pk:
        raise ValidationError({"to_touchpoint": gettext("Hand off to a touchpoint of the same map.")})
    if data.from_touchpoint.pk == data.to_touchpoint.pk:
        raise ValidationError({"to_touchpoint": gettext("Hand off to a different touchpoint.")})
    _require_member(data.from_owner, journey_map.team_id, "from_owner")
    _require_member(data.to_owner, journey_map.team_id, "to_owner")
    _positive(data.response_target, "response_target")
    _positive(data.escalation_delay, "escalation_delay", allow_zero=True)
    limit = Handoff._meta.get_field("notes").max_length
    if len(data.notes or "") > limit:
        raise ValidationError({"notes": gettext("At most %(limit)s characters.") % {"limit": limit}})
    return journey_map


@transaction.atomic
def handoff_create(*, actor, **fields) -> Handoff:
    """Create a hand-off; owners default to the accountable owners of its two touchpoints."""
    data = HandoffInput(**fields)
    journey_map = data.from_touchpoint.stage.journey_map
    check_actor(actor, journey_map.team_id)
    data.from_owner = data.from_owner or _accountable_user(data.from_touchpoint)
    data.to_owner = data.to_owner or _accountable_user(data.to_touchpoint)
    _validate_handoff(data)
    handoff = Handoff(journey_map=journey_map, **vars(data))
    _stamp(handoff, actor)
    try:
        with transaction.atomic():
            handoff.save()
    except IntegrityError as exc:
        raise ValidationError({"to_touchpoint": gettext("These two touchpoints already have a hand-off.")}) from exc
    return handoff


@transaction.atomic
def handoff_update(*, actor, handoff: Handoff, **fields) -> Handoff:
    check_actor(actor, handoff.journey_map.team_id)
    handoff = Handoff.objects.select_for_update().get(pk=handoff.pk)
    current = {f: getattr(handoff, f) for f in HandoffInput.__dataclass_fields__}
    data = HandoffInput(**{**current, **fields})
    _validate_handoff(data)
    for name, value in vars(data).items():
        setattr(handoff, name, value)
    _stamp(handoff, actor)
    try:
        with transaction.atomic():
            handoff.save()
    except IntegrityError as exc:
        raise ValidationError({"to_touchpoint": gettext("These two touchpoints already have a hand-off.")}) from exc
    return handoff


@transaction.atomic
def handoff_delete(*, actor, handoff: Handoff) -> None:
    check_actor(actor, handoff.journey_map.team_id)
    _stamp(handoff, actor)
    handoff.delete()


@transaction.atomic
def handoff_case_open(
    *, actor, handoff: Handoff, reference: str = "", started_at: datetime | None = None
) -> HandoffCase:
    """Pass one case along the hand-off; it is due by the hand-off's SLA from ``started_at``."""
    team = handoff.journey_map.team
    check_actor(actor, team.pk)
    started_at = started_at or timezone.now()
    if timezone.is_naive(started_at):
        raise ValidationError({"started_at": gettext("Give the time with its time zone.")})
    due_at = sla_clock.sla_due_at(
        started_at,
        handoff.response_target,
        business_hours=handoff.business_hours,
        hours=sla_clock.working_hours_for(team),
    )
    case = HandoffCase(
        handoff=handoff,
        reference=(reference or "").strip()[:200],
        started_at=started_at,
        due_at=due_at,
        opened_by=actor if isinstance(actor, AbstractBaseUser) else None,
    )
    _stamp(case, actor)
    case.save()
    return case


@transaction.atomic
def handoff_case_complete(*, actor, case: HandoffCase) -> HandoffCase:
    """Mark the case picked up; completing twice keeps the first time."""
    check_actor(actor, case.handoff.journey_map.team_id)
    case = HandoffCase.objects.select_for_update().get(pk=case.pk)
    if case.completed_at is None:
        case.completed_at = timezone.now()
        case.completed_by = actor if isinstance(actor, AbstractBaseUser) else None
        _stamp(case, actor)
        case.save(update_fields=["completed_at", "completed_by"])
    return case


@transaction.atomic
def handoff_case_update(*, actor, case: HandoffCase, reference: str) -> HandoffCase:
    """Correct a case's reference; its times follow from the hand-off and are not edited."""
    check_actor(actor, case.handoff.journey_map.team_id)
    case.reference = (reference or "").strip()[:200]
    _stamp(case, actor)
    case.save(update_fields=["reference"])
    return case


@transaction.atomic
def handoff_case_delete(*, actor, case: HandoffCase) -> None:
    check_actor(actor, case.handoff.journey_map.team_id)
    _stamp(case, actor)
    case.delete()


# --- playbooks -----------------------------------------------------------------------------

PLAYBOOK_FIELDS = ("name", "trigger", "steps", "owner", "stage", "touchpoint")


def _validate_playbook(playbook: Playbook) -> None:
    if not (playbook.name or "").strip():
        raise ValidationError({"name": gettext("Give the playbook a name.")})
    if playbook.stage_id and playbook.touchpoint_id:
        raise ValidationError({"touchpoint": gettext("Attach the playbook to a stage or a touchpoint, not both.")})
    if playbook.stage_id and playbook.stage.journey_map_id != playbook.journey_map_id:
        raise ValidationError({"stage": gettext("Choose a stage of this map.")})
    if playbook.touchpoint_id and playbook.touchpoint.stage.journey_map_id != playbook.journey_map_id:
        raise ValidationError({"touchpoint": gettext("Choose a touchpoint of this map.")})
    _require_member(playbook.owner, playbook.journey_map.team_id, "owner")


@transaction.atomic
def playbook_create(*, actor, journey_map: JourneyMap, name: str, **fields) -> Playbook:
    """Write down a branch of the journey: its trigger, steps (Markdown) and owner."""
    check_actor(actor, journey_map.team_id)
    playbook = Playbook(journey_map=journey_map, name=(name or "").strip(), **fields)
    _validate_playbook(playbook)
    _stamp(playbook, actor)
    playbook.save()
    return playbook


@transaction.atomic
def playbook_update(*, actor, playbook: Playbook, **fields) -> Playbook:
    check_actor(actor, playbook.journey_map.team_id)
    unknown = set(fields) - set(PLAYBOOK_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: gettext("This field cannot be changed.")})
    for name, value in fields.items():
        setattr(playbook, name, value.strip() if name == "name" and value else value)
    playbook.updated_at = timezone.now()
    _validate_playbook(playbook)
    _stamp(playbook, actor)
    playbook.save()
    return playbook


@transaction.atomic
def playbook_delete(*, actor, playbook: Playbook) -> None:
    check_actor(actor, playbook.journey_map.team_id)
    _stamp(playbook, actor)
    playbook.delete()


# --- the SLA sweep -------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    breached: int
    escalated: int
    notified: int


def _case_label(case: dict) -> str:
    """The label of a hand-off case read as a row (``handoff_cases_sweep``)."""
    ref = f" ({case['reference']})" if case["reference"] else ""
    return gettext("Hand-off %(from)s → %(to)s%(reference)s on %(map)s") % {
        "from": case["handoff__from_touchpoint__name"],
        "to": case["handoff__to_touchpoint__name"],
        "reference": ref,
        "map": case["handoff__journey_map__title"],
    }


def _case_language(case: dict, *, owner: bool) -> str:
    """The language of a sweep email: the owner's own choice (for a breach), else the team's default."""
    own = case["handoff__to_owner__waymark_preference__language"] if owner else ""
    return own or case["handoff__journey_map__team__language"] or ""


def _claim(queryset, field: str, now: datetime) -> list[int]:
    """Stamp ``field`` with ``now`` on the rows still unstamped; return the ids this call stamped.

    The ids are selected under ``SKIP LOCKED`` (PostgreSQL) and the UPDATE repeats the ``IS NULL``
    condition, so two sweeps running at once never stamp, and so never notify, the same row twice.
    """
    ids = list(queryset.select_for_update(skip_locked=True).values_list("pk", flat=True))
    if not ids:
        return []
    HandoffCase.objects.filter(pk__in=ids, **{f"{field}__isnull": True}).update(**{field: now})
    return ids


def handoff_cases_sweep(*, now: datetime | None = None) -> SweepResult:
    """Record every overdue hand-off case once, email its owner, and escalate once to team admins.

    Set-based: one SELECT and one UPDATE per kind (breach, escalation), one query for the
    details of the rows claimed (plain rows of the columns the emails use) and one for the team admins,
    whatever the number of cases. Each recipient gets one email per sweep listing their breaches
    (and one listing the escalations); the webhook events go out with one ``domain_event`` send per team.
    """
    now = now or timezone.now()
    with transaction.atomic():
        breached_ids = _claim(
            HandoffCase.objects.filter(completed_at__isnull=True, breached_at__isnull=True, due_at__lt=now),
            "breached_at",
            now,
        )
        escalated_ids = _claim(
            HandoffCase.objects.filter(completed_at__isnull=True, escalated_at__isnull=True, breached_at__isnull=False)
            .exclude(pk__in=breached_ids)
            .alias(escalate_at=F("breached_at") + F("handoff__escalation_delay"))
            .filter(escalate_at__lte=now),
            "escalated_at",
            now,
        )
        # A case whose escalation delay is zero escalates in the same sweep that breaches it.
        immediate = _claim(
            HandoffCase.objects.filter(
                pk__in=breached_ids, escalated_at__isnull=True, handoff__escalation_delay__lte=timedelta(0)
            ),
            "escalated_at",
            now,
        )
        escalated_ids += immediate
        cases = {
            row["pk"]: row
            for row in HandoffCase.objects.filter(pk__in=[*breached_ids, *escalated_ids]).values(
                "pk",
                "reference",
                "due_at",
                "breached_at",
                "handoff_id",
                "handoff__journey_map_id",
                "handoff__journey_map__title",
                "handoff__journey_map__team_id",
                "handoff__from_touchpoint__name",
                "handoff__to_touchpoint__name",
                "handoff__to_owner_id",
                "handoff__to_owner__email",
                "handoff__to_owner__username",
                "handoff__to_owner__waymark_preference__language",
                "handoff__journey_map__team__language",
            )
        }
        admins = sla_clock.team_admin_emails({c["handoff__journey_map__team_id"] for c in cases.values()})
        notifications = []
        by_team: dict[int, list[dict]] = {}
        links: dict[tuple[str, int], str] = {}  # one reverse() per page and map, not per case

        def link(name: str, map_id: int) -> str:
            if (name, map_id) not in links:
                links[name, map_id] = _link(name, map_id)
            return links[name, map_id]

        for pk in breached_ids:
            case = cases[pk]
            map_id = case["handoff__journey_map_id"]
            language = _case_language(case, owner=True)
            with translation.override(language or None):
                notifications.append(
                    sla_clock.notify_breach(
                        recipient=case["handoff__to_owner__email"],
                        what=_case_label(case),
                        due_at=case["due_at"],
                        link=link("owners:owners_handoffs", map_id),
                        language=language,
                    )
                )
            by_team.setdefault(case["handoff__journey_map__team_id"], []).append(
                {
                    "handoff_case": pk,
                    "handoff": case["handoff_id"],
                    "map": map_id,
                    "reference": case["reference"],
                    "due_at": case["due_at"].isoformat(),
                    "breached_at": now.isoformat(),
                    "owner": case["handoff__to_owner_id"],
                }
            )
        for team_id, items in by_team.items():
            domain_event.send(sender=HandoffCase, team_id=team_id, event=DomainEvent.HANDOFF_BREACHED, items=items)
        for pk in escalated_ids:
            case = cases[pk]
            language = _case_language(case, owner=False)
            with translation.override(language or None):
                notifications.append(
                    sla_clock.notify_escalation(
                        recipients=admins.get(case["handoff__journey_map__team_id"], []),
                        what=_case_label(case),
                        owner=case["handoff__to_owner__username"] or "",
                        breached_at=case["breached_at"] or now,
                        link=link("owners:owners_breaches", case["handoff__journey_map_id"]),
                        language=language,
                    )
                )
    # Emails go out once the stamps are committed, so a rolled-back sweep sends nothing.
    sent = sla_clock.notify(sla_clock.notify_digest(notifications))
    return SweepResult(breached=len(breached_ids), escalated=len(escalated_ids), notified=sent)


def sla_sweep(*, now: datetime | None = None) -> SweepResult:
    """Run the hand-off cases' sweep and every sweep registered by apps to the right; add them up."""
    from .extensions import sla_sweeps

    now = now or timezone.now()
    results = [handoff_cases_sweep(now=now), *(fn(now=now) for fn in sla_sweeps)]
    return SweepResult(
        breached=sum(r.breached for r in results),
        escalated=sum(r.escalated for r in results),
        notified=sum(r.notified for r in results),
    )

"""State-changing operations of reviews: record a review, work its action items, settings, digest.

Views, the API, the admin, the Celery digest task and the demo data all call these.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from experiments.models import Experiment
from journeys.models import JourneyMap, MapVersion, PainPoint, Touchpoint
from teams.access import check_actor, require_role
from teams.models import Membership, Role, Team
from teams.signals import DomainEvent, domain_event

from .models import ActionItem, DigestPreference, Review, ReviewSettings

MAX_ACTION_ITEMS = 30
TEXT_LIMIT = 20_000
UNSUBSCRIBE_SALT = "reviews.digest.unsubscribe"


@dataclass
class ActionItemInput:
    """One action item as a review form or the API sends it."""

    title: str
    owner: object | None = None
    due_date: datetime.date | None = None
    touchpoint: Touchpoint | None = None
    pain_point: PainPoint | None = None
    experiment: Experiment | None = None


def _member_ids(team_id: int) -> set[int]:
    return set(Membership.objects.filter(team_id=team_id).values_list("user_id", flat=True))


def _check_people(team_id: int, *, facilitator=None, attendees: Iterable = (), owners: Iterable = ()) -> None:
    members = _member_ids(team_id)
    errors: dict[str, list[str]] = {}
    if facilitator is not None and facilitator.pk not in members:
        errors["facilitator"] = [gettext("The facilitator must be a member of the team.")]
    if any(a.pk not in members for a in attendees):
        errors["attendees"] = [gettext("Every attendee must be a member of the team.")]
    for index, owner in owners:
        if owner is not None and owner.pk not in members:
            if index is None:
                errors["owner"] = [gettext("The owner must be a member of the team.")]
            else:
                errors.setdefault("action_items", []).append(
                    gettext("Item %(number)s: the owner must be a member of the team.") % {"number": index + 1}
                )
    if errors:
        raise ValidationError(errors)


def _clean_item(journey_map: JourneyMap, data: ActionItemInput, index: int | None) -> ActionItemInput:
    """Check one action item; errors name its field (or, in a review's list, the item's number)."""

    def fail(field: str, message: str):
        if index is None:
            raise ValidationError({field: [message[:1].upper() + message[1:]]})
        raise ValidationError(
            {"action_items": [gettext("Item %(number)s: %(message)s") % {"number": index + 1, "message": message}]}
        )

    title = (data.title or "").strip()
    if not title:
        fail("title", gettext("give the action item a title."))
    if len(title) > 300:
        fail("title", gettext("keep the title under 300 characters."))
    if data.touchpoint is not None and data.touchpoint.stage.journey_map_id != journey_map.pk:
        fail("touchpoint", gettext("the touchpoint is not on this map."))
    if data.pain_point is not None and data.pain_point.touchpoint.stage.journey_map_id != journey_map.pk:
        fail("pain_point", gettext("the pain point is not on this map."))
    if data.experiment is not None and data.experiment.team_id != journey_map.team_id:
        fail("experiment", gettext("the experiment belongs to another team."))
    return ActionItemInput(
        title=title,
        owner=data.owner,
        due_date=data.due_date,
        touchpoint=data.touchpoint,
        pain_point=data.pain_point,
        experiment=data.experiment,
    )


def _covers_until(date: datetime.date, now: datetime.datetime) -> datetime.datetime:
    """Return the end of the period a review on ``date`` covers: now, or the end of a past day."""
    if date >= timezone.localdate(now):
        return now
    end = datetime.datetime.combine(date + datetime.timedelta(days=1), datetime.time.min)
    return min(now, timezone.make_aware(end))


def review_record(
    *,
    journey_map: JourneyMap,
    actor,
    date: datetime.date | None = None,
    kind: str = Review.Kind.WEEKLY,
    facilitator=None,
    attendees: Iterable = (),
    notes: str = "",
    decisions: str = "",
    map_version: MapVersion | None = None,
    action_items: Iterable[ActionItemInput] = (),
    close_items: Iterable[ActionItem] = (),
    now: datetime.datetime | None = None,
) -> Review:
    """Record a review of ``journey_map`` with its new action items; close the carried-over ones done.

    Everything is written in one transaction and announced as ``review.recorded``.
    """
    check_actor(actor, journey_map.team_id)
    now = now or timezone.now()
    date = date or timezone.localdate(now)
    attendees = list(attendees)
    action_items = list(action_items)
    close_items = list(close_items)
    errors: dict[str, list[str]] = {}
    if kind not in Review.Kind.values:
        errors["kind"] = [gettext("Choose one of: %(values)s.") % {"values": ", ".join(Review.Kind.values)}]
    if date > timezone.localdate(now):
        errors["date"] = [gettext("A review cannot be recorded for a future date.")]
    if len(notes) > TEXT_LIMIT:
        errors["notes"] = [gettext("Keep the notes under %(limit)s characters.") % {"limit": TEXT_LIMIT}]
    if len(decisions) > TEXT_LIMIT:
        errors["decisions"] = [gettext("Keep the decisions under %(limit)s characters.") % {"limit": TEXT_LIMIT}]
    if len(action_items) > MAX_ACTION_ITEMS:
        errors["action_items"] = [
            gettext("Record at most %(limit)s action items at once.") % {"limit": MAX_ACTION_ITEMS}
        ]
    if map_version is not None and map_version.journey_map_id != journey_map.pk:
        errors["map_version"] = [gettext("That version belongs to another map.")]
    if any(item.review.journey_map_id != journey_map.pk for item in close_items):
        errors["close_items"] = [gettext("Only this map's action items can be closed here.")]
    if errors:
        raise ValidationError(errors)
    cleaned = [_clean_item(journey_map, item, i) for i, item in enumerate(action_items)]
    _check_people(
        journey_map.team_id,
        facilitator=facilitator,
        attendees=attendees,
        owners=[(i, item.owner) for i, item in enumerate(cleaned)],
    )
    if map_version is None:
        map_version = MapVersion.objects.filter(journey_map=journey_map).order_by("-number").first()

    with transaction.atomic():
        review = Review.objects.create(
            journey_map=journey_map,
            date=date,
            kind=kind,
            facilitator=facilitator,
            notes=notes.strip(),
            decisions=decisions.strip(),
            map_version=map_version,
            covers_until=_covers_until(date, now),
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
            updated_at=now,
        )
        if attendees:
            review.attendees.set(attendees)
        ActionItem.objects.bulk_create(
            [
                ActionItem(
                    review=review,
                    title=item.title,
                    owner=item.owner,
                    due_date=item.due_date,
                    touchpoint=item.touchpoint,
                    pain_point=item.pain_point,
                    experiment=item.experiment,
                    position=position,
                    created_at=now,
                )
                for position, item in enumerate(cleaned)
            ]
        )
        closed = ActionItem.objects.filter(pk__in=[i.pk for i in close_items], done=False).update(
            done=True, done_at=now
        )
        domain_event.send(
            sender=Review,
            team_id=journey_map.team_id,
            event=DomainEvent.REVIEW_RECORDED,
            items=[
                {
                    "review": {"id": review.pk, "date": date.isoformat(), "kind": kind},
                    "map": {"id": journey_map.pk, "title": journey_map.title},
                    "map_version": map_version.number if map_version else None,
                    "recorded_by": getattr(actor, "username", None),
                    "action_items": [
                        {
                            "title": item.title,
                            "owner": item.owner.get_username() if item.owner else None,
                            "due_date": item.due_date.isoformat() if item.due_date else None,
                        }
                        for item in cleaned
                    ],
                    "closed_action_items": closed,
                }
            ],
        )
    return review


def review_update(*, review: Review, actor, attendees: Iterable | None = None, **fields) -> Review:
    """Change a recorded review's date, kind, facilitator, notes, decisions or attendees."""
    team_id = review.journey_map.team_id
    check_actor(actor, team_id)
    allowed = {"date", "kind", "facilitator", "notes", "decisions"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: [gettext("This field cannot be changed.")] for name in sorted(unknown)})
    if "kind" in fields and fields["kind"] not in Review.Kind.values:
        raise ValidationError(
            {"kind": [gettext("Choose one of: %(values)s.") % {"values": ", ".join(Review.Kind.values)}]}
        )
    if "date" in fields and fields["date"] > timezone.localdate():
        raise ValidationError({"date": [gettext("A review cannot be recorded for a future date.")]})
    for name in ("notes", "decisions"):
        if name in fields and len(fields[name] or "") > TEXT_LIMIT:
            message = (
                gettext("Keep the notes under %(limit)s characters.")
                if name == "notes"
                else gettext("Keep the decisions under %(limit)s characters.")
            )
            raise ValidationError({name: [message % {"limit": TEXT_LIMIT}]})
    attendees = list(attendees) if attendees is not None else None
    _check_people(team_id, facilitator=fields.get("facilitator"), attendees=attendees or ())
    with transaction.atomic():
        for name, value in fields.items():
            setattr(review, name, value.strip() if isinstance(value, str) else value)
        review.updated_at = timezone.now()
        review.save()
        if attendees is not None:
            review.attendees.set(attendees)
    return review


def review_delete(*, review: Review, actor) -> None:
    check_actor(actor, review.journey_map.team_id)
    review.delete()


def action_item_create(*, review: Review, actor, item: ActionItemInput) -> ActionItem:
    """Add an action item to a recorded review."""
    journey_map = review.journey_map
    check_actor(actor, journey_map.team_id)
    cleaned = _clean_item(journey_map, item, None)
    _check_people(journey_map.team_id, owners=[(None, cleaned.owner)])
    position = review.action_items.count()
    return ActionItem.objects.create(
        review=review,
        title=cleaned.title,
        owner=cleaned.owner,
        due_date=cleaned.due_date,
        touchpoint=cleaned.touchpoint,
        pain_point=cleaned.pain_point,
        experiment=cleaned.experiment,
        position=position,
    )


def action_item_update(*, item: ActionItem, actor, **fields) -> ActionItem:
    """Change an action item; ``done`` stamps or clears ``done_at``."""
    journey_map = item.review.journey_map
    check_actor(actor, journey_map.team_id)
    allowed = {"title", "owner", "due_date", "touchpoint", "pain_point", "experiment", "done"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: [gettext("This field cannot be changed.")] for name in sorted(unknown)})
    merged = ActionItemInput(
        title=fields.get("title", item.title),
        owner=fields.get("owner", item.owner),
        due_date=fields.get("due_date", item.due_date),
        touchpoint=fields.get("touchpoint", item.touchpoint),
        pain_point=fields.get("pain_point", item.pain_point),
        experiment=fields.get("experiment", item.experiment),
    )
    cleaned = _clean_item(journey_map, merged, None)
    _check_people(journey_map.team_id, owners=[(None, cleaned.owner)])
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().get(pk=item.pk)
        for name in ("title", "owner", "due_date", "touchpoint", "pain_point", "experiment"):
            setattr(item, name, getattr(cleaned, name))
        if "done" in fields and bool(fields["done"]) != item.done:
            item.done = bool(fields["done"])
            item.done_at = timezone.now() if item.done else None
        item.save()
    return item


def action_item_set_done(*, item: ActionItem, actor, done: bool) -> ActionItem:
    return action_item_update(item=item, actor=actor, done=done)


def action_item_delete(*, item: ActionItem, actor) -> None:
    check_actor(actor, item.review.journey_map.team_id)
    item.delete()


def review_settings_update(*, team: Team, actor, **fields) -> ReviewSettings:
    """Change the team's review cadence and digest schedule (team admins)."""
    if actor is not None:
        require_role(actor, team.pk, Role.ADMIN)
    allowed = {"review_cadence_days", "digest_enabled", "digest_weekday", "digest_hour"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: [gettext("This field cannot be changed.")] for name in sorted(unknown)})
    with transaction.atomic():
        settings, _ = ReviewSettings.objects.select_for_update().get_or_create(team=team)
        for name, value in fields.items():
            setattr(settings, name, value)
        settings.updated_at = timezone.now()
        settings.full_clean(exclude=["team"])
        settings.save()
    return settings


# --- the digest -----------------------------------------------------------------------------


def unsubscribe_token(user) -> str:
    """Return the signed token of ``user``'s one-click unsubscribe link (it never expires)."""
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def user_from_unsubscribe_token(token: str):
    """Return the user a token was made for, or None when it is forged or the user is gone."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return get_user_model().objects.filter(pk=data.get("u") if isinstance(data, dict) else None).first()


def digest_subscription_set(*, actor, subscribed: bool) -> DigestPreference:
    """Subscribe ``actor`` to the weekly digest again, or unsubscribe them (idempotent)."""
    preference, _ = DigestPreference.objects.update_or_create(
        user=actor, defaults={"unsubscribed": not subscribed, "updated_at": timezone.now()}
    )
    return preference


def digest_is_due(settings: ReviewSettings, now: datetime.datetime) -> bool:
    """Return whether the team's digest should go out at ``now`` (its day and hour, not yet sent)."""
    from owners.sla import working_hours_for

    local = now.astimezone(working_hours_for(settings.team).tzinfo)
    return (
        settings.digest_enabled
        and local.isoweekday() == settings.digest_weekday
        and local.hour >= settings.digest_hour
        and settings.digest_last_sent_on != local.date()
    )


def digest_claim(*, team: Team, now: datetime.datetime) -> bool:
    """Mark the team's digest of today as sent; return False when another run already did."""
    from owners.sla import working_hours_for

    local_day = now.astimezone(working_hours_for(team).tzinfo).date()
    settings, _ = ReviewSettings.objects.get_or_create(team=team)
    claimed = (
        ReviewSettings.objects.filter(pk=settings.pk)
        .exclude(digest_last_sent_on=local_day)
        .update(digest_last_sent_on=local_day)
    )
    return bool(claimed)

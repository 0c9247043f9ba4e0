"""Writes of discussions: threads, comments, resolving, notifications and presence.

Every service takes ``actor=`` (a person or an API key) and checks the role itself: commenting,
resolving and reopening need the editor role in the map's team (as every write to a map does);
reading one's own notifications and being present on a map need only membership.
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys.models import JourneyMap, MapVersion, PainPoint, Stage, Touchpoint
from teams.access import check_actor, role_for
from teams.models import Role

from .mentions import mentioned_members
from .models import BODY_LIMIT, Comment, Notification, Presence, Thread

logger = logging.getLogger(__name__)

# Presence: the page says "here" every POLL seconds; a row not refreshed for TTL is someone who left.
PRESENCE_POLL = datetime.timedelta(seconds=10)
PRESENCE_TTL = datetime.timedelta(seconds=30)


def person_of(actor):
    """Return the person an actor stands for: themselves, or the creator of an API key."""
    api_key = getattr(actor, "api_key", None)
    if api_key is not None:
        return api_key.created_by
    return actor if actor is not None and getattr(actor, "pk", None) else None


def _clean_body(body) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    if len(body) > BODY_LIMIT:
        raise ValidationError(
            {
                "body": _("A comment holds at most %(limit)s characters; this one has %(n)s.")
                % {"limit": BODY_LIMIT, "n": len(body)}
            }
        )
    return body


def target_of(part) -> tuple[str, JourneyMap, dict]:
    """Return ``(target, map, {field: part})`` for a map, stage, touchpoint, pain point or version."""
    if isinstance(part, JourneyMap):
        return Thread.Target.MAP, part, {}
    if isinstance(part, Stage):
        return Thread.Target.STAGE, part.journey_map, {"stage": part}
    if isinstance(part, Touchpoint):
        return Thread.Target.TOUCHPOINT, part.stage.journey_map, {"touchpoint": part}
    if isinstance(part, PainPoint):
        return Thread.Target.PAIN_POINT, part.touchpoint.stage.journey_map, {"pain_point": part}
    if isinstance(part, MapVersion):
        return Thread.Target.VERSION, part.journey_map, {"version": part}
    raise ValidationError({"target": _("Comments go on a map, a stage, a touchpoint, a pain point or a version.")})


@transaction.atomic
def thread_start(*, actor, part, body: str) -> Thread:
    """Start a thread about ``part`` with its first comment (whose mentions are notified)."""
    target, journey_map, fields = target_of(part)
    check_actor(actor, journey_map.team_id, Role.EDITOR)
    body = _clean_body(body)
    now = timezone.now()
    thread = Thread.objects.create(
        journey_map=journey_map,
        target=target,
        created_by=person_of(actor),
        created_at=now,
        last_comment_at=now,
        **fields,
    )
    _comment_create(thread=thread, actor=actor, body=body, now=now)
    return thread


@transaction.atomic
def comment_add(*, actor, thread: Thread, body: str) -> Comment:
    """Reply in ``thread``; a reply to a resolved thread reopens it (the question is back)."""
    check_actor(actor, thread.journey_map.team_id, Role.EDITOR)
    body = _clean_body(body)
    now = timezone.now()
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    comment = _comment_create(thread=thread, actor=actor, body=body, now=now)
    thread.last_comment_at = now
    fields = ["last_comment_at"]
    if not thread.is_open:
        thread.status, thread.resolved_at, thread.resolved_by = Thread.Status.OPEN, None, None
        fields += ["status", "resolved_at", "resolved_by"]
    thread.save(update_fields=fields)
    return comment


def _comment_create(*, thread: Thread, actor, body: str, now) -> Comment:
    author = person_of(actor)
    comment = Comment.objects.create(thread=thread, author=author, body=body, created_at=now)
    _notify_mentions(comment, mentioned_members(body, team_id=thread.journey_map.team_id), now=now)
    return comment


def _notify_mentions(comment: Comment, people: list, *, now) -> list[Notification]:
    """Record the mentions of ``comment`` and notify those not notified for it yet (never its author)."""
    already = set(comment.mentioned.values_list("pk", flat=True))
    new = [p for p in people if p.pk not in already]
    if new:
        comment.mentioned.add(*new)
    team_id = comment.thread.journey_map.team_id
    notifications = [
        Notification(team_id=team_id, recipient=p, comment=comment, created_at=now)
        for p in new
        if p.pk != comment.author_id
    ]
    if notifications:
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        ids = [n.recipient_id for n in notifications]
        transaction.on_commit(lambda: _queue_emails(comment.pk, ids))
    return notifications


def _queue_emails(comment_id: int, recipient_ids: list[int]) -> None:
    from .tasks import send_mention_emails

    try:
        send_mention_emails.delay(comment_id=comment_id)
    except Exception:  # the broker being down must not lose the comment; the sweep sends them later
        logger.warning("Could not queue mention emails of comment %s for %s", comment_id, recipient_ids, exc_info=True)


def _own(actor, comment: Comment, *, allow_admin: bool) -> None:
    """Refuse a change to someone else's comment (team admins may delete any, for moderation)."""
    team_id = comment.thread.journey_map.team_id
    check_actor(actor, team_id, Role.EDITOR)
    if actor is None or getattr(actor, "is_superuser", False):
        return
    person = person_of(actor)
    if person is not None and person.pk == comment.author_id:
        return
    if allow_admin and getattr(actor, "api_key", None) is None and role_for(actor, team_id) == Role.ADMIN:
        return
    raise PermissionDenied(_("Only its author can change a comment."))


@transaction.atomic
def comment_edit(*, actor, comment: Comment, body: str) -> Comment:
    """Change one's own comment; people it newly mentions are notified, the others not again."""
    _own(actor, comment, allow_admin=False)
    comment.body = _clean_body(body)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    _notify_mentions(
        comment, mentioned_members(comment.body, team_id=comment.thread.journey_map.team_id), now=comment.edited_at
    )
    return comment


@transaction.atomic
def comment_delete(*, actor, comment: Comment) -> Thread | None:
    """Delete one's own comment (an admin: anyone's); a thread left without comments goes too.

    Return the thread when it stays, None when it went with its last comment.
    """
    _own(actor, comment, allow_admin=True)
    thread = comment.thread
    comment.delete()
    if not thread.comments.exists():
        thread.delete()
        return None
    return thread


@transaction.atomic
def thread_resolve(*, actor, thread: Thread) -> Thread:
    """Mark the thread resolved (who and when are kept); resolving a resolved thread changes nothing."""
    check_actor(actor, thread.journey_map.team_id, Role.EDITOR)
    thread = Thread.objects.select_for_update().select_related("journey_map").get(pk=thread.pk)
    if thread.is_open:
        thread.status = Thread.Status.RESOLVED
        thread.resolved_at = timezone.now()
        thread.resolved_by = person_of(actor)
        thread.save(update_fields=["status", "resolved_at", "resolved_by"])
    return thread


@transaction.atomic
def thread_reopen(*, actor, thread: Thread) -> Thread:
    """Open a resolved thread again."""
    check_actor(actor, thread.journey_map.team_id, Role.EDITOR)
    thread = Thread.objects.select_for_update().select_related("journey_map").get(pk=thread.pk)
    if not thread.is_open:
        thread.status, thread.resolved_at, thread.resolved_by = Thread.Status.OPEN, None, None
        thread.save(update_fields=["status", "resolved_at", "resolved_by"])
    return thread


# --- notifications --------------------------------------------------------------------------


def _reader(actor):
    """Notifications belong to a person: an API key has none to read."""
    if actor is None or getattr(actor, "api_key", None) is not None or not getattr(actor, "pk", None):
        raise PermissionDenied(_("Notifications belong to a person; an API key has none."))
    return actor


def notification_mark_read(*, actor, notification: Notification) -> Notification:
    """Mark one of one's own notifications read (another person's is a 404 to the caller's view)."""
    person = _reader(actor)
    if notification.recipient_id != person.pk:
        raise PermissionDenied(_("This is someone else's notification."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor, team_id: int | None = None) -> int:
    """Mark all of one's unread notifications read (in one team, when given); return how many."""
    person = _reader(actor)
    unread = Notification.objects.filter(recipient=person, read_at=None)
    if team_id is not None:
        unread = unread.filter(team_id=team_id)
    return unread.update(read_at=timezone.now())


# --- presence -------------------------------------------------------------------------------


def editing_part(journey_map: JourneyMap, kind: str, part_id: int | None) -> tuple[str, int | None, str]:
    """Return ``(kind, id, name)`` of what someone edits on the map; a part of another map is refused."""
    if not kind:
        return "", None, ""
    if kind == Presence.Part.MAP:
        return kind, journey_map.pk, journey_map.title
    lookups = {
        Presence.Part.STAGE: (Stage, "journey_map", "name"),
        Presence.Part.TOUCHPOINT: (Touchpoint, "stage__journey_map", "name"),
        Presence.Part.PAIN_POINT: (PainPoint, "touchpoint__stage__journey_map", "title"),
    }
    if kind not in lookups or part_id is None:
        raise ValidationError(
            {"editing": _("Say what is being edited: the map, a stage, a touchpoint or a pain point.")}
        )
    model, path, name_field = lookups[kind]
    name = model.objects.filter(pk=part_id, **{path: journey_map}).values_list(name_field, flat=True).first()
    if name is None:
        raise ValidationError({"editing_id": _("This map has no such part.")})
    return kind, part_id, name


def presence_touch(
    *, actor, journey_map: JourneyMap, editing: str = "", editing_id: int | None = None, now=None
) -> Presence:
    """Say that ``actor`` has the map open (and what they edit); forget those gone for ``PRESENCE_TTL``."""
    check_actor(actor, journey_map.team_id, Role.VIEWER)
    person = person_of(actor)
    if person is None or getattr(actor, "api_key", None) is not None:
        raise PermissionDenied(_("Presence belongs to a person; an API key is never on a map."))
    kind, part_id, name = editing_part(journey_map, editing, editing_id)
    now = now or timezone.now()
    Presence.objects.filter(journey_map=journey_map, seen_at__lt=now - PRESENCE_TTL).delete()
    values = {"editing": kind, "editing_id": part_id, "editing_name": name[:200], "seen_at": now}
    try:
        presence, _created = Presence.objects.update_or_create(journey_map=journey_map, user=person, defaults=values)
    except IntegrityError:  # two tabs said hello at the same moment: the other one made the row
        Presence.objects.filter(journey_map=journey_map, user=person).update(**values)
        presence = Presence.objects.get(journey_map=journey_map, user=person)
    return presence


def presence_leave(*, actor, journey_map: JourneyMap) -> int:
    """Say that ``actor`` closed the map; return how many rows went (0 or 1)."""
    person = person_of(actor)
    if person is None:
        return 0
    return Presence.objects.filter(journey_map=journey_map, user=person).delete()[0]


def presence_sweep(*, now=None) -> int:
    """Delete every expired presence row (maps nobody opens again keep none); return how many."""
    now = now or timezone.now()
    return Presence.objects.filter(seen_at__lt=now - PRESENCE_TTL).delete()[0]

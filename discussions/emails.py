"""Mention emails: one email per person listing the comments that mentioned them, in their language.

``mention_emails_send`` is called after a comment commits (``tasks.send_mention_emails``) and by
the sweep (``tasks.mention_emails_sweep``, which also retries what a mail server refused). A
notification already read in the app, or whose recipient has no address, is inactive or
unsubscribed from Waymark's emails (the weekly digest's one-click unsubscribe, through
``extensions.register_email_opt_out``), is marked "not sent" and never emailed.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from owners.sla import absolute_url
from teams.languages import LANGUAGE_CODES, stored_language

from .extensions import email_opted_out
from .models import Notification

logger = logging.getLogger(__name__)


def thread_path(thread) -> str:
    """Return the map page that opens ``thread`` in its panel."""
    return f"{reverse('journeys:map_detail', args=[thread.journey_map_id])}?thread={thread.pk}"


def _claim(comment_id: int | None) -> list[Notification]:
    """Take the pending notifications (of one comment, when given), so no other worker sends them too."""
    with transaction.atomic():
        pending = Notification.objects.filter(email=Notification.Email.PENDING)
        if comment_id is not None:
            pending = pending.filter(comment_id=comment_id)
        rows = list(
            pending.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "team", "comment__author", "comment__thread__journey_map")
            .order_by("recipient_id", "created_at")[:500]
        )
        if not rows:
            return []
        opted_out = email_opted_out({n.recipient_id for n in rows})
        now = timezone.now()
        for n in rows:
            person = n.recipient
            skip = n.read_at is not None or not person.is_active or not person.email or person.pk in opted_out
            n.email = Notification.Email.SKIPPED if skip else Notification.Email.SENT
            n.emailed_at = None if skip else now
        Notification.objects.bulk_update(rows, ["email", "emailed_at"])
    return [n for n in rows if n.email == Notification.Email.SENT]


def _language(person, team) -> str:
    language = stored_language(person) or team.language or settings.LANGUAGE_CODE
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE


def _who(comment) -> str:
    author = comment.author
    return (author.get_full_name() or author.get_username()) if author else gettext("Someone")


def mention_message(person, notifications: list[Notification], *, connection=None) -> EmailMessage:
    """Return the email telling ``person`` about the comments that mentioned them."""
    with translation.override(_language(person, notifications[0].team)):
        parts = []
        for n in notifications:
            comment, thread = n.comment, n.comment.thread
            parts.append(
                gettext("%(who)s mentioned you about “%(subject)s” on the map “%(map)s”:")
                % {"who": _who(comment), "subject": thread.subject, "map": thread.journey_map.title}
                + f"\n\n{comment.body}\n\n"
                + gettext("Open it in Waymark: %(url)s") % {"url": absolute_url(thread_path(thread))}
            )
        if len(notifications) == 1:
            comment = notifications[0].comment
            subject = gettext("%(who)s mentioned you on “%(map)s”") % {
                "who": _who(comment),
                "map": comment.thread.journey_map.title,
            }
        else:
            subject = ngettext(
                "%(count)s new mention in Waymark", "%(count)s new mentions in Waymark", len(notifications)
            ) % {"count": len(notifications)}
        footer = gettext(
            "You get this because a teammate mentioned you. "
            "The weekly digest's unsubscribe link stops these emails too."
        )
    return EmailMessage(
        subject=subject,
        body="\n\n---\n\n".join(parts) + f"\n\n-- \n{footer}\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[person.email],
        connection=connection,
    )


def mention_emails_send(*, comment_id: int | None = None) -> int:
    """Email the pending mentions (of one comment, when given), one email per person; return how many went."""
    claimed = _claim(comment_id)
    if not claimed:
        return 0
    by_person: dict[int, list[Notification]] = defaultdict(list)
    for n in claimed:
        by_person[n.recipient_id].append(n)
    sent = 0
    connection = get_connection()
    for items in by_person.values():
        try:
            sent += connection.send_messages([mention_message(items[0].recipient, items, connection=connection)]) or 0
        except Exception:  # a refused address must not stop the others; the sweep tries again
            logger.exception("Could not send a mention email to user %s", items[0].recipient_id)
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(
                email=Notification.Email.PENDING, emailed_at=None
            )
    return sent

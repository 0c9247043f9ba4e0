"""The weekly review digest: one email per team member, in plain text and HTML.

``digest_send_team`` renders and sends the digest of one team; ``digests_dispatch`` (run hourly by
Celery beat) finds the teams whose digest day and hour (in the team's time zone) have come and
queues one ``send_team_digest`` task per team. Each member gets their open follow-ups, SLA
breaches, action items and the maps due for review this week; members with nothing on their
plate, without an email address or who unsubscribed get nothing.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from owners.sla import absolute_url
from teams.languages import LANGUAGE_CODES, stored_language
from teams.models import Team

from . import selectors, services
from .models import ReviewSettings

logger = logging.getLogger(__name__)


def digest_message(digest: selectors.Digest, *, connection=None) -> EmailMultiAlternatives:
    """Return the digest email of one person: plain text with an HTML alternative.

    It speaks the person's chosen language, else their team's, else the site's default: the worker
    that sends it has no request to take one from.
    """
    language = stored_language(digest.user) or digest.team.language or settings.LANGUAGE_CODE
    if language not in LANGUAGE_CODES:
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        return _digest_message(digest, connection=connection)


def _digest_message(digest: selectors.Digest, *, connection=None) -> EmailMultiAlternatives:
    unsubscribe = absolute_url(reverse("reviews_public:unsubscribe", args=[services.unsubscribe_token(digest.user)]))
    context = {
        "digest": digest,
        "person": digest.user,
        "team": digest.team,
        "unsubscribe_url": unsubscribe,
        "dashboard_url": absolute_url(reverse("home")),
        "action_items_url": absolute_url(reverse("reviews:action_items") + "?mine=on"),
        "base_url": absolute_url("/").rstrip("/"),
    }
    if digest.overdue_items or digest.followup_breaches or digest.handoff_breaches:
        subject = gettext("%(team)s: your week in Waymark (needs attention)") % {"team": digest.team.name}
    else:
        subject = gettext("%(team)s: your week in Waymark") % {"team": digest.team.name}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("reviews/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[digest.user.email],
        connection=connection,
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(render_to_string("reviews/email/digest.html", context), "text/html")
    return message


def digest_send_team(*, team: Team, now: datetime.datetime | None = None) -> int:
    """Send the digest to every subscribed member of ``team`` with something to read; return how many."""
    now = now or timezone.now()
    maps_due = selectors.maps_due_this_week(team, today=timezone.localdate(now))
    digests = [
        selectors.digest_for(team, user, maps_due=maps_due, now=now) for user in selectors.digest_recipients(team)
    ]
    digests = [d for d in digests if not d.is_empty]
    if not digests:
        return 0
    connection = get_connection()
    sent = connection.send_messages([digest_message(d, connection=connection) for d in digests]) or 0
    logger.info("Sent %d weekly digests for team %s", sent, team.pk)
    return sent


def digests_due(now: datetime.datetime) -> list[Team]:
    """Return the teams whose digest should go out now (their day and hour have come, not yet sent)."""
    teams = Team.objects.select_related("review_settings").order_by("pk")
    due = []
    for team in teams:
        review_settings = getattr(team, "review_settings", None) or ReviewSettings(team=team)
        review_settings.team = team
        if services.digest_is_due(review_settings, now):
            due.append(team)
    return due

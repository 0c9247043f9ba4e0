"""The SLA clock: when something is due, and telling people when it is late.

Other apps (feedback follow-ups) use this module; it imports nothing to the right of owners.

- ``sla_due_at(start, target, business_hours=..., hours=...)``: the moment a response target
  runs out, counting either wall-clock time or only the team's working hours.
- ``working_hours_for(team)``: the team's time zone, working days and hours as ``WorkingHours``.
- ``touchpoint_due_at(touchpoint_id, start)``: the due time under a touchpoint's SLA (None when
  the touchpoint has no SLA), with the escalation delay; ``touchpoint_sla_terms(touchpoint_id)``
  reads the terms once, for a caller that keeps them (``SlaTerms.due(start)``).
- ``notify(...)``, ``notify_breach(...)``, ``notify_escalation(...)``: generic emails (recipient
  addresses, subject, body, link), sent in one connection, never raising on a bad address.
- ``notify_digest(notifications)``: the same notifications merged into one email per recipient and
  kind (breach, escalation), listing every item, for sweeps that find many at once.
- ``team_admin_emails(team_ids)``: the admins of many teams in one query, for escalations.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

logger = logging.getLogger(__name__)

# More than ten years of working days: a target this long is a data error, not a promise.
MAX_BUSINESS_DAYS = 3660


@dataclass(frozen=True)
class WorkingHours:
    """When a team works: a time zone, ISO weekdays (1 = Monday) and the hours of a working day."""

    time_zone: str = "UTC"
    working_days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    start: time = time(9, 0)
    end: time = time(17, 0)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(datetime.min, self.end) - datetime.combine(datetime.min, self.start)


DEFAULT_HOURS = WorkingHours()


def working_hours_for(team) -> WorkingHours:
    """Return ``team``'s working hours (the defaults where the team sets none)."""
    if team is None:
        return DEFAULT_HOURS
    days = getattr(team, "working_days", "") or "12345"
    return WorkingHours(
        time_zone=getattr(team, "time_zone", "") or "UTC",
        working_days=frozenset(int(d) for d in days if d.isdigit() and 1 <= int(d) <= 7),
        start=getattr(team, "workday_start", None) or DEFAULT_HOURS.start,
        end=getattr(team, "workday_end", None) or DEFAULT_HOURS.end,
    )


def sla_due_at(
    start: datetime, target: timedelta, *, business_hours: bool = False, hours: WorkingHours | None = None
) -> datetime:
    """Return when ``target`` runs out for something that started at ``start`` (aware).

    With ``business_hours`` only the team's working time counts: a 16-hour target started on a
    Friday at 16:00 (9–17, Monday–Friday) is due on Tuesday at 16:00 in the team's time zone.
    """
    if timezone.is_naive(start):
        raise ValueError("sla_due_at needs an aware datetime.")
    if target <= timedelta(0):
        return start
    if not business_hours:
        return start + target
    hours = hours or DEFAULT_HOURS
    if not hours.working_days or hours.day_length <= timedelta(0):
        return start + target
    tz = hours.tzinfo
    local = start.astimezone(tz)
    remaining = target
    day = local.date()
    for _ in range(MAX_BUSINESS_DAYS * 2):
        if day.isoweekday() in hours.working_days:
            opens = datetime.combine(day, hours.start, tzinfo=tz)
            closes = datetime.combine(day, hours.end, tzinfo=tz)
            begin = max(opens, local)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("The SLA target is longer than ten years of working days.")


@dataclass(frozen=True)
class Due:
    """When something under an SLA is due, and how long after a breach it escalates."""

    due_at: datetime
    escalation_delay: timedelta


@dataclass(frozen=True)
class SlaTerms:
    """What a touchpoint's SLA promises, with the working hours of its team: enough to compute a due time."""

    response_target: timedelta
    business_hours: bool
    escalation_delay: timedelta
    hours: WorkingHours

    def due(self, start: datetime) -> Due:
        due_at = sla_due_at(start, self.response_target, business_hours=self.business_hours, hours=self.hours)
        return Due(due_at=due_at, escalation_delay=self.escalation_delay)


def touchpoint_sla_terms(touchpoint_id: int) -> SlaTerms | None:
    """Return the terms of the touchpoint's SLA (one query), or None without an SLA."""
    from .models import SLA

    sla = SLA.objects.select_related("touchpoint__stage__journey_map__team").filter(touchpoint_id=touchpoint_id).first()
    if sla is None:
        return None
    return SlaTerms(
        response_target=sla.response_target,
        business_hours=sla.business_hours,
        escalation_delay=sla.escalation_delay,
        hours=working_hours_for(sla.touchpoint.stage.journey_map.team),
    )


def touchpoint_due_at(touchpoint_id: int, start: datetime | None = None) -> Due | None:
    """Return when a response at the touchpoint is due under its SLA, or None without an SLA."""
    terms = touchpoint_sla_terms(touchpoint_id)
    return terms.due(start or timezone.now()) if terms is not None else None


def format_duration(value: timedelta | None) -> str:
    """Return a duration the way people say it: "48 h", "30 min", "2 d 4 h" (in the active language)."""
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return gettext("%(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if minutes:
        return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    if hours > 72 and hours % 24 == 0:
        return gettext("%(days)s d") % {"days": hours // 24}
    return gettext("%(hours)s h") % {"hours": hours}


def absolute_url(path: str) -> str:
    """Return ``path`` on the site's base URL (``WAYMARK_BASE_URL``) for links in emails."""
    base = getattr(settings, "WAYMARK_BASE_URL", "") or ""
    return f"{base.rstrip('/')}{path}" if path.startswith("/") else path


@dataclass(frozen=True)
class Notification:
    """One email: who gets it, what it says, the page that deals with it, and the language it is in."""

    recipients: tuple[str, ...]
    subject: str
    body: str
    link: str = ""
    language: str = ""

    def message(self, connection) -> EmailMessage:
        body = self.body
        if self.link:
            with translation.override(self.language or translation.get_language()):
                opener = gettext("Open it in Waymark: %(url)s") % {"url": absolute_url(self.link)}
            body = f"{body}\n\n{opener}\n"
        return EmailMessage(
            subject=self.subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=list(self.recipients),
            connection=connection,
        )


def notify(notifications: Iterable[Notification]) -> int:
    """Send the notifications that have recipients in one connection; return how many went out.

    A mail server error is logged, not raised: the sweep that calls this has already recorded the
    breach, and a retry would notify twice.
    """
    batch = [n for n in notifications if n.recipients]
    if not batch:
        return 0
    try:
        connection = get_connection()
        return connection.send_messages([n.message(connection) for n in batch]) or 0
    except Exception:  # mail failures must not undo a recorded breach
        logger.exception("Could not send %d SLA notifications", len(batch))
        return 0


def notify_breach(
    *, recipient: str | None, what: str, due_at: datetime, link: str = "", language: str = ""
) -> Notification:
    """Return the email telling an owner that ``what`` missed its SLA, in ``language`` (default: the active one).

    The subject keeps an ASCII colon after its kind in every language: ``notify_digest`` groups by it.
    """
    due = timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M %Z")
    language = language or translation.get_language() or ""
    with translation.override(language or None):
        return Notification(
            recipients=(recipient,) if recipient else (),
            subject=gettext("SLA breached: %(what)s") % {"what": what},
            body=gettext("%(what)s was due by %(due)s and is not done yet. Please pick it up now.")
            % {"what": what, "due": due},
            link=link,
            language=language,
        )


def notify_escalation(
    *, recipients: Iterable[str], what: str, owner: str, breached_at: datetime, link: str = "", language: str = ""
) -> Notification:
    """Return the email telling team admins that a breach is still open after the escalation delay."""
    since = timezone.localtime(breached_at).strftime("%Y-%m-%d %H:%M %Z")
    language = language or translation.get_language() or ""
    with translation.override(language or None):
        return Notification(
            recipients=tuple(sorted({r for r in recipients if r})),
            subject=gettext("SLA escalation: %(what)s") % {"what": what},
            body=gettext("%(what)s breached its SLA at %(since)s and is still open. Owner: %(owner)s.")
            % {"what": what, "since": since, "owner": owner or gettext("nobody")},
            link=link,
            language=language,
        )


def notify_digest(notifications: Iterable[Notification]) -> list[Notification]:
    """Merge notifications into one per (recipients, kind): a digest listing every item.

    The kind is the subject before its colon ("SLA breached", "SLA escalation"). A group of one
    stays as it is; a larger group becomes "SLA breached: 12 items" with one paragraph per item
    and its link. Groups keep the order of their first item, items their order.
    """
    groups: dict[tuple, list[Notification]] = {}
    for n in notifications:
        if n.recipients:
            groups.setdefault((n.recipients, n.subject.split(":", 1)[0], n.language), []).append(n)
    digests = []
    for (recipients, kind, language), items in groups.items():
        if len(items) == 1:
            digests.append(items[0])
            continue
        links = {n.link for n in items}
        shared = links.pop() if len(links) == 1 else ""
        with translation.override(language or None):
            count = ngettext("%(count)s item", "%(count)s items", len(items)) % {"count": len(items)}
        lines = [f"{count}:", ""]
        for n in items:
            what = n.subject.split(":", 1)[1].strip() if ":" in n.subject else n.subject
            lines.append(f"- {what}\n  {n.body}")
            if n.link and not shared:
                lines.append(f"  {absolute_url(n.link)}")
        digests.append(
            Notification(
                recipients=recipients,
                subject=f"{kind}: {count}",
                body="\n".join(lines),
                link=shared,
                language=language,
            )
        )
    return digests


def team_admin_emails(team_ids: Iterable[int]) -> dict[int, list[str]]:
    """Return the email addresses of the admins of each team, in one query."""
    from teams.models import Membership, Role

    found: dict[int, list[str]] = {}
    rows = (
        Membership.objects.filter(team_id__in=set(team_ids), role=Role.ADMIN)
        .exclude(user__email="")
        .values_list("team_id", "user__email")
        .order_by("team_id", "user__email")
    )
    for team_id, email in rows:
        found.setdefault(team_id, []).append(email)
    return found

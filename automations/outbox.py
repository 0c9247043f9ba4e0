"""Sending the actions of the outbox exactly once.

A worker claims pending actions with ``SELECT … FOR UPDATE SKIP LOCKED`` (two workers never take
the same row), marks them ``sending`` under a lease (``AUTOMATION_LEASE_SECONDS``) with the attempt
number, and commits. Then, per action:

- actions that only write rows (a task for the owner, a cohort, a trait, a webhook delivery) do
  their writes and mark the action done **in one transaction**, guarded by the claim (status and
  attempt): they happen exactly once, whatever dies when;
- an email is sent, then marked done. A worker killed mid-send leaves the lease to run out; the
  sweep gives the action to another worker, which sends it again with the same Message-ID (the
  action's idempotency key), so a receiving system that saw the first attempt drops the second.
  Nothing is lost, and nothing is delivered twice under two identities.

Before sending, the customer is respected: suppressed, unsubscribed, erased or not consenting →
skipped; over the team's frequency cap → skipped; over the automation's daily limit → deferred to
the next day; in quiet hours (the customer's time zone) → deferred to their end.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from customers.models import Profile, ProfileStage

from . import conditions as cond
from . import messages
from .engine import _customer_zone
from .models import Action, Automation, OwnerTask, Respect, StageCap, Step, Suppression

logger = logging.getLogger(__name__)

MESSAGE_KINDS = frozenset({Step.Kind.EMAIL, Step.Kind.SURVEY, Step.Kind.WEBHOOK})
MAX_ATTEMPTS = 5
# A task at a touchpoint without an SLA is due after two days, the default stall of a stage.
DEFAULT_TASK_DUE = timedelta(hours=48)


def lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "AUTOMATION_LEASE_SECONDS", 300))


def _lock() -> dict:
    return {"skip_locked": True, "of": ("self",)} if connection.features.has_select_for_update_skip_locked else {}


def actions_due(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Return actions to send now: pending and due, or sending with a lease run out (a dead worker)."""
    now = now or timezone.now()
    return list(
        Action.objects.filter(
            Q(status=Action.Status.PENDING, not_before__lte=now) | Q(status=Action.Status.SENDING, lease_until__lt=now)
        )
        .order_by("not_before", "id")
        .values_list("id", flat=True)[:limit]
    )


def actions_claim(*, ids: list[int] | None = None, now: datetime | None = None, limit: int = 100) -> list[Action]:
    """Claim actions for this worker (``SKIP LOCKED``): mark them sending under a lease; return them."""
    now = now or timezone.now()
    with transaction.atomic():
        qs = Action.objects.filter(
            Q(status=Action.Status.PENDING, not_before__lte=now) | Q(status=Action.Status.SENDING, lease_until__lt=now)
        )
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        claimed = list(qs.select_for_update(**_lock()).order_by("not_before", "id")[:limit])
        if not claimed:
            return []
        until = now + lease()
        Action.objects.filter(pk__in=[a.pk for a in claimed]).update(
            status=Action.Status.SENDING, attempts=F("attempts") + 1, lease_until=until
        )
    for a in claimed:
        a.status, a.attempts, a.lease_until = Action.Status.SENDING, a.attempts + 1, until
    return claimed


def _mine(action: Action):
    """The claimed row, locked, if the claim is still this worker's (not taken over after its lease)."""
    return (
        Action.objects.select_for_update()
        .filter(pk=action.pk, status=Action.Status.SENDING, attempts=action.attempts)
        .first()
    )


def _finish(action: Action, status: str, *, reason: str = "", result: dict | None = None, now=None) -> bool:
    now = now or timezone.now()
    changes = {"status": status, "reason": reason, "lease_until": None}
    if status in (Action.Status.DONE, Action.Status.SKIPPED, Action.Status.FAILED):
        changes["done_at"] = now
    if result is not None:
        changes["result"] = result
    return bool(
        Action.objects.filter(pk=action.pk, status=Action.Status.SENDING, attempts=action.attempts).update(**changes)
    )


def _defer(action: Action, until: datetime, reason: str) -> None:
    # A deferral is not an attempt: give it back.
    Action.objects.filter(pk=action.pk, status=Action.Status.SENDING, attempts=action.attempts).update(
        status=Action.Status.PENDING, not_before=until, reason=reason, lease_until=None, attempts=F("attempts") - 1
    )


def actions_send(*, ids: list[int] | None = None, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Claim and perform actions; return how many ended how."""
    counts = {"done": 0, "skipped": 0, "deferred": 0, "failed": 0, "retry": 0}
    for action in actions_claim(ids=ids, now=now, limit=limit):
        try:
            outcome = action_perform(action, now=now)
        except Exception:
            logger.exception("automations: action %s failed", action.pk)
            outcome = _retry_or_fail(action)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _retry_or_fail(action: Action) -> str:
    if action.attempts >= MAX_ATTEMPTS:
        _finish(action, Action.Status.FAILED, reason="error")
        return "failed"
    delay = timedelta(minutes=2**action.attempts)
    Action.objects.filter(pk=action.pk, status=Action.Status.SENDING, attempts=action.attempts).update(
        status=Action.Status.PENDING, not_before=timezone.now() + delay, reason="error", lease_until=None
    )
    return "retry"


def action_perform(action: Action, *, now: datetime | None = None) -> str:
    """Perform one claimed action (respecting the customer first); return "done", "skipped" …"""
    now = now or timezone.now()
    action = Action.objects.select_related("step", "automation__team", "profile", "enrolment").get(pk=action.pk)
    if action.status != Action.Status.SENDING:
        return "skipped"
    automation = action.automation
    profile = action.profile
    if action.kind in MESSAGE_KINDS:
        verdict = respect_check(action, profile, automation, now)
        if verdict is not None:
            kind, value = verdict
            if kind == "skip":
                _finish(action, Action.Status.SKIPPED, reason=value, now=now)
                return "skipped"
            _defer(action, value[0], value[1])
            return "deferred"
    widget = action.kind == Step.Kind.SURVEY and (action.step.config or {}).get("via") == "widget"
    if (action.kind == Step.Kind.EMAIL or action.kind == Step.Kind.SURVEY) and not widget:
        return _send_email(action, profile, automation, now)
    with transaction.atomic():
        if _mine(action) is None:
            return "skipped"
        result = WRITERS[action.kind](action, profile, automation, now)
        if result is None:
            _finish(action, Action.Status.SKIPPED, reason="nothing_to_do", now=now)
            return "skipped"
        _finish(action, Action.Status.DONE, result=result, now=now)
    return "done"


# Respect -------------------------------------------------------------------------------------------------------


def respect_check(action: Action, profile: Profile, automation: Automation, now: datetime):
    """Return None to send now, ``("skip", reason)`` or ``("defer", (until, reason))``."""
    traits = profile.traits if isinstance(profile.traits, dict) else {}
    if cond.opted_out(traits) or Suppression.objects.filter(profile_id=profile.pk).exists():
        return ("skip", "suppressed")
    if profile.merged_into_id is not None:
        return ("skip", "merged")
    team = automation.team
    rules = Respect.for_team(team)
    zone = _customer_zone(traits, team.time_zone)
    local = now.astimezone(zone)
    start, end = rules.quiet_start, rules.quiet_end
    t = local.time()
    quiet = (start <= t or t < end) if start > end else (start <= t < end)
    if start != end and quiet:
        until = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if until <= local:
            until += timedelta(days=1)
        return ("defer", (until, "quiet_hours"))
    if frequency_capped(profile, team.pk, rules, now):
        return ("skip", "frequency_cap")
    if automation.daily_send_limit is not None:
        team_zone = _customer_zone({}, team.time_zone)
        day_start = now.astimezone(team_zone).replace(hour=0, minute=0, second=0, microsecond=0)
        today = Action.objects.filter(
            automation_id=automation.pk, status=Action.Status.DONE, kind__in=list(MESSAGE_KINDS), done_at__gte=day_start
        ).count()
        if today >= automation.daily_send_limit:
            return ("defer", (day_start + timedelta(days=1), "daily_limit"))
    return None


def frequency_caps(profile_id: int, team_id: int) -> list[tuple[int, int]]:
    """Return ``(max_messages, per_days)`` of the caps of the stages the customer is in now (one query)."""
    here = ProfileStage.objects.filter(profile_id=profile_id).values("stage_id")
    return list(StageCap.objects.filter(team_id=team_id, stage_id__in=here).values_list("max_messages", "per_days"))


def frequency_capped(profile: Profile, team_id: int, rules: Respect, now: datetime) -> bool:
    """Return whether one more message would break the customer's cap.

    The caps of the stages the customer is in replace the team's; in capped stages of several maps
    every cap holds, so the strictest decides. The messages in each cap's window are counted in
    one query, however many caps apply.
    """
    caps = frequency_caps(profile.pk, team_id) or [(rules.max_messages, rules.per_days)]
    windows = {days for _most, days in caps}
    sent = Action.objects.filter(
        profile_id=profile.pk,
        status=Action.Status.DONE,
        kind__in=list(MESSAGE_KINDS),
        done_at__gte=now - timedelta(days=max(windows)),
    ).aggregate(**{f"in_{days}": Count("pk", filter=Q(done_at__gte=now - timedelta(days=days))) for days in windows})
    return any(sent[f"in_{days}"] >= most for most, days in caps)


# Sending and writing ------------------------------------------------------------------------------------------


def message_id(action: Action) -> str:
    domain = getattr(settings, "AUTOMATION_MESSAGE_DOMAIN", "waymark.invalid")
    return f"<{action.idempotency_key}@{domain}>"


def _send_email(action: Action, profile: Profile, automation: Automation, now: datetime) -> str:
    traits = profile.traits if isinstance(profile.traits, dict) else {}
    address = traits.get("email")
    if not isinstance(address, str) or "@" not in address:
        _finish(action, Action.Status.SKIPPED, reason="no_email", now=now)
        return "skipped"
    rendered = messages.render_for(action.step, profile, automation)
    unsubscribe = messages.unsubscribe_url(profile)
    email = EmailMessage(
        subject=rendered.subject,
        body=rendered.body,
        to=[address],
        headers={
            "Message-ID": message_id(action),
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "X-Waymark-Action": action.idempotency_key,
        },
    )
    email.send(fail_silently=False)
    _finish(
        action,
        Action.Status.DONE,
        result={
            "to": address,
            "locale": rendered.locale,
            "subject": rendered.subject,
            "message_id": message_id(action),
        },
        now=now,
    )
    return "done"


def _write_task(action: Action, profile: Profile, automation: Automation, now: datetime) -> dict | None:
    from owners.models import Ownership
    from owners.sla import touchpoint_due_at

    cfg = action.step.config or {}
    touchpoint_id = cfg.get("touchpoint")
    owner_id = None
    if touchpoint_id:
        owner_id = (
            Ownership.objects.filter(touchpoint_id=touchpoint_id, role="accountable")
            .values_list("user_id", flat=True)
            .first()
        )
    due = touchpoint_due_at(touchpoint_id, now) if touchpoint_id else None
    title = messages.interpolate(cfg.get("title") or automation.name, profile)
    task, _created = OwnerTask.objects.get_or_create(
        action=action,
        defaults={
            "team_id": action.team_id,
            "profile": profile,
            "touchpoint_id": touchpoint_id,
            "owner_id": owner_id or automation.created_by_id,
            "title": title[:300],
            "due_at": due.due_at if due else now + DEFAULT_TASK_DUE,
            # Without an SLA there is no escalation delay: a breach goes to the admins at once.
            "escalate_at": due.due_at + due.escalation_delay if due else now + DEFAULT_TASK_DUE,
        },
    )
    return {"task": task.pk, "owner": task.owner_id, "due_at": task.due_at.isoformat()}


def _write_cohort(action: Action, profile: Profile, automation: Automation, now: datetime) -> dict | None:
    from analytics.models import Cohort, CohortMember

    cohort = Cohort.objects.filter(
        pk=(action.step.config or {}).get("cohort"), team_id=action.team_id, kind="static"
    ).first()
    if cohort is None:
        return None
    CohortMember.objects.get_or_create(cohort=cohort, profile=profile)
    return {"cohort": cohort.pk}


def _write_survey_widget(action: Action, profile: Profile, automation: Automation, now: datetime) -> dict | None:
    """Make the customer eligible for the survey's widget: a member of its saved-list audience."""
    from analytics.models import CohortMember
    from feedback.models import Survey

    survey = (
        Survey.objects.filter(pk=(action.step.config or {}).get("survey"), team_id=action.team_id)
        .select_related("audience")
        .first()
    )
    if survey is None or survey.audience is None or survey.audience.kind != "static":
        return None
    CohortMember.objects.get_or_create(cohort=survey.audience, profile=profile)
    return {"survey": survey.pk, "audience": survey.audience_id, "via": "widget"}


def _write_trait(action: Action, profile: Profile, automation: Automation, now: datetime) -> dict | None:
    from customers.identity import traits_apply

    cfg = action.step.config or {}
    key = cfg.get("key")
    if not key:
        return None
    traits_apply(team_id=action.team_id, profile_id=profile.pk, traits={key: cfg.get("value")}, at=now)
    return {"trait": key, "value": cfg.get("value")}


def _write_webhook(action: Action, profile: Profile, automation: Automation, now: datetime) -> dict | None:
    """One delivery per subscribed endpoint, with ids derived from the action: written once."""
    from webhooks.delivery import build_payload
    from webhooks.models import WebhookDelivery, WebhookEndpoint
    from webhooks.tasks import webhook_deliver

    cfg = action.step.config or {}
    endpoints = WebhookEndpoint.objects.filter(team_id=action.team_id, is_active=True)
    if cfg.get("endpoint"):
        endpoints = endpoints.filter(pk=cfg["endpoint"])
    event = "automation.action"
    data = {
        "automation": automation.pk,
        "action": action.pk,
        "idempotency_key": action.idempotency_key,
        "event_name": cfg.get("event_name", ""),
        "profile": {"id": profile.pk, "user_id": profile.user_id, "traits": profile.traits},
    }
    ids = []
    for endpoint in endpoints.select_related("team"):
        delivery_id = uuid.uuid5(uuid.NAMESPACE_URL, f"waymark:{action.idempotency_key}:{endpoint.pk}")
        payload = build_payload(delivery_id=delivery_id, event=event, team=endpoint.team, data=data)
        _obj, created = WebhookDelivery.objects.get_or_create(
            id=delivery_id, defaults={"endpoint": endpoint, "event": event, "payload": payload}
        )
        if created:
            ids.append(str(delivery_id))

    def queue():
        for delivery_id in ids:
            try:
                webhook_deliver.delay(delivery_id, 1)
            except Exception:
                logger.warning("automations: webhook %s left to the webhooks sweep", delivery_id)

    transaction.on_commit(queue)
    if not endpoints.exists():
        return None
    return {"deliveries": ids}


WRITERS = {
    Step.Kind.TASK: _write_task,
    Step.Kind.COHORT: _write_cohort,
    Step.Kind.SURVEY: _write_survey_widget,
    Step.Kind.TRAIT: _write_trait,
    Step.Kind.WEBHOOK: _write_webhook,
}

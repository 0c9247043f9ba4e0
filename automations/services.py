"""Writes of automations: automations, their steps, status changes, tasks, unsubscribing.

Every function is keyword-only, takes ``actor=`` and checks the role itself (editors write; the
system, ``actor=None``, may do anything). Errors are ``ValidationError``s naming the field.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from journeys.models import JourneyMap, Stage, Touchpoint
from teams.access import check_actor
from teams.models import Role

from . import conditions as cond
from . import engine
from .engine import TRIGGER_FIELDS
from .models import Automation, Enrolment, OwnerTask, Respect, StageCap, Step, Suppression

EDITABLE = (
    "name",
    "description",
    "trigger",
    "trigger_config",
    "conditions",
    "exit_criteria",
    "holdout_percent",
    "reentry",
    "daily_send_limit",
    "goal",
    "goal_config",
    "goal_window_days",
)


def _positive(value, field: str, *, allow_none: bool = True):
    if value in (None, "") and allow_none:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Give a number.")}) from None
    if not 0 < number <= 24 * 366:
        raise ValidationError({field: _("Give a number of hours between 0 and a year.")})
    return number


def is_id(value) -> bool:
    """Whether ``value`` can be a row id (a positive 64-bit integer; not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _stage_of(journey_map: JourneyMap, stage_id, field: str) -> int:
    if not is_id(stage_id) or not Stage.objects.filter(pk=stage_id, journey_map=journey_map).exists():
        raise ValidationError({field: _("Choose a stage of this map.")})
    return stage_id


def _touchpoint_of(journey_map: JourneyMap, touchpoint_id, field: str) -> int:
    if (
        not is_id(touchpoint_id)
        or not Touchpoint.objects.filter(pk=touchpoint_id, stage__journey_map=journey_map).exists()
    ):
        raise ValidationError({field: _("Choose a touchpoint of this map.")})
    return touchpoint_id


def _name(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValidationError({field: _("Give an event name of at most 200 characters.")})
    return value.strip()


def trigger_clean(journey_map: JourneyMap, trigger: str, config) -> dict:
    """Return the trigger's settings checked for ``trigger``, or raise naming ``trigger_config``."""
    if trigger not in Automation.Trigger.values:
        raise ValidationError({"trigger": _("Choose a trigger from the list.")})
    if config in (None, ""):
        config = {}
    if not isinstance(config, dict):
        raise ValidationError({"trigger_config": _("Give the trigger's settings as an object.")})
    field = "trigger_config"
    allowed = TRIGGER_FIELDS[Automation.Trigger(trigger)]
    clean = {}
    T = Automation.Trigger
    if "stage" in allowed:
        clean["stage"] = _stage_of(journey_map, config.get("stage"), field)
    if trigger == T.STAGE_STALLED and config.get("after_hours") not in (None, ""):
        clean["after_hours"] = _positive(config.get("after_hours"), field)
    if trigger in (T.EVENT_DONE, T.EVENT_NOT_DONE):
        clean["event"] = _name(config.get("event"), field)
    if trigger == T.EVENT_NOT_DONE:
        clean["then_event"] = _name(config.get("then_event"), field)
        clean["within_hours"] = _positive(config.get("within_hours"), field, allow_none=False)
    if trigger == T.TRAIT_CHANGED:
        clean["trait"] = _name(config.get("trait"), field)
        if "value" in config and config["value"] not in (None, ""):
            clean["value"] = config["value"]
    if trigger == T.SURVEY_ANSWERED:
        score = config.get("max_score", 6)
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 10:
            raise ValidationError({field: _("Give the highest score that counts, from 0 to 10.")})
        clean["max_score"] = score
        if config.get("survey") not in (None, ""):
            from feedback.models import Survey

            if (
                not is_id(config.get("survey"))
                or not Survey.objects.filter(pk=config.get("survey"), team_id=journey_map.team_id).exists()
            ):
                raise ValidationError({field: _("Choose a survey of this team.")})
            clean["survey"] = config["survey"]
    if trigger == T.MOMENT_REACHED:
        clean["touchpoint"] = _touchpoint_of(journey_map, config.get("touchpoint"), field)
    return clean


def _goal_clean(journey_map: JourneyMap, goal: str, config) -> dict:
    if goal not in Automation.Goal.values:
        raise ValidationError({"goal": _("Choose a goal from the list.")})
    config = config if isinstance(config, dict) else {}
    if goal == Automation.Goal.STAGE:
        return {"stage": _stage_of(journey_map, config.get("stage"), "goal_config")}
    if goal == Automation.Goal.MOMENT:
        return {"touchpoint": _touchpoint_of(journey_map, config.get("touchpoint"), "goal_config")}
    if goal == Automation.Goal.EVENT:
        return {"event": _name(config.get("event"), "goal_config")}
    return {}


def _exit_clean(config) -> dict:
    if config in (None, ""):
        return {}
    if not isinstance(config, dict):
        raise ValidationError({"exit_criteria": _("Give the exit criteria as an object.")})
    clean = {}
    if config.get("next_stage"):
        clean["next_stage"] = True
    if config.get("event"):
        clean["event"] = _name(config.get("event"), "exit_criteria")
    return clean


def _clean(automation: Automation) -> None:
    automation.trigger_config = trigger_clean(automation.journey_map, automation.trigger, automation.trigger_config)
    automation.conditions = cond.validate(automation.conditions)
    automation.exit_criteria = _exit_clean(automation.exit_criteria)
    automation.goal_config = _goal_clean(automation.journey_map, automation.goal, automation.goal_config)
    if automation.reentry not in Automation.Reentry.values:
        raise ValidationError({"reentry": _("Choose a re-entry policy from the list.")})
    if not isinstance(automation.holdout_percent, int) or not 0 <= automation.holdout_percent <= 50:
        raise ValidationError({"holdout_percent": _("Give a holdout between 0 and 50 %.")})
    if not isinstance(automation.goal_window_days, int) or not 1 <= automation.goal_window_days <= 365:
        raise ValidationError({"goal_window_days": _("Give a window between 1 and 365 days.")})
    if automation.daily_send_limit is not None and (
        not isinstance(automation.daily_send_limit, int) or automation.daily_send_limit < 0
    ):
        raise ValidationError({"daily_send_limit": _("Give a whole number, or leave it blank.")})
    if not isinstance(automation.name, str) or not automation.name.strip():
        raise ValidationError({"name": _("Give the automation a name.")})
    automation.name = automation.name.strip()[:200]


@transaction.atomic
def automation_create(*, actor, journey_map: JourneyMap, name: str, trigger: str, **fields) -> Automation:
    """Create a draft automation on the map."""
    check_actor(actor, journey_map.team_id, Role.EDITOR)
    unknown = set(fields) - set(EDITABLE) - {"playbook"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("Unknown field.")})
    automation = Automation(
        team_id=journey_map.team_id,
        journey_map=journey_map,
        name=name,
        trigger=trigger,
        created_by=actor if getattr(actor, "pk", None) and hasattr(actor, "is_superuser") else None,
        **fields,
    )
    _clean(automation)
    automation.save()
    return automation


@transaction.atomic
def automation_update(*, automation: Automation, actor, **changes) -> Automation:
    """Change an automation's settings. Enrolments in flight keep going under the new settings
    (conditions and the trigger apply to who enters next; exits and goals to everyone)."""
    check_actor(actor, automation.team_id, Role.EDITOR)
    for key, value in changes.items():
        if key not in EDITABLE:
            raise ValidationError({key: _("Unknown field.")})
        setattr(automation, key, value)
    _clean(automation)
    automation.updated_at = timezone.now()
    automation.revision = F("revision") + 1
    automation.save()
    automation.refresh_from_db()
    return automation


def _set_status(automation: Automation, actor, status: str) -> Automation:
    check_actor(actor, automation.team_id, Role.EDITOR)
    with transaction.atomic():
        locked = Automation.objects.select_for_update().get(pk=automation.pk)
        changes = {"status": status, "updated_at": timezone.now()}
        if status == Automation.Status.ACTIVE and locked.activated_at is None:
            changes["activated_at"] = timezone.now()
        Automation.objects.filter(pk=automation.pk).update(**changes)
        engine.active_automations_forget()  # an update() sends no post_save
    automation.refresh_from_db()
    return automation


def automation_activate(*, automation: Automation, actor) -> Automation:
    """Start (or resume) an automation: customers enter from now on, paused enrolments go on."""
    if automation.status != Automation.Status.ACTIVE and not Step.objects.filter(automation=automation).exists():
        raise ValidationError({"steps": _("Add at least one step before turning the automation on.")})
    return _set_status(automation, actor, Automation.Status.ACTIVE)


def automation_pause(*, automation: Automation, actor) -> Automation:
    """Pause: nobody enters, enrolments stay where they are; actions already claimed finish."""
    return _set_status(automation, actor, Automation.Status.PAUSED)


@transaction.atomic
def automation_delete(*, automation: Automation, actor) -> None:
    check_actor(actor, automation.team_id, Role.EDITOR)
    automation.delete()


# Steps ------------------------------------------------------------------------------------------------------


def step_clean(automation: Automation, kind: str, config) -> dict:
    """Return the step's settings checked for ``kind``, or raise naming ``config``."""
    if kind not in Step.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of step from the list.")})
    config = config if isinstance(config, dict) else {}
    K = Step.Kind
    if kind == K.WAIT:
        return {"hours": _positive(config.get("hours"), "config", allow_none=False)}
    if kind == K.WAIT_EVENT:
        out = {"event": _name(config.get("event"), "config")}
        out["timeout_hours"] = _positive(config.get("timeout_hours") or 72, "config")
        return out
    if kind == K.WAIT_TIME:
        hour = config.get("hour")
        if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
            raise ValidationError({"config": _("Give an hour of the day, 0 to 23.")})
        return {"hour": hour}
    if kind == K.BRANCH:
        conditions = cond.validate(config.get("condition"), field_name="config")
        if len(conditions) != 1:
            raise ValidationError({"config": _("A branch tests one condition.")})
        return {"condition": conditions[0]}
    if kind == K.EMAIL or kind == K.SURVEY:
        templates = config.get("templates") or {}
        if not isinstance(templates, dict) or not all(
            isinstance(k, str) and isinstance(v, dict) for k, v in templates.items()
        ):
            raise ValidationError({"config": _('Give templates as {"language": {"subject": …, "body": …}}.')})
        if kind == K.EMAIL and not any((v.get("subject") or "").strip() for v in templates.values()):
            raise ValidationError({"config": _("An email needs a subject in at least one language.")})
        clean = {
            "templates": {
                k[:20]: {"subject": str(v.get("subject", ""))[:200], "body": str(v.get("body", ""))[:20000]}
                for k, v in templates.items()
            },
            "default_locale": str(config.get("default_locale") or next(iter(templates), "en"))[:20],
        }
        if kind == K.SURVEY:
            from feedback.models import Survey

            if (
                not is_id(config.get("survey"))
                or not Survey.objects.filter(pk=config.get("survey"), team_id=automation.team_id).exists()
            ):
                raise ValidationError({"config": _("Choose a survey of this team.")})
            clean["survey"] = config["survey"]
            via = config.get("via") or "email"
            if via not in ("email", "widget"):
                raise ValidationError({"config": _("Invite by email or mark eligible for the widget.")})
            if via == "widget":
                # The widget asks everyone unless the survey has an audience; only a saved list takes a customer in.
                if not Survey.objects.filter(pk=config["survey"], audience__kind="static").exists():
                    message = _("For the widget, give the survey a saved list as its audience.")
                    raise ValidationError({"config": message})
                clean["via"] = "widget"
        return clean
    if kind == K.WEBHOOK:
        out = {"event_name": str(config.get("event_name") or "")[:100]}
        if config.get("endpoint"):
            from webhooks.models import WebhookEndpoint

            if (
                not is_id(config["endpoint"])
                or not WebhookEndpoint.objects.filter(pk=config["endpoint"], team_id=automation.team_id).exists()
            ):
                raise ValidationError({"config": _("Choose a webhook endpoint of this team.")})
            out["endpoint"] = config["endpoint"]
        return out
    if kind == K.TASK:
        return {
            "touchpoint": _touchpoint_of(automation.journey_map, config.get("touchpoint"), "config"),
            "title": str(config.get("title") or "")[:300],
        }
    if kind == K.COHORT:
        from analytics.models import Cohort

        if (
            not is_id(config.get("cohort"))
            or not Cohort.objects.filter(pk=config.get("cohort"), team_id=automation.team_id, kind="static").exists()
        ):
            raise ValidationError({"config": _("Choose a saved list cohort of this team.")})
        return {"cohort": config["cohort"]}
    key = config.get("key")
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise ValidationError({"config": _("Give the trait's key.")})
    return {"key": key.strip(), "value": config.get("value")}


def _bump(automation: Automation) -> None:
    Automation.objects.filter(pk=automation.pk).update(revision=F("revision") + 1, updated_at=timezone.now())


@transaction.atomic
def step_add(
    *, automation: Automation, actor, kind: str, config=None, parent: Step | None = None, side: str = ""
) -> Step:
    """Add a step at the end of the main line, or of a branch's yes or no side."""
    check_actor(actor, automation.team_id, Role.EDITOR)
    if parent is not None:
        if parent.automation_id != automation.pk or parent.kind != Step.Kind.BRANCH:
            raise ValidationError({"parent": _("Steps can only go under a branch of this automation.")})
        if side not in ("yes", "no"):
            raise ValidationError({"side": _("Choose the yes or the no side.")})
    else:
        side = ""
    clean = step_clean(automation, kind, config)
    last = Step.objects.filter(automation=automation, parent=parent, side=side).aggregate(m=Max("position"))["m"]
    position = (last or 0) + 10 if parent is None else (last or 0) + 1
    step = Step.objects.create(
        automation=automation, parent=parent, side=side, position=position, kind=kind, config=clean
    )
    _bump(automation)
    return step


@transaction.atomic
def step_update(*, step: Step, actor, config) -> Step:
    check_actor(actor, step.automation.team_id, Role.EDITOR)
    step.config = step_clean(step.automation, step.kind, config)
    step.save(update_fields=["config"])
    _bump(step.automation)
    return step


@transaction.atomic
def step_move(*, step: Step, actor, direction: str) -> Step:
    """Swap the step with its neighbour above ("up") or below ("down") on its line."""
    check_actor(actor, step.automation.team_id, Role.EDITOR)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move up or down.")})
    line = list(
        Step.objects.select_for_update().filter(
            automation_id=step.automation_id, parent_id=step.parent_id, side=step.side
        )
    )
    line.sort(key=lambda s: (s.position, s.pk))
    index = next(i for i, s in enumerate(line) if s.pk == step.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(line):
        a, b = line[index], line[other]
        a.position, b.position = b.position, a.position
        if a.position == b.position:
            a.position += -1 if direction == "up" else 1
        Step.objects.filter(pk=a.pk).update(position=a.position)
        Step.objects.filter(pk=b.pk).update(position=b.position)
        _bump(step.automation)
    step.refresh_from_db()
    return step


@transaction.atomic
def step_delete(*, step: Step, actor) -> None:
    """Remove a step (and a branch's steps). Enrolments at it go on after its place."""
    check_actor(actor, step.automation.team_id, Role.EDITOR)
    automation = step.automation
    step.delete()
    _bump(automation)


# Customers and owners ---------------------------------------------------------------------------------------


def profile_unsubscribe(*, profile) -> Suppression:
    """Record that the customer wants no more automation messages (the email's link: no actor)."""
    suppression, _created = Suppression.objects.get_or_create(
        profile=profile, defaults={"team_id": profile.team_id, "reason": Suppression.Reason.UNSUBSCRIBED}
    )
    return suppression


def profile_suppress(*, profile, actor) -> Suppression:
    """Stop every automation message to the customer (a team's decision)."""
    check_actor(actor, profile.team_id, Role.EDITOR)
    suppression, _created = Suppression.objects.get_or_create(
        profile=profile, defaults={"team_id": profile.team_id, "reason": Suppression.Reason.MANUAL}
    )
    return suppression


def suppression_delete(*, suppression: Suppression, actor) -> None:
    check_actor(actor, suppression.team_id, Role.EDITOR)
    suppression.delete()


def profile_resubscribe(*, profile) -> None:
    Suppression.objects.filter(profile=profile, reason=Suppression.Reason.UNSUBSCRIBED).delete()


def owner_task_close(*, task: OwnerTask, actor) -> OwnerTask:
    check_actor(actor, task.team_id, Role.EDITOR)
    if task.status != OwnerTask.Status.DONE:
        task.status, task.closed_at = OwnerTask.Status.DONE, timezone.now()
        task.save(update_fields=["status", "closed_at"])
    return task


def owner_tasks_sweep(*, now=None):
    """Record every overdue open owner task once, email its owner, and escalate once to team admins.

    Registered with owners' SLA sweep (``owners.extensions``), so an automation's task is
    breached and escalated like a hand-off case: the owner is told when the SLA runs out, the
    team's admins when it is still open after the SLA's escalation delay. Set-based: one locked
    SELECT and one UPDATE per kind, one read of the claimed rows, one of the admins.
    """
    from django.urls import reverse

    from owners import sla as sla_clock
    from owners.services import SweepResult

    now = now or timezone.now()
    open_tasks = OwnerTask.objects.filter(status=OwnerTask.Status.OPEN)
    with transaction.atomic():
        breached_ids = list(
            open_tasks.filter(breached_at__isnull=True, due_at__lte=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        OwnerTask.objects.filter(pk__in=breached_ids, breached_at__isnull=True).update(breached_at=now)
        escalated_ids = list(
            open_tasks.filter(breached_at__isnull=False, escalated_at__isnull=True, escalate_at__lte=now)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        OwnerTask.objects.filter(pk__in=escalated_ids, escalated_at__isnull=True).update(escalated_at=now)
        rows = {
            row["pk"]: row
            for row in OwnerTask.objects.filter(pk__in=[*breached_ids, *escalated_ids]).values(
                "pk",
                "team_id",
                "title",
                "due_at",
                "breached_at",
                "action__automation__name",
                "owner__email",
                "owner__username",
                "owner__waymark_preference__language",
                "team__language",
            )
        }
    link = reverse("automations:tasks")
    admins = sla_clock.team_admin_emails({rows[pk]["team_id"] for pk in escalated_ids})
    notifications = []
    for pk in breached_ids:
        row = rows[pk]
        language = row["owner__waymark_preference__language"] or row["team__language"] or ""
        with translation.override(language or None):
            notifications.append(
                sla_clock.notify_breach(
                    recipient=row["owner__email"], what=_task_label(row), due_at=row["due_at"], link=link
                )
            )
    for pk in escalated_ids:
        row = rows[pk]
        with translation.override(row["team__language"] or None):
            notifications.append(
                sla_clock.notify_escalation(
                    recipients=admins.get(row["team_id"], []),
                    what=_task_label(row),
                    owner=row["owner__username"] or "",
                    breached_at=row["breached_at"] or now,
                    link=f"{link}?all=1",
                )
            )
    sent = sla_clock.notify(sla_clock.notify_digest(notifications))
    return SweepResult(breached=len(breached_ids), escalated=len(escalated_ids), notified=sent)


def _task_label(row: dict) -> str:
    return _("Task “%(title)s” of the automation “%(automation)s”") % {
        "title": row["title"],
        "automation": row["action__automation__name"],
    }


def respect_update(*, team, actor, **changes) -> Respect:
    """Change the team's contact rules (admins)."""
    check_actor(actor, team.pk, Role.ADMIN)
    rules = Respect.for_team(team)
    for key in ("max_messages", "per_days", "quiet_start", "quiet_end"):
        if key in changes:
            setattr(rules, key, changes[key])
    if not isinstance(rules.per_days, int) or not 1 <= rules.per_days <= 90:
        raise ValidationError({"per_days": _("Give a number of days from 1 to 90.")})
    rules.save()
    return rules


def _check_cap(max_messages, per_days) -> None:
    errors = {}
    if not isinstance(max_messages, int) or not 0 <= max_messages <= 1000:
        errors["max_messages"] = _("Give a number of messages from 0 to 1000.")
    if not isinstance(per_days, int) or not 1 <= per_days <= 90:
        errors["per_days"] = _("Give a number of days from 1 to 90.")
    if errors:
        raise ValidationError(errors)


def _save_cap(cap: StageCap) -> StageCap:
    try:
        with transaction.atomic():
            cap.save()
    except IntegrityError as exc:
        raise ValidationError({"stage": _("This stage has its own cap already: change that one.")}) from exc
    return cap


def stage_cap_create(*, stage: Stage, actor, max_messages: int, per_days: int) -> StageCap:
    """Give the customers now in ``stage`` their own frequency cap, in place of the team's (admins)."""
    team_id = stage.get_team_id()
    check_actor(actor, team_id, Role.ADMIN)
    _check_cap(max_messages, per_days)
    return _save_cap(StageCap(team_id=team_id, stage=stage, max_messages=max_messages, per_days=per_days))


def stage_cap_update(*, cap: StageCap, actor, **changes) -> StageCap:
    """Change a stage's cap (admins); a cap may move to another stage of the same team only."""
    check_actor(actor, cap.team_id, Role.ADMIN)
    stage = changes.get("stage")
    if stage is not None and stage.pk != cap.stage_id:
        if stage.get_team_id() != cap.team_id:
            raise ValidationError({"stage": _("Choose a stage of this team's maps.")})
        cap.stage = stage
    for key in ("max_messages", "per_days"):
        if key in changes:
            setattr(cap, key, changes[key])
    _check_cap(cap.max_messages, cap.per_days)
    return _save_cap(cap)


def stage_cap_delete(*, cap: StageCap, actor) -> None:
    """Remove a stage's cap: its customers are back under the team's (admins)."""
    check_actor(actor, cap.team_id, Role.ADMIN)
    cap.delete()


def enrolments_in_flight(automation: Automation) -> int:
    return Enrolment.objects.filter(automation=automation, status__in=["active", "pending"]).count()

"""Demo automations: the four playbooks running on the demo maps' customers.

- the furniture shop's *Failed trial at step 2*: customers stalled in Decision (longer than the
  stage's SLA) get the returns-policy email in their language; if they still stall a day later,
  the owner of *Cart and delivery options* gets a task;
- the shop's *First order late* and the bank's *Renewal questions*: made from the playbook in one
  step (``playbooks.automation_from_playbook``), an owner task under the SLA;
- the bank's *Onboarding: day 7 / 30 / 90*: after the contract, an email at day 7, a survey
  invitation at day 30 (when a survey exists) and an email at day 90.

The demo's events were sent before these automations existed, so each is replayed over them
(``replay``): every stay the trigger would have caught gets its enrolment (10 % held out), the
steps whose time has come are logged as done at the time they would have run (``backfilled`` in
the result: no email is really sent), and runs still under way stay active for the live engine.
Demo customers get an ``email`` (at example.com) and a ``locale`` from their country, so the
emails have someone to go to and a language.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.utils import timezone

from customers.models import Profile, StageTransition
from journeys.models import Stage, Touchpoint
from owners.models import Ownership, Playbook
from owners.sla import touchpoint_sla_terms

from . import engine, messages, outbox, playbooks, services
from .models import Action, Automation, Enrolment, OwnerTask, StageCap, Step

RETURNS_POLICY = {
    "en": {
        "subject": "Free returns for 30 days, {{ first_name }}",
        "body": "Still deciding? Every sofa comes with 30 days of free returns and a delivery date you "
        "choose at checkout. Your cart is waiting.",
    },
    "lv": {
        "subject": "Bezmaksas atgriešana 30 dienu laikā",
        "body": "Vēl domājat? Katru dīvānu var bez maksas atgriezt 30 dienu laikā, un piegādes datumu "
        "izvēlaties pats. Jūsu grozs gaida.",
    },
    "bg": {
        "subject": "Безплатно връщане до 30 дни",
        "body": "Още се колебаете? Всеки диван може да се върне безплатно до 30 дни, а датата на "
        "доставка избирате вие. Количката ви чака.",
    },
    "zh-Hant": {
        "subject": "30 天內免費退貨",
        "body": "還在考慮嗎？每張沙發都享有 30 天免費退貨，到貨日期也由您在結帳時選擇。您的購物車還在等您。",
    },
    "zh-Hans": {
        "subject": "30 天内免费退货",
        "body": "还在考虑吗？每张沙发都享有 30 天免费退货，到货日期也由您在结账时选择。您的购物车还在等您。",
    },
}
ONBOARDING = {
    7: {
        "en": {"subject": "Your first payment date", "body": "A week in: here is when your first payment is due."},
        "lv": {"subject": "Jūsu pirmā maksājuma datums", "body": "Pagājusi nedēļa: lūk, kad jāveic pirmais maksājums."},
    },
    90: {
        "en": {"subject": "Three months with us", "body": "Know someone looking for a home loan? Refer a friend."},
        "lv": {"subject": "Trīs mēneši kopā ar mums", "body": "Vai pazīstat kādu, kam vajag mājokļa kredītu?"},
    },
}
LOCALES = {"LV": "lv", "BG": "bg", "TW": "zh-Hant", "CN": "zh-Hans"}
FIRST_NAMES = ["Anna", "Jānis", "Мария", "Georg", "美玲", "伟", "Sam"]


def seed(context: dict) -> dict:
    return _seed(context, zh=False)


def seed_zh_hant(context: dict) -> dict:
    return _seed(context, zh=True)


def _seed(context: dict, *, zh: bool) -> dict:
    team = context.get("team")
    maps: dict = context.get("maps") or {}
    if team is None or not maps or Automation.objects.filter(team=team).exists():
        return {}
    _match_pending(team)
    _give_customers_addresses(team, zh=zh)
    made = []
    for key, journey_map in maps.items():
        if journey_map is None:
            continue
        for playbook in Playbook.objects.filter(journey_map=journey_map).select_related("touchpoint__stage"):
            automation = _from_playbook(playbook, key)
            if automation is not None:
                made.append(automation)
    now = timezone.now()
    rng = random.Random(21)
    for automation in made:
        services.automation_activate(automation=automation, actor=None)
        replay(automation, now=now, rng=rng)
    return {"automations": made}


def _match_pending(team) -> None:
    """Match the demo's events now: seed_demo runs in one transaction, and the matching tasks it
    queued run only after it commits, so the stage transitions the replay reads are not there yet."""
    from customers.models import Event
    from customers.stages import events_match

    for _ in range(1000):
        ids = list(
            Event.objects.filter(team=team, matched_at__isnull=True).order_by("id").values_list("id", flat=True)[:500]
        )
        if not ids:
            return
        events_match(event_ids=ids)


def _give_customers_addresses(team, *, zh: bool) -> None:
    rows = list(Profile.objects.filter(team=team, merged_into__isnull=True).exclude(user_id=""))
    for i, profile in enumerate(rows):
        traits = dict(profile.traits or {})
        traits.setdefault("email", f"{profile.user_id}@example.com")
        traits.setdefault("first_name", FIRST_NAMES[i % len(FIRST_NAMES)])
        traits.setdefault("locale", "zh-Hant" if zh else LOCALES.get(traits.get("country"), "en"))
        profile.traits = traits
    Profile.objects.bulk_update(rows, ["traits"], batch_size=500)


def _owned_touchpoint(journey_map, name: str) -> Touchpoint | None:
    return Touchpoint.objects.filter(stage__journey_map=journey_map, name=name).first()


def _from_playbook(playbook: Playbook, key: str) -> Automation | None:
    if playbook.name == "Failed trial at step 2":
        return _stalled_in_decision(playbook)
    if playbook.name == "Onboarding: day 7":
        return _onboarding(playbook)
    if playbook.name.startswith("Onboarding: day"):
        return None  # day 30 and day 90 are steps of the day-7 automation
    return playbooks.automation_from_playbook(playbook=playbook, actor=None)


def _stalled_in_decision(playbook: Playbook) -> Automation:
    journey_map = playbook.journey_map
    decision = Stage.objects.get(journey_map=journey_map, name="Decision")
    cart = _owned_touchpoint(journey_map, "Cart and delivery options") or playbook.touchpoint
    automation = services.automation_create(
        actor=None,
        journey_map=journey_map,
        name="Stalled in Decision: returns policy",
        trigger=Automation.Trigger.STAGE_STALLED,
        # A day in Decision, the cart's SLA: the stage's longest (the returns page's 48 h) waits too long.
        trigger_config={"stage": decision.pk, "after_hours": 24},
        description=playbook.steps,
        exit_criteria={"next_stage": True},
        goal=Automation.Goal.NEXT_STAGE,
        playbook=playbook,
    )
    # Fewer messages while customers weigh the purchase than the team's 3 in 7 days: the cap by stage.
    if not StageCap.objects.filter(stage=decision).exists():
        services.stage_cap_create(stage=decision, actor=None, max_messages=2, per_days=7)
    services.step_add(automation=automation, actor=None, kind="email", config={"templates": RETURNS_POLICY})
    services.step_add(automation=automation, actor=None, kind="wait", config={"hours": 24})
    branch = services.step_add(
        automation=automation, actor=None, kind="branch", config={"condition": {"kind": "stage", "stage": decision.pk}}
    )
    services.step_add(
        automation=automation,
        actor=None,
        kind="task",
        config={"touchpoint": cart.pk, "title": "Call {{ first_name }}: still deciding after the returns email"},
        parent=branch,
        side="yes",
    )
    return automation


def _onboarding(playbook: Playbook) -> Automation:
    journey_map = playbook.journey_map
    contract = playbook.touchpoint
    stage = contract.stage if contract else Stage.objects.filter(journey_map=journey_map).order_by("position").first()
    automation = services.automation_create(
        actor=None,
        journey_map=journey_map,
        name="Onboarding: days 7, 30 and 90",
        trigger=Automation.Trigger.STAGE_ENTERED,
        trigger_config={"stage": stage.pk},
        description=playbook.steps,
        reentry=Automation.Reentry.ONCE,
        goal=Automation.Goal.NEXT_STAGE,
        goal_window_days=120,
        playbook=playbook,
    )
    services.step_add(automation=automation, actor=None, kind="wait", config={"hours": 7 * 24})
    services.step_add(automation=automation, actor=None, kind="email", config={"templates": ONBOARDING[7]})
    services.step_add(automation=automation, actor=None, kind="wait", config={"hours": 23 * 24})
    from feedback.models import Survey

    survey = Survey.objects.filter(team_id=journey_map.team_id).order_by("pk").first()
    if survey is not None:
        services.step_add(automation=automation, actor=None, kind="survey", config={"survey": survey.pk})
    services.step_add(automation=automation, actor=None, kind="wait", config={"hours": 60 * 24})
    services.step_add(automation=automation, actor=None, kind="email", config={"templates": ONBOARDING[90]})
    return automation


# Replaying the demo's history ------------------------------------------------------------------------------


def replay(automation: Automation, *, now: datetime, rng: random.Random) -> int:
    """Enrol the stays the trigger would have caught in the demo's events; return how many."""
    stage_id = (automation.trigger_config or {}).get("stage")
    if automation.trigger not in (Automation.Trigger.STAGE_STALLED, Automation.Trigger.STAGE_ENTERED) or not stage_id:
        return 0
    positions = dict(Stage.objects.filter(journey_map=automation.journey_map).values_list("pk", "position"))
    transitions = list(
        StageTransition.objects.filter(journey_map=automation.journey_map)
        .order_by("profile_id", "entered_at", "id")
        .values_list("id", "profile_id", "to_stage_id", "entered_at")
    )
    stalled = automation.trigger == Automation.Trigger.STAGE_STALLED
    threshold = engine.stall_threshold(automation) if stalled else timedelta(0)
    window = timedelta(days=automation.goal_window_days)
    tree = engine.Tree(list(Step.objects.filter(automation=automation)))
    traits = dict(Profile.objects.filter(team_id=automation.team_id).values_list("pk", "traits"))
    seen: set[int] = set()
    enrolments, logs = [], []
    for index, (pk, profile_id, to_stage, entered) in enumerate(transitions):
        if to_stage != stage_id:
            continue
        following = transitions[index + 1] if index + 1 < len(transitions) else None
        left = following[3] if following and following[1] == profile_id else None
        start = entered + threshold
        if start > now or (left is not None and left <= start):
            continue
        if automation.reentry == Automation.Reentry.ONCE and profile_id in seen:
            continue
        seen.add(profile_id)
        later = following if left is not None and positions.get(following[2], -1) > positions.get(stage_id, 0) else None
        converted = later[3] if later and later[3] <= start + window else None
        holdout = rng.random() < automation.holdout_percent / 100
        enrolment = Enrolment(
            team_id=automation.team_id,
            automation=automation,
            profile_id=profile_id,
            entry_key=("once" if automation.reentry == Automation.Reentry.ONCE else f"{'s' if stalled else 't'}{pk}"),
            is_holdout=holdout,
            entered_at=start,
            stage_id=stage_id,
            converted_at=converted,
            context={"backfilled": True},
        )
        if holdout:
            enrolment.status = Enrolment.Status.HOLDOUT
        else:
            _walk_history(enrolment, tree, start, left, now, logs, traits)
        enrolments.append(enrolment)
    Enrolment.objects.bulk_create(enrolments, batch_size=1000)
    actions = []
    for enrolment, step, at, result in logs:
        # A customer without an address (an anonymous visitor) is skipped, as the outbox would.
        skipped = step.kind in (Step.Kind.EMAIL, Step.Kind.SURVEY) and not result.get("to")
        actions.append(
            Action(
                team_id=automation.team_id,
                enrolment=enrolment,
                step=step,
                automation=automation,
                profile_id=enrolment.profile_id,
                kind=step.kind,
                status=Action.Status.SKIPPED if skipped else Action.Status.DONE,
                reason="no_email" if skipped else "",
                result={**result, "backfilled": True},
                created_at=at,
                not_before=at,
                done_at=at,
                attempts=1 if step.is_action else 0,
            )
        )
    Action.objects.bulk_create(actions, batch_size=1000)
    _tasks_for(automation, [a for a in actions if a.kind == Step.Kind.TASK], now)
    return len(enrolments)


def _walk_history(enrolment, tree, start, left, now, logs, profiles) -> None:
    """Take the enrolment through the steps whose time came before ``now``, as the engine would have."""
    at, step = start, tree.first()
    exits = (enrolment.automation.exit_criteria or {}).get("next_stage")
    for _ in range(engine.MAX_WALK):
        if exits and left is not None and left <= at:
            enrolment.status, enrolment.ended_at, enrolment.exit_reason = "exited", left, "exit_criteria"
            return
        if step is None:
            enrolment.status, enrolment.ended_at = "completed", at
            return
        if step.kind == Step.Kind.WAIT:
            end = at + timedelta(hours=float(step.config.get("hours") or 0))
            if end > now or (exits and left is not None and left <= end):
                if exits and left is not None and left <= min(end, now):
                    enrolment.status, enrolment.ended_at, enrolment.exit_reason = "exited", left, "exit_criteria"
                    enrolment.step = step
                    return
                enrolment.status, enrolment.step, enrolment.next_run_at = "active", step, end
                enrolment.step_position = step.position
                return
            logs.append((enrolment, step, end, {}))
            at, step = end, tree.after(step)
            continue
        if step.kind == Step.Kind.BRANCH:
            still = left is None or left > at
            side = "yes" if still else "no"
            logs.append((enrolment, step, at, {"side": side}))
            line = tree.lines[(step.pk, side)]
            step = line[0] if line else tree.after(step)
            continue
        result = {}
        if step.kind in (Step.Kind.EMAIL, Step.Kind.SURVEY):
            templates = (step.config or {}).get("templates") or {}
            locale = (profiles.get(enrolment.profile_id) or {}).get("locale", "en")
            result = {
                "locale": messages.pick(templates, locale)[0],
                "to": (profiles.get(enrolment.profile_id) or {}).get("email"),
            }
        logs.append((enrolment, step, at, result))
        step = tree.after(step)


def _tasks_for(automation: Automation, actions: list[Action], now: datetime) -> None:
    if not actions:
        return
    owners = dict(
        Ownership.objects.filter(
            journey_map=automation.journey_map, role="accountable", touchpoint__isnull=False
        ).values_list("touchpoint_id", "user_id")
    )
    profiles = {p.pk: p for p in Profile.objects.filter(pk__in={a.profile_id for a in actions}).only("id", "traits")}
    terms = {tp: touchpoint_sla_terms(tp) for tp in {(a.step.config or {}).get("touchpoint") for a in actions} if tp}
    tasks = []
    for action in actions:
        cfg = action.step.config or {}
        touchpoint = cfg.get("touchpoint")
        sla = terms.get(touchpoint)
        due = sla.due(action.done_at) if sla else None
        due_at = due.due_at if due else action.done_at + outbox.DEFAULT_TASK_DUE
        done = action.done_at < now - timedelta(days=3)
        escalate_at = due_at + due.escalation_delay if due else due_at
        # Backfilled history counts as already notified at seed time, as the SLA sweep would have
        # stamped it: the demo shows the breaches and a fresh run mails none of them.
        breached = not done and due_at <= now
        tasks.append(
            OwnerTask(
                team_id=automation.team_id,
                action=action,
                profile_id=action.profile_id,
                touchpoint_id=touchpoint,
                owner_id=owners.get(touchpoint),
                title=messages.interpolate(cfg.get("title") or automation.name, profiles[action.profile_id])[:300],
                status=OwnerTask.Status.DONE if done else OwnerTask.Status.OPEN,
                due_at=due_at,
                escalate_at=escalate_at,
                closed_at=action.done_at + timedelta(hours=6) if done else None,
                breached_at=now if breached else None,
                escalated_at=now if breached and escalate_at <= now else None,
                created_at=action.done_at,
            )
        )
    OwnerTask.objects.bulk_create(tasks, batch_size=1000)

"""The engine: who enters an automation, and moving enrolments through its steps, set-wise.

- ``on_match`` is customers' match hook: events matched, stage transitions recorded. It enrols
  the customers whose trigger fired, wakes enrolments waiting for an event, records goal
  conversions and ends enrolments whose exit criteria are met, in the matching's transaction.
- ``stalls_enrol`` (the sweep) enrols customers who have stayed in a stage longer than the
  trigger's time, with one query per automation.
- ``advance`` takes the due enrolments (``next_run_at`` passed), locked with ``SKIP LOCKED`` so
  two sweeps never take the same row, walks each through its steps until a wait, and writes the
  result with one UPDATE of the enrolments and one INSERT of the step log and the
  actions (``Action``, unique per enrolment and step). Sending is outbox.py's work.

Editing while enrolments are in flight: an enrolment keeps the step it is at (by id) and goes on
from there through the steps as they are now; if that step was removed, it goes on with the first
main-line step after the removed step's position. Pausing stops enrolling and stops advancing
(sends already claimed finish); resuming goes on from where each enrolment stood, with waits
that ran out during the pause due at once.
"""

from __future__ import annotations

import json
import logging
import secrets
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from customers.models import Event, Identity, Profile, ProfileStage, TraitChange
from teams import local_cache

from . import conditions as cond
from .models import DEFAULT_STALL, Action, Automation, Enrolment, Step, Suppression

logger = logging.getLogger(__name__)

# The trigger settings each trigger reads (the API and the builder check them).
TRIGGER_FIELDS = {
    Automation.Trigger.STAGE_ENTERED: ("stage",),
    Automation.Trigger.STAGE_STALLED: ("stage", "after_hours"),
    Automation.Trigger.STAGE_LEFT: ("stage",),
    Automation.Trigger.EVENT_DONE: ("event",),
    Automation.Trigger.EVENT_NOT_DONE: ("event", "then_event", "within_hours"),
    Automation.Trigger.TRAIT_CHANGED: ("trait", "value"),
    Automation.Trigger.SURVEY_ANSWERED: ("survey", "max_score"),
    Automation.Trigger.MOMENT_REACHED: ("touchpoint",),
}
DETRACTOR_MAX = 6
MAX_WALK = 100  # steps one enrolment passes in one run: more is a loop in the data, not a journey


@dataclass
class Candidate:
    """A customer the trigger fired for, and what fired it."""

    profile_id: int
    key: str
    at: datetime
    stage_id: int | None = None
    context: dict = field(default_factory=dict)


# Steps as a tree ---------------------------------------------------------------------------------


class Tree:
    """An automation's steps: the main line and each branch side, in order."""

    def __init__(self, steps: list[Step]):
        self.by_id = {s.pk: s for s in steps}
        self.lines: dict[tuple, list[Step]] = defaultdict(list)
        for s in sorted(steps, key=lambda s: (s.position, s.pk)):
            self.lines[(s.parent_id, s.side)].append(s)
        self._after: dict[int, Step | None] = {}  # a run asks the same few steps thousands of times

    @property
    def main(self) -> list[Step]:
        return self.lines[(None, "")]

    def first(self) -> Step | None:
        return self.main[0] if self.main else None

    def after(self, step: Step) -> Step | None:
        """Return the step that follows ``step``: its next sibling, else the step after its branch."""
        if step.id not in self._after:
            self._after[step.id] = self._following(step)
        return self._after[step.id]

    def _following(self, step: Step) -> Step | None:
        while step is not None:
            line = self.lines[(step.parent_id, step.side)]
            index = next((i for i, s in enumerate(line) if s.pk == step.pk), len(line))
            if index + 1 < len(line):
                return line[index + 1]
            step = self.by_id.get(step.parent_id)
        return None

    def resume_after(self, position: int) -> Step | None:
        """The first main-line step after ``position``: where a removed step's enrolments go on."""
        return next((s for s in self.main if s.position > position), None)

    def ordered(self) -> list[tuple[Step, int]]:
        """Every step top to bottom with its depth (the builder's list)."""
        out: list[tuple[Step, int]] = []

        def walk(line, depth):
            for s in line:
                out.append((s, depth))
                if s.kind == Step.Kind.BRANCH:
                    walk(self.lines[(s.pk, "yes")], depth + 1)
                    walk(self.lines[(s.pk, "no")], depth + 1)

        walk(self.main, 0)
        return out


def trees_for(automation_ids) -> dict[int, Tree]:
    steps = defaultdict(list)
    for s in Step.objects.filter(automation_id__in=list(automation_ids)):
        steps[s.automation_id].append(s)
    return {aid: Tree(steps.get(aid, [])) for aid in automation_ids}


# Facts about a batch -------------------------------------------------------------------------------


def load_facts(team_id: int, profile_ids, kinds: set[str], journey_map_id: int | None = None) -> cond.Facts:
    """Load what ``kinds`` of conditions read about the profiles, one query per kind."""
    from analytics.cohorts import cohort_profiles
    from analytics.models import Cohort

    ids = list(set(profile_ids))
    facts = cond.Facts()
    if not ids:
        return facts
    if kinds & {"trait", "persona", "consent"}:
        for pk, traits, persona_id in Profile.objects.filter(pk__in=ids).values_list("pk", "traits", "persona_id"):
            facts.traits[pk] = traits if isinstance(traits, dict) else {}
            facts.personas[pk] = persona_id
    if "consent" in kinds:
        facts.suppressed = set(Suppression.objects.filter(profile_id__in=ids).values_list("profile_id", flat=True))
    if "stage" in kinds:
        # Without a map (the sweep's batch spans automations), every map's current stage: a stage id
        # belongs to one map, so a branch on "still in this stage" reads the right one.
        placed = ProfileStage.objects.filter(profile_id__in=ids)
        if journey_map_id:
            placed = placed.filter(journey_map_id=journey_map_id)
        for profile_id, stage_id in placed.values_list("profile_id", "stage_id"):
            facts.stages.setdefault(profile_id, set()).add(stage_id)
    if "cohort" in kinds:
        for cohort in Cohort.objects.filter(team_id=team_id):
            facts.cohorts[cohort.pk] = set(cohort_profiles(cohort).filter(pk__in=ids).values_list("pk", flat=True))
    return facts


def _all_conditions(automation: Automation, tree: Tree | None = None) -> set[str]:
    kinds = cond.needs(automation.conditions)
    for s in tree.by_id.values() if tree else []:
        if s.kind == Step.Kind.BRANCH:
            kinds |= cond.needs([s.config.get("condition") or {}])
    return kinds


# Enrolling -----------------------------------------------------------------------------------------


def _rolls_holdout(percent: int) -> bool:
    return secrets.randbelow(100) < percent


def enrol(automation: Automation, candidates: list[Candidate], *, now: datetime | None = None) -> list[int]:
    """Enrol the candidates who meet the conditions and the re-entry policy; return the profile ids.

    An enrolment's key makes a trigger counted twice (a task redelivered, the sweep beside the
    hook) enrol once: the insert ignores a key already there.
    """
    now = now or timezone.now()
    if not candidates or not automation.is_active:
        return []
    facts = load_facts(
        automation.team_id,
        [c.profile_id for c in candidates],
        cond.needs(automation.conditions),
        automation.journey_map_id,
    )
    wanted: dict[tuple[int, str], Candidate] = {}
    for c in candidates:
        if not cond.all_hold(automation.conditions, c.profile_id, facts, c.context):
            continue
        key = "once" if automation.reentry == Automation.Reentry.ONCE else c.key
        if automation.reentry == Automation.Reentry.AFTER_EXIT and any(p == c.profile_id for p, _k in wanted):
            continue
        wanted.setdefault((c.profile_id, key), c)
    if automation.reentry == Automation.Reentry.AFTER_EXIT and wanted:
        live = set(
            Enrolment.objects.filter(
                automation=automation,
                profile_id__in=[p for p, _k in wanted],
                status__in=[Enrolment.Status.ACTIVE, Enrolment.Status.PENDING],
            ).values_list("profile_id", flat=True)
        )
        wanted = {k: c for k, c in wanted.items() if k[0] not in live}
    if not wanted:
        return []
    # The stage each customer stands in on the map, for those the trigger did not place (an event,
    # a trait): the goal "next stage" is measured from it.
    unplaced = [c.profile_id for c in wanted.values() if c.stage_id is None]
    placed = (
        dict(
            ProfileStage.objects.filter(profile_id__in=unplaced, journey_map_id=automation.journey_map_id).values_list(
                "profile_id", "stage_id"
            )
        )
        if unplaced
        else {}
    )
    for c in wanted.values():
        if c.stage_id is None:
            c.stage_id = placed.get(c.profile_id)
    pending = automation.trigger == Automation.Trigger.EVENT_NOT_DONE
    within = timedelta(hours=float(automation.trigger_config.get("within_hours") or 24))
    rows = []
    for (profile_id, key), c in wanted.items():
        holdout = _rolls_holdout(automation.holdout_percent)
        if pending:
            status, next_run = Enrolment.Status.PENDING, c.at + within
        elif holdout:
            status, next_run = Enrolment.Status.HOLDOUT, None
        else:
            status, next_run = Enrolment.Status.ACTIVE, now
        rows.append(
            Enrolment(
                team_id=automation.team_id,
                automation=automation,
                profile_id=profile_id,
                entry_key=key[:80],
                status=status,
                is_holdout=holdout,
                next_run_at=next_run,
                entered_at=c.at if pending else now,
                stage_id=c.stage_id,
                context=c.context,
            )
        )
    Enrolment.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    _advance_later(automation.pk)
    return [r.profile_id for r in rows]


def _advance_later(automation_id: int) -> None:
    """Advance the automation's due enrolments once this transaction commits (a task; the sweep
    does the same a minute later if the broker is down)."""
    from .tasks import automation_advance

    def send():
        try:
            automation_advance.delay(automation_id)
        except Exception:
            logger.warning("automations: could not queue an advance; the sweep will", exc_info=True)

    transaction.on_commit(send)


def _stage_positions(journey_map_ids) -> dict[int, int]:
    from journeys.models import Stage

    return dict(Stage.objects.filter(journey_map_id__in=list(journey_map_ids)).values_list("pk", "position"))


# The match hook ------------------------------------------------------------------------------------


def on_match(*, team_id: int, events, transitions, matches) -> None:
    """customers' match hook: enrol, wake waits, record conversions and exits for one team's batch."""
    if not _active_triggers(team_id):
        return
    automations = list(Automation.objects.filter(team_id=team_id, status=Automation.Status.ACTIVE))
    if not automations:
        return
    now = timezone.now()
    profile_of = {e.pk: e.identity.profile_id for e in events}
    changes = []
    if any(a.trigger == Automation.Trigger.TRAIT_CHANGED for a in automations):
        changes = list(
            TraitChange.objects.filter(event_id__in=[e.pk for e in events if e.type == "identify"]).only(
                "id", "profile_id", "key", "value", "changed_at"
            )
        )
    source_kinds = _source_kinds(events) if any(cond.needs(a.conditions) & {"channel"} for a in automations) else {}
    for automation in automations:
        candidates = _candidates(automation, events, transitions, matches, changes, profile_of, source_kinds)
        if candidates:
            enrol(automation, candidates, now=now)
    _on_progress(team_id, automations, events, transitions, matches, profile_of, now)


# Triggers as events arrive ---------------------------------------------------------------------------
#
# customers gives the events an automation's "did an event" trigger names to ``on_arrival`` as soon
# as they are stored (``customers.extensions.register_arrival_hook``), apart from the stage matching,
# which can run behind ingestion under load. The match hook sees the same events later and enrols
# the same way: the enrolment's key names the event, and the database holds one enrolment per
# automation and event key (``enrolment_unique_event``, whatever the profile, so a merge between the
# two paths cannot enrol twice). If the arrival queue is lost, the matching enrols them.


def arrives_early(automation: Automation) -> bool:
    """Whether the automation is enrolled into as its trigger event arrives (before that event's matching).

    Only "did an event" triggers whose conditions do not read the customer's stage: the stage is
    current only after the matching, so those wait for it.
    """
    return automation.trigger == Automation.Trigger.EVENT_DONE and "stage" not in cond.needs(automation.conditions)


ARRIVAL_EVENTS = "automations.arrival"
_arrival_events = local_cache.LocalCache(ARRIVAL_EVENTS, ttl=60)


def arrival_events(team_id: int) -> frozenset[str]:
    """The event names the team's early-enrolled automations wait for (customers asks per request)."""

    def load() -> frozenset[str]:
        found = Automation.objects.filter(
            team_id=team_id, status=Automation.Status.ACTIVE, trigger=Automation.Trigger.EVENT_DONE
        )
        return frozenset(
            (a.trigger_config or {}).get("event") or ""
            for a in found.only("trigger", "trigger_config", "conditions")
            if arrives_early(a)
        ) - {""}

    return _arrival_events.get(team_id, load)


def on_arrival(*, team_id: int, events) -> None:
    """customers' arrival hook: enrol customers into the "did an event" automations their events trigger."""
    names = arrival_events(team_id)
    events = [e for e in events if e.event in names]
    if not events:
        return
    automations = [
        a
        for a in Automation.objects.filter(
            team_id=team_id, status=Automation.Status.ACTIVE, trigger=Automation.Trigger.EVENT_DONE
        )
        if arrives_early(a) and (a.trigger_config or {}).get("event") in names
    ]
    if not automations:
        return
    profile_of = _profiles_now({e.identity_id for e in events})
    profile_of = {e.pk: profile_of[e.identity_id] for e in events if e.identity_id in profile_of}
    events = [e for e in events if e.pk in profile_of]
    source_kinds = _source_kinds(events) if any(cond.needs(a.conditions) & {"channel"} for a in automations) else {}
    entered = _stages_entered(team_id, events)
    now = timezone.now()
    for automation in automations:
        candidates = _candidates(automation, events, [], [], [], profile_of, source_kinds)
        for c in candidates:
            # The stage the event itself enters them in on the map (as its matching will), else the
            # stage they stand in now: what the goal "next stage" is measured from.
            c.stage_id = entered.get((int(c.key[1:]), automation.journey_map_id))
        if candidates:
            enrol(automation, candidates, now=now)


def _profiles_now(identity_ids) -> dict[int, int]:
    """Each identity's profile, as the matching reads it (merges move identities, never events)."""
    return dict(Identity.objects.filter(pk__in=list(identity_ids)).values_list("pk", "profile_id"))


def _stages_entered(team_id: int, events) -> dict[tuple[int, int], int]:
    """``{(event id, map id): stage id}`` for the events that match a stage's tracking rule."""
    from customers import rules as rule_cache
    from customers.stages import _matching

    team_rules = rule_cache.team_rules(team_id)
    out: dict[tuple[int, int], int] = {}
    for e in events if team_rules else []:
        for rule in _matching(team_rules, e):
            out.setdefault((e.pk, rule.journey_map_id), rule.stage_id)
    return out


def _source_kinds(events) -> dict[int, str]:
    from customers.models import Source

    kinds = dict(Source.objects.filter(pk__in={e.source_id for e in events}).values_list("pk", "kind"))
    return {e.pk: kinds.get(e.source_id, "") for e in events}


def _candidates(automation, events, transitions, matches, changes, profile_of, source_kinds) -> list[Candidate]:
    cfg = automation.trigger_config or {}
    kind = automation.trigger
    T = Automation.Trigger
    out: list[Candidate] = []
    if kind in (T.STAGE_ENTERED, T.STAGE_LEFT):
        for t in transitions:
            if t.journey_map_id != automation.journey_map_id:
                continue
            watched = t.to_stage_id if kind == T.STAGE_ENTERED else t.from_stage_id
            if watched == cfg.get("stage"):
                out.append(Candidate(t.profile_id, f"t{t.pk}", t.entered_at, t.to_stage_id))
    elif kind in (T.EVENT_DONE, T.EVENT_NOT_DONE):
        for e in events:
            if e.event and e.event == cfg.get("event"):
                context = {"channel": source_kinds.get(e.pk, "")}
                if kind == T.EVENT_NOT_DONE:
                    context.update(then_event=cfg.get("then_event", ""), since=e.timestamp.isoformat())
                out.append(Candidate(profile_of[e.pk], f"e{e.pk}", e.timestamp, None, context))
    elif kind == T.TRAIT_CHANGED:
        for c in changes:
            if c.key == cfg.get("trait") and ("value" not in cfg or cond._compare(c.value, "eq", cfg["value"])):
                out.append(Candidate(c.profile_id, f"c{c.pk}", c.changed_at))
    elif kind == T.MOMENT_REACHED:
        for e, rules in matches:
            if any(r.touchpoint_id and r.touchpoint_id == cfg.get("touchpoint") for r in rules):
                stage = next((r.stage_id for r in rules if r.journey_map_id == automation.journey_map_id), None)
                out.append(Candidate(profile_of[e.pk], f"m{e.pk}", e.timestamp, stage))
    return out


def _on_progress(team_id, automations, events, transitions, matches, profile_of, now) -> None:
    """Goal conversions, exits and event waits for the customers of this batch."""
    profiles = set(profile_of.values()) | {t.profile_id for t in transitions}
    if not profiles:
        return
    by_id = {a.pk: a for a in automations}
    live = list(
        Enrolment.objects.filter(automation_id__in=list(by_id), profile_id__in=profiles)
        .filter(status__in=[Enrolment.Status.ACTIVE, Enrolment.Status.PENDING, Enrolment.Status.HOLDOUT])
        .select_related("step")
        .only(
            "id",
            "automation_id",
            "profile_id",
            "status",
            "stage_id",
            "entered_at",
            "converted_at",
            "step__kind",
            "step__config",
        )
    )
    if not live:
        return
    positions = _stage_positions({a.journey_map_id for a in automations})
    moved = defaultdict(list)  # profile → [(map, to_stage)]
    for t in transitions:
        moved[t.profile_id].append((t.journey_map_id, t.to_stage_id, t.entered_at))
    did = defaultdict(set)  # profile → event names
    for e in events:
        if e.event:
            did[profile_of[e.pk]].add(e.event)
    reached = defaultdict(set)  # profile → touchpoints
    for e, rules in matches:
        reached[profile_of[e.pk]].update(r.touchpoint_id for r in rules if r.touchpoint_id)
    converted, exited, woken = [], [], []
    for en in live:
        a = by_id[en.automation_id]
        window_end = en.entered_at + timedelta(days=a.goal_window_days)
        goal = a.goal_config or {}
        hit = False
        if a.goal in (Automation.Goal.NEXT_STAGE, Automation.Goal.STAGE):
            for map_id, stage_id, at in moved.get(en.profile_id, []):
                if map_id != a.journey_map_id or at < en.entered_at or at > window_end:
                    continue
                if a.goal == Automation.Goal.STAGE:
                    hit = hit or stage_id == goal.get("stage")
                else:
                    hit = hit or positions.get(stage_id, -1) > positions.get(en.stage_id, 10**9)
        elif a.goal == Automation.Goal.MOMENT:
            hit = goal.get("touchpoint") in reached.get(en.profile_id, set())
        elif a.goal == Automation.Goal.EVENT:
            hit = goal.get("event") in did.get(en.profile_id, set())
        if hit and en.converted_at is None and now <= window_end:
            converted.append(en.pk)
        if en.status == Enrolment.Status.HOLDOUT:
            continue
        exit_ = a.exit_criteria or {}
        leaves = exit_.get("event") and exit_["event"] in did.get(en.profile_id, set())
        if exit_.get("next_stage"):
            leaves = leaves or any(
                m == a.journey_map_id and positions.get(s, -1) > positions.get(en.stage_id, 10**9)
                for m, s, _at in moved.get(en.profile_id, [])
            )
        if leaves:
            exited.append(en.pk)
        elif (
            en.status == Enrolment.Status.ACTIVE
            and en.step is not None
            and en.step.kind == Step.Kind.WAIT_EVENT
            and en.step.config.get("event") in did.get(en.profile_id, set())
        ):
            woken.append(en.pk)
    if converted:
        Enrolment.objects.filter(pk__in=converted, converted_at__isnull=True).update(converted_at=now)
    if exited:
        Enrolment.objects.filter(pk__in=exited, status__in=["active", "pending"]).update(
            status=Enrolment.Status.EXITED, ended_at=now, exit_reason="exit_criteria", next_run_at=None
        )
    if woken:
        Enrolment.objects.filter(pk__in=woken, status="active").update(next_run_at=now)
        for automation_id in {en.automation_id for en in live if en.pk in set(woken)}:
            _advance_later(automation_id)


# Each team's active automations, as (id, trigger) pairs, in each process's memory: every public
# answer and every matched batch asks, and most teams have none, so the answer must cost no query
# (teams.local_cache says how a change reaches every process). Saving or deleting an automation
# bumps it (automations/apps.py), and so does a status change (services._set_status).
ACTIVE_AUTOMATIONS = "automations.active"
_active_automations = local_cache.LocalCache(ACTIVE_AUTOMATIONS, ttl=60)


def active_automations_forget(**kwargs) -> None:
    local_cache.bump(ACTIVE_AUTOMATIONS)
    local_cache.bump(ARRIVAL_EVENTS)


def _active_triggers(team_id: int) -> tuple[tuple[int, str], ...]:
    return _active_automations.get(
        team_id,
        lambda: tuple(
            Automation.objects.filter(team_id=team_id, status=Automation.Status.ACTIVE).values_list("pk", "trigger")
        ),
    )


def on_response(sender, *, team_id: int, event: str, items: list[dict], **kwargs) -> None:
    """The ``domain_event`` receiver for survey answers: enrol detractors (the survey trigger)."""
    if event != "response.created":
        return
    ids = [pk for pk, trigger in _active_triggers(team_id) if trigger == Automation.Trigger.SURVEY_ANSWERED]
    if not ids:
        return
    automations = list(Automation.objects.filter(pk__in=ids, status="active"))
    if not automations:
        return
    from feedback.models import Response

    responses = {
        r.pk: r
        for r in Response.objects.filter(pk__in=[i["id"] for i in items])
        .exclude(respondent_id="")
        .only("id", "survey_id", "score", "respondent_id", "created_at", "stage_id")
    }
    if not responses:
        return
    ids = {r.respondent_id for r in responses.values()}
    profile_of = dict(Identity.objects.filter(team_id=team_id, value__in=ids).values_list("value", "profile_id"))
    for automation in automations:
        cfg = automation.trigger_config or {}
        top = int(cfg.get("max_score", DETRACTOR_MAX))
        candidates = [
            Candidate(profile_of[r.respondent_id], f"r{r.pk}", r.created_at, None, {"score": r.score})
            for r in responses.values()
            if r.respondent_id in profile_of
            and r.score is not None
            and r.score <= top
            and (not cfg.get("survey") or cfg["survey"] == r.survey_id)
        ]
        enrol(automation, candidates)


# The sweep's triggers ----------------------------------------------------------------------------------


def stall_threshold(automation: Automation) -> timedelta:
    """How long in the stage counts as stalled: the trigger's hours, else the longest SLA of the
    stage's touchpoints, else 48 hours."""
    hours = (automation.trigger_config or {}).get("after_hours")
    if hours:
        return timedelta(hours=float(hours))
    from owners.models import SLA

    longest = SLA.objects.filter(touchpoint__stage_id=automation.trigger_config.get("stage")).aggregate(
        m=Max("response_target")
    )["m"]
    return longest or DEFAULT_STALL


def stalls_enrol(*, now: datetime | None = None, limit: int = 10000) -> int:
    """Enrol the customers stalled in a stage past the trigger's time; return how many."""
    now = now or timezone.now()
    total = 0
    for automation in Automation.objects.filter(status="active", trigger=Automation.Trigger.STAGE_STALLED):
        stage_id = (automation.trigger_config or {}).get("stage")
        if not stage_id:
            continue
        cutoff = now - stall_threshold(automation)
        rows = ProfileStage.objects.filter(
            journey_map_id=automation.journey_map_id, stage_id=stage_id, entered_at__lte=cutoff
        )
        taken = Enrolment.objects.filter(automation=automation, profile_id=OuterRef("profile_id"))
        if automation.reentry != Automation.Reentry.ONCE:
            taken = taken.filter(entry_key=_stall_key_expr())
        rows = rows.filter(~Exists(taken)).order_by("entered_at")[:limit]
        candidates = [
            Candidate(r.profile_id, f"s{r.transition_id or r.pk}", r.entered_at, r.stage_id)
            for r in rows.only("profile_id", "transition_id", "entered_at", "stage_id")
        ]
        with transaction.atomic():
            total += len(enrol(automation, candidates, now=now))
    return total


def _stall_key_expr():
    from django.db.models import CharField, Value
    from django.db.models.functions import Coalesce, Concat

    return Concat(
        Value("s"), Cast(Coalesce(OuterRef("transition_id"), OuterRef("pk")), CharField()), output_field=CharField()
    )


# Advancing ---------------------------------------------------------------------------------------------------


def _customer_zone(traits: dict, fallback: str) -> zoneinfo.ZoneInfo:
    for name in (traits.get("timezone"), traits.get("time_zone"), fallback, "UTC"):
        if isinstance(name, str) and name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def next_time_of_day(now: datetime, hour: int, zone: zoneinfo.ZoneInfo, minute: int = 0) -> datetime:
    """Return the next ``hour:minute`` in ``zone`` after ``now`` (today's if still ahead)."""
    local = now.astimezone(zone)
    target = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= local:
        target = (local + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return target


@dataclass
class Outcome:
    step_id: int | None
    next_run_at: datetime | None
    status: str
    exit_reason: str = ""
    moved: bool = False
    passed: list = field(default_factory=list)  # (step, result) the enrolment went through


def walk(
    en: Due, tree: Tree, facts: cond.Facts, now: datetime, team_zone: str, events_since=None, step_at=None
) -> Outcome:
    """Move one enrolment from where it stands until a wait or the end; return where it stops."""
    step = tree.by_id.get(en.step_id) if en.step_id else None
    passed: list = []
    if en.step_id is None:
        step = tree.first() if en.step_position == 0 else tree.resume_after(en.step_position)
        arriving = True
    elif step is None:  # its step was removed by an edit
        step = tree.resume_after(en.step_position)
        arriving = True
    else:
        arriving = False  # it is at a wait that is now due
    for _ in range(MAX_WALK):
        if step is None:
            return Outcome(None, None, Enrolment.Status.COMPLETED, "", True, passed)
        if step.kind in Step.WAITS:
            if arriving:
                stop = _wait_until(step, en, facts, now, team_zone)
                if stop is not None:
                    return Outcome(step.pk, stop, Enrolment.Status.ACTIVE, "", True, passed)
            elif step.kind == Step.Kind.WAIT_EVENT:
                deadline = _deadline(step, (step_at or {}).get(en.pk, en.entered_at))
                done = step.config.get("event") in (events_since or {}).get(en.pk, set())
                if not done and now < deadline:
                    return Outcome(step.pk, deadline, Enrolment.Status.ACTIVE, "", False, passed)
                passed.append((step, {"event_done": bool(done)}))
                step, arriving = tree.after(step), True
                continue
            passed.append((step, {}))
            step, arriving = tree.after(step), True
            continue
        arriving = True
        if step.kind == Step.Kind.BRANCH:
            side = "yes" if cond.holds(step.config.get("condition") or {}, en.profile_id, facts, en.context) else "no"
            passed.append((step, {"side": side}))
            line = tree.lines[(step.pk, side)]
            step = line[0] if line else tree.after(step)
            continue
        passed.append((step, {}))
        step = tree.after(step)
    return Outcome(None, None, Enrolment.Status.EXITED, "loop", True, passed)


def _wait_until(step: Step, en: Enrolment, facts: cond.Facts, now: datetime, team_zone: str) -> datetime | None:
    cfg = step.config or {}
    if step.kind == Step.Kind.WAIT:
        hours = float(cfg.get("hours") or 0)
        return now + timedelta(hours=hours) if hours > 0 else None
    if step.kind == Step.Kind.WAIT_TIME:
        zone = _customer_zone(facts.traits.get(en.profile_id, {}), team_zone)
        return next_time_of_day(now, int(cfg.get("hour", 9)), zone, int(cfg.get("minute", 0)))
    hours = float(cfg.get("timeout_hours") or 72)
    return now + timedelta(hours=hours)


def _deadline(step: Step, step_at: datetime) -> datetime:
    return step_at + timedelta(hours=float((step.config or {}).get("timeout_hours") or 72))


@dataclass(slots=True)
class Due:
    """A due enrolment as the run reads it: the columns, without a model instance per row.

    The context and the two times may come as text, parsed when first read: most runs read them
    for few of the rows, and Django's converters cost more per row than the rest of the run.
    """

    id: int
    team_id: int
    automation_id: int
    profile_id: int
    status: str
    is_holdout: bool
    step_id: int | None
    step_position: int
    stage_id: int | None
    raw_context: dict | str
    raw_next_run_at: datetime | str | None
    raw_entered_at: datetime | str

    COLUMNS = ("id", "team_id", "automation_id", "profile_id", "status", "is_holdout", "step_id", "step_position")
    COLUMNS += ("stage_id", "context", "next_run_at", "entered_at")

    @classmethod
    def columns(cls) -> list:
        if connection.vendor != "postgresql":
            return list(cls.COLUMNS)
        return [*cls.COLUMNS[:-3], *(Cast(name, TextField()) for name in cls.COLUMNS[-3:])]

    @property
    def pk(self) -> int:
        return self.id

    @property
    def context(self) -> dict:
        if isinstance(self.raw_context, str):
            self.raw_context = json.loads(self.raw_context)
        return self.raw_context

    @property
    def next_run_at(self) -> datetime | None:
        if isinstance(self.raw_next_run_at, str):
            self.raw_next_run_at = datetime.fromisoformat(self.raw_next_run_at)
        return self.raw_next_run_at

    @property
    def entered_at(self) -> datetime:
        if isinstance(self.raw_entered_at, str):
            self.raw_entered_at = datetime.fromisoformat(self.raw_entered_at)
        return self.raw_entered_at


def advance(
    *, now: datetime | None = None, limit: int = 10000, automation_ids=None, enrolment_ids=None
) -> dict[str, int]:
    """Run the due enrolments (set-wise, ``SKIP LOCKED``); return counts of what happened."""
    now = now or timezone.now()
    counts = {"enrolments": 0, "actions": 0, "completed": 0, "exited": 0, "entered": 0, "dropped": 0}
    with transaction.atomic():
        due = Enrolment.objects.filter(
            status__in=[Enrolment.Status.ACTIVE, Enrolment.Status.PENDING],
            next_run_at__lte=now,
            automation__status=Automation.Status.ACTIVE,
        )
        if automation_ids is not None:
            due = due.filter(automation_id__in=list(automation_ids))
        if enrolment_ids is not None:
            due = due.filter(pk__in=list(enrolment_ids))
        lock = {"skip_locked": True, "of": ("self",)} if connection.features.has_select_for_update_skip_locked else {}
        rows = [
            Due(*values)
            for values in due.select_for_update(**lock).order_by("next_run_at").values_list(*Due.columns())[:limit]
        ]
        if not rows:
            return counts
        counts["enrolments"] = len(rows)
        automations = {
            a.pk: a for a in Automation.objects.filter(pk__in={r.automation_id for r in rows}).select_related("team")
        }
        trees = trees_for(automations)
        rows = _resolve_pending(rows, automations, now, counts)
        # Facts the branches read, and the events the event waits wait for.
        kinds = set()
        for a in automations.values():
            kinds |= _all_conditions(a, trees[a.pk])
        if any(s.kind == Step.Kind.WAIT_TIME for t in trees.values() for s in t.by_id.values()):
            kinds.add("trait")
        facts_by_team = {}
        for team_id in {r.team_id for r in rows}:
            facts_by_team[team_id] = load_facts(team_id, [r.profile_id for r in rows if r.team_id == team_id], kinds)
        step_at = _step_started(rows, trees)
        events_since = _events_since(rows, trees, step_at)
        log: list[tuple[Due, Step, dict]] = []
        moves: list[Move] = []
        for r in rows:
            a = automations[r.automation_id]
            tree = trees[a.pk]
            out = walk(r, tree, facts_by_team[r.team_id], now, a.team.time_zone, events_since, step_at)
            log.extend((r, step, result) for step, result in out.passed)
            last_position = out.passed[-1][0].position if out.passed else r.step_position
            if out.step_id is not None and out.step_id in tree.by_id:
                position = (
                    tree.by_id[out.step_id].position if tree.by_id[out.step_id].parent_id is None else last_position
                )
            else:
                position = last_position
            ended = now if out.status in (Enrolment.Status.COMPLETED, Enrolment.Status.EXITED) else None
            moves.append(Move(r.pk, out.step_id, out.next_run_at, out.status, out.exit_reason, ended, position))
            if out.status == Enrolment.Status.COMPLETED:
                counts["completed"] += 1
            elif out.status == Enrolment.Status.EXITED:
                counts["exited"] += 1
        if log:
            _log_write(log, now)
            counts["actions"] = sum(1 for _r, step, _result in log if step.kind in Step.ACTIONS)
        _enrolments_move(moves)
        if counts["actions"]:
            _send_later()
    return counts


@dataclass(frozen=True, slots=True)
class Move:
    """Where one enrolment stands after a run: the row ``_enrolments_move`` writes."""

    id: int
    step_id: int | None
    next_run_at: datetime | None
    status: str
    exit_reason: str
    ended_at: datetime | None
    step_position: int


def _log_write(log: list[tuple[Due, Step, dict]], now: datetime) -> None:
    """Insert the step log and the actions, one row per (enrolment, step) passed; a row already
    there (a run redone after a crash) is kept as it is: the unique key is the action's identity.

    On PostgreSQL the rows travel as one array per column expanded by ``unnest``: building thousands
    of model instances and binding their fields one by one costs more than the insert.
    """
    if connection.vendor != "postgresql":
        Action.objects.bulk_create(
            [_action_row(en, step, now, result) for en, step, result in log], ignore_conflicts=True, batch_size=2000
        )
        return
    done, pending = Action.Status.DONE.value, Action.Status.PENDING.value
    ints = [
        [en.team_id for en, _s, _r in log],
        [en.pk for en, _s, _r in log],
        [step.id for _e, step, _r in log],
        [en.automation_id for en, _s, _r in log],
        [en.profile_id for en, _s, _r in log],
    ]
    texts = [
        [step.kind for _e, step, _r in log],
        [pending if step.kind in Step.ACTIONS else done for _e, step, _r in log],
        [json.dumps(result) if result else "{}" for _e, _s, result in log],
    ]
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO automations_action (team_id, enrolment_id, step_id, automation_id, profile_id, kind,"
            " status, attempts, lease_until, reason, result, created_at, not_before, done_at)"
            " SELECT r.t, r.e, r.s, r.a, r.p, r.k, r.st, 0, NULL, '', r.r, %s, %s,"
            " CASE WHEN r.st = %s THEN %s::timestamptz END"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::text[],"
            " %s::text[], %s::jsonb[]) AS r(t, e, s, a, p, k, st, r)"
            " ON CONFLICT (enrolment_id, step_id) DO NOTHING",
            [now, now, done, now, *map(_pg_ints, ints), *map(_pg_array, texts)],
        )


def _pg_array(values: list) -> str:
    """Return a PostgreSQL array literal of ``values`` (text, datetimes; None is NULL).

    Bound as one text parameter, the server parses it in one pass: psycopg binds a Python list
    element by element, which costs more than the statement for the sweep's thousands of rows.
    A column holds few distinct values (kinds, statuses, next run times), each quoted once.
    """
    quoted = {
        v: "NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in set(values)
    }
    return "{" + ",".join(map(quoted.__getitem__, values)) + "}"


def _pg_ints(values: list[int | None]) -> str:
    """Return a PostgreSQL array literal of integers (None is NULL), as ``_pg_array`` does."""
    return "{" + repr(list(values))[1:-1].replace("None", "NULL") + "}"


def _enrolments_move(moves: list[Move]) -> None:
    """Write where each enrolment now stands: one statement on PostgreSQL, whatever the groups."""
    if not moves:
        return
    if connection.vendor != "postgresql":
        fields = ["step_id", "next_run_at", "status", "exit_reason", "ended_at", "step_position"]
        Enrolment.objects.bulk_update(
            [Enrolment(pk=m.id, **{f: getattr(m, f) for f in fields}) for m in moves], fields, batch_size=500
        )
        return
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE automations_enrolment e SET step_id = u.s, next_run_at = u.n, status = u.st,"
            " exit_reason = u.x, ended_at = u.d, step_position = u.p"
            " FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::text[], %s::text[], %s::timestamptz[],"
            " %s::integer[]) AS u(i, s, n, st, x, d, p)"
            " WHERE e.id = u.i",
            [
                _pg_ints([m.id for m in moves]),
                _pg_ints([m.step_id for m in moves]),
                _pg_array([m.next_run_at for m in moves]),
                _pg_array([m.status for m in moves]),
                _pg_array([m.exit_reason for m in moves]),
                _pg_array([m.ended_at for m in moves]),
                _pg_ints([m.step_position for m in moves]),
            ],
        )


def _action_row(en: Due, step: Step, now: datetime, result: dict) -> Action:
    sends = step.kind in Step.ACTIONS
    return Action(
        team_id=en.team_id,
        enrolment_id=en.pk,
        step_id=step.pk,
        automation_id=en.automation_id,
        profile_id=en.profile_id,
        kind=step.kind,
        status=Action.Status.PENDING if sends else Action.Status.DONE,
        result=result,
        created_at=now,
        not_before=now,
        done_at=None if sends else now,
    )


def _resolve_pending(rows, automations, now, counts):
    """Pending enrolments (did not do an event within N after another): enter or drop them."""
    pending = [r for r in rows if r.status == Enrolment.Status.PENDING]
    if not pending:
        return rows
    # The "then" event within each one's window, for all of them in one query.
    windows = {
        r.pk: (r.profile_id, r.context["then_event"], datetime.fromisoformat(r.context["since"]), r.next_run_at)
        for r in pending
        if r.context.get("then_event") and r.context.get("since")
    }
    done = set()
    if windows:
        seen = defaultdict(list)
        for profile_id, name, at in Event.objects.filter(
            identity__profile_id__in={w[0] for w in windows.values()},
            event__in={w[1] for w in windows.values()},
            timestamp__gte=min(w[2] for w in windows.values()),
            timestamp__lte=max(w[3] for w in windows.values()),
        ).values_list("identity__profile_id", "event", "timestamp"):
            seen[(profile_id, name)].append(at)
        done = {
            pk
            for pk, (profile_id, name, since, until) in windows.items()
            if any(since <= at <= until for at in seen.get((profile_id, name), ()))
        }
    dropped = [r.pk for r in pending if r.pk in done]
    held = [r.pk for r in pending if r.pk not in done and r.is_holdout]
    entering = [r.pk for r in pending if r.pk not in done and not r.is_holdout]
    if dropped:
        Enrolment.objects.filter(pk__in=dropped).update(status="dropped", next_run_at=None, ended_at=now)
    if held:
        Enrolment.objects.filter(pk__in=held).update(status="holdout", next_run_at=None, entered_at=now)
    if entering:
        Enrolment.objects.filter(pk__in=entering).update(status="active", entered_at=now)
    counts["dropped"] += len(dropped)
    counts["entered"] += len(entering) + len(held)
    keep = set(entering)
    for r in rows:
        if r.pk in keep:
            r.status = Enrolment.Status.ACTIVE
    return [r for r in rows if r.status == Enrolment.Status.ACTIVE]


def _step_started(rows, trees) -> dict[int, datetime]:
    """When each enrolment waiting for an event reached that wait (its step log's last row)."""
    waiting = [
        r.pk
        for r in rows
        if r.step_id and getattr(trees[r.automation_id].by_id.get(r.step_id), "kind", "") == Step.Kind.WAIT_EVENT
    ]
    if not waiting:
        return {}
    return dict(
        Action.objects.filter(enrolment_id__in=waiting)
        .values("enrolment_id")
        .annotate(last=Max("created_at"))
        .values_list("enrolment_id", "last")
    )


def _events_since(rows, trees, step_at) -> dict[int, set[str]]:
    """The events each enrolment at an event wait waits for and did since it began waiting."""
    waits = {}
    for r in rows:
        step = trees[r.automation_id].by_id.get(r.step_id) if r.step_id else None
        if step is None or step.kind != Step.Kind.WAIT_EVENT or not (step.config or {}).get("event"):
            continue
        waits[r.pk] = (r.profile_id, step.config["event"], step_at.get(r.pk, r.entered_at))
    if not waits:
        return {}
    # Each customer's latest time of each awaited event, in one query: done since the wait began
    # if the latest is on or after its start.
    latest = {
        (profile_id, name): at
        for profile_id, name, at in Event.objects.filter(
            identity__profile_id__in={w[0] for w in waits.values()}, event__in={w[1] for w in waits.values()}
        )
        .values("identity__profile_id", "event")
        .annotate(at=Max("timestamp"))
        .values_list("identity__profile_id", "event", "at")
    }
    return {
        pk: {name}
        for pk, (profile_id, name, since) in waits.items()
        if latest.get((profile_id, name)) is not None and latest[(profile_id, name)] >= since
    }


def _send_later() -> None:
    from .tasks import actions_send_due

    def send():
        try:
            actions_send_due.delay()
        except Exception:
            logger.warning("automations: could not queue the sends; the sweep will", exc_info=True)

    transaction.on_commit(send)


# Dry run ---------------------------------------------------------------------------------------------------------


def dry_run(automation: Automation, *, limit: int = 50) -> dict:
    """Who would enter now: the customers the trigger's stage or time holds today and the
    conditions admit (event triggers: those who did the event in the last 7 days)."""
    cfg = automation.trigger_config or {}
    now = timezone.now()
    T = Automation.Trigger
    qs = None
    if automation.trigger in (T.STAGE_ENTERED, T.STAGE_STALLED, T.STAGE_LEFT) and cfg.get("stage"):
        rows = ProfileStage.objects.filter(journey_map_id=automation.journey_map_id, stage_id=cfg["stage"])
        if automation.trigger == T.STAGE_STALLED:
            rows = rows.filter(entered_at__lte=now - stall_threshold(automation))
        qs = rows.values_list("profile_id", flat=True)
    elif automation.trigger in (T.EVENT_DONE, T.EVENT_NOT_DONE) and cfg.get("event"):
        qs = (
            Event.objects.filter(team_id=automation.team_id, event=cfg["event"], timestamp__gte=now - timedelta(days=7))
            .values_list("identity__profile_id", flat=True)
            .distinct()
        )
    elif automation.trigger == T.TRAIT_CHANGED and cfg.get("trait"):
        qs = (
            TraitChange.objects.filter(
                team_id=automation.team_id, key=cfg["trait"], changed_at__gte=now - timedelta(days=7)
            )
            .values_list("profile_id", flat=True)
            .distinct()
        )
    ids = list(qs[:5000]) if qs is not None else []
    facts = load_facts(automation.team_id, ids, cond.needs(automation.conditions), automation.journey_map_id)
    admitted = [pk for pk in ids if cond.all_hold(automation.conditions, pk, facts)]
    if automation.reentry == Automation.Reentry.ONCE:
        seen = set(
            Enrolment.objects.filter(automation=automation, profile_id__in=admitted).values_list(
                "profile_id", flat=True
            )
        )
        admitted = [pk for pk in admitted if pk not in seen]
    profiles = list(Profile.objects.filter(pk__in=admitted[:limit]).only("id", "user_id", "traits"))
    return {"count": len(admitted), "capped": len(ids) >= 5000, "profiles": profiles}

"""Reads of automations for the pages and the API: lists, live counts per step, the holdout result."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from analytics.query import rate
from experiments.selectors import translated
from experiments.stats import two_proportions

from .engine import Tree
from .models import Action, Automation, Enrolment, OwnerTask, StageCap, Step


def automation_list(*, user, team=None, journey_map=None, status: str | None = None) -> QuerySet[Automation]:
    qs = Automation.objects.for_user(user).select_related("journey_map")
    if team is not None:
        qs = qs.filter(team=team)
    if journey_map is not None:
        qs = qs.filter(journey_map=journey_map)
    if status:
        qs = qs.filter(status=status)
    return qs.annotate(
        in_flight=Count("enrolments", filter=Q(enrolments__status__in=["active", "pending"])),
        entered=Count("enrolments", filter=~Q(enrolments__status__in=["pending", "dropped"])),
    ).order_by("journey_map__title", "name", "id")


def stage_cap_list(*, team) -> QuerySet[StageCap]:
    """Return the team's stage caps with their stage and map, in the maps' order."""
    return (
        StageCap.objects.for_team(team)
        .select_related("stage__journey_map")
        .order_by("stage__journey_map__title", "stage__journey_map_id", "stage__position", "id")
    )


def owner_task_list(*, user, team=None, owner=None, status: str | None = "open") -> QuerySet[OwnerTask]:
    qs = OwnerTask.objects.for_user(user).select_related("profile", "touchpoint", "owner", "action__automation")
    if team is not None:
        qs = qs.filter(team=team)
    if owner is not None:
        qs = qs.filter(owner=owner)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("due_at", "id")


@dataclass
class StepRow:
    """One step of the builder's list with its live counts."""

    step: Step
    depth: int
    in_step: int = 0
    passed: int = 0
    exited: int = 0
    converted: int = 0


def step_rows(automation: Automation) -> list[StepRow]:
    """Return the steps top to bottom (branches indented) with their counts, in four queries:
    in step now (active enrolments standing at it), passed (its step log), exited (enrolments that
    ended early standing at it), converted (enrolments that passed it and reached the goal)."""
    steps = list(Step.objects.filter(automation=automation))
    tree = Tree(steps)
    here = dict(
        Enrolment.objects.filter(automation=automation, status="active", step__isnull=False)
        .values("step_id")
        .annotate(n=Count("id"))
        .values_list("step_id", "n")
    )
    exited = dict(
        Enrolment.objects.filter(automation=automation, status="exited", step__isnull=False)
        .values("step_id")
        .annotate(n=Count("id"))
        .values_list("step_id", "n")
    )
    passed = defaultdict(int)
    converted = defaultdict(int)
    for step_id, is_converted, n in (
        Action.objects.filter(automation=automation)
        .values("step_id")
        .annotate(n=Count("id"), c=Count("id", filter=Q(enrolment__converted_at__isnull=False)))
        .values_list("step_id", "c", "n")
    ):
        passed[step_id] = n
        converted[step_id] = is_converted
    return [
        StepRow(
            step=s,
            depth=depth,
            in_step=here.get(s.pk, 0),
            passed=passed[s.pk],
            exited=exited.get(s.pk, 0),
            converted=converted[s.pk],
        )
        for s, depth in tree.ordered()
    ]


def status_counts(automation: Automation) -> dict[str, int]:
    counts = dict(
        Enrolment.objects.filter(automation=automation)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in Enrolment.Status.values}


def holdout_result(automation: Automation) -> dict:
    """Goal conversion of the enrolled against the holdout: each rate with its n and Wilson
    interval, and the difference (enrolled − holdout, in percentage points) with its 95 %
    interval and p-value from experiments' two-proportion z-test.

    Counted: everyone who entered (pending and dropped runs never did), whatever their run's end.
    """
    rows = (
        Enrolment.objects.filter(automation=automation)
        .exclude(status__in=["pending", "dropped"])
        .values("is_holdout")
        .annotate(n=Count("id"), k=Count("id", filter=Q(converted_at__isnull=False)))
    )
    groups = {row["is_holdout"]: (row["k"], row["n"]) for row in rows}
    k_e, n_e = groups.get(False, (0, 0))
    k_h, n_h = groups.get(True, (0, 0))
    # stats words its reasons in English; translated() puts them in the reader's language.
    comparison = translated(two_proportions(successes_a=k_h, n_a=n_h, successes_b=k_e, n_b=n_e))
    return {
        "goal": automation.goal,
        "window_days": automation.goal_window_days,
        "enrolled": rate(k_e, n_e),
        "holdout": rate(k_h, n_h),
        "difference": comparison.as_dict(),
    }

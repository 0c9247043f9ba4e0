"""Demo data for analytics: the furniture shop's Decision drop-off saved as a cohort, its customers as
a rule cohort, and the map's stage figures stored for the map page.

Runs after customers' demo (its events and stage transitions); idempotent: cohorts are found by name.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import QueryDict
from django.utils import timezone

from customers.models import Event
from customers.stages import events_match
from journeys.models import Stage

from . import cohorts, funnels, stages
from .models import Cohort

LEFT_AT_DECISION = "Left at Decision"
SHOP_CUSTOMERS = "Furniture shop customers"
DAYS = 90


def seed(context: dict) -> dict:
    team = context["team"]
    admin = context["users"]["demo"]
    shop = (context.get("maps") or {}).get("shop")
    if shop is None:
        return {}
    # The demo's events are matched to stages after the seeding commits; the funnel needs them now.
    _match_pending(team)
    found = {c.name: c for c in Cohort.objects.filter(team=team, name__in=[LEFT_AT_DECISION, SHOP_CUSTOMERS])}
    if LEFT_AT_DECISION not in found:
        found[LEFT_AT_DECISION] = left_at_decision(shop, user=admin)
    if SHOP_CUSTOMERS not in found:
        # Everyone whose current stage is on the shop's map: the shop's customers, whatever their traits.
        shop_stages = Stage.objects.filter(journey_map=shop).order_by("position")
        found[SHOP_CUSTOMERS] = cohorts.cohort_create(
            team=team,
            actor=admin,
            name=SHOP_CUSTOMERS,
            description="Profiles now in any stage of the furniture shop's map.",
            kind=Cohort.Kind.RULES,
            rules={"match": "any", "conditions": [{"type": "stage", "stage": s.pk} for s in shop_stages]},
        )
    stages.stage_stats_refresh(journey_map=shop)
    return {"cohorts": {"left_at_decision": found[LEFT_AT_DECISION], "shop_customers": found[SHOP_CUSTOMERS]}}


def _match_pending(team) -> None:
    """Match the team's unmatched events to stages now, in the order they came (as the task would)."""
    unmatched = Event.objects.filter(team=team, matched_at__isnull=True).order_by("received_at", "id")
    pending = list(unmatched.values_list("id", flat=True))
    for start in range(0, len(pending), 500):
        events_match(event_ids=pending[start : start + 500])


def left_at_decision(shop, *, user) -> Cohort:
    """Save the shop's stage-funnel drop-off at Decision (entered Decision, never reached the next stage)."""
    ordered = list(Stage.objects.filter(journey_map=shop).order_by("position", "id"))
    decision = next(i for i, s in enumerate(ordered) if s.name == "Decision")
    today = timezone.localdate()
    params = QueryDict(mutable=True)
    params.update({"start": (today - timedelta(days=DAYS)).isoformat(), "end": today.isoformat()})
    query = funnels.map_query(shop, user=user, data=params)
    # Step k+1 (1-based) is the stage after Decision: who was on the way to it and did not get there.
    dropped = funnels.engine_for(shop.team).dropped(query, decision + 2)
    return cohorts.cohort_create(
        team=shop.team,
        actor=user,
        name=LEFT_AT_DECISION,
        description=f"The shop's stage funnel over the last {DAYS} days: reached Decision, did not reach "
        f"{ordered[decision + 1].name}.",
        kind=Cohort.Kind.STATIC,
        profile_ids=dropped,
    )

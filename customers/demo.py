"""Demo data for customers: a website source, a tracking plan on the three demo maps, and event
streams of ``CUSTOMERS_DEMO_PROFILES_PER_MAP`` customers per map over the last 90 days, through the real ingestion.

Each case has its shape: the shop loses carts at Decision (delivery time, returns), the bank loses
loan applicants at Consideration and Decision (unclear information), the travel company converts
better since it added customer stories (45 days ago). Idempotent: nothing is added when the demo
source already exists.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify

from journeys.models import Stage

from . import services
from .models import Source

SOURCE_NAME = "Demo website"
DAYS = 90
# Per map: the chance of going on from each stage to the next (by stage position), before and
# after the map's change 45 days ago.
SHAPES = {
    "shop": ([0.7, 0.75, 0.35, 0.8, 0.5, 0.3], [0.7, 0.75, 0.55, 0.8, 0.5, 0.3]),
    "bank": ([0.6, 0.45, 0.5, 0.85, 0.6, 0.2], [0.6, 0.6, 0.65, 0.85, 0.6, 0.2]),
    "travel": ([0.65, 0.5, 0.45, 0.8, 0.5, 0.4], [0.65, 0.65, 0.6, 0.8, 0.5, 0.4]),
}
COUNTRIES = ["LV", "BG", "TW", "CN", "DE", "US"]
# What each case's customers came for, sent as the ``product`` trait: the demo personas' trait
# rules (personas/demo.py) match on it, so every identified demo customer gets a persona.
PRODUCTS = {"shop": "furniture", "bank": "loan", "travel": "holiday"}


def seed(context: dict) -> dict:
    team = context["team"]
    admin = context["users"]["demo"]
    maps = context.get("maps") or {}
    if Source.objects.filter(team=team, name=SOURCE_NAME).exists() or not maps:
        return {}
    source, _key = services.source_create(team=team, actor=admin, name=SOURCE_NAME, kind=Source.Kind.WEB)
    rng = random.Random(18)
    now = timezone.now().replace(microsecond=0)
    items = []
    for key, journey_map in maps.items():
        stages = list(
            Stage.objects.filter(journey_map=journey_map).prefetch_related("touchpoints").order_by("position")
        )
        plan = _plan(key, stages, admin)
        before, after = SHAPES.get(key, SHAPES["shop"])
        for n in range(settings.CUSTOMERS_DEMO_PROFILES_PER_MAP):
            items += _stream(rng, key, n, plan, before, after, now)
    received_at = timezone.now()
    for start in range(0, len(items), 100):
        services.events_ingest(source=source, items=items[start : start + 100], received_at=received_at)
    return {"customers_source": source}


def _plan(key: str, stages: list, admin) -> list[list[dict]]:
    """Bind every touchpoint to an event (pages by path, the rest by name); return them by stage."""
    plan = []
    for stage in stages:
        calls = []
        for touchpoint in stage.touchpoints.all():
            if touchpoint.channel == "page":
                path = f"/{key}/{slugify(touchpoint.name)}"
                services.tracking_rule_create(
                    actor=admin, stage=stage, touchpoint=touchpoint, event_type="page", path_pattern=path
                )
                calls.append({"type": "page", "name": touchpoint.name, "properties": {"path": path}})
            else:
                services.tracking_rule_create(
                    actor=admin, stage=stage, touchpoint=touchpoint, event_name=touchpoint.name
                )
                calls.append({"type": "track", "event": touchpoint.name, "properties": {"channel": touchpoint.channel}})
        plan.append(calls)
    return plan


def _stream(rng: random.Random, key: str, n: int, plan, before, after, now) -> list[dict]:
    anonymous_id = f"demo-{key}-anon-{n}"
    user_id = f"demo-{key}-{n}"
    at = now - timedelta(days=rng.uniform(1, DAYS))
    changed = now - timedelta(days=45)
    items, identified = [], False
    for index, calls in enumerate(plan):
        if not calls:
            continue
        for call in rng.sample(calls, k=rng.randint(1, len(calls))):
            at += timedelta(hours=rng.uniform(0.1, 30))
            if at >= now:
                return items
            item = {**call, "anonymousId": anonymous_id, "messageId": f"demo-{key}-{n}-{len(items)}"}
            if identified:
                item["userId"] = user_id
            items.append({**item, "timestamp": at.isoformat()})
        if index == 2 and not identified:
            identified = True
            items.append(
                {
                    "type": "identify",
                    "userId": user_id,
                    "anonymousId": anonymous_id,
                    "traits": {
                        "plan": rng.choice(["free", "team"]),
                        "country": rng.choice(COUNTRIES),
                        "product": PRODUCTS.get(key, key),
                    },
                    "messageId": f"demo-{key}-{n}-identify",
                    "timestamp": at.isoformat(),
                }
            )
        shape = after if at >= changed else before
        if index < len(shape) and rng.random() > shape[index]:
            return items
    return items

"""Demo data for customers: a website source, a tracking plan on the demo maps, and 90 days of
event streams for ``CUSTOMERS_DEMO_PROFILES_PER_MAP`` customers per map, through the real ingestion
(``services.events_ingest``), so identities, merges, traits and stages are what a live site makes.

The three worked cases have their own shapes:

- the furniture shop: many reach Decision and few buy; those who leave at Decision read the
  returns policy and the delivery page, go back to the cart, and go; since the change 45 days ago
  (delivery date and free returns on the product page) more of them buy;
- the bank: loan applicants leave at Consideration and Decision, after reading the rates page and
  the documents help again and again; the checklist (45 days ago) keeps more of them;
- the travel company: visitors who read the customer stories (added 45 days ago) book more often.

Customers start anonymous and are identified when they log in or buy (traits ``plan``,
``country``, ``device``); some come back on a second device and log in there, which merges that
device's anonymous profile into theirs. Events are sent in time order, 100 to a request, as a
site's SDK would send them. Idempotent: a team that has the demo source gets nothing more.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify

from journeys.models import Stage

from . import services
from .models import Source

SOURCE_NAME = "Demo website"
DAYS = 90
CHANGE_DAYS_AGO = 45  # the maps' v2 change
BATCH = 100

# Per touchpoint (by name): the call the site makes there, and the rule that recognises it.
# ("page", path, path pattern) or ("track", event, properties, conditions on properties).
CALLS = {
    # The furniture shop
    "Instagram ad for the sofa collection": (
        "track",
        "Ad Clicked",
        {"campaign": "sofa-collection", "utm_source": "instagram"},
        [{"property": "campaign", "op": "eq", "value": "sofa-collection"}],
    ),
    "Product page": ("page", "/shop/products/{product}", "/shop/products/*"),
    "Size and material guide": ("page", "/shop/guides/size-and-material", "/shop/guides/size-and-material"),
    "Support chat about returns": (
        "track",
        "Chat Started",
        {"topic": "returns"},
        [{"property": "topic", "op": "eq", "value": "returns"}],
    ),
    "Delivery date and free returns on the product page": (
        "track",
        "Delivery Date Viewed",
        {"placement": "product_page"},
        [],
    ),
    "Cart and delivery options": ("page", "/shop/cart", "/shop/cart"),
    "Returns policy page": ("page", "/shop/help/returns", "/shop/help/returns"),
    "Checkout": ("track", "Order Completed", {"currency": "EUR"}, []),
    "Order tracking email": (
        "track",
        "Email Opened",
        {"campaign": "order-tracking"},
        [{"property": "campaign", "op": "eq", "value": "order-tracking"}],
    ),
    "Second order voucher": (
        "track",
        "Email Opened",
        {"campaign": "second-order-voucher"},
        [{"property": "campaign", "op": "eq", "value": "second-order-voucher"}],
    ),
    "Review request": ("track", "Review Submitted", {}, []),
    # The bank
    "Branch poster on home loans": (
        "track",
        "QR Code Scanned",
        {"campaign": "home-loan-poster"},
        [{"property": "campaign", "op": "eq", "value": "home-loan-poster"}],
    ),
    "Loan calculator": ("track", "Loan Calculated", {"product": "home-loan"}, []),
    "Plain-language rates explainer": ("page", "/bank/home-loans/rates", "/bank/home-loans/rates"),
    "Rates and fees page": ("page", "/bank/home-loans/rates", "/bank/home-loans/rates"),
    "Document checklist before applying": ("page", "/bank/home-loans/checklist", "/bank/home-loans/checklist"),
    "Online loan application": (
        "track",
        "Application Started",
        {"product": "home-loan"},
        [{"property": "product", "op": "eq", "value": "home-loan"}],
    ),
    "Call to the loan advisor": ("track", "Advisor Call Requested", {"product": "home-loan"}, []),
    "Contract signing": ("track", "Contract Signed", {"product": "home-loan"}, []),
    "Monthly statement": (
        "track",
        "Email Opened",
        {"campaign": "monthly-statement"},
        [{"property": "campaign", "op": "eq", "value": "monthly-statement"}],
    ),
    "Refer-a-friend offer": ("track", "Referral Sent", {"product": "home-loan"}, []),
    # The travel company
    "Travel blog article": ("page", "/travel/blog/{article}", "/travel/blog/*"),
    "Destination page": ("page", "/travel/destinations/{destination}", "/travel/destinations/*"),
    "Customer stories with photos": ("page", "/travel/stories/{story}", "/travel/stories/*"),
    "Reviews on third-party sites": (
        "track",
        "Outbound Link Clicked",
        {"target": "reviews"},
        [{"property": "target", "op": "eq", "value": "reviews"}],
    ),
    "Package comparison": ("page", "/travel/packages/compare", "/travel/packages/compare"),
    "Booking and payment": ("track", "Booking Completed", {"currency": "EUR"}, []),
    "Pre-trip checklist email": (
        "track",
        "Email Opened",
        {"campaign": "pre-trip-checklist"},
        [{"property": "campaign", "op": "eq", "value": "pre-trip-checklist"}],
    ),
    "Share your trip": ("track", "Trip Shared", {}, []),
}
# Stages with no touchpoint are entered by a landing page of their own.
LANDINGS = {("travel", "Awareness"): "/travel/"}
FILLERS = {
    "product": ["oslo-sofa", "bergen-armchair", "linnea-bed", "tova-dining-table", "aino-bookcase"],
    "article": ["a-week-in-madeira", "lapland-with-children", "crete-off-season"],
    "destination": ["madeira", "lapland", "crete", "lisbon", "dolomites"],
    "story": ["the-ozols-in-madeira", "first-trip-abroad", "our-honeymoon-in-crete"],
}


@dataclass
class Case:
    """How a map's customers behave: the chance of going on past each stage, before and after the
    change, what those who leave at a stage look at first, and when they are identified."""

    go_on: tuple[list[float], list[float]]
    # stage name -> pages or events those who leave there visit (unmapped pages show as such)
    worries: dict = field(default_factory=dict)
    identify_at: str | int = "Purchase"  # a stage name, or a stage position for maps of any names
    plans: tuple = ("guest", "member")
    # a touchpoint only those who go on see more often (name -> (chance if going on, if leaving))
    leaning: dict = field(default_factory=dict)
    repeat_at: str = ""  # a stage where people go back and forth (several visits)


CASES = {
    "shop": Case(
        go_on=([0.8, 0.75, 0.22, 0.85, 0.6], [0.8, 0.75, 0.38, 0.85, 0.6]),
        worries={
            "Decision": [
                ("page", "/shop/help/returns", 0.75),
                ("page", "/shop/help/delivery", 0.65),
                ("page", "/shop/cart", 0.6),
                ("track", "Cart Abandoned", 0.5),
            ],
        },
        identify_at="Decision",
        plans=("guest", "member", "trade"),
        leaning={"Returns policy page": (0.25, 0.75), "Support chat about returns": (0.1, 0.3)},
        repeat_at="Decision",
    ),
    "bank": Case(
        go_on=([0.7, 0.45, 0.42, 0.9, 0.55], [0.7, 0.6, 0.58, 0.9, 0.55]),
        worries={
            "Consideration": [("page", "/bank/home-loans/rates", 0.7), ("page", "/bank/help/apr-explained", 0.5)],
            "Decision": [
                ("page", "/bank/help/documents", 0.7),
                ("track", "Application Step Abandoned", 0.8),
                ("page", "/bank/help/eligibility", 0.5),
            ],
        },
        identify_at="Decision",
        plans=("first-home", "remortgage", "buy-to-let"),
        leaning={"Call to the loan advisor": (0.2, 0.5)},
        repeat_at="Consideration",
    ),
    "travel": Case(
        go_on=([0.7, 0.5, 0.42, 0.85, 0.5], [0.7, 0.62, 0.55, 0.85, 0.5]),
        worries={
            "Consideration": [("track", "Outbound Link Clicked", 0.6)],
            "Decision": [("page", "/travel/faq", 0.5)],
        },
        identify_at="Purchase",
        plans=("solo", "couple", "family"),
        leaning={"Customer stories with photos": (0.7, 0.25), "Reviews on third-party sites": (0.3, 0.6)},
    ),
}
GENERIC = Case(
    go_on=([0.75, 0.6, 0.45, 0.8, 0.5], [0.75, 0.6, 0.5, 0.8, 0.5]), identify_at=2, plans=("new", "returning")
)
COUNTRIES = ["LV", "BG", "DE", "TW", "CN", "US", "GB"]
# What each case's customers came for, sent as the ``product`` trait: the demo personas' trait
# rules (personas/demo.py) match on it, so every identified demo customer gets a persona.
PRODUCTS = {"shop": "furniture", "bank": "loan", "travel": "holiday"}
DEVICES = [("mobile", 0.55), ("desktop", 0.38), ("tablet", 0.07)]
USER_AGENTS = {
    "mobile": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    "tablet": "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
}
SECOND_DEVICE = 0.25
# Touchpoints the maps' v2 added: on the site only since the change.
ADDED_WITH_THE_CHANGE = {
    "Delivery date and free returns on the product page",
    "Support chat about returns",
    "Document checklist before applying",
    "Customer stories with photos",
}  # of the identified: come back on another device and log in there


def seed(context: dict) -> dict:
    return _seed(context, settings.CUSTOMERS_DEMO_PROFILES_PER_MAP, "en-GB")


def seed_zh_hant(context: dict) -> dict:
    # The second team's demo shows the same pages; fewer customers keep seeding quick.
    return _seed(context, settings.CUSTOMERS_DEMO_PROFILES_PER_MAP // 4, "zh-TW")


def _seed(context: dict, per_map: int, locale: str) -> dict:
    team = context["team"]
    admin = context["users"]["demo"]
    maps = context.get("maps") or {}
    if not maps or Source.objects.filter(team=team, name=SOURCE_NAME).exists():
        return {}
    source, _key = services.source_create(team=team, actor=admin, name=SOURCE_NAME, kind=Source.Kind.WEB)
    rng = random.Random(18)
    now = timezone.now().replace(microsecond=0)
    items: list[tuple[datetime, dict]] = []
    for key, journey_map in maps.items():
        stages = list(
            Stage.objects.filter(journey_map=journey_map).prefetch_related("touchpoints").order_by("position")
        )
        plan = _plan(key, stages, admin)
        case = CASES.get(key, GENERIC)
        for n in range(per_map):
            items += _person(rng, key, n, plan, case, now, locale)
    # As the site sends them: in time order, a request at a time, received just after.
    items.sort(key=lambda pair: (pair[0], pair[1]["messageId"]))
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        received_at = chunk[-1][0] + timedelta(seconds=2)
        services.events_ingest(source=source, items=[item for _, item in chunk], received_at=received_at)
    return {"customers_source": source}


@dataclass
class Step:
    stage: str
    calls: list[dict]  # each a Segment call without ids and time, one per touchpoint


def _plan(key: str, stages: list, admin) -> list[Step]:
    """Create a tracking rule per touchpoint (and per empty stage); return each stage's calls."""
    steps = []
    for stage in stages:
        calls = []
        touchpoints = list(stage.touchpoints.all())
        for index, touchpoint in enumerate(touchpoints):
            spec = CALLS.get(touchpoint.name) or _generic_call(key, stage, index, touchpoint)
            if spec[0] == "page":
                _kind, path, pattern = spec
                services.tracking_rule_create(
                    actor=admin, stage=stage, touchpoint=touchpoint, event_type="page", path_pattern=pattern
                )
                calls.append({"type": "page", "name": touchpoint.name, "path": path})
            else:
                _kind, event, properties, conditions = spec
                services.tracking_rule_create(
                    actor=admin, stage=stage, touchpoint=touchpoint, event_name=event, conditions=conditions
                )
                calls.append({"type": "track", "name": touchpoint.name, "event": event, "properties": properties})
        if not touchpoints:
            path = LANDINGS.get((key, stage.name)) or f"/{key}/{slugify(stage.name) or stage.position}"
            services.tracking_rule_create(actor=admin, stage=stage, event_type="page", path_pattern=path)
            calls.append({"type": "page", "name": stage.name, "path": path})
        steps.append(Step(stage=stage.name, calls=calls))
    return steps


def _generic_call(key: str, stage, index: int, touchpoint) -> tuple:
    # Maps without a hand-written plan (the Traditional Chinese team's): pages by path, the rest by
    # an event named after the touchpoint.
    if touchpoint.channel == "page":
        path = f"/{key}/{slugify(touchpoint.name) or f'{stage.position + 1}-{index + 1}'}"
        return ("page", path, path)
    return ("track", touchpoint.name[:200], {"channel": touchpoint.channel}, [])


def _pick(rng: random.Random, weighted) -> str:
    return rng.choices([value for value, _ in weighted], weights=[weight for _, weight in weighted])[0]


def _person(rng: random.Random, key: str, n: int, plan: list[Step], case: Case, now: datetime, locale: str) -> list:
    """One customer's events over the 90 days: (time, call) pairs in time order."""
    user_id = f"demo-{key}-{n}"
    device = _pick(rng, DEVICES)
    anonymous_id = f"anon-{key}-{n}-{device}"
    traits = {"plan": rng.choice(case.plans), "country": rng.choice(COUNTRIES), "device": device}
    if key in PRODUCTS:
        traits["product"] = PRODUCTS[key]
    at = now - timedelta(days=rng.uniform(0.5, DAYS), hours=rng.uniform(0, 12))
    changed = now - timedelta(days=CHANGE_DAYS_AGO)
    out: list = []
    seq = [0]
    identified = [False]
    second_device = False

    def emit(call: dict, when: datetime, anon: str = anonymous_id, dev: str = device) -> None:
        seq[0] += 1
        item = {
            "type": call["type"],
            "anonymousId": anon,
            "messageId": f"demo-{key}-{n}-{seq[0]}",
            "timestamp": when.isoformat(),
            "context": {"userAgent": USER_AGENTS[dev], "device": {"type": dev}, "locale": locale},
        }
        if identified[0]:
            item["userId"] = user_id
        if call["type"] == "page":
            path = call["path"].format(**{name: rng.choice(values) for name, values in FILLERS.items()})
            item["name"] = call.get("name", "")
            item["properties"] = {"path": path, "url": f"https://demo.waymark.example{path}"}
        elif call["type"] == "track":
            item["event"] = call["event"]
            item["properties"] = dict(call.get("properties") or {})
        else:
            item.update({key_: value for key_, value in call.items() if key_ != "type"})
        out.append((when, item))

    def identify(when: datetime, anon: str = anonymous_id, dev: str = device) -> None:
        identified[0] = True
        emit({"type": "identify", "userId": user_id, "traits": {**traits, "device": dev}}, when, anon, dev)

    last = len(plan) - 1
    for index, step in enumerate(plan):
        shape = case.go_on[1] if at >= changed else case.go_on[0]
        goes_on = index < last and rng.random() < (shape[index] if index < len(shape) else 0.5)
        # A session at this stage: a few of its touchpoints, minutes apart.
        calls = [c for c in step.calls if _shown(rng, c, goes_on, case, at, changed)] or step.calls[:1]
        visits = 1 + (rng.random() < 0.4) if step.stage == case.repeat_at else 1
        for _visit in range(visits):
            for call in calls:
                at += timedelta(minutes=rng.uniform(0.5, 6))
                if at >= now:
                    return out
                emit(call, at)
            if case.identify_at in (step.stage, index) and not identified[0] and (goes_on or rng.random() < 0.3):
                at += timedelta(minutes=rng.uniform(0.5, 3))
                identify(at)
        if step.stage == "Purchase" and not identified[0]:
            identify(at + timedelta(minutes=1))
        if not goes_on:
            # Leaving: what worried them, then nothing more.
            for kind, what, chance in case.worries.get(step.stage, []):
                if rng.random() < chance:
                    at += timedelta(minutes=rng.uniform(1, 20))
                    if at >= now:
                        break
                    call = {"type": "page", "path": what} if kind == "page" else {"type": "track", "event": what}
                    emit(call, at)
            break
        # The next stage comes hours or days later.
        at += timedelta(hours=rng.expovariate(1 / 30))
        if identified[0] and not second_device and rng.random() < SECOND_DEVICE:
            # Back on another device: anonymous for a visit, logged in on a later one, which merges
            # that device's profile into theirs (a later request, so the merge is recorded).
            second_device = True
            other = "desktop" if device != "desktop" else "mobile"
            second = f"anon-{key}-{n}-{other}"
            identified[0] = False
            for path in (f"/{key}/", f"/{key}/account/login"):
                at += timedelta(minutes=rng.uniform(1, 10))
                emit({"type": "page", "path": path}, at, second, other)
            at += timedelta(hours=rng.uniform(6, 48))
            identify(at, second, other)
        if at >= now:
            break
    return [pair for pair in out if pair[0] < now]


def _shown(rng: random.Random, call: dict, goes_on: bool, case: Case, at: datetime, changed: datetime) -> bool:
    name = call.get("name", "")
    chance = case.leaning[name][0 if goes_on else 1] if name in case.leaning else 0.8
    if name in ADDED_WITH_THE_CHANGE and at < changed:
        return False
    return rng.random() < chance

"""Paths: the SQL (window functions) against the plain-Python reference, figure by figure, and the hard cases."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import paths
from customers import services
from customers.models import Event
from journeys.models import JourneyMap, Stage, Touchpoint

from .reference_paths import RefEvent, reference

END = timezone.now().replace(microsecond=0)
T0 = END - timedelta(days=3)


@pytest.fixture
def shop(team_a, alice):
    """A furniture shop's map: four touchpoints bound to events; returns, delivery and coupons are not on it."""
    journey_map = JourneyMap.objects.create(team=team_a, title="Furniture shop")
    consideration = Stage.objects.create(journey_map=journey_map, name="Consideration", position=0)
    decision = Stage.objects.create(journey_map=journey_map, name="Decision", position=1)
    purchase = Stage.objects.create(journey_map=journey_map, name="Purchase", position=2)
    touchpoints = {
        "product": Touchpoint.objects.create(stage=consideration, name="Product page"),
        "cart": Touchpoint.objects.create(stage=decision, name="Cart"),
        "checkout": Touchpoint.objects.create(stage=decision, name="Checkout"),
        "order": Touchpoint.objects.create(stage=purchase, name="Order"),
    }
    rules = {
        ("track", "Product Viewed", ""): touchpoints["product"],
        ("page", "", "/cart"): touchpoints["cart"],
        ("page", "", "/checkout"): touchpoints["checkout"],
        ("track", "Order Completed", ""): touchpoints["order"],
    }
    for (type_, name, path), touchpoint in rules.items():
        services.tracking_rule_create(
            actor=alice,
            stage=touchpoint.stage,
            touchpoint=touchpoint,
            event_type=type_,
            event_name=name,
            path_pattern=path,
        )
    source = services.source_create(team=team_a, actor=alice, name="Shop")[0]
    return {
        "map": journey_map,
        "stages": {"consideration": consideration, "decision": decision, "purchase": purchase},
        "touchpoints": touchpoints,
        "rules": {key: tp.pk for key, tp in rules.items()},
        "names": {tp.pk: tp.name for tp in touchpoints.values()},
        "source": source,
    }


class Sender:
    """Send events through the real ingestion, remembering them for the reference."""

    def __init__(self, source):
        self.source = source
        self.count = 0
        self.sent: list[dict] = []

    def item(self, who: str, at, kind: str, value: str, *, user_id: str = "") -> dict:
        self.count += 1
        item = {"type": kind, "anonymousId": who, "timestamp": at.isoformat(), "messageId": f"m-{self.count:06d}"}
        if user_id:
            item["userId"] = user_id
        if kind == "page":
            item["properties"] = {"path": value}
        elif kind in ("track", "screen"):
            item["event" if kind == "track" else "name"] = value
        return item

    def send(self, items: list[dict], received_at=None) -> None:
        services.events_ingest(source=self.source, items=items, received_at=received_at or END)

    def one(self, who, at, kind, value, **kwargs) -> None:
        self.send([self.item(who, at, kind, value, **kwargs)])


def compute(shop, team, **kwargs) -> paths.PathResult:
    options = {"anchor_kind": "page", "anchor": "/cart", "direction": paths.AFTER, "steps": 3, "top": 6, "days": 30}
    options.update(kwargs)
    return paths.paths_compute(paths.PathQuery(team=team, journey_map=shop["map"], end=END, **options))


def flows(result) -> list[tuple]:
    return [(t["from_step"], t["from_label"], t["to_label"], t["profiles"]) for t in result.transitions]


# --- the generated world against the reference ------------------------------------------------------

VOCABULARY = [
    ("page", "/cart"),
    ("page", "/checkout"),
    ("page", "/returns"),
    ("page", "/delivery"),
    ("track", "Product Viewed"),
    ("track", "Order Completed"),
    ("track", "Coupon Applied"),
    ("screen", "Home"),
]


def generate(sender: Sender, seed: int) -> tuple[list[RefEvent], dict[str, str]]:
    """Sixty people, their events with repeats, ties, session breaks, late arrivals and merges."""
    rng = random.Random(seed)
    person_of: dict[str, str] = {}
    refs: list[RefEvent] = []
    now_batch, late_batch, merges = [], [], []
    for p in range(60):
        person = f"p{p}"
        anon = f"anon-{seed}-{p}"
        person_of[anon] = person
        at = T0 + timedelta(minutes=rng.randrange(0, 600))
        second_device = f"dev2-{seed}-{p}" if rng.random() < 0.25 else ""
        if second_device:
            person_of[second_device] = person
        for _ in range(rng.randrange(2, 12)):
            choice = rng.random()
            if choice < 0.1:
                at += timedelta(minutes=rng.choice([31, 45, 120]))  # a new session
            elif choice < 0.15:
                at += timedelta(minutes=30)  # exactly the gap: the same session
            elif choice < 0.25:
                pass  # the same instant as the event before: a tie broken by arrival order
            else:
                at += timedelta(seconds=rng.randrange(5, 900))
            kind, value = rng.choice(VOCABULARY)
            repeats = 2 if rng.random() < 0.15 else 1  # a reload: the same event twice in a row
            for _ in range(repeats):
                who = second_device if second_device and rng.random() < 0.4 else anon
                item = sender.item(who, at, kind, value)
                (late_batch if rng.random() < 0.1 else now_batch).append(item)
                refs.append((item["messageId"], who, at, kind, value))
        if second_device:
            # Identified on both devices after the fact: the two anonymous profiles become one person.
            merges.append((anon, second_device, f"user-{seed}-{p}"))
    sender.send(now_batch)
    sender.send(late_batch, received_at=END + timedelta(seconds=1))  # late: arrives after, happened before
    for anon, device, user in merges:
        sender.send(
            [
                {"type": "identify", "userId": user, "anonymousId": anon, "messageId": f"id-{anon}"},
                {"type": "identify", "userId": user, "anonymousId": device, "messageId": f"id-{device}"},
            ]
        )
        person_of[user] = person_of[anon]
    ids = dict(Event.objects.filter(source=sender.source).values_list("message_id", "pk"))
    events = [
        RefEvent(ids[message_id], who, at, kind, "" if kind == "page" else value, value if kind == "page" else "")
        for message_id, who, at, kind, value in refs
    ]
    return events, person_of


def ref_for(shop, events, person_of, **kwargs):
    options = {"anchor": ("page", "/cart"), "direction": "after", "steps": 3, "top": 6, "days": 30}
    options.update(kwargs)
    days = options.pop("days")
    return reference(
        events,
        person_of,
        start=END - timedelta(days=days),
        end=END,
        gap=timedelta(minutes=30),
        rules=shop["rules"],
        touchpoint_names=shop["names"],
        **options,
    )


def assert_same(result: paths.PathResult, expected: dict) -> None:
    assert result.profiles == expected["profiles"]
    got_nodes = {(n["step"], n["label"]): (n["profiles"], n["detour"]) for n in result.nodes}
    assert got_nodes == expected["nodes"]
    got = {(t["from_step"], t["from_label"], t["to_label"]): t for t in result.transitions}
    assert set(got) == set(expected["transitions"])
    for key, want in expected["transitions"].items():
        t = got[key]
        assert t["profiles"] == want["profiles"], key
        assert t["share"]["n"] == want["n"], key
        assert t["share"]["value"] == pytest.approx(want["share"], abs=1e-12), key
        assert t["share"]["low"] == pytest.approx(want["interval"][0], abs=1e-9), key
        assert t["share"]["high"] == pytest.approx(want["interval"][1], abs=1e-9), key
        assert t["detour"] == want["detour"], key


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"direction": "before"},
        {"top": 2},
        {"top": 1, "steps": 5},
        {"anchor": ("event", "Product Viewed")},
        {"anchor": ("touchpoint", "checkout"), "direction": "before", "steps": 2},
    ],
    ids=["after-cart", "before-cart", "top-2", "top-1-five-steps", "from-event", "to-touchpoint"],
)
def test_paths_match_the_reference(shop, team_a, seed, options):
    events, person_of = generate(Sender(shop["source"]), seed)
    options = dict(options)
    anchor = options.pop("anchor", ("page", "/cart"))
    if anchor[0] == "touchpoint":
        anchor = ("touchpoint", str(shop["touchpoints"][anchor[1]].pk))
    expected = ref_for(shop, events, person_of, anchor=anchor, **options)
    result = compute(shop, team_a, anchor_kind=anchor[0], anchor=anchor[1], **options)
    assert expected["profiles"] > 10  # the generated world reaches the anchor often enough to mean something
    assert_same(result, expected)


# --- the hard cases, one at a time ------------------------------------------------------------------


def test_repeated_event_counts_once(shop, team_a):
    sender = Sender(shop["source"])
    sender.one("a", T0, "page", "/cart")
    sender.one("a", T0 + timedelta(seconds=5), "page", "/cart")  # a reload
    sender.one("a", T0 + timedelta(seconds=9), "page", "/returns")
    result = compute(shop, team_a)
    assert flows(result) == [(0, "Cart", "/returns", 1)]
    assert result.transitions[0]["detour"] is True


def test_late_event_takes_its_place_by_time(shop, team_a):
    sender = Sender(shop["source"])
    sender.one("a", T0, "page", "/cart")
    sender.one("a", T0 + timedelta(minutes=2), "page", "/checkout")
    # Arrives an hour later, happened in between: the path is cart → delivery → checkout.
    sender.send(
        [sender.item("a", T0 + timedelta(minutes=1), "page", "/delivery")], received_at=END + timedelta(hours=1)
    )
    result = compute(shop, team_a)
    assert flows(result) == [(0, "Cart", "/delivery", 1), (1, "/delivery", "Checkout", 1)]


def test_identity_merge_mid_path_is_one_path(shop, team_a):
    sender = Sender(shop["source"])
    sender.one("phone", T0, "page", "/cart")
    sender.one("laptop", T0 + timedelta(minutes=3), "page", "/checkout")
    sender.one("laptop", T0 + timedelta(minutes=4), "track", "Order Completed")
    # Before the identify the two devices are two people, and the cart leads nowhere.
    assert flows(compute(shop, team_a)) == []
    sender.send(
        [
            {"type": "identify", "userId": "ana", "anonymousId": "phone", "messageId": "i1"},
            {"type": "identify", "userId": "ana", "anonymousId": "laptop", "messageId": "i2"},
        ]
    )
    result = compute(shop, team_a)
    assert result.profiles == 1
    assert flows(result) == [(0, "Cart", "Checkout", 1), (1, "Checkout", "Order", 1)]


def test_gap_exactly_the_session_gap_stays_in_the_session(shop, team_a):
    sender = Sender(shop["source"])
    sender.one("a", T0, "page", "/cart")
    sender.one("a", T0 + timedelta(minutes=30), "page", "/checkout")
    sender.one("b", T0, "page", "/cart")
    sender.one("b", T0 + timedelta(minutes=30, milliseconds=1), "page", "/checkout")
    result = compute(shop, team_a)
    assert result.profiles == 2
    assert flows(result) == [(0, "Cart", "Checkout", 1)]
    assert result.steps[0] == {"step": 0, "profiles": 2, "ended": 1}


def test_ties_fold_by_label_and_keep_their_counts(shop, team_a):
    sender = Sender(shop["source"])
    for who, then in (("a", "/returns"), ("b", "/delivery"), ("c", "/checkout")):
        sender.one(who, T0, "page", "/cart")
        sender.one(who, T0 + timedelta(minutes=1), "page", then)
    # Three places with one customer each and two to keep: ties go by label as text ("/delivery" <
    # "/returns" < "Checkout"), so Checkout folds into Other, which comes last.
    result = compute(shop, team_a, top=2)
    assert flows(result) == [(0, "Cart", "/delivery", 1), (0, "Cart", "/returns", 1), (0, "Cart", "Other", 1)]
    other = [n for n in result.nodes if n["kind"] == "other"]
    assert [(n["step"], n["profiles"], n["detour"]) for n in other] == [(1, 1, False)]


def test_same_instant_events_keep_arrival_order(shop, team_a):
    sender = Sender(shop["source"])
    sender.send(
        [
            sender.item("a", T0, "page", "/cart"),
            sender.item("a", T0, "page", "/returns"),
            sender.item("a", T0, "page", "/checkout"),
        ]
    )
    assert flows(compute(shop, team_a)) == [(0, "Cart", "/returns", 1), (1, "/returns", "Checkout", 1)]


def test_nobody_at_the_anchor_gives_a_reason(shop, team_a):
    result = compute(shop, team_a)
    assert result.profiles == 0
    assert result.transitions == []
    assert "No customer reached the starting point" in result.reason


def test_anchor_with_nothing_after_gives_a_reason(shop, team_a):
    Sender(shop["source"]).one("a", T0, "page", "/cart")
    result = compute(shop, team_a)
    assert result.profiles == 1
    assert result.transitions == []
    assert "but did nothing else in the same session" in result.reason


def test_touchpoint_without_rules_gives_a_reason(shop, team_a):
    bare = Touchpoint.objects.create(stage=shop["stages"]["purchase"], name="Delivery call")
    result = compute(shop, team_a, anchor_kind="touchpoint", anchor=str(bare.pk))
    assert result.transitions == []
    assert "no tracking rule" in result.reason


def test_without_a_map_nothing_is_judged(shop, team_a):
    sender = Sender(shop["source"])
    sender.one("a", T0, "page", "/cart")
    sender.one("a", T0 + timedelta(minutes=1), "page", "/returns")
    result = paths.paths_compute(paths.PathQuery(team=team_a, anchor_kind="page", anchor="/cart", end=END))
    assert flows(result) == [(0, "/cart", "/returns", 1)]
    assert result.transitions[0]["to_on_map"] is None
    assert result.detours == []


def test_other_team_events_are_not_counted(shop, team_a, team_b, oscar):
    Sender(shop["source"]).one("a", T0, "page", "/cart")
    theirs = services.source_create(team=team_b, actor=oscar, name="Theirs")[0]
    sender = Sender(theirs)
    sender.one("a", T0, "page", "/cart")
    sender.one("a", T0 + timedelta(minutes=1), "page", "/checkout")
    assert compute(shop, team_a).profiles == 1


def test_compute_runs_in_few_queries(shop, team_a, django_assert_max_num_queries):
    _events, _people = generate(Sender(shop["source"]), 3)
    with django_assert_max_num_queries(6):
        result = compute(shop, team_a)
    assert result.profiles > 0


def test_stage_entry_rule_labels_the_stage(shop, team_a, alice):
    services.tracking_rule_create(actor=alice, stage=shop["stages"]["purchase"], event_name="Invoice Sent")
    sender = Sender(shop["source"])
    sender.one("a", T0, "page", "/cart")
    sender.one("a", T0 + timedelta(minutes=1), "track", "Invoice Sent")
    result = compute(shop, team_a)
    assert flows(result) == [(0, "Cart", "Purchase (stage entry)", 1)]
    assert result.transitions[0]["detour"] is False

"""Parity: every analysis on the SQL engine and on ClickHouse (run by chdb) over the same events.

One generated world per module (people, devices merged mid-funnel, repeats, same-instant ties,
exact window and session-gap boundaries, late arrivals, weeks across Riga's DST change), ingested
through the real services, shipped by ``customers.clickhouse.sync`` — twice, to prove a batch
shipped again is not counted twice — into one chdb session. Each test asks both engines the same
question and compares the whole answer; each also checks the answer is not empty, so a test
cannot pass by both engines finding nothing.
"""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest

from analytics import funnels, lifecycle, moments, paths, retention
from analytics.clickhouse import ClickHouseEngine
from analytics.funnels import FunnelQuery, Step
from customers import clickhouse, services
from customers.clickhouse import schema, sync
from customers.clickhouse.client import ChdbClient
from customers.models import ClickHouseCursor, Event, Identity, Profile
from journeys.models import JourneyMap, Stage, Touchpoint
from teams.models import Role, Team
from tests.factories import MembershipFactory, TeamFactory, UserFactory

chdb = pytest.importorskip("chdb", reason="chdb (requirements-dev.txt) runs the ClickHouse SQL in process")

RIGA = "Europe/Riga"  # clocks go back on Sunday 2026-10-25 at 04:00 local
T0 = datetime(2026, 10, 5, 7, 0, tzinfo=UTC)
RECEIVED = datetime(2026, 12, 1, tzinfo=UTC)
TODAY = date(2026, 11, 30)
NAMES = ["Viewed", "Added", "Checkout", "Paid"]
PAGES = ["/cart", "/checkout", "/returns", "/help/delivery"]
pytestmark = pytest.mark.django_db


def _generate(seed: int = 5, people: int = 80) -> tuple[list[list[dict]], list[dict]]:
    """Return (batches of calls, calls to send after the first shipping) for ``people`` shoppers."""
    rng = random.Random(seed)
    calls, later = [], []
    counter = 0

    def add(at, *, anon, user=None, type_="track", name="", path="", props=None, into=None):
        nonlocal counter
        counter += 1
        call = {"type": type_, "messageId": f"m{counter}", "timestamp": at.isoformat(), "anonymousId": anon}
        if type_ == "track":
            call["event"] = name
        elif type_ == "page":
            call["name"] = name or path
            call["properties"] = {"path": path}
        else:
            call["name"] = name
        if props:
            call.setdefault("properties", {}).update(props)
        if user:
            call["userId"] = user
        (calls if into is None else into).append(call)

    for p in range(people):
        anon, user = f"anon-{p}", f"user-{p}"
        plan = rng.choice(["solo", "team", "shop"])
        at = T0 + timedelta(days=rng.randint(0, 40), seconds=rng.randint(0, 86399), milliseconds=rng.randint(0, 999))
        calls.append(
            {
                "type": "identify",
                "messageId": f"id-{p}",
                "anonymousId": anon,
                "timestamp": (at - timedelta(minutes=rng.choice([1, 600, 3000]))).isoformat(),
                "traits": {"persona": rng.choice(["careful", "quick", "gift"]), "plan": plan},
            }
        )
        for _visit in range(rng.randint(1, 4)):
            for index, name in enumerate(NAMES):
                roll = rng.random()
                if roll < 0.12:
                    add(at, anon=anon, type_="page", path=rng.choice(PAGES))
                if roll < 0.05:
                    add(at, anon=anon, type_="screen", name="Home")  # a tie: the same instant
                if rng.random() < 0.25:
                    break
                add(at, anon=anon, name=name, props={"plan": plan, "step": index})
                if rng.random() < 0.1:
                    add(at, anon=anon, name=name, props={"plan": plan})  # a double send: a repeat
                gap = rng.choice([1, 90, 1800, 1801, 4000, 30000, 86400, 86401, 200000])
                # Exactly one day (the window) and one millisecond more, exactly the session gap and past it.
                at += timedelta(seconds=gap, milliseconds=rng.choice([0, 0, 1]))
            if rng.random() < 0.15:
                add(at, anon=anon, name="Refund")
            if rng.random() < 0.3:
                add(at, anon=anon, type_="page", path=rng.choice(PAGES))
            at += timedelta(days=rng.randint(0, 9), hours=rng.randint(0, 23))
        if rng.random() < 0.35:
            # A second device, then the sign-in that links it: a merge in the middle of the funnels.
            phone = f"{anon}-phone"
            add(at - timedelta(days=2), anon=phone, user=user, name="Added", props={"plan": plan})
            add(at, anon=phone, user=user, name="Paid", props={"plan": plan})
            target = later if p % 2 else calls  # half are linked only after the first shipping
            target.append({"type": "identify", "messageId": f"link-{p}", "userId": user, "anonymousId": anon})
    order = list(range(len(calls)))
    random.Random(seed + 1).shuffle(order)
    shuffled = [calls[i] for i in order]
    return [shuffled[i : i + 80] for i in range(0, len(shuffled), 80)], later


def _ingest(source, items) -> None:
    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        services.events_ingest(source=source, items=items, received_at=RECEIVED)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The shop's events in the app database and in one chdb session (the module's only one)."""
    folder = tempfile.TemporaryDirectory()
    client = ChdbClient(folder.name)
    with django_db_blocker.unblock():
        team = TeamFactory(name="Parity shop", slug="parity-shop", time_zone=RIGA)
        admin = UserFactory(username="parity-admin")
        MembershipFactory(team=team, user=admin, role=Role.ADMIN)
        source = services.source_create(team=team, actor=admin, name="Shop")[0]
        journey_map = JourneyMap.objects.create(team=team, title="Shop")
        decision = Stage.objects.create(journey_map=journey_map, name="Decision", position=0)
        purchase = Stage.objects.create(journey_map=journey_map, name="Purchase", position=1)
        cart = Touchpoint.objects.create(stage=decision, name="Cart", is_moment=True)
        checkout = Touchpoint.objects.create(stage=decision, name="Checkout")
        paid = Touchpoint.objects.create(stage=purchase, name="Paid", is_moment=True)
        team_paid = Touchpoint.objects.create(stage=purchase, name="Team plan paid")
        help_pages = Touchpoint.objects.create(stage=decision, name="Help")
        team_plan = [{"property": "plan", "op": "eq", "value": "team"}]
        for touchpoint, type_, name, path, conditions in (
            (cart, "page", "", "/cart", None),
            (cart, "track", "Added", "", None),
            (checkout, "page", "", "/check*", None),
            (paid, "track", "Paid", "", None),
            (team_paid, "track", "Paid", "", team_plan),  # a property condition: decided by customers.rules
            (help_pages, "any", "", "/HELP/*", None),  # any call, a case-insensitive glob
        ):
            services.tracking_rule_create(
                actor=admin,
                stage=touchpoint.stage,
                touchpoint=touchpoint,
                event_type=type_,
                event_name=name,
                path_pattern=path,
                conditions=conditions,
            )
        batches, later = _generate()
        for batch in batches:
            _ingest(source, batch)
        ClickHouseCursor.objects.all().delete()
        schema.schema_apply(client)
        sync.ship(client, lag=None, batch_size=500)
        # The worker dies after the insert, before its cursor commits: everything goes again.
        ClickHouseCursor.objects.update(position=0)
        sync.ship(client, lag=None, batch_size=700)
        _ingest(source, later)  # merges after the first shipping: identities move, events stay
        sync.ship(client, lag=None)
        world = {
            "team": team,
            "admin": admin,
            "map": journey_map,
            "touchpoints": {
                "cart": cart,
                "checkout": checkout,
                "paid": paid,
                "team_paid": team_paid,
                "help": help_pages,
            },
            "client": client,
        }
    yield world
    clickhouse.use_client(None)
    with django_db_blocker.unblock():
        Event.objects.filter(team=team).delete()
        Team.objects.filter(pk=team.pk).delete()
        ClickHouseCursor.objects.all().delete()
    client.close()
    folder.cleanup()


def on_both(world, compute):
    """Return ``compute()`` on the SQL engine and on ClickHouse."""
    clickhouse.use_client(None)
    sql = compute()
    clickhouse.use_client(world["client"])
    try:
        ch = compute()
    finally:
        clickhouse.use_client(None)
    return sql, ch


def test_shipping_twice_stores_each_event_once(world):
    client, team = world["client"], world["team"]
    stored = Event.objects.filter(team=team).count()
    rows = client.query("SELECT count(), uniqExact(id) FROM waymark.events WHERE team_id = {t:UInt64}", {"t": team.pk})
    assert rows[0][1] == stored > 500
    assert rows[0][0] >= stored  # copies are there until merges collapse them
    final = client.query("SELECT count() FROM waymark.events FINAL WHERE team_id = {t:UInt64}", {"t": team.pk})
    assert final[0][0] == stored


def test_merged_identities_point_at_the_live_profile(world):
    client, team = world["client"], world["team"]
    mapped = client.query(
        "SELECT identity_id, argMax(profile_id, version) FROM waymark.identities "
        "WHERE team_id = {t:UInt64} GROUP BY identity_id",
        {"t": team.pk},
    )
    assert dict(Identity.objects.filter(team=team).values_list("pk", "profile_id")) == dict(mapped)
    assert Profile.objects.filter(team=team, merged_into__isnull=False).exists()


def _funnel(world, *, steps=None, windows=(1, 2, 1, 3), **options) -> FunnelQuery:
    steps = steps or [Step("event", name, name, timedelta(days=w)) for name, w in zip(NAMES, windows, strict=True)]
    return FunnelQuery(
        team=world["team"],
        steps=steps,
        start=datetime(2026, 10, 5, tzinfo=UTC),
        end=datetime(2026, 11, 16, tzinfo=UTC),
        **options,
    )


FUNNELS = [
    {},
    {"order": "strict"},
    {"order": "any"},
    {"count": "conversions"},
    {"count": "conversions", "order": "strict"},
    {"exclusions": ["Refund"]},
    {"breakdown": "persona", "top": 2},
    {"breakdown": "trait:plan"},
    {"breakdown": "property:plan", "count": "conversions"},
    {"breakdown": "source"},
    {"order": "any", "exclusions": ["Refund"]},
    {"order": "strict", "count": "conversions", "exclusions": ["Refund"]},
    {
        "compare_start": datetime(2026, 10, 12, tzinfo=UTC),
        "compare_end": datetime(2026, 11, 2, tzinfo=UTC),
        "exclusions": ["Refund"],
    },
]


@pytest.mark.parametrize("options", FUNNELS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_event_funnel_is_the_same_on_both_engines(world, options):
    query = _funnel(world, **options)
    sql = funnels.SqlEngine()
    ch = ClickHouseEngine(world["client"])
    by_key = lambda entries: sorted(entries, key=lambda e: e.key)  # noqa: E731
    entries = sql.entries(query)
    assert by_key(ch.entries(query)) == by_key(entries)
    if not query.breakdown:
        # Counted inside ClickHouse (nothing per entry comes back) against the count of the entries.
        assert ch.tally(query) == funnels.tally(query, entries)
    result = ch.run(query)
    assert result == sql.run(query)
    assert result["steps"][0]["entered"] > 20 and result["steps"][-1]["converted"] > 0
    if query.compare_start:
        assert result["comparison"]["entries"] > 0


@pytest.mark.parametrize(
    "options",
    [{}, {"order": "strict"}, {"count": "conversions", "exclusions": ["Refund"]}],
    ids=["ordered", "strict", "conversions-excluded"],
)
def test_optional_step_and_touchpoint_steps_are_the_same(world, options):
    tps = world["touchpoints"]
    steps = [
        Step("touchpoint", tps["cart"].pk, "Cart", timedelta(days=2)),
        Step("touchpoint", tps["checkout"].pk, "Checkout", timedelta(days=1), optional=True),
        Step("touchpoint", tps["paid"].pk, "Paid", timedelta(days=3)),
    ]
    query = _funnel(world, steps=steps, **options)
    engine = ClickHouseEngine(world["client"])
    assert engine.tally(query) == funnels.tally(query, funnels.SqlEngine().entries(query))
    sql, ch = funnels.SqlEngine().run(query), engine.run(query)
    assert ch == sql
    assert sql["steps"][2]["converted"] > 0
    # The optional step is skipped by some who still reach the last one.
    assert sql["steps"][1]["dropped"] > 0 and sql["steps"][2]["entered"] > sql["steps"][1]["converted"]


@pytest.mark.parametrize("order", ["ordered", "strict"])
@pytest.mark.parametrize(
    "shape",
    [
        # Two optional steps in a row, then a step repeating one of them: the walk goes on from
        # wherever the last step found left off.
        [("Viewed", 1, False), ("Added", 1, True), ("Checkout", 2, True), ("Added", 1, False)],
        [("Added", 1, False), ("Added", 2, False)],  # the same event twice: a later occurrence
        [("Checkout", 1, False), ("Paid", 3, True)],  # a funnel ending on an optional step
    ],
    ids=["optionals-then-repeat", "repeat", "optional-last"],
)
def test_the_walk_over_steps_is_the_same(world, order, shape):
    steps = [Step("event", name, name, timedelta(days=days), optional=optional) for name, days, optional in shape]
    query = _funnel(world, steps=steps, order=order)
    engine = ClickHouseEngine(world["client"])
    entries = funnels.SqlEngine().entries(query)
    assert sorted(engine.entries(query), key=lambda e: e.key) == sorted(entries, key=lambda e: e.key)
    assert engine.tally(query) == funnels.tally(query, entries)
    assert any(entry.times[-1] is not None for entry in entries)


SINGLE_PASS_SHAPES = {
    "steps": lambda tps: [
        Step("event", name, name, timedelta(days=w)) for name, w in zip(NAMES, (1, 2, 1, 3), strict=True)
    ],
    # The same event three times: each occurrence moves the walk on by one step at most.
    "repeats": lambda tps: [Step("event", "Added", "Added", timedelta(days=d)) for d in (1, 2, 2)],
    # An "Added" call matches both steps (the cart touchpoint and the event): used once.
    "overlapping": lambda tps: [
        Step("touchpoint", tps["cart"].pk, "Cart", timedelta(days=2)),
        Step("event", "Added", "Added", timedelta(days=1)),
        Step("touchpoint", tps["paid"].pk, "Paid", timedelta(days=3)),
    ],
}


@pytest.mark.parametrize("shape", list(SINGLE_PASS_SHAPES))
def test_the_single_pass_counts_what_the_rules_count(world, monkeypatch, shape):
    """An ordered funnel counted per profile, without optional steps or exclusions, is counted by
    walking each person's occurrences once: the reference's counts (``funnels.tally`` of the SQL
    engine's entries) and the general walk's, to the row."""
    client = world["client"]
    statements = []
    real = client.query

    def spy(sql, params=None):
        statements.append(sql)
        return real(sql, params)

    monkeypatch.setattr(client, "query", spy)
    query = _funnel(world, steps=SINGLE_PASS_SHAPES[shape](world["touchpoints"]))
    engine = ClickHouseEngine(client)
    assert ClickHouseEngine.single_pass(query)
    reference = funnels.tally(query, funnels.SqlEngine().entries(query))
    assert engine.tally(query) == reference
    assert "arrayFold((acc, tt, mm)" in statements[-1]
    general = ClickHouseEngine(client)
    general.single_pass = lambda _query: False
    assert general.tally(query) == reference
    assert "arrayFold((acc, tt, mm)" not in statements[-1]
    assert reference["converted"][-1] > 0 and reference["total"] > 20


@pytest.mark.parametrize(
    "options",
    [{"order": "strict"}, {"order": "any"}, {"count": "conversions"}, {"exclusions": ["Refund"]}],
    ids=["strict", "any", "conversions", "exclusions"],
)
def test_other_funnels_take_the_general_walk(options):
    query = FunnelQuery(
        team=Team(),
        steps=[Step("event", name, name, timedelta(days=1)) for name in NAMES],
        start=datetime(2026, 10, 5, tzinfo=UTC),
        end=datetime(2026, 11, 16, tzinfo=UTC),
        **options,
    )
    assert not ClickHouseEngine.single_pass(query)
    optional = [
        Step("event", "Viewed", "Viewed", timedelta(days=1)),
        Step("event", "Paid", "Paid", timedelta(days=1), optional=True),
    ]
    assert not ClickHouseEngine.single_pass(FunnelQuery(team=Team(), steps=optional, start=query.start, end=query.end))


def test_engine_for_picks_clickhouse_when_set(world):
    query = _funnel(world, windows=(1, 1, 1, 1))
    sql, ch = on_both(world, lambda: funnels.engine_for(world["team"]).run(query))
    assert ch == sql
    clickhouse.use_client(world["client"])
    try:
        assert isinstance(funnels.engine_for(world["team"]), ClickHouseEngine)
    finally:
        clickhouse.use_client(None)
    assert type(funnels.engine_for(world["team"])) is funnels.SqlEngine


@pytest.mark.parametrize("options", [{}, {"count": "conversions", "exclusions": ["Refund"]}], ids=["default", "conv"])
def test_the_walk_keeps_its_levels_apart(world, monkeypatch, options):
    """The planner must not merge the walk's levels (a lazy ``if`` branch would recompute the steps
    before it), and keeping them apart changes no answer."""
    client = world["client"]
    statements = []
    real = client.query

    def spy(sql, params=None):
        statements.append(sql)
        return real(sql, params)

    monkeypatch.setattr(client, "query", spy)
    query = _funnel(world, **options)
    kept = ClickHouseEngine(client)
    merged = ClickHouseEngine(client)
    merged.KEEP_LEVELS = ""
    assert kept.tally(query) == merged.tally(query) == funnels.tally(query, funnels.SqlEngine().entries(query))
    assert statements[0].endswith(" SETTINGS query_plan_merge_expressions = 0, join_algorithm = 'hash'")
    assert "query_plan_merge_expressions" not in statements[1]
    assert statements[1].endswith(" SETTINGS join_algorithm = 'hash'")
    assert sorted(kept.entries(query), key=lambda e: e.key) == sorted(merged.entries(query), key=lambda e: e.key)
    assert statements[2].endswith(" SETTINGS query_plan_merge_expressions = 0, join_algorithm = 'hash'")


def test_window_funnel_levels_count_inside_clickhouse(world):
    """``windowFunnel``'s window runs from the first step, so it is checked against that definition."""
    query = _funnel(world, windows=(1, 1, 1, 1))
    window = timedelta(days=3)
    levels = ClickHouseEngine(world["client"]).funnel_levels(query, window)
    # The same definition from the SQL engine's per-person occurrences: any start, all steps within the window.
    expected = _window_funnel_reference(world, query, window)
    assert levels == expected and levels[0] > levels[-1] > 0


def _window_funnel_reference(world, query, window):
    profile = dict(Identity.objects.filter(team=world["team"]).values_list("pk", "profile_id"))
    by_person: dict[int, list] = {}
    events = Event.objects.filter(
        team=world["team"],
        type__in=["track", "page", "screen"],
        timestamp__gte=query.start,
        timestamp__lte=query.end + window,
    ).values_list("identity_id", "timestamp", "event")
    for identity, at, name in events:
        by_person.setdefault(profile[identity], []).append((at.replace(microsecond=0), name))
    names = [step.ref for step in query.steps]
    reached = []
    for rows in by_person.values():
        rows.sort()
        best = 0
        for start, name in rows:
            if name != names[0]:
                continue
            level, last = 1, start
            for step_name in names[1:]:
                nxt = next((t for t, n in rows if n == step_name and t > last and t <= start + window), None)
                if nxt is None:
                    break
                level, last = level + 1, nxt
            best = max(best, level)
        if best:
            reached.append(best)
    return [sum(1 for level in reached if level >= k) for k in range(1, len(names) + 1)]


@pytest.mark.parametrize(("period", "event"), [("week", ""), ("day", "Paid"), ("month", ""), ("week", "Added")])
def test_retention_is_the_same(world, period, event):
    query = retention.RetentionQuery(
        team=world["team"],
        start=date(2026, 10, 5),
        end=date(2026, 11, 20),
        period=period,
        event=event,
        periods=6 if period != "day" else 10,
        today=TODAY,
    )
    if period == "day":
        query.start = date(2026, 10, 20)
    sql, ch = on_both(world, lambda: retention.retention_table(query))
    assert ch == sql
    assert any(cell.get("k") for cohort in sql["cohorts"] for cell in cohort["cells"][1:])


@pytest.mark.parametrize(("period", "event"), [("week", ""), ("month", "Paid"), ("day", "")])
def test_lifecycle_is_the_same(world, period, event):
    query = lifecycle.LifecycleQuery(
        team=world["team"], start=date(2026, 10, 12), end=date(2026, 11, 22), period=period, event=event, today=TODAY
    )
    sql, ch = on_both(world, lambda: lifecycle.lifecycle_table(query))
    assert ch == sql
    assert sum(row["returning"] + row["resurrected"] for row in sql["periods"]) > 0


def test_new_customers_against_last_quarter_is_the_same(world):
    sql, ch = on_both(
        world, lambda: lifecycle.new_customers_comparison(world["team"], event="Paid", today=date(2026, 11, 20))
    )
    assert ch == sql


@pytest.mark.parametrize(("moment", "window"), [("cart", 7), ("paid", 3), ("event", 14)])
def test_moments_are_the_same(world, moment, window):
    touchpoint = world["touchpoints"].get(moment)
    query = moments.MomentQuery(
        team=world["team"],
        start=date(2026, 10, 5),
        end=date(2026, 11, 10),
        touchpoint=touchpoint,
        event="Checkout" if touchpoint is None else "",
        window_days=window,
        now=datetime(2026, 12, 1, tzinfo=UTC),
    )
    sql, ch = on_both(world, lambda: moments.moment_report(query))
    assert ch == sql
    assert sql["overall"]["activation"]["k"] > 0


def test_dashboard_moments_are_the_same(world):
    now = datetime(2026, 11, 10, tzinfo=UTC)
    sql, ch = on_both(world, lambda: moments.dashboard_moments(world["team"], now=now))
    assert ch == sql and sql[0]["summary"]["activation"]["n"] > 0


@pytest.mark.parametrize("moment", ["cart", "event"])
def test_reach_by_profile_is_the_same(world, moment):
    touchpoint = world["touchpoints"].get(moment)
    sql, ch = on_both(
        world,
        lambda: sorted(
            moments.reach_by_profile(
                world["team"],
                touchpoint=touchpoint,
                event="" if touchpoint else "Paid",
                first=date(2026, 10, 5),
                last=date(2026, 11, 10),
            )
        ),
    )
    assert ch == sql
    assert sum(1 for row in sql if row[2] is not None) > 5 and any(row[3] for row in sql)


@pytest.mark.parametrize(("name", "window"), [("Added", 7), ("Viewed", 1)])
def test_event_counts_by_profile_are_the_same(world, name, window):
    sql, ch = on_both(
        world,
        lambda: sorted(
            moments.event_counts_by_profile(
                world["team"], name, first=date(2026, 10, 5), last=date(2026, 11, 10), window_days=window
            )
        ),
    )
    assert ch == sql
    assert any(row[2] > 1 for row in sql) and any(row[2] == 0 for row in sql)


@pytest.mark.parametrize("behaviour", ["moment_activation", "event_count"])
def test_behavioural_metric_observations_are_the_same(world, behaviour):
    from django.db import transaction

    from experiments import services as experiments
    from experiments.models import Observation

    metric = experiments.metric_create(
        team=world["team"],
        actor=world["admin"],
        name=f"Parity {behaviour}",
        key=f"parity-{behaviour}".replace("_", "-"),
        behaviour=behaviour,
        event_name="Paid" if behaviour == "event_count" else "",
        touchpoint=world["touchpoints"]["cart"] if behaviour == "moment_activation" else None,
        kind="proportion" if behaviour == "moment_activation" else "mean",
        window_days=7,
        segment_trait="plan",
    )
    stored = []
    for client in (None, world["client"]):
        with transaction.atomic():
            clickhouse.use_client(client)
            try:
                experiments.metric_compute_from_events(
                    metric=metric, actor=world["admin"], now=datetime(2026, 11, 20, tzinfo=UTC), days_back=40
                )
            finally:
                clickhouse.use_client(None)
            stored.append(
                sorted(
                    Observation.objects.filter(metric=metric).values_list(
                        "period_start", "segment", "sample_size", "successes", "mean", "sd"
                    )
                )
            )
            transaction.set_rollback(True)
    assert stored[1] == stored[0]
    assert len(stored[0]) > 10 and any(segment for _day, segment, *_rest in stored[0])


PATHS = [
    {"anchor_kind": "page", "anchor": "/cart"},
    {"anchor_kind": "event", "anchor": "Added", "direction": "before", "steps": 4},
    {"anchor_kind": "event", "anchor": "Viewed", "steps": 5, "top": 3, "gap_minutes": 30},
    {"anchor_kind": "touchpoint", "anchor": "cart"},
]


@pytest.mark.parametrize("options", PATHS, ids=lambda o: f"{o['anchor_kind']}-{o['anchor']}")
def test_paths_are_the_same(world, options):
    options = dict(options)
    if options["anchor_kind"] == "touchpoint":
        options["anchor"] = str(world["touchpoints"][options["anchor"]].pk)
    query = paths.PathQuery(
        team=world["team"], journey_map=world["map"], days=60, end=datetime(2026, 11, 20, tzinfo=UTC), **options
    )
    sql, ch = on_both(world, lambda: paths.result_json(paths.paths_compute(query)))
    assert ch == sql
    assert sql["profiles"] > 5


def test_paths_and_breakdowns_look_events_up_in_parts(world, monkeypatch):
    """A million ids is more than ClickHouse takes in one array: the lookups go in parts."""
    from analytics import clickhouse as engine

    monkeypatch.setattr(engine, "ID_CHUNK", 7)
    query = paths.PathQuery(
        team=world["team"],
        journey_map=world["map"],
        days=60,
        end=datetime(2026, 11, 20, tzinfo=UTC),
        anchor_kind="event",
        anchor="Added",
    )
    sql, ch = on_both(world, lambda: paths.result_json(paths.paths_compute(query)))
    assert ch == sql and sql["profiles"] > 7
    funnel = _funnel(world, breakdown="property:plan", count="conversions")
    assert ClickHouseEngine(world["client"]).run(funnel) == funnels.SqlEngine().run(funnel)


def test_touchpoint_anchors_go_in_parts(world, monkeypatch):
    """A touchpoint-anchored path passes its anchors' ids as parameters of at most ``ID_CHUNK`` each."""
    from analytics import clickhouse as engine

    monkeypatch.setattr(engine, "ID_CHUNK", 7)
    statements = []
    client = world["client"]
    real = client.query

    def spy(sql, params=None):
        statements.append(sql)
        return real(sql, params)

    monkeypatch.setattr(client, "query", spy)
    query = paths.PathQuery(
        team=world["team"],
        journey_map=world["map"],
        days=60,
        end=datetime(2026, 11, 20, tzinfo=UTC),
        anchor_kind="touchpoint",
        anchor=str(world["touchpoints"]["cart"].pk),
    )
    sql, ch = on_both(world, lambda: paths.result_json(paths.paths_compute(query)))
    assert ch == sql and sql["profiles"] > 7
    anchored = [s for s in statements if "id IN (SELECT arrayJoin(" in s and "ARRAY JOIN ts" in s]
    assert len(anchored) == 1 and anchored[0].count("UNION ALL SELECT arrayJoin(") >= 2


@pytest.mark.parametrize("days", [7, 30, 90])
def test_map_overlay_counts_are_the_same(world, days):
    from customers.overlay import touchpoint_counts

    sql, ch = on_both(world, lambda: touchpoint_counts(world["map"], days=days, today=date(2026, 11, 20)))
    assert ch == sql
    if days == 90:
        tps = world["touchpoints"]
        assert {tps["cart"].pk, tps["paid"].pk, tps["team_paid"].pk, tps["help"].pk} <= set(sql)
        assert 0 < sql[tps["team_paid"].pk]["events"] < sql[tps["paid"].pk]["events"]

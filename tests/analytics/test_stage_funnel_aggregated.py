"""The stage funnel counted inside PostgreSQL (``SqlEngine.stage_figures``) against the same funnel
counted from its entries in Python (``summarize``), figure for figure, and against the reference.

Transitions are written as the tracking writes them (re-entries into the first stage before and in
the period, second visits, two transitions at the same instant, steps exactly on the window's end
and a millisecond after, sub-millisecond times, weeks across Riga's daylight-saving change), then
an identity merge moves one person's transitions onto another profile.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection

from analytics import funnels
from analytics.funnels import FunnelQuery, SqlEngine, Step, engine_for, summarize
from customers import services
from customers.models import Profile, StageTransition
from journeys.models import JourneyMap, Stage

from . import reference
from .test_funnels import assert_same, spec_for

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the aggregated path is PostgreSQL's")

RIGA = "Europe/Riga"  # clocks go back on Sunday 2026-10-25 at 04:00 local
T0 = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)
NAMES = ["Aware", "Consider", "Decide", "Buy"]
PERSONAS = ["switcher", "first-timer", "", None]


@pytest.fixture
def world(team_a, alice):
    team_a.time_zone = RIGA
    team_a.save(update_fields=["time_zone"])
    source = services.source_create(team=team_a, actor=alice, name="Shop")[0]
    calls = [
        {"type": "track", "event": "Hello", "anonymousId": f"p{i}", "timestamp": T0.isoformat(), "messageId": f"m{i}"}
        for i in range(40)
    ]
    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        services.events_ingest(source=source, items=calls, received_at=T0)
    journey_map = JourneyMap.objects.create(team=team_a, title="Shop")
    stages = [Stage.objects.create(journey_map=journey_map, name=n, position=i) for i, n in enumerate(NAMES)]
    rng = random.Random(19)
    rows = []

    def enter(profile, stage, at):
        transition = StageTransition.objects.create(
            team=team_a, profile=profile, journey_map=journey_map, to_stage=stage, entered_at=at
        )
        rows.append({"id": transition.pk, "person": profile.pk, "name": stage.pk, "type": "track", "ts": at})

    for number, profile in enumerate(Profile.objects.filter(team=team_a).order_by("pk")):
        persona = PERSONAS[number % len(PERSONAS)]
        profile.traits = {"plan": rng.choice(["free", "pro"])} | ({} if persona is None else {"persona": persona})
        profile.save(update_fields=["traits"])
        if number % 7 == 0:
            enter(profile, stages[0], T0 - timedelta(days=3))  # before the period: the next entry counts
        at = T0 + timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 23), microseconds=rng.randint(0, 999999))
        for index in range(rng.randint(1, 4)):
            if index and rng.random() < 0.15:
                continue  # skips a stage
            enter(profile, stages[index], at)
            if rng.random() < 0.2:
                enter(profile, stages[index], at + timedelta(hours=1))  # a second visit
            gap = rng.choice(
                [timedelta(hours=1), timedelta(hours=30), timedelta(days=2), timedelta(days=2, milliseconds=1)]
            )
            at += gap
        if number % 5 == 0:
            enter(profile, stages[0], at + timedelta(days=1))  # a re-entry in the period
        if number % 11 == 0:
            same = T0 + timedelta(days=4)
            enter(profile, stages[0], same)
            enter(profile, stages[1], same)  # the same instant, a later id: after the entry
    return {"team": team_a, "source": source, "map": journey_map, "stages": stages, "rows": rows}


def stage_query(world, *, breakdown="", window=timedelta(days=2), top=5, start=T0, days=21):
    return FunnelQuery(
        team=world["team"],
        journey_map=world["map"],
        steps=[Step("stage", s.pk, s.name, window) for s in world["stages"]],
        start=start,
        end=start + timedelta(days=days),
        breakdown=breakdown,
        top=top,
    )


def counted_from_entries(query):
    engine = SqlEngine()
    return summarize(query, engine.entries(query))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"breakdown": "persona"},
        {"breakdown": "persona", "top": 1},
        {"breakdown": "trait:plan", "window": timedelta(hours=30)},
        {"window": timedelta(days=2, milliseconds=1)},
        {"start": T0 + timedelta(days=5), "days": 7},
    ],
    ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()) or "default",
)
def test_aggregated_stage_funnel_equals_the_funnel_counted_from_its_entries(world, options):
    query = stage_query(world, **options)
    assert funnels.aggregates_in_database(query)
    aggregated = SqlEngine().stage_figures(query)
    assert aggregated == counted_from_entries(query)
    assert_same(aggregated, reference.funnel(world["rows"], spec_for(query)))
    assert aggregated["entries"] > 10 and aggregated["steps"][-1]["converted"] > 0


def test_the_map_funnel_is_answered_in_the_database_and_with_jit_off(world):
    query = stage_query(world, breakdown="persona")
    statements = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with (
        mock.patch.object(funnels, "summarize", side_effect=AssertionError("counted in Python")),
        connection.execute_wrapper(record),
    ):
        result = engine_for(world["team"]).run(query)
    assert result["breakdown"]["rows"]
    jit = statements.index(funnels.NO_JIT)
    assert statements[jit + 1].startswith("WITH s1 AS MATERIALIZED")


def test_other_funnels_are_still_counted_from_their_entries(world):
    for query in (
        stage_query(world, breakdown="channel"),
        FunnelQuery(**{**stage_query(world).__dict__, "order": "strict"}),
        FunnelQuery(**{**stage_query(world).__dict__, "count": "conversions"}),
    ):
        assert not funnels.aggregates_in_database(query)


def test_an_identity_merge_moves_the_entries_and_both_counts_agree(world):
    query = stage_query(world, breakdown="persona")
    before = SqlEngine().stage_figures(query)
    profiles = list(Profile.objects.filter(team=world["team"]).order_by("pk"))
    # p1 and p2 sign in as the same person: one profile, both histories.
    calls = [
        {"type": "identify", "userId": "u1", "anonymousId": "p1", "messageId": "i1"},
        {"type": "identify", "userId": "u1", "anonymousId": "p2", "messageId": "i2"},
    ]
    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        services.events_ingest(source=world["source"], items=calls, received_at=T0)
    merged = Profile.objects.filter(pk__in=[profiles[1].pk, profiles[2].pk], merged_into__isnull=False)
    assert merged.count() == 1
    after = SqlEngine().stage_figures(query)
    assert after == counted_from_entries(query)
    assert after["entries"] == before["entries"] - 1
    survivor = {p.pk: p.merged_into_id or p.pk for p in Profile.objects.filter(team=world["team"])}
    rows = [{**row, "person": survivor[row["person"]]} for row in world["rows"]]
    assert_same(after, reference.funnel(rows, spec_for(query)))

"""The funnel engine against the plain-Python reference (tests/analytics/reference.py), figure by figure.

Events go in through the real ingestion, shuffled and in several calls (late and out-of-order
arrivals), with identity merges in the middle of funnels; the reference knows who is who from
the generator, not from the database. Runs on SQLite, and on PostgreSQL when DATABASE_URL is set.
"""

from __future__ import annotations

import itertools
import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from analytics import funnels
from analytics.funnels import FunnelQuery, Step, engine_for, query_from
from customers import services
from customers.models import Event, Identity, Profile, StageTransition
from journeys.models import JourneyMap, Stage

from . import reference

RIGA = "Europe/Riga"  # clocks go back on Sunday 2026-10-25 at 04:00 local
T0 = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)
NAMES = ["Viewed", "Added", "Checkout", "Paid"]
RECEIVED = datetime(2026, 12, 1, tzinfo=UTC)


def _ingest(source, items):
    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        services.events_ingest(source=source, items=items, received_at=RECEIVED)


def generate(seed: int = 7, people: int = 36) -> tuple[list[dict], list[dict]]:
    """Return (tracking calls, reference rows) for ``people`` shoppers over four weeks."""
    rng = random.Random(seed)
    calls, rows = [], []
    counter = 0

    def add(person, name, at, *, anon, user=None, type_="track"):
        nonlocal counter
        counter += 1
        message_id = f"m{counter}"
        call = {"type": type_, "messageId": message_id, "timestamp": at.isoformat(), "anonymousId": anon}
        if type_ == "track":
            call["event"] = name
        else:
            call["name"] = name
        if user:
            call["userId"] = user
        calls.append(call)
        rows.append({"message_id": message_id, "person": person, "name": name, "type": type_, "ts": at})

    for p in range(people):
        anon, user = f"anon-{p}", f"user-{p}"
        at = T0 + timedelta(days=rng.randint(0, 25), seconds=rng.randint(0, 86399))
        persona = rng.choice(["careful", "quick", "gift", "team"])
        calls.append(
            {
                "type": "identify",
                "messageId": f"id-{p}",
                "anonymousId": anon,
                "timestamp": (T0 - timedelta(days=3)).isoformat(),
                "traits": {"persona": persona},
            }
        )
        for _visit in range(rng.randint(1, 3)):
            for name in NAMES:
                if rng.random() < 0.15:
                    add(p, "Browsed", at, anon=anon, type_="page")
                    at += timedelta(seconds=rng.randint(1, 600))
                if rng.random() < 0.3:
                    break
                add(p, name, at, anon=anon)
                at += timedelta(seconds=rng.choice([5, 90, 700, 4000, 30000, 100000, 200000]))
            if rng.random() < 0.1:
                add(p, "Refund", at, anon=anon)
            at += timedelta(days=rng.randint(0, 6))
        if rng.random() < 0.4:
            # Signs in on another device, then the devices are linked: a merge in mid-funnel.
            add(p, "Paid", at, anon=f"{anon}-phone", user=user)
            calls.append({"type": "identify", "messageId": f"link-{p}", "userId": user, "anonymousId": anon})
    return calls, rows


@pytest.fixture
def shop(team_a, alice):
    team_a.time_zone = RIGA
    team_a.save(update_fields=["time_zone"])
    source = services.source_create(team=team_a, actor=alice, name="Shop")[0]
    calls, rows = generate()
    order = list(range(len(calls)))
    random.Random(3).shuffle(order)
    shuffled = [calls[i] for i in order]
    # Several calls: many events arrive after events that happened later (late arrivals).
    for chunk in range(0, len(shuffled), 50):
        _ingest(source, shuffled[chunk : chunk + 50])
    ids = dict(Event.objects.filter(team=team_a).values_list("message_id", "id"))
    for row in rows:
        row["id"] = ids[row["message_id"]]
    return {"team": team_a, "source": source, "rows": rows, "personas": _personas(team_a)}


def _personas(team) -> dict:
    return {int(p.user_id.split("-")[1]) if p.user_id else _person_of(p): p.traits.get("persona") for p in _live(team)}


def _live(team):
    return Profile.objects.filter(team=team, merged_into__isnull=True)


def _person_of(profile) -> int:
    value = Identity.objects.filter(profile=profile, kind="anonymous_id").values_list("value", flat=True).first()
    return int(value.split("-")[1])


def profile_of(team, person) -> int:
    return Identity.objects.get(team=team, kind="anonymous_id", value=f"anon-{person}").profile_id


def event_query(team, *, names=NAMES, windows=(1, 2, 1, 3), **options) -> FunnelQuery:
    steps = [Step("event", name, name, timedelta(days=w)) for name, w in zip(names, windows, strict=False)]
    if options.pop("optional", None):
        steps[2] = replace(steps[2], optional=True)
    return FunnelQuery(
        team=team,
        steps=steps,
        start=options.pop("start", T0),
        end=options.pop("end", T0 + timedelta(days=21)),
        **options,
    )


def spec_for(query: FunnelQuery) -> reference.Spec:
    names = [step.ref for step in query.steps]
    return reference.Spec(
        matchers=[(lambda row, name=name: row["name"] == name) for name in names],
        windows=[step.window for step in query.steps],
        start=query.start,
        end=query.end,
        tz=query.team.time_zone,
        order=query.order,
        count=query.count,
        optional={i for i, step in enumerate(query.steps, 1) if step.optional},
        exclusions=set(query.exclusions),
    )


def assert_same(result: dict, expected: dict) -> None:
    json.dumps(result, allow_nan=False)  # no NaN anywhere
    assert result["entries"] == expected["entries"]
    assert result["completed"] == expected["completed"]
    for k, step in enumerate(result["steps"]):
        assert step["entered"] == expected["entered"][k], f"step {k + 1} entered"
        assert step["converted"] == expected["converted"][k], f"step {k + 1} converted"
        assert step["dropped"] == expected["entered"][k] - expected["converted"][k]
        interval = reference.wilson(expected["converted"][k], expected["entered"][k])
        figure = step["from_previous"]
        assert figure["n"] == expected["entered"][k]
        if interval is None:
            assert figure["rate"] is None and figure["reason"]
        else:
            assert figure["rate"] == pytest.approx(expected["converted"][k] / expected["entered"][k])
            assert (figure["low"], figure["high"]) == pytest.approx(interval, abs=1e-9)
        overall = step["overall"]
        assert overall["n"] == expected["entries"]
        timing = step["time_to_convert"]
        assert timing["unit"] == "seconds"
        assert timing["n"] == len(expected["durations"][k])
        if k:
            assert timing["median"] == pytest.approx(expected["medians"][k]) if expected["medians"][k] else True
            assert timing["median"] is None or expected["medians"][k] is not None
            assert [b["count"] for b in timing["histogram"]] == expected["histograms"][k]
    weeks = {w["week_start"]: [w["entered"], w["converted"]] for w in result["weeks"]}
    assert weeks == expected["weeks"]


CASES = [
    {"order": "ordered"},
    {"order": "strict"},
    {"order": "any"},
    {"order": "ordered", "count": "conversions"},
    {"order": "strict", "count": "conversions"},
    {"order": "ordered", "optional": True},
    {"order": "ordered", "exclusions": ["Refund"]},
    {"order": "strict", "optional": True, "count": "conversions", "exclusions": ["Refund"]},
]


@pytest.mark.parametrize("options", CASES, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_event_funnel_matches_reference(shop, options):
    query = event_query(shop["team"], **dict(options))
    result = engine_for(shop["team"]).run(query)
    expected = reference.funnel(shop["rows"], spec_for(query))
    assert expected["entries"] > 10  # the generated data exercises the funnel
    assert_same(result, expected)


def test_breakdown_by_persona_matches_reference_with_top_and_other(shop):
    query = event_query(shop["team"], breakdown="persona", top=2)
    result = engine_for(shop["team"]).run(query)
    expected = reference.funnel(shop["rows"], spec_for(query), breakdown=shop["personas"])
    ranked = sorted(expected["groups"].items(), key=lambda item: (-item[1][0], item[0]))
    rows = result["breakdown"]["rows"]
    assert [(r["value"], r["entered"], r["converted"]) for r in rows[:2]] == [(v, g[0], g[1]) for v, g in ranked[:2]]
    assert rows[2]["value"] == "other" and rows[2]["is_other"]
    assert rows[2]["entered"] == sum(g[0] for _v, g in ranked[2:])
    assert sum(r["entered"] for r in rows) == result["entries"]


@pytest.mark.parametrize("step", [2, 3, 4])
def test_dropped_profiles_match_reference(shop, step):
    team = shop["team"]
    query = event_query(team)
    expected = reference.funnel(shop["rows"], spec_for(query))
    dropped = engine_for(team).dropped(query, step)
    assert dropped == sorted({profile_of(team, person) for person in expected["dropped"][step - 1]})
    assert len(dropped) == expected["entered"][step - 1] - expected["converted"][step - 1]


def test_two_periods_side_by_side(shop):
    team = shop["team"]
    query = event_query(team, end=T0 + timedelta(days=10), compare_start=T0 + timedelta(days=10))
    query.compare_end = T0 + timedelta(days=20)
    result = engine_for(team).run(query)
    assert_same(result, reference.funnel(shop["rows"], spec_for(query)))
    assert_same(result["comparison"], reference.funnel(shop["rows"], spec_for(query.compared())))
    assert result["comparison"]["period"]["start"] == (T0 + timedelta(days=10)).isoformat()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the aggregated path is PostgreSQL's")
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"breakdown": "persona", "top": 2},
        {"windows": (1, 1, 1, 1), "start": T0 + timedelta(days=3), "end": T0 + timedelta(days=12)},
        {"names": ["Viewed", "Added", "Added", "Paid"]},
    ],
    ids=["default", "persona", "short-period", "repeated-step"],
)
def test_ordered_event_funnel_is_counted_in_the_database_as_from_its_entries(shop, options):
    query = event_query(shop["team"], **options)
    assert funnels.aggregates_in_database(query)
    with mock.patch.object(funnels, "summarize", side_effect=AssertionError("counted in Python")):
        aggregated = engine_for(shop["team"]).run(query)
    assert aggregated.pop("comparison") is None
    assert aggregated == funnels.summarize(query, funnels.SqlEngine().entries(query))
    assert_same(aggregated, reference.funnel(shop["rows"], spec_for(query)))
    assert aggregated["steps"][1]["converted"] > 0


def test_other_event_funnels_are_counted_from_their_entries(shop):
    team = shop["team"]
    for options in ({"order": "strict"}, {"count": "conversions"}, {"optional": True}, {"exclusions": ["Refund"]}):
        assert not funnels.aggregates_in_database(event_query(team, **options))
    touchpoint = replace(event_query(team), steps=[Step("touchpoint", 1, "Cart", timedelta(days=1))] * 2)
    assert not funnels.aggregates_in_database(touchpoint)


# --- hand-made hard cases ---------------------------------------------------------------------


@pytest.fixture
def source(team_a, alice):
    team_a.time_zone = RIGA
    team_a.save(update_fields=["time_zone"])
    return services.source_create(team=team_a, actor=alice, name="Shop")[0]


def track(name, at, anon, user=None, n=[0]):  # noqa: B006 (a counter shared by the calls of one module)
    n[0] += 1
    call = {"type": "track", "event": name, "anonymousId": anon, "timestamp": at.isoformat(), "messageId": f"h{n[0]}"}
    if user:
        call["userId"] = user
    return call


def two_steps(team, window=timedelta(days=1), **options):
    return FunnelQuery(
        team=team,
        steps=[Step("event", "A", "A", window), Step("event", "B", "B", window)],
        start=T0,
        end=T0 + timedelta(days=30),
        **options,
    )


def test_event_exactly_on_the_window_boundary_converts_one_millisecond_later_does_not(team_a, source):
    _ingest(
        source,
        [
            track("A", T0, "on"),
            track("B", T0 + timedelta(days=1), "on"),
            track("A", T0, "late"),
            track("B", T0 + timedelta(days=1, milliseconds=1), "late"),
        ],
    )
    result = engine_for(team_a).run(two_steps(team_a))
    assert [s["converted"] for s in result["steps"]] == [2, 1]
    assert result["steps"][1]["time_to_convert"]["median"] == 86400.0


def test_identity_merge_in_the_middle_counts_one_profile(team_a, source):
    # A on the laptop (anonymous), B signed in on the phone, then the laptop signs in: one person.
    _ingest(source, [track("A", T0, "laptop"), track("B", T0 + timedelta(hours=2), "phone", user="u1")])
    before = engine_for(team_a).run(two_steps(team_a))
    assert [s["converted"] for s in before["steps"]] == [1, 0]
    _ingest(source, [{"type": "identify", "userId": "u1", "anonymousId": "laptop", "messageId": "link"}])
    after = engine_for(team_a).run(two_steps(team_a))
    assert [s["converted"] for s in after["steps"]] == [1, 1]
    assert after["steps"][1]["time_to_convert"]["median"] == 7200.0
    assert engine_for(team_a).dropped(two_steps(team_a), 2) == []


def test_repeated_steps_need_distinct_events(team_a, source):
    _ingest(source, [track("A", T0, "x"), track("B", T0 + timedelta(minutes=1), "x"), track("A", T0, "y")])
    query = FunnelQuery(
        team=team_a,
        steps=[Step("event", "A", "A", timedelta(days=1)), Step("event", "A", "A again", timedelta(days=1))],
        start=T0,
        end=T0 + timedelta(days=3),
    )
    result = engine_for(team_a).run(query)
    assert [s["converted"] for s in result["steps"]] == [2, 0]
    _ingest(source, [track("A", T0 + timedelta(minutes=5), "x")])
    result = engine_for(team_a).run(query)
    assert [s["converted"] for s in result["steps"]] == [2, 1]
    assert result["steps"][1]["time_to_convert"]["median"] == 300.0


def test_out_of_order_arrival_is_read_by_timestamp(team_a, source):
    # B is received first though it happened after A.
    _ingest(source, [track("B", T0 + timedelta(hours=1), "z")])
    _ingest(source, [track("A", T0, "z")])
    result = engine_for(team_a).run(two_steps(team_a))
    assert [s["converted"] for s in result["steps"]] == [1, 1]


def test_weeks_across_the_dst_change_in_the_team_time_zone(team_a, source):
    # Riga: Sunday 2026-10-25 23:30 local is 21:30 UTC (after the change, UTC+2); Monday 00:30
    # local is 22:30 UTC on Sunday: a UTC week would put both in the same week.
    sunday_late = datetime(2026, 10, 25, 21, 30, tzinfo=UTC)
    monday_early = datetime(2026, 10, 25, 22, 30, tzinfo=UTC)
    # Monday 2026-10-19 00:30 local is Sunday 21:30 UTC (before the change, UTC+3).
    week_before = datetime(2026, 10, 18, 21, 30, tzinfo=UTC)
    _ingest(
        source,
        [
            track("A", sunday_late, "s"),
            track("B", sunday_late + timedelta(minutes=5), "s"),
            track("A", monday_early, "m"),
            track("A", week_before, "w"),
        ],
    )
    result = engine_for(team_a).run(two_steps(team_a))
    weeks = {w["week_start"]: (w["entered"], w["converted"]) for w in result["weeks"]}
    assert weeks == {"2026-10-19": (2, 1), "2026-10-26": (1, 0)}
    rows = [
        {"id": 1, "person": "s", "name": "A", "type": "track", "ts": sunday_late},
        {"id": 2, "person": "s", "name": "B", "type": "track", "ts": sunday_late + timedelta(minutes=5)},
        {"id": 3, "person": "m", "name": "A", "type": "track", "ts": monday_early},
        {"id": 4, "person": "w", "name": "A", "type": "track", "ts": week_before},
    ]
    assert reference.funnel(rows, spec_for(two_steps(team_a)))["weeks"] == {k: list(v) for k, v in weeks.items()}


def test_empty_funnel_gives_reasons_never_nan(team_a, source):
    result = engine_for(team_a).run(two_steps(team_a))
    json.dumps(result, allow_nan=False)
    assert result["entries"] == 0
    assert result["conversion"] == {
        "k": 0,
        "n": 0,
        "rate": None,
        "low": None,
        "high": None,
        "reason": funnels.NO_ENTRIES,
    }
    second = result["steps"][1]
    assert second["from_previous"]["reason"] == funnels.NO_PREVIOUS
    assert second["time_to_convert"] == {
        "unit": "seconds",
        "n": 0,
        "median": None,
        "histogram": [{"low_seconds": lo, "high_seconds": hi, "count": 0} for lo, hi in _edges()],
        "reason": funnels.NO_CONVERSIONS,
    }


def _edges():
    edges = [*funnels.HISTOGRAM_EDGES, None]
    return list(itertools.pairwise(edges))


# --- stage funnels (from stage transitions) ---------------------------------------------------


@pytest.fixture
def stage_map(team_a, source):
    journey_map = JourneyMap.objects.create(team=team_a, title="Furniture shop")
    stages = [Stage.objects.create(journey_map=journey_map, name=n, position=i) for i, n in enumerate(NAMES)]
    return journey_map, stages


def test_stage_funnel_from_transitions_matches_reference(team_a, source, stage_map):
    journey_map, stages = stage_map
    rng = random.Random(11)
    _ingest(source, [track("Hello", T0, f"p{i}") for i in range(30)])
    profiles = list(Profile.objects.filter(team=team_a))
    rows = []
    for profile in profiles:
        at = T0 + timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 23))
        for index in range(rng.randint(1, 4)):
            if rng.random() < 0.2 and index:
                continue  # skips a stage
            transition = StageTransition.objects.create(
                team=team_a, profile=profile, journey_map=journey_map, to_stage=stages[index], entered_at=at
            )
            rows.append(
                {"id": transition.pk, "person": profile.pk, "name": stages[index].pk, "type": "track", "ts": at}
            )
            at += timedelta(hours=rng.choice([1, 20, 50, 100]))
    for order in ("ordered", "strict", "any"):
        query = FunnelQuery(
            team=team_a,
            journey_map=journey_map,
            steps=[Step("stage", s.pk, s.name, timedelta(days=2)) for s in stages],
            start=T0,
            end=T0 + timedelta(days=14),
            order=order,
        )
        assert query.is_stage_funnel
        assert_same(engine_for(team_a).run(query), reference.funnel(rows, spec_for(query)))


def test_map_query_defaults_to_stages_and_their_sla_windows(team_a, alice, stage_map):
    from journeys.models import Touchpoint
    from owners.models import SLA

    journey_map, stages = stage_map
    touchpoint = Touchpoint.objects.create(stage=stages[1], name="Product page")
    SLA.objects.create(touchpoint=touchpoint, response_target=timedelta(hours=6))
    query = funnels.map_query(journey_map, user=alice)
    assert [s.ref for s in query.steps] == [s.pk for s in stages]
    assert [s.window for s in query.steps] == [
        funnels.DEFAULT_WINDOW,
        timedelta(hours=6),
        funnels.DEFAULT_WINDOW,
        funnels.DEFAULT_WINDOW,
    ]
    local = query.start.astimezone(funnels.team_zone(team_a))
    assert (local.hour, local.minute) == (0, 0)
    assert query.end - query.start >= timedelta(days=funnels.DEFAULT_PERIOD_DAYS - 1)


def test_query_from_refuses_bad_input_and_other_teams_maps(team_a, alice, oscar, stage_map):
    from django.http import Http404

    journey_map, stages = stage_map
    with pytest.raises(Http404):
        query_from({"map": journey_map.pk}, user=oscar)
    with pytest.raises(ValidationError) as refused:
        query_from({"map": journey_map.pk, "order": "sideways", "window": "-1", "optional": "1"}, user=alice)
    assert set(refused.value.message_dict) == {"order", "window", "optional"}
    with pytest.raises(ValidationError):
        query_from({"map": journey_map.pk, "step": [f"stage:{stages[0].pk}", "event:Paid"]}, user=alice)
    query = query_from(
        {"map": journey_map.pk, "window": "12", "optional": "3", "start": "2026-10-01", "end": "2026-10-31"},
        user=alice,
    )
    assert [s.window for s in query.steps] == [timedelta(hours=12)] * 4
    assert [s.optional for s in query.steps] == [False, False, True, False]
    assert query.as_dict()["start"] == "2026-10-01" and query.as_dict()["end"] == "2026-10-31"
    assert timezone.localtime(query.end, funnels.team_zone(team_a)).date().isoformat() == "2026-11-01"

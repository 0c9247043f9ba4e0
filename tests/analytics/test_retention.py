"""Retention, lifecycle and moments against the plain-Python reference over the same generated events."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from analytics.lifecycle import LifecycleQuery, lifecycle_table, new_customers_comparison
from analytics.moments import MomentQuery, moment_report
from analytics.query import rate
from analytics.retention import COHORT_STAGE, RetentionQuery, retention_table
from customers.models import StageTransition
from customers.services import source_create
from journeys.models import JourneyMap, Stage

from . import reference_retention as ref
from .retention_data import RIGA, generated, local

TODAY = dt.date(2026, 5, 12)


@pytest.fixture
def riga(team_a):
    team_a.time_zone = "Europe/Riga"
    team_a.save(update_fields=["time_zone"])
    return team_a


@pytest.fixture
def world(riga, alice):
    source = source_create(team=riga, actor=alice, name="Shop")[0]
    return generated(riga, source)


def assert_rate(cell, k, n):
    assert cell["n"] == n
    if n == 0:
        assert cell["value"] is None and cell["low"] is None and cell["reason"]
        return
    assert cell["k"] == k
    assert cell["value"] == pytest.approx(k / n)
    low, high = ref.wilson(k, n)
    assert cell["low"] == pytest.approx(low, abs=1e-9)
    assert cell["high"] == pytest.approx(high, abs=1e-9)


def test_rate_of_nobody_is_a_reason_not_nan():
    result = rate(0, 0)
    assert result["value"] is None and result["reason"]
    assert not any(isinstance(v, float) and math.isnan(v) for v in result.values())
    assert rate(3, 10)["low"] == pytest.approx(ref.wilson(3, 10)[0])


@pytest.mark.parametrize("period", ["week", "day", "month"])
@pytest.mark.parametrize("event", ["", "Order Completed"])
def test_retention_matches_reference(world, riga, period, event):
    start, end = dt.date(2026, 3, 2), dt.date(2026, 4, 19)
    query = RetentionQuery(team=riga, start=start, end=end, period=period, event=event, periods=6, today=TODAY)
    table = retention_table(query)
    expected = ref.retention(
        world.facts(), zone="Europe/Riga", start=start, end=end, period=period, event=event, periods=6, today=TODAY
    )
    assert [c["start"] for c in table["cohorts"]] == list(expected)
    for cohort in table["cohorts"]:
        size, cells = expected[cohort["start"]]
        assert cohort["size"] == size
        assert bool(cohort["reason"]) == (size == 0)
        for cell, want in zip(cohort["cells"], cells, strict=True):
            if want is None:
                assert cell["value"] is None and cell["reason"]
            else:
                assert_rate(cell, *want)


def test_retention_has_cohorts_and_returns(world, riga):
    # Guard against a generator that would make the comparison vacuous.
    table = retention_table(RetentionQuery(team=riga, start=dt.date(2026, 3, 2), end=dt.date(2026, 4, 19), today=TODAY))
    seen = ref.first_seen(world.facts())
    in_window = [
        p for p, ts in seen.items() if dt.date(2026, 3, 2) <= ts.astimezone(RIGA).date() <= dt.date(2026, 4, 19)
    ]
    assert len(seen) == 58  # 60 people, 2 merged away
    assert sum(c["size"] for c in table["cohorts"]) == len(in_window) > 40
    assert any(cell["k"] for c in table["cohorts"] for cell in c["cells"][1:] if cell["k"])


def test_week_buckets_across_the_dst_change(riga, alice):
    source = source_create(team=riga, actor=alice, name="Shop")[0]
    from .retention_data import World

    world = World(riga, source)
    world.person("a")
    world.person("b")
    # Sunday 29 March 23:30 (after the change) is in the week of 23 March; Monday 00:00 in the next.
    world.event("a", "Order Completed", local(dt.date(2026, 3, 29), 23, 30))
    world.event("b", "Order Completed", local(dt.date(2026, 3, 30), 0, 0))
    world.store()
    table = retention_table(
        RetentionQuery(team=riga, start=dt.date(2026, 3, 23), end=dt.date(2026, 4, 5), periods=1, today=TODAY)
    )
    assert [(c["start"], c["size"]) for c in table["cohorts"]] == [(dt.date(2026, 3, 23), 1), (dt.date(2026, 3, 30), 1)]
    # In UTC the first is 20:30 on Sunday and the second 21:00 on Sunday: the same UTC week.
    assert local(dt.date(2026, 3, 30)).astimezone(dt.UTC).date() == dt.date(2026, 3, 29)


def test_identity_merge_counts_the_person_once_with_the_earliest_event(world, riga):
    six = world.identities["p6"].profile
    table = retention_table(
        RetentionQuery(team=riga, start=dt.date(2026, 2, 23), end=dt.date(2026, 4, 26), today=TODAY)
    )
    first = min(f[3] for f in world.facts() if f[0] == six.pk)
    week = ref.bucket(first.astimezone(RIGA).date(), "week")
    assert next(c for c in table["cohorts"] if c["start"] == week)["size"] >= 1
    assert {f[0] for f in world.facts()} == {i.profile_id for i in world.identities.values()}
    assert world.identities["p5"].profile_id == six.pk


def test_a_late_older_event_moves_the_person_to_an_earlier_cohort(world, riga):
    query = RetentionQuery(team=riga, start=dt.date(2026, 2, 16), end=dt.date(2026, 4, 26), today=TODAY)
    before = {c["start"]: c["size"] for c in retention_table(query)["cohorts"]}
    world.rows.clear()
    world.event("p9", "Product Viewed", local(dt.date(2026, 2, 17), 10), "page")
    world.store()
    after = {c["start"]: c["size"] for c in retention_table(query)["cohorts"]}
    assert after[dt.date(2026, 2, 16)] == before[dt.date(2026, 2, 16)] + 1
    assert sum(after.values()) == sum(before.values())


def test_empty_cohorts_give_a_reason(riga):
    table = retention_table(RetentionQuery(team=riga, start=dt.date(2026, 1, 5), end=dt.date(2026, 1, 18), today=TODAY))
    assert [c["size"] for c in table["cohorts"]] == [0, 0]
    assert all(c["reason"] for c in table["cohorts"])
    assert all(cell["value"] is None and cell["reason"] for c in table["cohorts"] for cell in c["cells"])


def test_stage_cohorts_match_reference(world, riga):
    journey_map = JourneyMap.objects.create(team=riga, title="Shop")
    stage = Stage.objects.create(journey_map=journey_map, name="Purchase")
    entries = {}
    for i, key in enumerate(["p10", "p11", "p12", "p6"]):
        profile = world.identities[key].profile
        at = local(dt.date(2026, 3, 9 + 7 * (i % 2)), 12)
        StageTransition.objects.create(
            team=riga, profile=profile, journey_map=journey_map, to_stage=stage, entered_at=at
        )
        entries[profile.pk] = at
    query = RetentionQuery(
        team=riga, start=dt.date(2026, 3, 9), end=dt.date(2026, 3, 22), cohort_by=COHORT_STAGE, stage=stage, today=TODAY
    )
    table = retention_table(query)
    expected = ref.retention(
        world.facts(),
        zone="Europe/Riga",
        start=query.start,
        end=query.end,
        period="week",
        event="",
        periods=8,
        today=TODAY,
        entries=entries,
    )
    for cohort in table["cohorts"]:
        size, cells = expected[cohort["start"]]
        assert cohort["size"] == size == 2
        for cell, want in zip(cohort["cells"], cells, strict=True):
            if want is not None:
                assert_rate(cell, *want)


@pytest.mark.parametrize("period", ["week", "month", "day"])
@pytest.mark.parametrize("event", ["", "Order Completed"])
def test_lifecycle_matches_reference(world, riga, period, event):
    start, end = dt.date(2026, 3, 2), dt.date(2026, 4, 30)
    table = lifecycle_table(LifecycleQuery(team=riga, start=start, end=end, period=period, event=event, today=TODAY))
    expected = ref.lifecycle(world.facts(), zone="Europe/Riga", start=start, end=end, period=period, event=event)
    assert [row["start"] for row in table["periods"]] == list(expected)
    for row in table["periods"]:
        want = expected[row["start"]]
        assert {k: row[k] for k in want} == want, row["start"]
    assert sum(row["new"] for row in table["periods"]) > 0
    assert sum(row["resurrected"] + row["dormant"] for row in table["periods"]) > 0


def test_new_customers_against_last_quarter(world, riga):
    result = new_customers_comparison(riga, event="Order Completed", today=dt.date(2026, 4, 15))
    facts = world.facts()
    firsts = {}
    for person, name, _kind, ts in facts:
        if name == "Order Completed" and (person not in firsts or ts < firsts[person]):
            firsts[person] = ts
    days = [ts.astimezone(RIGA).date() for ts in firsts.values()]
    this_month = sum(dt.date(2026, 4, 1) <= d <= dt.date(2026, 4, 15) for d in days)
    quarter = sum(dt.date(2026, 1, 1) <= d <= dt.date(2026, 3, 31) for d in days)
    assert result["this_month"]["new"] == this_month and result["this_month"]["days"] == 15
    assert result["last_quarter"]["new"] == quarter and result["last_quarter"]["days"] == 90
    assert result["ratio"] == pytest.approx((this_month / 15) / (quarter / 90))


def test_new_customers_without_a_quarter_gives_a_reason(riga):
    result = new_customers_comparison(riga, today=dt.date(2026, 4, 15))
    assert result["ratio"] is None and result["reason"]


@pytest.mark.parametrize("window", [1, 7, 14])
def test_moment_matches_reference(world, riga, window):
    now = local(TODAY, 12)
    first, last = dt.date(2026, 3, 2), dt.date(2026, 5, 10)
    report = moment_report(
        MomentQuery(team=riga, start=first, end=last, event="Order Completed", window_days=window, now=now)
    )
    k, n, pending, durations = ref.moment(
        world.facts(),
        zone="Europe/Riga",
        first=first,
        last=last,
        window_days=window,
        now=now,
        reached_by=lambda f: f[1] == "Order Completed",
    )
    overall = report["overall"]
    assert_rate(overall["activation"], k, n)
    assert overall["pending"] == pending
    ttfv = overall["time_to_first_value"]
    for name, q in (("median", 0.5), ("p75", 0.75), ("p90", 0.9)):
        want = ref.quantile(durations, q)
        assert ttfv[name]["seconds"] == pytest.approx(want)
        assert ttfv[name]["days"] == pytest.approx(want / 86400)
    assert k > 0
    # The weekly trend adds up to the whole.
    assert sum(w["activation"]["n"] for w in report["weeks"]) == n
    assert sum(w["activation"]["k"] for w in report["weeks"]) == k

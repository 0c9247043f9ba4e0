"""Stage figures from the transitions (the review's largest changes, the map page's stored columns),
checked against the plain-Python reference in reference_stages.py."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from analytics import stages as analytics_stages
from analytics.models import StageStat
from customers.models import Profile, ProfileStage, StageTransition
from journeys.models import JourneyMap, Stage

from . import reference_stages as ref

UNTIL = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SINCE = UNTIL - timedelta(days=7)


def _build(team, names="ABCD", people=80, seed=3, rate_by_week=None):
    journey_map = JourneyMap.objects.create(team=team, title="Shop")
    stages = [Stage.objects.create(journey_map=journey_map, name=n, position=i) for i, n in enumerate(names)]
    rng = random.Random(seed)
    moves = []
    for person in range(people):
        profile = Profile.objects.create(team=team)
        at = UNTIL - timedelta(seconds=rng.randrange(0, 20 * 86400))
        recent = at >= SINCE
        index, last = 0, None
        while index < len(stages):
            row = StageTransition.objects.create(
                team=team, profile=profile, journey_map=journey_map, to_stage=stages[index], entered_at=at
            )
            moves.append((row.pk, person, stages[index].pk, at))
            last = (stages[index], at, row)
            # Recent customers convert less at B and linger longer: a change to find.
            keep = 0.45 if (recent and index == 1) else 0.8
            if rng.random() > keep:
                break
            index += rng.choice([1, 1, 1, 2]) if index + 1 < len(stages) else 1
            at += timedelta(seconds=rng.randrange(600, (6 if recent else 2) * 86400))
            if rng.random() < 0.1 and index < len(stages):
                # a repeat of the same stage
                row = StageTransition.objects.create(
                    team=team, profile=profile, journey_map=journey_map, to_stage=stages[index - 1], entered_at=at
                )
                moves.append((row.pk, person, stages[index - 1].pk, at))
                at += timedelta(seconds=rng.randrange(60, 3600))
        ProfileStage.objects.create(
            team=team, profile=profile, journey_map=journey_map, stage=last[0], entered_at=last[1], transition=last[2]
        )
    return journey_map, stages, moves


@pytest.fixture
def shop(team_a):
    return _build(team_a)


def _check(got: dict, want: dict, stage_id: int, has_next: bool):
    assert got["entered"] == want["entered"]
    if has_next:
        assert got["converted"] == want["converted"]
        k, n = want["converted"], want["entered"]
        assert (got["conversion"]["k"], got["conversion"]["n"]) == (k, n)
        if n:
            low, high = ref.wilson(k, n)
            assert got["conversion"]["value"] == pytest.approx(k / n)
            assert got["conversion"]["low"] == pytest.approx(low) and got["conversion"]["high"] == pytest.approx(high)
    else:
        assert got["converted"] is None and got["conversion"]["reason"]
    stays = want["stays"]
    t = got["time_in_stage"]
    assert t["n"] == len(stays) and t["unit"] == "seconds"
    if stays:
        assert t["median"] == pytest.approx(ref.median(stays))
        interval = ref.median_interval(stays)
        assert (t["low"], t["high"]) == (interval if interval else (None, None))


def test_stage_figures_match_the_reference(shop):
    journey_map, stages, moves = shop
    order = [s.pk for s in stages]
    for start, end in ((SINCE, UNTIL), (SINCE - timedelta(days=7), SINCE)):
        got = analytics_stages.stage_figures(journey_map, start=start, end=end)
        want = ref.figures(moves, order, start, end)
        assert sum(w["entered"] for w in want.values()) > 10
        for index, stage in enumerate(stages):
            _check(got[stage.pk], want[stage.pk], stage.pk, index + 1 < len(stages))


def test_stage_changes_rank_the_largest_moves(shop):
    journey_map, stages, moves = shop
    order = [s.pk for s in stages]
    result = analytics_stages.stage_changes(journey_map, since=SINCE, until=UNTIL, top=3)
    now = ref.figures(moves, order, SINCE, UNTIL)
    then = ref.figures(moves, order, SINCE - timedelta(days=7), SINCE)
    expected = []
    for stage in stages[:-1]:
        a, b = then[stage.pk], now[stage.pk]
        if a["entered"] and b["entered"]:
            expected.append((-abs(b["converted"] / b["entered"] - a["converted"] / a["entered"]), stage.pk))
    expected.sort()
    assert [row["stage"] for row in result["conversion"]] == [pk for _d, pk in expected[:3]]
    top = result["conversion"][0]
    a, b = then[top["stage"]], now[top["stage"]]
    assert top["difference"]["value"] == pytest.approx(b["converted"] / b["entered"] - a["converted"] / a["entered"])
    assert top["difference"]["low"] < top["difference"]["value"] < top["difference"]["high"]
    times = []
    for stage in stages:
        a, b = then[stage.pk]["stays"], now[stage.pk]["stays"]
        if a and b and ref.median(a):
            times.append((-abs(ref.median(b) / ref.median(a) - 1), stage.pk))
    times.sort()
    assert [row["stage"] for row in result["time_in_stage"]] == [pk for _r, pk in times[:3]]
    assert result["time_in_stage"][0]["change_seconds"] == pytest.approx(
        ref.median(now[times[0][1]]["stays"]) - ref.median(then[times[0][1]]["stays"])
    )


def test_empty_map_gives_no_changes(team_a):
    journey_map = JourneyMap.objects.create(team=team_a, title="Empty")
    Stage.objects.create(journey_map=journey_map, name="Only", position=0)
    result = analytics_stages.stage_changes(journey_map, since=SINCE, until=UNTIL)
    assert result["conversion"] == [] and result["time_in_stage"] == []


def test_review_agenda_lists_the_changes_on_the_page_and_api(shop, client_as, api_as, alice, monkeypatch):
    journey_map, _stages, _moves = shop
    monkeypatch.setattr("django.utils.timezone.now", lambda: UNTIL)
    body = api_as(alice).get(f"/api/v1/review-status/{journey_map.pk}/agenda/").json()
    direct = analytics_stages.stage_changes(journey_map, since=SINCE, until=UNTIL)
    assert [r["stage"] for r in body["stage_changes"]["conversion"]] == [r["stage"] for r in direct["conversion"]]
    assert body["stage_changes"]["conversion"][0]["difference"]["value"] == pytest.approx(
        direct["conversion"][0]["difference"]["value"]
    )
    page = client_as(alice).get(reverse("reviews:map_review", args=[journey_map.pk]))
    assert page.status_code == 200
    assert "Largest changes in the funnel" in page.content.decode()
    assert page.context["agenda"].stage_changes["conversion"][0]["name"] in page.content.decode()


def test_stored_stage_stats_serve_the_map_page(shop, client_as, alice, django_assert_max_num_queries):
    journey_map, stages, moves = shop
    written = analytics_stages.stage_stats_refresh(journey_map=journey_map, now=UNTIL)
    assert written == len(stages) * 3 == StageStat.objects.filter(journey_map=journey_map).count()
    want = ref.figures(moves, [s.pk for s in stages], UNTIL - timedelta(days=30), UNTIL)
    row = StageStat.objects.get(stage=stages[1], days=30)
    assert (row.entered, row.converted) == (want[stages[1].pk]["entered"], want[stages[1].pk]["converted"])
    assert row.conversion == pytest.approx(row.converted / row.entered)
    assert row.in_stage_now == ProfileStage.objects.filter(stage=stages[1]).count()
    assert row.time_median == pytest.approx(ref.median(want[stages[1].pk]["stays"]))
    assert StageStat.objects.get(stage=stages[-1], days=30).conversion is None
    # Refreshing replaces, never duplicates.
    analytics_stages.stage_stats_refresh(journey_map=journey_map, now=UNTIL)
    assert StageStat.objects.filter(journey_map=journey_map).count() == written

    url = reverse("journeys:map_detail", args=[journey_map.pk])
    client = client_as(alice)
    with django_assert_max_num_queries(60) as small:
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="stage-stats"') == len(stages)
    # The page reads the stored rows: no stage transition is read while it renders.
    assert not [q for q in small.captured_queries if "customers_stagetransition" in q["sql"]]
    # More stages, same queries: the columns cost one query whatever the map's size.
    for index in range(len(stages), 12):
        Stage.objects.create(journey_map=journey_map, name=f"S{index}", position=index)
    analytics_stages.stage_stats_refresh(journey_map=journey_map, now=UNTIL)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_refresh_all_covers_maps_with_transitions(shop, team_a):
    JourneyMap.objects.create(team=team_a, title="No customers yet")
    assert analytics_stages.stage_stats_refresh_all(now=UNTIL) == 4 * 3

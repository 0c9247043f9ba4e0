"""Two map versions side by side: each version's stage funnel while it was live, checked by a reference."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from analytics.versions import version_comparison
from customers.models import Profile, StageTransition
from journeys import services as journeys
from journeys.models import JourneyMap, MapVersion, Stage

from . import reference_versions as ref

T1 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 9, 15, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def shop(team_a, alice):
    journey_map = JourneyMap.objects.create(team=team_a, title="Furniture")
    a, b, c = (Stage.objects.create(journey_map=journey_map, name=n, position=i) for i, n in enumerate("ABC"))
    first = journeys.map_publish(journey_map=journey_map, actor=alice, note="v1")
    # v2 adds a stage D between B and C.
    journey_map.refresh_from_db()
    d = Stage.objects.create(journey_map=journey_map, name="D", position=2)
    Stage.objects.filter(pk=c.pk).update(position=3)
    journey_map.refresh_from_db()
    second = journeys.map_publish(journey_map=journey_map, actor=alice, note="v2: a delivery-time stage")
    MapVersion.objects.filter(pk=first.pk).update(created_at=T1)
    MapVersion.objects.filter(pk=second.pk).update(created_at=T2)
    stages = {"A": a, "B": b, "C": c, "D": d}
    rng = random.Random(5)
    moves = []
    for person in range(60):
        profile = Profile.objects.create(team=team_a)
        at = T1 + timedelta(seconds=rng.randrange(0, int((NOW - T1).total_seconds())))
        path = ["A"]
        for name in "BDC":
            if rng.random() < 0.65:
                path.append(name)
        if rng.random() < 0.2:
            path.insert(1, "C")  # out of order: C before B
        for name in path:
            row = StageTransition.objects.create(
                team=team_a, profile=profile, journey_map=journey_map, to_stage=stages[name], entered_at=at
            )
            moves.append((row.pk, person, str(stages[name].key), at))
            at += timedelta(seconds=rng.randrange(60, 40 * 86400))
    return {"map": journey_map, "stages": stages, "moves": moves}


def _check_rate(got: dict, k: int, n: int):
    assert (got["k"], got["n"]) == (k, n)
    if n:
        low, high = ref.wilson(k, n)
        assert (
            got["rate"] == pytest.approx(k / n)
            and got["low"] == pytest.approx(low)
            and got["high"] == pytest.approx(high)
        )
    else:
        assert got["rate"] is None and got["reason"]


def test_versions_side_by_side_match_the_reference(shop, alice):
    result = version_comparison(shop["map"], user=alice, now=NOW)
    keys = {name: str(stage.key) for name, stage in shop["stages"].items()}
    assert (result["before"]["version"], result["after"]["version"]) == (1, 2)
    assert result["before"]["stages"] == [keys[n] for n in "ABC"]
    assert result["after"]["stages"] == [keys[n] for n in "ABDC"]
    assert result["before"]["published_at"] == T1.isoformat() and result["before"]["until"] == T2.isoformat()
    sides = {
        "before": ref.stage_funnel(shop["moves"], [keys[n] for n in "ABC"], T1, T2),
        "after": ref.stage_funnel(shop["moves"], [keys[n] for n in "ABDC"], T2, NOW),
    }
    by_key = {step["key"]: step for step in result["steps"]}
    assert [step["label"] for step in result["steps"]] == ["A", "B", "D", "C"]
    for side, names in (("before", "ABC"), ("after", "ABDC")):
        steps, (completed, entries) = sides[side]
        assert entries > 5
        for (entered, converted), name in zip(steps, names, strict=True):
            got = by_key[keys[name]][side]
            assert (got["entered"], got["converted"]) == (entered, converted), (side, name)
            _check_rate(got["from_previous"], converted, entered)
        _check_rate(result["conversion"][side], completed, entries)
    # D is only in v2: no difference, a reason.
    assert by_key[keys["D"]]["before"] is None
    assert by_key[keys["D"]]["difference"]["from_previous"]["value"] is None
    assert by_key[keys["D"]]["difference"]["from_previous"]["reason"]
    for name in "ABC":
        before = by_key[keys[name]]["before"]["from_previous"]
        after = by_key[keys[name]]["after"]["from_previous"]
        d, low, high = ref.newcombe(before["k"], before["n"], after["k"], after["n"])
        got = by_key[keys[name]]["difference"]["from_previous"]
        assert (
            got["value"] == pytest.approx(d) and got["low"] == pytest.approx(low) and got["high"] == pytest.approx(high)
        )
    d, low, high = ref.newcombe(*sides["before"][1], *sides["after"][1])
    assert result["conversion"]["difference"]["value"] == pytest.approx(d)
    assert result["conversion"]["difference"]["low"] == pytest.approx(low)


def test_api_and_page_give_the_same_comparison(shop, alice, api_as, client_as):
    response = api_as(alice).get("/api/v1/funnels/versions/", {"map": shop["map"].pk, "before": 1, "after": 2})
    assert response.status_code == 200
    body = response.json()
    assert [s["label"] for s in body["steps"]] == ["A", "B", "D", "C"]
    assert body["difference_of"] == "after − before"
    page = client_as(alice).get(reverse("analytics:map_versions", args=[shop["map"].pk]))
    assert page.status_code == 200
    assert [s["key"] for s in page.context["result"]["steps"]] == [s["key"] for s in body["steps"]]
    assert page.context["result"]["steps"][0]["after"]["entered"] == body["steps"][0]["after"]["entered"]


def test_bad_versions_are_a_400_naming_the_field(shop, alice, api_as, client_as, oscar):
    api = api_as(alice)
    url = "/api/v1/funnels/versions/"
    assert "after" in api.get(url, {"map": shop["map"].pk, "after": 9}).json()["errors"]
    assert "before" in api.get(url, {"map": shop["map"].pk, "before": 2, "after": 1}).json()["errors"]
    assert "before" in api.get(url, {"map": shop["map"].pk, "before": "x"}).json()["errors"]
    assert "map" in api.get(url, {}).json()["errors"]
    assert api.get(url, {"map": shop["map"].pk, "ordering": "x"}).status_code == 400
    assert api_as(oscar).get(url, {"map": shop["map"].pk}).status_code == 404
    page = client_as(alice).get(reverse("analytics:map_versions", args=[shop["map"].pk]), {"after": "7"})
    assert page.status_code == 400


def test_a_map_published_once_has_nothing_to_compare(team_a, alice, api_as):
    journey_map = JourneyMap.objects.create(team=team_a, title="New")
    Stage.objects.create(journey_map=journey_map, name="A", position=0)
    journeys.map_publish(journey_map=journey_map, actor=alice)
    response = api_as(alice).get("/api/v1/funnels/versions/", {"map": journey_map.pk})
    assert response.status_code == 400 and "after" in response.json()["errors"]

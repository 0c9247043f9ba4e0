"""Statistics of a whole map by week × stage: the selector, maps/<id>/stats/ and the Scores page."""

import math
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback import stats
from feedback.models import Response, Survey
from journeys.models import JourneyMap, Stage, Touchpoint

WEEK_1 = datetime(2024, 6, 3, 10, tzinfo=UTC)  # a Monday
WEEK_2 = datetime(2024, 6, 11, 15, tzinfo=UTC)  # the Tuesday after
END = datetime(2024, 6, 20, tzinfo=UTC)
_ids = count()


def _nps(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    p, d = promoters / n, detractors / n
    return 100 * (p - d), 100 * 1.96 * math.sqrt((p + d - (p - d) ** 2) / n)


def answer(survey, stage, touchpoint, score, when, metric="nps"):
    return Response.objects.create(
        team_id=survey.team_id,
        survey=survey,
        stage=stage,
        touchpoint=touchpoint,
        submission_id=f"map-stats-{next(_ids)}",
        score=score,
        metric=metric,
        answers={"score": score},
        created_at=when,
        updated_at=when,
        finished=True,
    )


@pytest.fixture
def two_stages(team_a, alice):
    """A map with two stages (positions reversed against creation) and answers in two weeks."""
    journey_map = JourneyMap.objects.create(team=team_a, title="Loan application")
    decision = Stage.objects.create(journey_map=journey_map, name="Decision", position=2)
    consideration = Stage.objects.create(journey_map=journey_map, name="Consideration", position=1)
    compare = Touchpoint.objects.create(stage=consideration, name="Rate comparison", position=0)
    form = Touchpoint.objects.create(stage=decision, name="Application form", position=0)
    Touchpoint.objects.create(stage=decision, name="Branch visit", position=1)  # nobody answered here
    survey = Survey.objects.create(team=team_a, name="Loan NPS", kind="nps", status="active")
    # Week 1: Consideration 10, 9, 6 (NPS 33.3, n 3); Decision 10, 7 (NPS 100·(1−0)/2 = 50, n 2).
    for score in (10, 9, 6):
        answer(survey, consideration, compare, score, WEEK_1)
    for score in (10, 7):
        answer(survey, decision, form, score, WEEK_1)
    # Week 2: Consideration 3, 8 (NPS −50, n 2); Decision 9, 9, 10, 0 (NPS 50, n 4; one on no
    # touchpoint) and a CSAT 5.
    for score in (3, 8):
        answer(survey, consideration, compare, score, WEEK_2)
    for score in (9, 9, 10):
        answer(survey, decision, form, score, WEEK_2)
    answer(survey, decision, None, 0, WEEK_2)
    answer(survey, decision, form, 5, WEEK_2, metric="csat")
    # Not counted: before the window, unscored, and another map's stage.
    answer(survey, decision, form, 0, END - timedelta(days=200))
    answer(survey, decision, form, None, WEEK_2, metric="")
    other = JourneyMap.objects.create(team=team_a, title="Other")
    answer(survey, Stage.objects.create(journey_map=other, name="Elsewhere"), None, 0, WEEK_2)
    return journey_map, consideration, decision, compare, form


def test_grid_totals_and_stages_match_hand_computation(two_stages):
    journey_map, consideration, decision, *_ = two_stages
    result = stats.map_stats(journey_map, days=90, end=END)

    week_1 = datetime(2024, 6, 3, tzinfo=UTC)
    week_2 = datetime(2024, 6, 10, tzinfo=UTC)
    cells = {(c["period"], c["stage"]): c for c in result["by_period_stage"]}
    assert list(cells) == [
        (week_1, consideration.pk),
        (week_1, decision.pk),
        (week_2, consideration.pk),
        (week_2, decision.pk),
    ]  # by week, then stage position (Consideration first although created second)
    expected = {
        (week_1, consideration.pk): (2, 1, 3),
        (week_1, decision.pk): (1, 0, 2),
        (week_2, consideration.pk): (0, 1, 2),
        (week_2, decision.pk): (3, 1, 4),
    }
    for key, (promoters, detractors, n) in expected.items():
        value, margin = _nps(promoters, detractors, n)
        nps = cells[key]["nps"]
        assert (nps.value, nps.margin, nps.n, nps.thin) == (value, margin, n, True), key
    assert cells[(week_1, consideration.pk)]["nps"].value == pytest.approx(100 / 3, abs=1e-9)
    assert cells[(week_2, decision.pk)]["n"] == 5 and cells[(week_2, decision.pk)]["csat"].value == 100.0

    # Totals: 6 promoters, 3 detractors of 11 NPS answers, plus one CSAT answer.
    totals = result["totals"]
    assert totals["n"] == 12
    assert (totals["nps"].value, totals["nps"].margin, totals["nps"].n) == (*_nps(6, 3, 11), 11)
    assert totals["nps"].value == pytest.approx(300 / 11, abs=1e-9)

    assert [(s["key"], s["name"]) for s in result["by_stage"]] == [
        (consideration.pk, "Consideration"),
        (decision.pk, "Decision"),
    ]
    assert (result["by_stage"][0]["nps"].value, result["by_stage"][0]["nps"].n) == (*_nps(2, 2, 5)[:1], 5)
    assert (result["by_stage"][1]["nps"].value, result["by_stage"][1]["nps"].n) == (*_nps(4, 1, 6)[:1], 6)
    assert [(row["key"], row["nps"].n) for row in result["trend"]] == [(week_1, 5), (week_2, 6)]

    # Every touchpoint in map order (the unanswered one with n = 0), then answers on no touchpoint.
    assert [(t["name"], t["stage"], t["n"]) for t in result["by_touchpoint"]] == [
        ("Rate comparison", consideration.pk, 5),
        ("Application form", decision.pk, 6),
        ("Branch visit", decision.pk, 0),
        (None, None, 1),
    ]
    assert result["by_touchpoint"][2]["nps"].value is None


def test_map_figures_are_the_sum_of_its_stages(two_stages):
    journey_map = two_stages[0]
    result = stats.map_stats(journey_map, days=90, end=END)
    for metric in ("nps", "csat", "ces"):
        assert result["totals"][metric].n == sum(s[metric].n for s in result["by_stage"])
        assert result["totals"][metric].n == sum(t[metric].n for t in result["by_touchpoint"])
        assert result["totals"][metric].n == sum(c[metric].n for c in result["by_period_stage"])
    assert result["totals"]["n"] == sum(s["n"] for s in result["by_stage"]) == sum(r["n"] for r in result["trend"])
    # The same figures as one aggregation over the map's stages.
    stage_ids = [s["id"] for s in result["stages"]]
    direct = stats.summary(
        Response.objects.filter(stage_id__in=stage_ids, created_at__gte=result["start"], created_at__lt=END)
    )
    assert direct == result["totals"]


def test_survey_stats_output_is_unchanged_by_the_grid(survey, submit):
    submit(survey, {"score": 9})
    result = stats.survey_stats(survey, days=30)
    assert set(result) == {
        "start",
        "end",
        "totals",
        "trend",
        "by_stage",
        "by_touchpoint",
        "rate",
        "rate_by_channel",
        "themes",
    }


def test_map_without_stages_or_answers_is_empty(team_a):
    journey_map = JourneyMap.objects.create(team=team_a, title="Empty")
    result = stats.map_stats(journey_map)
    assert result["totals"]["n"] == 0 and result["totals"]["nps"].value is None
    assert result["by_stage"] == result["by_period_stage"] == result["trend"] == []


def test_by_month_groups_both_weeks_together(two_stages):
    journey_map, consideration, decision, *_ = two_stages
    result = stats.map_stats(journey_map, days=90, by="month", end=END)
    assert [(c["period"], c["stage"], c["nps"].n) for c in result["by_period_stage"]] == [
        (datetime(2024, 6, 1, tzinfo=UTC), consideration.pk, 5),
        (datetime(2024, 6, 1, tzinfo=UTC), decision.pk, 6),
    ]


# --- the API --------------------------------------------------------------------------------


def _recent(journey_map, stage, touchpoint, scores, team):
    survey = Survey.objects.filter(team=team).first() or Survey.objects.create(
        team=team, name="Recent", kind="nps", status="active"
    )
    now = timezone.now()
    for i, score in enumerate(scores):
        answer(survey, stage, touchpoint, score, now - timedelta(hours=i + 1))


def url(journey_map, **query):
    return reverse("map-stats-stats", args=[journey_map.pk]) + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


def test_api_gives_the_grid_with_names(api_as, alice, two_stages, team_a):
    journey_map, _, decision, _, form = two_stages
    _recent(journey_map, decision, form, [10, 10, 0], team_a)
    response = api_as(alice).get(url(journey_map, days=30))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["map"] == journey_map.pk and body["by"] == "week"
    assert [s["name"] for s in body["stages"]] == ["Consideration", "Decision"]
    assert body["totals"]["nps"] == {
        "metric": "nps",
        "value": pytest.approx(100 / 3, abs=1e-9),
        "margin": body["totals"]["nps"]["margin"],
        "n": 3,
        "thin": True,
        "low": body["totals"]["nps"]["low"],
        "high": body["totals"]["nps"]["high"],
    }
    assert [(s["name"], s["n"]) for s in body["by_stage"]] == [("Consideration", 0), ("Decision", 3)]
    assert body["by_touchpoint"][1]["name"] == "Application form" and body["by_touchpoint"][1]["n"] == 3
    assert sum(c["nps"]["n"] for c in body["by_period_stage"]) == 3
    assert {c["stage"] for c in body["by_period_stage"]} == {decision.pk}
    datetime.fromisoformat(body["by_period_stage"][0]["period"])


def test_api_key_reads_map_stats(key_client, two_stages):
    response = key_client(scope="read").get(url(two_stages[0]))
    assert response.status_code == 200
    assert response.json()["totals"]["n"] == 0  # the fixture's answers are in 2024


def test_api_outsider_gets_json_404(api_as, oscar, two_stages):
    response = api_as(oscar).get(url(two_stages[0]))
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_api_unknown_map_is_404(api_as, alice):
    response = api_as(alice).get(reverse("map-stats-stats", args=[987654]))
    assert response.status_code == 404


def test_api_anonymous_is_refused(api_client, two_stages):
    assert api_client.get(url(two_stages[0])).status_code in (401, 403)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_api_wrong_method_is_405(api_as, alice, two_stages, method):
    assert getattr(api_as(alice), method)(url(two_stages[0]), {}, format="json").status_code == 405


@pytest.mark.parametrize("days", ["abc", "1.5", ""])
def test_api_days_must_be_whole(api_as, alice, two_stages, days):
    response = api_as(alice).get(url(two_stages[0], days=days))
    assert response.status_code == 400 and "days" in response.json()["errors"]


@pytest.mark.parametrize("days", ["0", "731", "100000", "-5"])
def test_api_days_out_of_range_are_400(api_as, alice, two_stages, days):
    response = api_as(alice).get(url(two_stages[0], days=days))
    assert response.status_code == 400 and list(response.json()["errors"]) == ["days"]


def test_api_days_at_the_bounds(api_as, alice, two_stages):
    for days in (1, 730):
        body = api_as(alice).get(url(two_stages[0], days=days)).json()
        start, end = datetime.fromisoformat(body["start"]), datetime.fromisoformat(body["end"])
        assert end - start == timedelta(days=days)


@pytest.mark.parametrize("by", ["day", "year"])
def test_api_unknown_period_is_400(api_as, alice, two_stages, by):
    response = api_as(alice).get(url(two_stages[0], by=by))
    assert response.status_code == 400 and list(response.json()["errors"]) == ["by"]


def test_api_bad_by_is_400(api_as, alice, two_stages):
    response = api_as(alice).get(url(two_stages[0], by="year"))
    assert response.status_code == 400 and "by" in response.json()["errors"]


def test_api_by_month(api_as, alice, two_stages):
    assert api_as(alice).get(url(two_stages[0], by="month")).json()["by"] == "month"


def _sized_map(team, stages: int, per_stage: int) -> JourneyMap:
    journey_map = JourneyMap.objects.create(team=team, title=f"Map {stages}x{per_stage}")
    survey = Survey.objects.create(team=team, name=f"Survey {stages}", kind="nps", status="active")
    now = timezone.now()
    for s in range(stages):
        stage = Stage.objects.create(journey_map=journey_map, name=f"Stage {s}", position=s)
        for t in range(per_stage):
            touchpoint = Touchpoint.objects.create(stage=stage, name=f"Touchpoint {s}.{t}", position=t)
            for week in range(3):
                answer(survey, stage, touchpoint, (s + t + week) % 11, now - timedelta(days=7 * week + 1))
    return journey_map


@pytest.mark.parametrize("size", [(2, 2), (6, 5)])
def test_api_queries_do_not_grow_with_the_map(api_as, alice, team_a, django_assert_max_num_queries, size):
    journey_map = _sized_map(team_a, *size)
    client = api_as(alice)
    with django_assert_max_num_queries(7):
        response = client.get(url(journey_map, days=30))
    assert response.status_code == 200
    assert len(response.json()["by_touchpoint"]) == size[0] * size[1]


# --- the Scores page ------------------------------------------------------------------------


def page_url(journey_map, **query):
    return reverse("feedback:map_scores", args=[journey_map.pk]) + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


def test_scores_page_shows_grid_totals_and_touchpoints(client_as, victor, two_stages, team_a):
    journey_map, _, decision, _, form = two_stages
    _recent(journey_map, decision, form, [10, 10, 0], team_a)
    response = client_as(victor).get(page_url(journey_map, days=30))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="scores-grid"' in html
    assert '<th scope="col">Consideration</th><th scope="col">Decision</th>' in html
    assert "<strong>33</strong> <small>n 3 · thin</small>" in html  # the cell: NPS and n, thin marked
    assert "Application form" in html and "Branch visit" in html
    assert 'id="trend-data"' in html


def test_scores_page_period_is_an_htmx_fragment(client_as, alice, two_stages, team_a):
    journey_map, _, decision, _, form = two_stages
    _recent(journey_map, decision, form, [9], team_a)
    response = client_as(alice).get(page_url(journey_map, days=365), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="map-scores"') and "<html" not in html


def test_scores_page_empty_state(client_as, alice, two_stages):
    response = client_as(alice).get(page_url(two_stages[0]))
    assert response.status_code == 200
    assert "No answers on this map" in response.content.decode()


def test_scores_page_access(client, client_as, oscar, two_stages):
    target = page_url(two_stages[0])
    assert client.get(target).status_code == 302
    assert client_as(oscar).get(target).status_code == 404


def test_scores_page_wrong_method_is_405(client_as, alice, two_stages):
    assert client_as(alice).post(page_url(two_stages[0])).status_code == 405


def test_map_page_links_to_scores(client_as, alice, two_stages):
    journey_map = two_stages[0]
    html = client_as(alice).get(reverse("journeys:map_detail", args=[journey_map.pk])).content.decode()
    assert f'href="{page_url(journey_map)}"' in html and ">Scores</a>" in html


@pytest.mark.parametrize("size", [(2, 2), (6, 5)])
def test_scores_page_queries_do_not_grow_with_the_map(client_as, alice, team_a, django_assert_max_num_queries, size):
    journey_map = _sized_map(team_a, *size)
    client = client_as(alice)
    with django_assert_max_num_queries(7):
        response = client.get(page_url(journey_map))
    assert response.status_code == 200
    assert response.content.decode().count('<td class="fb-indent">') == size[0] * size[1]

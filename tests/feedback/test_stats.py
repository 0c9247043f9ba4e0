"""NPS, CSAT and CES as SQL aggregations, checked against hand computations."""

import math
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from feedback import services, stats
from feedback.models import Response
from feedback.selectors import annotate_map_scores


def test_nps_and_margin_match_hand_computation(survey, submit):
    # 10 promoters, 5 passives, 5 detractors: p = .5, d = .25, NPS = 25,
    # margin = 100 · 1.96 · sqrt((.5 + .25 − .25²) / 20) = 36.34…
    for score in [10] * 6 + [9] * 4 + [8] * 3 + [7] * 2 + [6, 5, 3, 0, 0]:
        submit(survey, {"score": score})
    result = stats.summary(Response.objects.filter(survey=survey))
    nps = result["nps"]
    assert nps.n == 20
    assert nps.value == 25.0
    assert nps.margin == pytest.approx(100 * 1.96 * math.sqrt((0.75 - 0.25**2) / 20), abs=1e-9)
    assert nps.thin is True
    assert result["csat"].n == 0 and result["csat"].value is None


def test_nps_figure_with_30_answers_is_not_thin():
    figure = stats.nps_figure(promoters=15, detractors=9, n=30)
    assert (figure.value, figure.thin) == (20.0, False)
    assert figure.margin == pytest.approx(100 * 1.96 * math.sqrt((0.8 - 0.2**2) / 30), abs=1e-9)


def test_csat_is_share_of_four_and_five(team_a, alice, submit):
    survey = services.survey_create(team=team_a, actor=alice, name="Support CSAT", kind="csat")
    survey = services.survey_set_status(survey=survey, actor=alice, status="active")
    for score in [5, 5, 4, 3, 1]:
        submit(survey, {"score": score})
    csat = stats.summary(Response.objects.filter(survey=survey))["csat"]
    assert (csat.value, csat.n) == (60.0, 5)
    assert csat.margin == pytest.approx(100 * 1.96 * math.sqrt(0.6 * 0.4 / 5), abs=1e-9)


def test_ces_is_the_mean_with_its_interval(team_a, alice, submit):
    survey = services.survey_create(team=team_a, actor=alice, name="Loan effort", kind="ces")
    survey = services.survey_set_status(survey=survey, actor=alice, status="active")
    scores = [7, 6, 5, 2]
    for score in scores:
        submit(survey, {"score": score})
    ces = stats.summary(Response.objects.filter(survey=survey))["ces"]
    mean = sum(scores) / 4
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / 3)
    assert ces.value == 5.0
    assert ces.margin == pytest.approx(1.96 * sd / 2, abs=1e-9)


def test_no_answers_give_empty_figures_not_errors(survey):
    result = stats.summary(Response.objects.filter(survey=survey))
    assert result["n"] == 0
    assert result["nps"].value is None and result["nps"].margin is None


def test_trend_by_week_groups_in_sql(survey, submit, django_assert_num_queries):
    with time_machine.travel(datetime(2026, 3, 2, 10, tzinfo=UTC)):  # a Monday
        submit(survey, {"score": 10})
        submit(survey, {"score": 0})
    with time_machine.travel(datetime(2026, 3, 10, 10, tzinfo=UTC)):
        submit(survey, {"score": 9})
    with django_assert_num_queries(1):
        rows = stats.grouped(Response.objects.filter(survey=survey), "week")
    assert [(r["key"].date().isoformat(), r["nps"].value, r["n"]) for r in rows] == [
        ("2026-03-02", 0.0, 2),
        ("2026-03-09", 100.0, 1),
    ]


def test_survey_stats_counts_response_rate_from_displays(survey, submit):
    for _ in range(4):
        services.display_record(survey=survey, event="shown")
    submit(survey, {"score": 9}, channel="widget")
    result = stats.survey_stats(survey, days=30)
    assert result["rate"] == {"displays": 4, "responses": 1, "rate": 25.0}


def test_map_annotator_sets_scores_in_one_query(survey, submit, checkout, decision, django_assert_num_queries):
    from journeys.models import Touchpoint

    quiet = Touchpoint.objects.create(stage=decision, name="Returns page", position=1)
    for score in (10, 9, 3):
        submit(survey, {"score": score})
    touchpoints = [checkout, quiet]
    stages = [decision]
    # Nothing stored yet: the stored row is looked for, then the answers read in one pass.
    with django_assert_num_queries(2):
        annotate_map_scores(decision.journey_map, stages, touchpoints)
    assert checkout.scores["nps"].n == 3 and decision.journey_map.scores_as_of is None
    stats.map_scores_refresh_all()
    with django_assert_num_queries(1):  # the touchpoints' and the stages' figures from the stored row
        annotate_map_scores(decision.journey_map, stages, touchpoints)
    assert decision.journey_map.scores_as_of is not None
    assert checkout.scores["nps"].value == pytest.approx(100 * (2 - 1) / 3, abs=1e-9)
    assert checkout.scores["nps"].n == 3
    assert quiet.scores is None
    assert decision.scores["nps"].n == 3


def test_map_scores_leave_out_answers_older_than_90_days(survey, submit, checkout, decision):
    with time_machine.travel(datetime.now(UTC) - timedelta(days=120)):
        submit(survey, {"score": 0})
    submit(survey, {"score": 10})
    annotate_map_scores(decision.journey_map, [decision], [checkout])
    assert checkout.scores["nps"].value == 100.0 and checkout.scores["nps"].n == 1


@pytest.mark.parametrize("by", ["survey", "stage", "touchpoint", "persona", "month"])
def test_every_grouping_runs(survey, submit, by):
    submit(survey, {"score": 7})
    rows = stats.grouped(Response.objects.all(), by)
    assert len(rows) == 1 and rows[0]["n"] == 1


def _figures_key(row: dict) -> tuple:
    return (row["n"], *(row[m] for m in ("nps", "csat", "ces")))


def test_breakdown_equals_the_separate_aggregations(team_a, survey, checkout, decision, django_assert_num_queries):
    """One pass by (week, stage, touchpoint) rolled up in Python gives the figures of four queries."""
    import random

    from journeys.models import Stage, Touchpoint

    other_stage = Stage.objects.create(journey_map=decision.journey_map, name="Delivery", position=3)
    tracking = Touchpoint.objects.create(stage=other_stage, name="Tracking page")
    places = [(decision, checkout), (other_stage, tracking), (other_stage, None), (None, None)]
    rng = random.Random(7)
    now = datetime.now(UTC)
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "": (0, 10)}
    rows = []
    for i in range(600):
        stage, touchpoint = rng.choice(places)
        metric = rng.choice(["nps", "nps", "csat", "ces", ""])
        low, high = scales[metric]
        rows.append(
            Response(
                team=team_a,
                survey=survey,
                stage=stage,
                touchpoint=touchpoint,
                submission_id=f"gen-{i}",
                metric=metric,
                score=None if rng.random() < 0.1 else rng.randint(low, high),
                created_at=now - timedelta(days=rng.randint(0, 120), hours=rng.randint(0, 23)),
            )
        )
    Response.objects.bulk_create(rows)
    responses = Response.objects.filter(survey=survey, created_at__gte=now - timedelta(days=90))

    for by in ("week", "month"):
        with django_assert_num_queries(1):
            result = stats.breakdown(responses, by)
        assert result["totals"] == stats.summary(responses)
        for key, grouping in (("trend", by), ("by_stage", "stage"), ("by_touchpoint", "touchpoint")):
            separate = {row["key"]: _figures_key(row) for row in stats.grouped(responses, grouping)}
            assert {row["key"]: _figures_key(row) for row in result[key]} == separate
            keys = [row["key"] for row in result[key]]
            assert keys == sorted(k for k in keys if k is not None) + [None] * (None in keys)


def test_breakdown_of_nothing_is_empty_figures(survey):
    result = stats.breakdown(Response.objects.filter(survey=survey))
    assert result["totals"] == stats.summary(Response.objects.filter(survey=survey))
    assert result["trend"] == result["by_stage"] == result["by_touchpoint"] == []

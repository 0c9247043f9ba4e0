"""Statistics keep full precision in the API, intervals stay inside each scale, pages round at display."""

import math

import pytest
from django.urls import reverse

from feedback import services, stats
from feedback.models import Response


def _survey(team, user, kind, touchpoint=None):
    survey = services.survey_create(team=team, actor=user, name=f"{kind} survey", kind=kind, touchpoint=touchpoint)
    return services.survey_set_status(survey=survey, actor=user, status="active")


def _wald(p: float, n: int) -> tuple[float, float]:
    return 100 * p, 100 * 1.96 * math.sqrt(p * (1 - p) / n)


def test_csat_interval_is_computed_from_unrounded_parts(api_as, alice, team_a, submit):
    # 19 of 24 satisfied: CSAT 79.1666…, margin 16.2480…, low 62.9186… (rounded parts gave 63.0).
    survey = _survey(team_a, alice, "csat")
    for score in [5] * 19 + [2] * 5:
        submit(survey, {"score": score})
    body = api_as(alice).get(reverse("survey-stats", args=[survey.pk])).json()
    csat = body["totals"]["csat"]
    value, margin = _wald(19 / 24, 24)
    assert csat["n"] == 24
    assert csat["value"] == pytest.approx(value, abs=1e-9)
    assert csat["margin"] == pytest.approx(margin, abs=1e-9)
    assert csat["low"] == pytest.approx(value - margin, abs=1e-9)
    assert csat["low"] == pytest.approx(62.9186254742, abs=1e-6)
    assert csat["high"] == pytest.approx(value + margin, abs=1e-9)


def test_nps_interval_is_clipped_to_plus_minus_100(api_as, alice, survey, submit):
    # Nine 10s and one 0: NPS 80 ± 37.19; the high end (117.2) is clipped to 100.
    for score in [10] * 9 + [0]:
        submit(survey, {"score": score})
    nps = api_as(alice).get(reverse("survey-stats", args=[survey.pk])).json()["totals"]["nps"]
    margin = 100 * 1.96 * math.sqrt((1.0 - 0.8**2) / 10)
    assert nps["value"] == pytest.approx(80.0, abs=1e-9)
    assert nps["margin"] == pytest.approx(margin, abs=1e-9)
    assert nps["high"] == 100.0
    assert nps["low"] == pytest.approx(80.0 - margin, abs=1e-9)


def test_nps_low_end_is_clipped_to_minus_100():
    figure = stats.nps_figure(promoters=1, detractors=9, n=10)
    assert figure.value == pytest.approx(-80.0)
    assert figure.low == -100.0
    assert figure.high == pytest.approx(-80.0 + figure.margin)


def test_csat_interval_is_clipped_to_0_and_100():
    high = stats.csat_figure(satisfied=4, n=5)
    assert high.value + high.margin > 100 and high.high == 100.0
    low = stats.csat_figure(satisfied=1, n=5)
    assert low.value - low.margin < 0 and low.low == 0.0


def test_ces_interval_is_clipped_to_its_1_to_7_scale(api_as, alice, team_a, submit):
    survey = _survey(team_a, alice, "ces")
    for score in (7, 7, 7, 1):
        submit(survey, {"score": score})
    ces = api_as(alice).get(reverse("survey-stats", args=[survey.pk])).json()["totals"]["ces"]
    assert ces["value"] == 5.5
    assert ces["margin"] == pytest.approx(1.96 * 3 / 2, abs=1e-9)
    assert (ces["low"], ces["high"]) == (pytest.approx(5.5 - 1.96 * 1.5, abs=1e-9), 7.0)
    low = stats.ces_figure(total=1 + 1 + 1 + 7, total_sq=1 + 1 + 1 + 49, n=4)
    assert low.low == 1.0 and low.high == pytest.approx(2.5 + 1.96 * 1.5)


def test_map_stats_api_gives_full_precision_and_clipped_bounds(api_as, alice, survey, submit, shop_map):
    for score in [10] * 9 + [0] * 2 + [7]:
        submit(survey, {"score": score})
    body = api_as(alice).get(reverse("map-stats-stats", args=[shop_map.pk])).json()
    nps = body["totals"]["nps"]
    p, d, n = 9 / 12, 2 / 12, 12
    margin = 100 * 1.96 * math.sqrt((p + d - (p - d) ** 2) / n)
    assert nps["n"] == 12
    assert nps["value"] == pytest.approx(100 * (p - d), abs=1e-9)  # 58.333…, not 58.3
    assert nps["margin"] == pytest.approx(margin, abs=1e-9)
    assert nps["low"] == pytest.approx(100 * (p - d) - margin, abs=1e-9)
    assert nps["high"] == pytest.approx(min(100 * (p - d) + margin, 100.0), abs=1e-9)


def test_response_rate_is_not_rounded_in_the_api(api_as, alice, survey, submit):
    for _ in range(3):
        services.display_record(survey=survey, event="shown")
    submit(survey, {"score": 9}, channel="widget")
    body = api_as(alice).get(reverse("survey-stats", args=[survey.pk])).json()
    assert body["response_rate"]["rate"] == pytest.approx(100 / 3, abs=1e-9)


def test_results_page_rounds_at_display(client_as, alice, survey, submit):
    for score in (10, 10, 0):
        submit(survey, {"score": score})
    response = client_as(alice).get(reverse("feedback:survey_detail", args=[survey.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="figure-nps">33<' in html
    assert "33.333" not in html
    chart = response.context["chart"]
    assert chart["values"] == [33.3]
    assert chart["low"] == [round(100 / 3 - 100 * 1.96 * math.sqrt((2 / 3 + 1 / 3 - 1 / 9) / 3), 1)]
    assert Response.objects.filter(survey=survey).count() == 3

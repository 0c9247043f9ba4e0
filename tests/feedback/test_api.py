"""REST API: surveys with questions, stats, responses, follow-ups, themes."""

from datetime import datetime

import pytest
from django.urls import reverse

from feedback.models import FollowUp, Survey, Theme


def test_create_survey_with_questions_through_the_api(api_as, alice, team_a, checkout):
    body = {
        "team": team_a.pk,
        "name": "Loan CES",
        "kind": "ces",
        "touchpoint": checkout.pk,
        "allowed_origins": ["https://bank.example.com"],
        "questions": [
            {
                "key": "effort",
                "kind": "ces",
                "text": {"en": "How easy?", "lv": "Cik viegli?"},
                "required": True,
                "is_primary": True,
            }
        ],
    }
    response = api_as(alice).post(reverse("survey-list"), body, format="json")
    assert response.status_code == 201, response.json()
    survey = Survey.objects.get(name="Loan CES")
    assert list(survey.questions.values_list("key", flat=True)) == ["effort"]
    assert response.json()["questions"][0]["text"]["lv"] == "Cik viegli?"


def test_bad_origin_is_a_400_naming_the_field(api_as, alice, team_a):
    response = api_as(alice).post(
        reverse("survey-list"),
        {"team": team_a.pk, "name": "X", "kind": "nps", "allowed_origins": ["not an origin"]},
        format="json",
    )
    assert response.status_code == 400 and "allowed_origins" in response.json()["errors"]
    assert Survey.objects.count() == 0


def test_stats_endpoint_gives_nps_with_margin_and_n(api_as, alice, survey, submit):
    for score in (10, 10, 0):
        submit(survey, {"score": score})
    body = api_as(alice).get(reverse("survey-stats", args=[survey.pk])).json()
    assert abs(body["totals"]["nps"]["value"] - 100 / 3) < 1e-9 and body["totals"]["nps"]["n"] == 3
    assert body["totals"]["nps"]["thin"] is True
    assert body["by_touchpoint"][0]["key"] == survey.touchpoint_id


@pytest.mark.parametrize(
    ("query", "param"),
    [({"days": "abc"}, "days"), ({"days": "0"}, "days"), ({"days": "731"}, "days"), ({"by": "day"}, "by")],
)
def test_stats_endpoint_refuses_days_out_of_range_and_unknown_periods(api_as, alice, survey, query, param):
    refused = api_as(alice).get(reverse("survey-stats", args=[survey.pk]), query)
    assert refused.status_code == 400 and list(refused.json()["errors"]) == [param]


def test_stats_endpoint_takes_the_longest_period(api_as, alice, survey, submit):
    submit(survey, {"score": 9})
    body = api_as(alice).get(reverse("survey-stats", args=[survey.pk]), {"days": "730", "by": "month"}).json()
    start, end = (datetime.fromisoformat(body[k]) for k in ("start", "end"))
    assert (end - start).days == 730 and body["totals"]["n"] == 1


def test_responses_list_filters_by_score_in_fixed_queries(api_as, alice, survey, submit, django_assert_max_num_queries):
    for score in range(11):
        submit(survey, {"score": score})
    client = api_as(alice)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("response-list"), {"survey": survey.pk, "score_max": 6}).json()
    assert body["count"] == 7


def test_followup_patch_closes_with_a_note(api_as, erin, survey, submit, checkout_owned):
    followup = FollowUp.objects.get(response=submit(survey, {"score": 1}))
    response = api_as(erin).patch(
        reverse("followup-detail", args=[followup.pk]), {"status": "closed", "note": "Refunded"}, format="json"
    )
    assert response.status_code == 200, response.json()
    followup.refresh_from_db()
    assert followup.status == "closed" and "Refunded" in followup.notes


def test_list_endpoints_query_counts(api_as, alice, survey, submit, checkout_owned, django_assert_max_num_queries):
    for score in range(5):
        submit(survey, {"score": score})
    Theme.objects.create(team=survey.team, name="Delivery")
    client = api_as(alice)
    for name in ("survey-list", "followup-list", "theme-list"):
        with django_assert_max_num_queries(8):
            assert client.get(reverse(name)).status_code == 200


def test_theme_tagging_by_hand_through_the_api(api_as, alice, survey, submit):
    theme = Theme.objects.create(team=survey.team, name="Trust")
    response = submit(survey, {"score": 8})
    result = api_as(alice).post(reverse("response-tag", args=[response.pk]), {"theme": theme.pk}, format="json")
    assert result.status_code == 200 and result.json()["themes"][0]["name"] == "Trust"

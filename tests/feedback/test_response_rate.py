"""The response rate per channel: widget answers over widget displays; other channels have none."""

from django.urls import reverse

from feedback import services, stats


def _answers_through_every_channel(survey, submit):
    for _ in range(4):
        services.display_record(survey=survey, event="shown")
    services.display_record(survey=survey, event="dismissed")  # not a display that could be answered
    submit(survey, {"score": 9}, channel="widget")
    submit(survey, {"score": 10}, channel="link")
    submit(survey, {"score": 3}, channel="link")
    submit(survey, {"score": 7}, channel="email")


WIDGET = {"channel": "widget", "displays": 4, "responses": 1, "rate": 25.0}
OTHERS = [
    {"channel": "link", "displays": None, "responses": 2, "rate": None},
    {"channel": "email", "displays": None, "responses": 1, "rate": None},
]


def test_rate_divides_widget_answers_by_widget_displays(survey, submit):
    _answers_through_every_channel(survey, submit)
    result = stats.survey_stats(survey, days=30)
    # Four answers in all, but only one came through the widget that was shown four times.
    assert result["rate"] == {"displays": 4, "responses": 1, "rate": 25.0}
    assert result["rate_by_channel"] == [WIDGET, *OTHERS]
    assert result["totals"]["n"] == 4


def test_widget_without_displays_has_no_rate(survey, submit):
    submit(survey, {"score": 9}, channel="widget")
    submit(survey, {"score": 8}, channel="api")
    result = stats.survey_stats(survey, days=30)
    assert result["rate_by_channel"] == [
        {"channel": "widget", "displays": 0, "responses": 1, "rate": None},
        {"channel": "api", "displays": None, "responses": 1, "rate": None},
    ]


def test_stats_endpoint_answers_the_rate_per_channel(api_as, alice, survey, submit):
    _answers_through_every_channel(survey, submit)
    response = api_as(alice).get(reverse("survey-stats", args=[survey.pk]))
    assert response.status_code == 200
    body = response.json()
    assert body["response_rate"] == {"displays": 4, "responses": 1, "rate": 25.0}
    assert body["response_rate_by_channel"] == [WIDGET, *OTHERS]


def test_results_page_shows_the_widget_rate_and_the_channels_without_displays(client_as, alice, survey, submit):
    _answers_through_every_channel(survey, submit)
    response = client_as(alice).get(reverse("feedback:survey_detail", args=[survey.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Response rate (widget)" in html
    assert "25.0%" in html
    assert "1 widget response of 4 widget displays" in html
    assert "Link: 2 responses, rate n/a: no displays recorded for this channel" in html
    assert "Email: 1 response, rate n/a: no displays recorded for this channel" in html

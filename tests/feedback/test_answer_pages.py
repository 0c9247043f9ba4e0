"""The hosted page and the NPS email links: a GET never stores; the POST stores once."""

import pytest
from django.urls import reverse

from feedback.models import Response


@pytest.mark.parametrize("score", [0, 6, 10])
def test_email_link_get_shows_the_score_and_stores_nothing(client, survey, score):
    response = client.get(reverse("feedback_public:email_answer", args=[survey.public_key, score]))
    assert response.status_code == 200
    assert f'<strong class="wm-score-chosen">{score}</strong>'.encode() in response.content
    assert Response.objects.count() == 0


def test_email_link_post_stores_once_even_when_sent_twice(client, survey):
    url = reverse("feedback_public:email_answer", args=[survey.public_key, 6])
    data = {
        "submission_id": "email-sub-0001",
        "q_score": "6",
        "q_comment": "Loan terms unclear",
        "respondent_id": "c-42",
    }
    assert client.post(url, data).status_code == 200
    assert client.post(url, data).status_code == 200
    stored = Response.objects.get()
    assert (stored.score, stored.channel, stored.respondent_id) == (6, "email", "c-42")
    assert stored.answers["comment"] == "Loan terms unclear"


def test_email_link_for_a_score_off_the_scale_is_404(client, survey):
    assert client.get(reverse("feedback_public:email_answer", args=[survey.public_key, 11])).status_code == 404


def test_hosted_page_works_without_javascript(client, survey):
    url = reverse("feedback_public:survey_page", args=[survey.public_key])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh")
    assert page.status_code == 200 and "结账体验如何？" in page.content.decode()
    assert "frame-ancestors 'self' https://shop.example.com" in page["Content-Security-Policy"]
    missing = client.post(url, {"submission_id": "hosted-sub-01", "q_comment": "no score"})
    assert missing.status_code == 400 and b"wm-error" in missing.content
    assert Response.objects.count() == 0
    done = client.post(url, {"submission_id": "hosted-sub-01", "q_score": "10"})
    assert done.status_code == 200 and b"wm-thanks" in done.content
    assert Response.objects.get().channel == "link"


def test_hosted_page_renders_right_to_left_for_arabic(client, survey):
    page = client.get(reverse("feedback_public:survey_page", args=[survey.public_key]), {"locale": "ar"})
    assert b'dir="rtl"' in page.content and b'lang="ar"' in page.content


def test_hosted_page_htmx_post_returns_the_fragment(client, survey):
    url = reverse("feedback_public:survey_page", args=[survey.public_key])
    response = client.post(url, {"submission_id": "hosted-sub-02", "q_score": "3"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content and b"wm-thanks" in response.content


def test_honeypot_on_the_hosted_page_stores_nothing(client, survey):
    url = reverse("feedback_public:survey_page", args=[survey.public_key])
    client.post(url, {"submission_id": "hosted-sub-03", "q_score": "3", "website": "x"})
    assert Response.objects.count() == 0

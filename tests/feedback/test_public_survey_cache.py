"""The per-process cache of the survey definition: an edit or a close counts on the next request."""

import json

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from feedback import services, survey_cache
from feedback.models import Response, Survey
from teams import local_cache


def post(client, survey, submission_id, score=9):
    return client.post(
        reverse("feedback_public:survey_responses", args=[survey.public_key]),
        data=json.dumps({"submission_id": submission_id, "answers": {"score": score}, "finished": True}),
        content_type="application/json",
    )


def test_second_post_reads_the_survey_from_the_cache(client, survey):
    assert post(client, survey, "cache-0001").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        assert post(client, survey, "cache-0002").status_code == 201
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "feedback_survey" not in sql.split("INSERT")[0]
    assert "feedback_question" not in sql


def test_closing_a_survey_is_refused_on_the_very_next_post(client, survey, alice):
    assert post(client, survey, "cache-0003").status_code == 201
    services.survey_set_status(survey=survey, actor=alice, status=Survey.Status.CLOSED)
    response = post(client, survey, "cache-0004")
    assert response.status_code == 409 and response.json()["code"] == "survey_closed"
    assert Response.objects.count() == 1


def test_a_close_in_another_process_is_refused_before_the_shared_version_moves(client, survey):
    assert post(client, survey, "cache-0005").status_code == 201
    # Another process closes the survey: its row changes, and it bumps the shared version (our
    # process's own memory is not touched: simulated by a bare UPDATE and a write to the shared key).
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.CLOSED)
    # This process still holds the survey as open, but the answer's statement stores it only while
    # the survey's row says open (answer_insert): refused at once, nothing stored.
    response = post(client, survey, "cache-0006")
    assert response.status_code == 409 and response.json()["code"] == "survey_closed"
    assert not Response.objects.filter(submission_id="cache-0006").exists()
    cache.incr(local_cache.version_key(survey_cache.DEFINITIONS))
    response = post(client, survey, "cache-0007")
    assert response.status_code == 409 and response.json()["code"] == "survey_closed"
    assert Response.objects.filter(survey=survey).count() == 1


def test_a_question_edit_counts_on_the_next_post(client, survey, alice):
    assert post(client, survey, "cache-0008").status_code == 201
    comment = survey.questions.get(key="comment")
    services.question_update(question=comment, actor=alice, required=True)
    response = post(client, survey, "cache-0009")
    assert response.status_code == 400
    assert "answers.comment" in response.json()["errors"]

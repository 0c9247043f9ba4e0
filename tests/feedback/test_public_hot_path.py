"""The public submission's hot path: no query it does not need."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from feedback.models import FollowUp


def test_a_detractor_opens_its_follow_up_without_looking_for_one_first(client, survey, checkout_owned):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            reverse("feedback_public:survey_responses", args=[survey.public_key]),
            data=json.dumps({"submission_id": "hot-0001", "answers": {"score": 2}}),
            content_type="application/json",
        )
    assert response.status_code == 201
    assert FollowUp.objects.get().owner is not None
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not any('FROM "feedback_followup"' in sql for sql in selects)
    # One: the test's own transaction turns the submission's transaction into a savepoint.
    assert sum(q["sql"].startswith("SAVEPOINT") for q in queries.captured_queries) == 1

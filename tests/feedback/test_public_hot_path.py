"""The public submission's hot path: no query, no round trip and no transaction it does not need.

An answer that writes one row (no follow-up to open, no theme to tag, no webhook to deliver) is one
``INSERT … ON CONFLICT DO NOTHING`` statement; the others write the row and its after-effects in
one transaction. The survey, the team's themes, the follow-up routing and the webhook
subscriptions come from per-process caches that every change reloads.
"""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

from feedback import services
from feedback.models import FollowUp, Response, ResponseTheme
from owners import services as owner_services
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery


def post(client, survey, submission_id, answers):
    return client.post(
        reverse("feedback_public:survey_responses", args=[survey.public_key]),
        data=json.dumps({"submission_id": submission_id, "answers": answers, "finished": True}),
        content_type="application/json",
    )


def captured(client, survey, submission_id, answers):
    with CaptureQueriesContext(connection) as queries:
        response = post(client, survey, submission_id, answers)
    return response, [q["sql"] for q in queries.captured_queries]


def test_an_answer_that_writes_one_row_is_one_statement(client, survey, checkout_owned):
    # The first answers fill the caches: the survey, the team's themes (read for open text), the
    # webhook subscriptions and, for a low score, the follow-up routing.
    assert post(client, survey, "warm-0001", {"score": 9, "comment": "Warm"}).status_code == 201
    response, sql = captured(client, survey, "hot-0001", {"score": 10, "comment": "Quick and easy"})
    assert response.status_code == 201 and response.json()["created"] is True
    assert len(sql) == 1, sql
    assert sql[0].startswith('INSERT INTO "feedback_response"') and "ON CONFLICT" in sql[0]
    stored = Response.objects.get(submission_id="hot-0001")
    assert (stored.score, stored.metric, stored.answers) == (10, "nps", {"score": 10, "comment": "Quick and easy"})
    assert (stored.touchpoint_id, stored.stage_id, stored.team_id) == (
        checkout_owned.pk,
        checkout_owned.stage_id,
        survey.team_id,
    )
    assert stored.channel == "api" and stored.finished is True
    assert not FollowUp.objects.filter(response=stored).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_answer_statement_is_planned_once_per_connection(client, survey, checkout_owned):
    # Django prepares nothing unless the connection names a threshold: without one, PostgreSQL
    # would parse and plan the answer's statement again for every answer.
    for n in range(6):
        assert post(client, survey, f"plan-{n:04d}", {"score": 9}).status_code == 201
        assert post(client, survey, f"plan-low-{n:04d}", {"score": 2}).status_code == 201
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s ORDER BY statement",
            ['%INSERT INTO "feedback_response"%'],
        )
        prepared = [row[0] for row in cursor.fetchall()]
    assert len(prepared) == 2, prepared
    assert prepared[0].startswith('INSERT INTO "feedback_response"')
    assert prepared[1].startswith("WITH r AS (INSERT INTO") and '"feedback_followup"' in prepared[1]
    assert Response.objects.filter(submission_id__startswith="plan-").count() == 12
    assert FollowUp.objects.filter(response__submission_id__startswith="plan-low-").count() == 6


def test_a_retried_answer_on_the_one_statement_path_stores_one_row(client, survey):
    first = post(client, survey, "retry-0001", {"score": 9})
    again = post(client, survey, "retry-0001", {"score": 9})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["created"] is False
    assert Response.objects.filter(submission_id="retry-0001").count() == 1


def test_a_second_part_on_the_one_statement_path_is_merged(client, survey):
    first = client.post(
        reverse("feedback_public:survey_responses", args=[survey.public_key]),
        data=json.dumps({"submission_id": "parts-0001", "answers": {"score": 8}, "finished": False}),
        content_type="application/json",
    )
    assert first.status_code == 201 and first.json()["finished"] is False
    response = client.post(
        reverse("feedback_public:survey_responses", args=[survey.public_key]),
        data=json.dumps({"submission_id": "parts-0001", "answers": {"comment": "Fine"}, "finished": True}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Response.objects.get(submission_id="parts-0001").answers == {"score": 8, "comment": "Fine"}


def test_a_detractor_is_stored_with_its_follow_up_in_one_statement_on_postgresql(
    client, survey, checkout_owned, erin, alice
):
    theme = services.theme_create(team=survey.team, actor=alice, name="Delivery", keywords="delivery")
    assert post(client, survey, "warm-0002", {"score": 3, "comment": "Warm"}).status_code == 201
    response, sql = captured(client, survey, "hot-0002", {"score": 2, "comment": "Delivery was late"})
    assert response.status_code == 201
    followup = FollowUp.objects.get(response__submission_id="hot-0002")
    assert followup.owner == erin and followup.status == FollowUp.Status.OPEN
    assert followup.team_id == survey.team_id and followup.touchpoint_id == checkout_owned.pk
    assert followup.due_at == followup.response.created_at + timedelta(hours=48)
    assert followup.escalate_at == followup.due_at + timedelta(hours=24)
    assert list(ResponseTheme.objects.filter(response=followup.response).values_list("theme", flat=True)) == [theme.pk]
    # The routing (owner, SLA) and the themes are cached: no SELECT. On PostgreSQL the answer, its
    # follow-up and its theme tag are one statement; elsewhere one transaction (a savepoint here,
    # inside the test's own transaction) with the three INSERTs.
    if connection.vendor == "postgresql":
        assert len(sql) == 1 and sql[0].startswith('WITH r AS (INSERT INTO "feedback_response"'), sql
        assert 'INSERT INTO "feedback_followup"' in sql[0] and 'INSERT INTO "feedback_responsetheme"' in sql[0]
    else:
        assert [s.split(" (")[0] for s in sql if not s.startswith(("SAVEPOINT", "RELEASE"))] == [
            'SELECT 1 AS "a" FROM "feedback_survey" WHERE',
            'INSERT INTO "feedback_response"',
            'INSERT INTO "feedback_followup"',
            'INSERT INTO "feedback_responsetheme"',
        ]
        assert sum(s.startswith("SAVEPOINT") for s in sql) == 1


def test_a_retried_detractor_opens_one_follow_up(client, survey, checkout_owned):
    first = post(client, survey, "retry-0002", {"score": 1})
    again = post(client, survey, "retry-0002", {"score": 1})
    assert (first.status_code, again.status_code) == (201, 200)
    assert Response.objects.filter(submission_id="retry-0002").count() == 1
    assert FollowUp.objects.filter(response__submission_id="retry-0002").count() == 1


def test_themes_are_tagged_as_the_answer_is_stored(client, survey, alice):
    delivery = services.theme_create(team=survey.team, actor=alice, name="Delivery", keywords="delivery, late")
    services.theme_create(team=survey.team, actor=alice, name="Returns", keywords="returns")
    assert post(client, survey, "theme-0001", {"score": 8, "comment": "Delivery was LATE again"}).status_code == 201
    tags = list(ResponseTheme.objects.filter(response__submission_id="theme-0001").values_list("theme", "source"))
    assert tags == [(delivery.pk, ResponseTheme.Source.AUTO)]
    assert post(client, survey, "theme-0002", {"score": 9, "comment": "Nothing to say"}).status_code == 201
    assert not ResponseTheme.objects.filter(response__submission_id="theme-0002").exists()


def test_a_new_theme_counts_from_the_next_answer(client, survey, alice):
    assert post(client, survey, "theme-0003", {"score": 9, "comment": "Loved the gift wrap"}).status_code == 201
    wrap = services.theme_create(team=survey.team, actor=alice, name="Gift wrap", keywords="gift wrap")
    assert post(client, survey, "theme-0004", {"score": 9, "comment": "Loved the gift wrap"}).status_code == 201
    assert list(ResponseTheme.objects.filter(theme=wrap).values_list("response__submission_id", flat=True)) == [
        "theme-0004"
    ]
    services.theme_update(theme=wrap, actor=alice, keywords="wrapping")
    assert post(client, survey, "theme-0005", {"score": 9, "comment": "Loved the gift wrap"}).status_code == 201
    assert ResponseTheme.objects.filter(theme=wrap).count() == 1


def test_a_webhook_for_new_answers_gets_its_delivery_with_the_row(client, survey, alice, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert post(client, survey, "hook-0001", {"score": 9}).status_code == 201
    assert not WebhookDelivery.objects.exists()
    endpoint = webhook_services.webhook_endpoint_register(
        team=survey.team, actor=alice, url="http://127.0.0.1:9/hook", event_types=["response.created"]
    )
    assert post(client, survey, "hook-0002", {"score": 9}).status_code == 201
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    stored = Response.objects.get(submission_id="hook-0002")
    assert delivery.event == "response.created" and delivery.payload["data"]["id"] == stored.pk
    webhook_services.webhook_endpoint_update(endpoint=endpoint, actor=alice, event_types=["map.published"])
    assert post(client, survey, "hook-0003", {"score": 9}).status_code == 201
    assert WebhookDelivery.objects.count() == 1


def test_a_new_owner_and_a_new_sla_count_from_the_next_detractor(client, survey, checkout_owned, erin, alice):
    assert post(client, survey, "route-0001", {"score": 1}).status_code == 201
    first = FollowUp.objects.get(response__submission_id="route-0001")
    assert first.owner == erin and first.due_at - first.response.created_at == timedelta(hours=48)
    owner_services.ownership_assign(actor=alice, user=alice, touchpoint=checkout_owned)
    owner_services.sla_set(actor=alice, touchpoint=checkout_owned, response_target=timedelta(hours=4))
    assert post(client, survey, "route-0002", {"score": 1}).status_code == 201
    second = FollowUp.objects.get(response__submission_id="route-0002")
    assert second.owner == alice and second.due_at - second.response.created_at == timedelta(hours=4)


@pytest.mark.parametrize("score", [9, 2])
def test_an_unknown_question_stores_nothing_on_either_path(client, survey, checkout_owned, score):
    response = post(client, survey, f"bad-000{score}", {"score": score, "mood": "fine"})
    assert response.status_code == 400 and "answers.mood" in response.json()["errors"]
    assert not Response.objects.exists() and not FollowUp.objects.exists()


@pytest.mark.parametrize("score", [9, 2])
def test_a_survey_closed_by_another_process_stores_nothing_on_either_path(client, survey, checkout_owned, score):
    # This process keeps the survey as open (its cache has not heard), another one closed it: the
    # answer's statement checks the survey's row, so neither the answer nor a follow-up is stored.
    assert post(client, survey, f"open-000{score}", {"score": score}).status_code == 201
    type(survey).objects.filter(pk=survey.pk).update(status="closed")
    response = post(client, survey, f"late-000{score}", {"score": score, "comment": "Delivery was late"})
    assert response.status_code == 409 and response.json()["code"] == "survey_closed"
    assert not Response.objects.filter(submission_id=f"late-000{score}").exists()
    assert FollowUp.objects.filter(response__submission_id=f"late-000{score}").count() == 0


@pytest.mark.parametrize(
    "values",
    [
        {"score": 9, "respondent_id": "", "finished": True, "touchpoint_id": None, "stage_id": None},
        {"score": None, "respondent_id": "cust-1", "finished": False, "locale": "zh-Hant"},
        # Not of the exact type the shortcut takes: these go through the field's own conversion.
        {"score": True, "metric": gettext_lazy("nps"), "finished": 1, "submission_id": SafeString("safe-0001")},
    ],
)
def test_the_statement_gets_each_value_as_the_field_would_convert_it(survey, checkout_owned, values):
    from django.utils import timezone

    from feedback import answer_insert

    now = timezone.now()
    response = Response(
        team_id=survey.team_id,
        survey=survey,
        touchpoint_id=checkout_owned.pk,
        stage_id=checkout_owned.stage_id,
        submission_id="params-0001",
        metric="nps",
        answers={"score": 9, "comment": "Fine"},
        channel="widget",
        page_url="https://shop.example.com/",
        created_at=now,
        updated_at=now,
    )
    for name, value in values.items():
        setattr(response, name, value)
    followup = FollowUp(
        team_id=survey.team_id, response=response, touchpoint_id=None, owner_id=None, due_at=now, created_at=now
    )
    for instance, skip in ((response, ""), (followup, "response")):
        columns = answer_insert._columns(type(instance), skip=skip)
        expected = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in columns]
        got = answer_insert._params(instance, answer_insert._binders(type(instance), connection, skip=skip), connection)
        assert len(got) == len(expected) == len(columns)
        for field, a, b in zip(columns, got, expected, strict=True):
            # The same type too: on PostgreSQL it decides the parameter's type (Int2 for a smallint).
            assert type(a) is type(b) and (a == b or field.name == "answers"), field.name
            if field.name == "answers":  # a JSON adapter on PostgreSQL, text elsewhere: same contents
                assert getattr(a, "obj", a) == getattr(b, "obj", b)

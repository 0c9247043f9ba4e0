"""The public survey endpoint: idempotent, validated per question, CORS, rate limit, size limit."""

import json

import pytest
from django.db import connection
from django.urls import reverse

from feedback.models import Display, Response, Survey


def url(survey, name="survey_responses"):
    return reverse(f"feedback_public:{name}", args=[survey.public_key])


def post_json(client, survey, body, **headers):
    return client.post(url(survey), data=json.dumps(body), content_type="application/json", **headers)


VALID = {"submission_id": "a1b2c3d4-0001", "answers": {"score": 9, "comment": "Fast delivery"}, "finished": True}


def test_valid_post_stores_one_response_with_stage_and_team(client, survey, checkout):
    response = post_json(client, survey, VALID)
    assert response.status_code == 201
    assert response.json()["created"] is True
    stored = Response.objects.get()
    assert (stored.score, stored.metric, stored.team_id) == (9, "nps", survey.team_id)
    assert stored.touchpoint_id == checkout.pk and stored.stage_id == checkout.stage_id
    assert stored.answers == {"score": 9, "comment": "Fast delivery"}
    assert stored.finished is True


def test_retried_post_with_same_submission_id_stores_one(client, survey):
    first = post_json(client, survey, VALID)
    second = post_json(client, survey, VALID)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["created"] is False
    assert Response.objects.count() == 1


def test_score_first_then_comment_merges_until_finished(client, survey):
    body = {"submission_id": "partial-0001", "answers": {"score": 4}, "finished": False}
    assert post_json(client, survey, body).status_code == 201
    body = {"submission_id": "partial-0001", "answers": {"comment": "Returns policy unclear"}, "finished": True}
    response = post_json(client, survey, body)
    assert response.status_code == 200
    stored = Response.objects.get()
    assert stored.answers == {"score": 4, "comment": "Returns policy unclear"}
    assert stored.finished is True and stored.score == 4


def test_changing_a_finished_response_is_a_conflict(client, survey):
    post_json(client, survey, VALID)
    response = post_json(client, survey, {**VALID, "answers": {"score": 2}})
    assert response.status_code == 409
    assert Response.objects.get().score == 9


def test_unfinished_response_without_required_answer_is_accepted_but_finished_is_not(client, survey):
    body = {"submission_id": "only-comment-1", "answers": {"comment": "hi"}, "finished": True}
    response = post_json(client, survey, body)
    assert response.status_code == 400
    assert "answers.score" in response.json()["errors"]
    assert Response.objects.count() == 0
    unfinished = post_json(client, survey, {**body, "finished": False})
    assert unfinished.status_code == 201 and Response.objects.get().finished is False


def test_documented_score_first_comment_later_flow_without_finished_keeps_the_comment(client, survey):
    """docs/api.md: a response is sent in parts until one says finished; finished defaults to false."""
    first = post_json(client, survey, {"submission_id": "doc-flow-0001", "answers": {"score": 9}})
    assert first.status_code == 201 and first.json()["finished"] is False
    second = post_json(client, survey, {"submission_id": "doc-flow-0001", "answers": {"comment": "Fast"}})
    assert second.status_code == 200, second.json()
    assert second.json()["answers"] == {"score": 9, "comment": "Fast"}
    last = {"submission_id": "doc-flow-0001", "answers": {"comment": "Fast checkout"}, "finished": True}
    assert post_json(client, survey, last).status_code == 200
    stored = Response.objects.get()
    assert stored.answers == {"score": 9, "comment": "Fast checkout"} and stored.finished is True and stored.score == 9


@pytest.mark.parametrize(
    "retry",
    [
        {"submission_id": "retry-done-01", "answers": {"comment": "Late parcel"}, "finished": True},
        {"submission_id": "retry-done-01", "answers": {"score": 3}},
        {"submission_id": "retry-done-01", "answers": {"score": 3, "comment": " Late parcel "}, "finished": True},
    ],
)
def test_identical_retry_after_finishing_is_a_200_and_a_change_a_409(client, survey, retry):
    post_json(client, survey, {"submission_id": "retry-done-01", "answers": {"score": 3}})
    post_json(
        client, survey, {"submission_id": "retry-done-01", "answers": {"comment": "Late parcel"}, "finished": True}
    )
    again = post_json(client, survey, retry)
    assert again.status_code == 200 and again.json()["created"] is False and again.json()["finished"] is True
    changed = post_json(client, survey, {**retry, "answers": {"comment": "Something else"}})
    assert changed.status_code == 409 and changed.json()["code"] == "already_finished"
    stored = Response.objects.get()
    assert stored.answers == {"score": 3, "comment": "Late parcel"} and stored.finished is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": {"score": 9}}, "submission_id"),
        ({"submission_id": "short", "answers": {"score": 9}}, "submission_id"),
        ({"submission_id": 12345678, "answers": {"score": 9}}, "submission_id"),
        ({"submission_id": "valid-id-01"}, "answers"),
        ({"submission_id": "valid-id-01", "answers": [9]}, "answers"),
        ({"submission_id": "valid-id-01", "answers": {"score": 11}}, "answers.score"),
        ({"submission_id": "valid-id-01", "answers": {"score": -1}}, "answers.score"),
        ({"submission_id": "valid-id-01", "answers": {"score": "nine"}}, "answers.score"),
        ({"submission_id": "valid-id-01", "answers": {"score": 9.5}}, "answers.score"),
        ({"submission_id": "valid-id-01", "answers": {"score": True}}, "answers.score"),
        ({"submission_id": "valid-id-01", "answers": {"score": None}}, "answers"),
        ({"submission_id": "valid-id-01", "answers": {"score": 9, "colour": "red"}}, "answers.colour"),
        ({"submission_id": "valid-id-01", "answers": {"score": 9, "comment": ["x"]}}, "answers.comment"),
        ({"submission_id": "valid-id-01", "answers": {"score": 9, "comment": "x" * 5000}}, "answers.comment"),
        ({"submission_id": "valid-id-01", "answers": {"score": 9}, "finished": "yes"}, "finished"),
        ({"submission_id": "valid-id-01", "answers": {"score": 9}, "locale": "x" * 50}, "locale"),
        ({"submission_id": "valid-id-01", "answers": {"score": 9}, "channel": "fax"}, "channel"),
        ({"submission_id": "valid-id-01", "answers": {"score": 9}, "surprise": 1}, "surprise"),
        ({"submission_id": "valid-id-01", "answers": {"score": 9}, "survey": 3}, "survey"),
        ({"submission_id": "valid-id-01", "answers": {"score": 9}, "status": "closed"}, "status"),
        ([1, 2, 3], "non_field_errors"),
        ("just a string", "non_field_errors"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(client, survey, body, field):
    response = post_json(client, survey, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Response.objects.count() == 0


def test_non_json_body_is_400(client, survey):
    response = client.post(url(survey), data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "body" in response.json()["errors"]
    assert Response.objects.count() == 0


def test_deeply_nested_json_is_400_not_500(client, survey):
    response = client.post(url(survey), data="[" * 5000 + "]" * 5000, content_type="application/json")
    assert response.status_code in (400, 413)
    assert Response.objects.count() == 0


def test_wrong_content_type_is_415(client, survey):
    response = client.post(url(survey), data={"submission_id": "x" * 10})
    assert response.status_code == 415
    assert "content_type" in response.json()["errors"]


def test_huge_body_is_413(client, survey, settings):
    settings.FEEDBACK_MAX_BODY_BYTES = 1000
    body = {**VALID, "answers": {"score": 9, "comment": "x" * 2000}}
    response = post_json(client, survey, body)
    assert response.status_code == 413
    assert Response.objects.count() == 0


def test_unknown_survey_is_404(client, db):
    response = client.post("/api/public/surveys/nope/responses/", data="{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.parametrize("status", [Survey.Status.DRAFT, Survey.Status.CLOSED])
def test_draft_or_closed_survey_refuses_answers(client, survey, status):
    Survey.objects.filter(pk=survey.pk).update(status=status)
    response = post_json(client, survey, VALID)
    assert response.status_code == 409
    assert response.json()["code"] == "survey_closed"
    assert Response.objects.count() == 0


def test_honeypot_filled_stores_nothing(client, survey):
    response = post_json(client, survey, {**VALID, "website": "http://spam.example"})
    assert response.status_code == 202
    assert Response.objects.count() == 0


def test_wrong_method_is_405(client, survey):
    assert client.get(url(survey)).status_code == 405
    assert client.put(url(survey)).status_code == 405


def test_allowed_origin_gets_cors_headers(client, survey):
    response = post_json(client, survey, VALID, HTTP_ORIGIN="https://shop.example.com")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    preflight = client.options(
        url(survey), HTTP_ORIGIN="https://shop.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert preflight.status_code == 200  # django-cors-headers answers preflights with 200
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Content-Type" in preflight["Access-Control-Allow-Headers"]
    refused = client.options(
        url(survey), HTTP_ORIGIN="https://evil.example.net", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert "Access-Control-Allow-Origin" not in refused


def test_other_origin_is_refused_and_stores_nothing(client, survey):
    response = post_json(client, survey, VALID, HTTP_ORIGIN="https://evil.example.net")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert Response.objects.count() == 0


def test_an_answer_from_an_allowed_origin_gets_its_cors_headers_without_asking_the_signal(client, survey):
    # The view allowed the origin already: the middleware does not send check_request_enabled
    # (whose survey receiver would look the survey up again) for the answer.
    from corsheaders.signals import check_request_enabled

    asked = []

    def spy(sender, request, **kwargs):
        asked.append(request.path_info)
        return False

    check_request_enabled.connect(spy, dispatch_uid="tests.cors_spy")
    try:
        response = post_json(client, survey, VALID, HTTP_ORIGIN="https://shop.example.com")
        refused = post_json(client, survey, {**VALID, "submission_id": "a1b2c3d4-0002"}, HTTP_ORIGIN="https://x.test")
    finally:
        check_request_enabled.disconnect(dispatch_uid="tests.cors_spy")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert response["Access-Control-Expose-Headers"] == "Retry-After"
    assert response["Vary"] == "Accept-Language, origin"
    assert "Access-Control-Allow-Credentials" not in response
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused
    assert asked == [url(survey)]  # the refused origin only
    assert Response.objects.count() == 1


def test_django_cors_headers_finds_every_setting_it_reads():
    # It reads each on every request it answers; a missing one is a raised AttributeError each time.
    from corsheaders.conf import Settings
    from django.conf import settings

    names = [name for name in vars(Settings) if name.startswith("CORS_")]
    # The old names, read as the fallbacks of the new ones.
    names += ["CORS_ORIGIN_ALLOW_ALL", "CORS_ORIGIN_WHITELIST", "CORS_ORIGIN_REGEX_WHITELIST"]
    assert len(names) == 13
    assert [name for name in names if not hasattr(settings._wrapped, name)] == []


def test_rate_limit_per_address_answers_429_with_retry_after(client, survey, settings):
    settings.FEEDBACK_RATE_LIMIT = "3/min"
    codes = [post_json(client, survey, {**VALID, "submission_id": f"rate-limit-{i}"}).status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    limited = post_json(client, survey, {**VALID, "submission_id": "rate-limit-9"})
    assert 1 <= int(limited["Retry-After"]) <= 60
    other = post_json(client, survey, {**VALID, "submission_id": "rate-limit-x"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 201
    assert Response.objects.count() == 4


def test_public_endpoint_never_sets_a_session(client, survey, alice):
    client.force_login(alice)
    response = post_json(client, survey, VALID)
    assert response.status_code == 201
    assert "sessionid" not in response.cookies
    assert "csrftoken" not in response.cookies


def test_definition_speaks_the_page_language_and_marks_rtl(client, survey):
    zh = client.get(url(survey, "survey_definition"), {"locale": "zh-CN"}).json()
    assert zh["locale"] == "zh" and zh["title"] == "结账体验如何？" and zh["dir"] == "ltr"
    assert zh["ui"]["submit"] == "提交"
    ar = client.get(url(survey, "survey_definition"), HTTP_ACCEPT_LANGUAGE="ar-EG,ar;q=0.9").json()
    assert ar["dir"] == "rtl" and ar["locale"] == "ar"
    assert [q["key"] for q in ar["questions"]] == ["score", "comment"]
    assert ar["questions"][0]["min"] == 0 and ar["questions"][0]["max"] == 10


def test_draft_survey_definition_is_hidden(client, survey):
    Survey.objects.filter(pk=survey.pk).update(status="draft")
    assert client.get(url(survey, "survey_definition")).status_code == 404


def test_display_is_recorded_apart_from_responses(client, survey):
    response = client.post(
        url(survey, "survey_displays"),
        data=json.dumps({"event": "shown", "respondent_id": "c-1"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    bad = client.post(url(survey, "survey_displays"), data=json.dumps({"event": "x"}), content_type="application/json")
    assert bad.status_code == 400 and "event" in bad.json()["errors"]
    assert list(Display.objects.values_list("event", "respondent_id")) == [("shown", "c-1")]
    assert Response.objects.count() == 0


def test_eligibility_holds_across_devices_by_respondent_id(client, survey, submit):
    check = url(survey, "survey_eligibility")
    assert client.get(check, {"respondent_id": "cust-7"}).json() == {"eligible": True, "reason": ""}
    submit(survey, {"score": 8}, respondent_id="cust-7")
    assert client.get(check, {"respondent_id": "cust-7"}).json() == {"eligible": False, "reason": "recontact"}
    assert client.get(check, {"respondent_id": "cust-8"}).json()["eligible"] is True


def test_eligibility_team_cap_spans_surveys(client, survey, submit, team_a, alice):
    from feedback import services

    other = services.survey_create(team=team_a, actor=alice, name="Support CSAT", kind="csat")
    other = services.survey_set_status(survey=other, actor=alice, status="active")
    submit(survey, {"score": 8}, respondent_id="cust-9")
    body = client.get(url(other, "survey_eligibility"), {"respondent_id": "cust-9"}).json()
    assert body == {"eligible": False, "reason": "team_cap"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_retried_duplicates_store_exactly_the_unique_ones(settings, team_a, alice, checkout):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections
    from django.test import Client

    from feedback import services

    settings.FEEDBACK_RATE_LIMIT = "100000/min"
    survey = services.survey_create(team=team_a, actor=alice, name="Load", kind="nps", touchpoint=checkout)
    survey = services.survey_set_status(survey=survey, actor=alice, status="active")
    unique = [f"concurrent-{i:05d}" for i in range(800)]
    posts = unique + unique[:200]  # 1 000 posts, 20 % of them retries of an earlier id
    posts.sort(key=lambda s: hash(s) % 97)

    def send(submission_id):
        try:
            body = {"submission_id": submission_id, "answers": {"score": int(submission_id[-1])}}
            response = Client().post(
                f"/api/public/surveys/{survey.public_key}/responses/",
                data=json.dumps(body),
                content_type="application/json",
            )
            return response.status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(send, posts))
    assert set(codes) <= {200, 201}
    assert codes.count(201) == 800
    assert Response.objects.filter(survey=survey).count() == 800
    assert set(Response.objects.filter(survey=survey).values_list("submission_id", flat=True)) == set(unique)


@pytest.mark.parametrize(
    ("thank_you", "locale", "expected"),
    [
        # The respondent's language wins over the survey's default-language text.
        ({"en": "Thanks for shopping with us!"}, "zh-CN", "感谢您的反馈！"),
        ({"en": "Thanks for shopping with us!"}, "ar", "شكرًا لملاحظاتك!"),
        # The survey's own text in that language wins over the built-in.
        ({"en": "Thanks for shopping with us!", "zh": "谢谢您！"}, "zh", "谢谢您！"),
        # No built-in message in German: the survey's default-language text, then the English built-in.
        ({"en": "Thanks for shopping with us!"}, "de", "Thanks for shopping with us!"),
        ({}, "de", "Thank you for your feedback!"),
    ],
)
def test_thank_you_falls_back_to_the_respondents_language_first(client, survey, thank_you, locale, expected):
    survey.title = {**survey.title, "de": "Wie war der Kauf?"}
    survey.thank_you = thank_you
    survey.save()

    definition = client.get(url(survey, "survey_definition"), {"locale": locale}).json()

    assert definition["locale"] == locale.split("-")[0]
    assert definition["thank_you"] == expected


def test_hosted_page_thanks_in_the_respondents_language(client, survey):
    survey.thank_you = {"en": "Thanks for shopping with us!"}
    survey.save()
    page_url = reverse("feedback_public:survey_page", args=[survey.public_key])

    done = client.post(f"{page_url}?locale=zh", {"submission_id": "hosted-thanks-1", "q_score": "9"})

    assert done.status_code == 200
    assert "感谢您的反馈！" in done.content.decode()
    assert "Thanks for shopping with us!" not in done.content.decode()

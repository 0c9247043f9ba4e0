"""NUL characters and lone surrogates are refused with a 400 everywhere a client can send them.

PostgreSQL cannot store either, so without these checks they were 500s on PostgreSQL only.
"""

import json

import pytest

from feedback.models import Display, Response, Survey
from teams.text import UNSTORABLE_MESSAGE


@pytest.fixture
def survey(team_a):
    survey = Survey.objects.create(team=team_a, name="NPS", kind=Survey.Kind.NPS, status=Survey.Status.ACTIVE)
    survey.questions.create(key="score", kind="nps", text={"en": "How likely?"}, is_primary=True)
    survey.questions.create(key="comment", kind="text", text={"en": "Why?"})
    return survey


@pytest.mark.parametrize(
    "body",
    [
        {"submission_id": "abcdefgh1", "answers": {"score": 5}, "respondent_id": "a\u0000b"},
        {"submission_id": "abcdefgh2", "answers": {"score": 5}, "locale": "\u0000"},
        {"submission_id": "abcdefgh3", "answers": {"score": 5, "comment": "a\u0000b"}},
        {"submission_id": "abcdefgh4", "answers": {"score": 3, "comment": "\ud800"}},
    ],
)
def test_public_submission_refuses_unstorable_text(client, survey, body):
    url = f"/api/public/surveys/{survey.public_key}/responses/"
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert Response.objects.count() == 0


def test_public_display_and_eligibility_refuse_nul(client, survey):
    base = f"/api/public/surveys/{survey.public_key}"
    response = client.post(
        f"{base}/displays/", json.dumps({"respondent_id": "a\u0000b"}), content_type="application/json"
    )
    assert response.status_code == 400
    assert Display.objects.count() == 0
    response = client.get(f"{base}/eligibility/?respondent_id=a%00b")
    assert response.status_code == 400
    assert response.json()["errors"] == {"respondent_id": [response.json()["errors"]["respondent_id"][0]]}


def test_api_json_with_nul_is_400(api_as, alice, team_a):
    response = api_as(alice).post("/api/v1/teams/", json.dumps({"name": "a\u0000b"}), content_type="application/json")
    assert response.status_code == 400
    response = api_as(alice).patch(
        f"/api/v1/teams/{team_a.pk}/", '{"name": "\\ud800"}', content_type="application/json"
    )
    assert response.status_code == 400
    team_a.refresh_from_db()
    assert team_a.name == "Team A"


def test_ui_form_with_nul_is_400(client, alice, team_a):
    client.force_login(alice)
    response = client.post("/teams/new/", {"name": "a\x00b", "accent_color": "#123456"})
    assert response.status_code == 400


@pytest.mark.parametrize("where", ["query", "form"])
def test_too_many_fields_is_the_apis_json_400(client, where):
    """Over DATA_UPLOAD_MAX_NUMBER_FIELDS Django raises before any view: the API still answers JSON."""
    fields = "&".join(f"f{i}=x" for i in range(1100))
    if where == "query":
        response = client.get(f"/api/v1/maps/?{fields}")
    else:
        response = client.post("/api/v1/maps/", fields, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "request_too_large"


def test_too_many_fields_on_a_page_stays_djangos_400(client):
    response = client.get("/accounts/login/?" + "&".join(f"f{i}=x" for i in range(1100)))
    assert response.status_code == 400
    assert "json" not in response["Content-Type"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"submission_id": "abcdefgh5", "answers": {"score": 5, "comment": "a\x00b"}}',  # a raw NUL
        b'{"submission_id": "abcdefgh6", "answers": {"score": 5, "comment": "\xed\xa0\x80"}}',  # an encoded surrogate
    ],
)
def test_public_submission_refuses_unstorable_bytes_without_an_escape(client, survey, raw):
    # The endpoint walks the decoded body only when it has a \u escape: these two must be refused
    # before that, by the UTF-8 decoder and the strict JSON parser.
    url = f"/api/public/surveys/{survey.public_key}/responses/"
    response = client.post(url, raw, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert Response.objects.count() == 0


def test_public_submission_refuses_an_unstorable_answer_key(client, survey):
    url = f"/api/public/surveys/{survey.public_key}/responses/"
    body = {"submission_id": "abcdefgh7", "answers": {"score": 5, "com\u0000ment": "x"}}
    response = client.post(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"answers.com\u0000ment": [str(UNSTORABLE_MESSAGE)]}
    assert Response.objects.count() == 0


def test_public_submission_stores_text_sent_without_escapes(client, survey):
    url = f"/api/public/surveys/{survey.public_key}/responses/"
    comment = "送货很快 👍 très bien"
    body = {"submission_id": "abcdefgh8", "answers": {"score": 9, "comment": comment}, "finished": True}
    response = client.post(url, json.dumps(body, ensure_ascii=False).encode(), content_type="application/json")
    assert response.status_code == 201
    assert Response.objects.get().answers == {"score": 9, "comment": comment}

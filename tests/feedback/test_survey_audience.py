"""A cohort as a survey's audience: only its profiles are asked, through the widget's eligibility check."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from analytics.cohorts import cohort_create
from customers import services as customers
from customers.models import Identity
from feedback import services
from feedback.models import Survey


@pytest.fixture
def people(team_a, alice):
    source = customers.source_create(team=team_a, actor=alice, name="Shop")[0]
    batch = [
        {"type": "identify", "userId": "cust-1", "traits": {"plan": "pro"}, "messageId": "a"},
        {"type": "identify", "userId": "cust-2", "traits": {"plan": "free"}, "messageId": "b"},
        {"type": "track", "anonymousId": "anon-3", "event": "Viewed", "messageId": "c"},
    ]
    with mock.patch("webhooks.tasks.webhook_deliver.delay"):
        customers.events_ingest(source=source, items=batch, received_at=timezone.now())
    return {v: Identity.objects.get(team=team_a, value=v).profile for v in ("cust-1", "cust-2", "anon-3")}


def check(client, survey, respondent=""):
    url = reverse("feedback_public:survey_eligibility", args=[survey.public_key])
    return client.get(url, {"respondent_id": respondent} if respondent else {}).json()


def test_only_the_audience_is_asked(client, survey, team_a, alice, people):
    pro = cohort_create(
        team=team_a,
        actor=alice,
        name="Pro plan",
        kind="rules",
        rules={"conditions": [{"type": "trait", "key": "plan", "op": "eq", "value": "pro"}]},
    )
    assert check(client, survey, "cust-2") == {"eligible": True, "reason": ""}
    services.survey_update(survey=survey, actor=alice, audience=pro)
    assert Survey.objects.get(pk=survey.pk).audience_id == pro.pk
    survey.refresh_from_db()
    assert check(client, survey, "cust-1") == {"eligible": True, "reason": ""}
    assert check(client, survey, "cust-2") == {"eligible": False, "reason": "audience"}
    assert check(client, survey, "anon-3") == {"eligible": False, "reason": "audience"}
    assert check(client, survey) == {"eligible": False, "reason": "audience"}  # anonymous: not a known profile
    assert check(client, survey, "nobody") == {"eligible": False, "reason": "audience"}

    # A static list works the same; an anonymous id on the list is asked.
    listed = cohort_create(team=team_a, actor=alice, name="Listed", profile_ids=[people["anon-3"].pk])
    services.survey_update(survey=survey, actor=alice, audience=listed)
    survey.refresh_from_db()
    assert check(client, survey, "anon-3") == {"eligible": True, "reason": ""}
    assert check(client, survey, "cust-1")["reason"] == "audience"


def test_audience_of_another_team_is_refused(survey, alice, oscar, team_b):
    theirs = cohort_create(team=team_b, actor=oscar, name="Theirs", profile_ids=[])
    with pytest.raises(ValidationError) as error:
        services.survey_update(survey=survey, actor=alice, audience=theirs)
    assert "audience" in error.value.message_dict
    assert Survey.objects.get(pk=survey.pk).audience_id is None


def test_api_sets_and_shows_the_audience(api_as, alice, survey, team_a, team_b, oscar):
    cohort = cohort_create(team=team_a, actor=alice, name="Mine", profile_ids=[])
    theirs = cohort_create(team=team_b, actor=oscar, name="Theirs", profile_ids=[])
    url = f"/api/v1/surveys/{survey.pk}/"
    response = api_as(alice).patch(url, {"audience": cohort.pk}, format="json")
    assert response.status_code == 200 and response.json()["audience"] == cohort.pk
    assert Survey.objects.get(pk=survey.pk).audience_id == cohort.pk
    bad = api_as(alice).patch(url, {"audience": theirs.pk}, format="json")
    assert bad.status_code == 400 and "audience" in bad.json()["errors"]
    assert Survey.objects.get(pk=survey.pk).audience_id == cohort.pk
    cleared = api_as(alice).patch(url, {"audience": None}, format="json")
    assert cleared.status_code == 200 and Survey.objects.get(pk=survey.pk).audience_id is None


def test_survey_form_offers_the_teams_cohorts(client_as, alice, survey, team_a):
    cohort = cohort_create(team=team_a, actor=alice, name="Mine", profile_ids=[])
    page = client_as(alice).get(reverse("feedback:survey_edit", args=[survey.pk]))
    assert page.status_code == 200
    assert list(page.context["form"].fields["audience"].queryset) == [cohort]


def test_the_hosted_page_tells_someone_outside_the_audience_kindly(client, survey, team_a, alice, people):
    pro = cohort_create(
        team=team_a,
        actor=alice,
        name="Pro plan",
        kind="rules",
        rules={"conditions": [{"type": "trait", "key": "plan", "op": "eq", "value": "pro"}]},
    )
    services.survey_update(survey=survey, actor=alice, audience=pro)
    page = reverse("feedback_public:survey_page", args=[survey.public_key])
    email = reverse("feedback_public:email_answer", args=[survey.public_key, 9])

    inside = client.get(page, {"respondent_id": "cust-1"})
    assert inside.status_code == 200 and b'name="q_score"' in inside.content
    for respondent in ("cust-2", "nobody", ""):  # outside, unknown, and a link without an id: the widget's rule
        outside = client.get(page, {"respondent_id": respondent} if respondent else {})
        assert outside.status_code == 403
        assert "This survey is meant for someone else" in outside.content.decode()
        assert b'name="q_score"' not in outside.content
    assert client.get(email, {"respondent_id": "cust-2"}).status_code == 403
    assert client.get(email, {"respondent_id": "cust-1"}).status_code == 200

    # In the respondent's language, and a post from outside stores nothing.
    chinese = client.get(page, {"respondent_id": "cust-2", "locale": "zh"})
    assert chinese.status_code == 403 and "这份问卷是为其他人准备的" in chinese.content.decode()
    arabic = client.get(page, {"respondent_id": "cust-2", "locale": "ar"})
    assert 'dir="rtl"' in arabic.content.decode() and "هذا الاستبيان مخصص لشخص آخر" in arabic.content.decode()
    refused = client.post(page, {"submission_id": "outside-01", "q_score": "3", "respondent_id": "cust-2"})
    assert refused.status_code == 403
    refused = client.post(email, {"submission_id": "outside-02", "respondent_id": "cust-2"})
    assert refused.status_code == 403
    assert not survey.responses.exists()
    stored = client.post(page, {"submission_id": "inside-01", "q_score": "3", "respondent_id": "cust-1"})
    assert stored.status_code == 200 and survey.responses.filter(respondent_id="cust-1").count() == 1

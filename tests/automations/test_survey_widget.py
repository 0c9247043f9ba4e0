"""A survey step either emails the survey's link or marks the customer eligible for the survey's
widget: a member of its saved-list audience, so the widget's eligibility check asks them."""

import pytest
from django.core.exceptions import ValidationError

from analytics.models import Cohort, CohortMember
from automations import engine, outbox
from automations import services as auto
from automations.models import Action
from customers.models import Profile
from feedback import services as feedback

from .conftest import identify, track

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey_for(team_a, alice):
    def make(audience):
        survey = feedback.survey_create(team=team_a, actor=alice, name="Checkout NPS", kind="nps", audience=audience)
        return feedback.survey_set_status(survey=survey, actor=alice, status="active")

    return make


@pytest.fixture
def asked(team_a):
    return Cohort.objects.create(team=team_a, name="Asked about checkout", kind="static")


def test_the_widget_step_makes_the_customer_eligible_and_sends_nothing(
    ingest, shop, alice, survey_for, asked, mailoutbox, no_holdout, all_day
):
    journey_map, stages, _checkout = shop
    survey = survey_for(asked)
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Ask at Decision",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
    )
    step = auto.step_add(
        automation=automation, actor=alice, kind="survey", config={"survey": survey.pk, "via": "widget"}
    )
    assert step.config["via"] == "widget"
    auto.automation_activate(automation=automation, actor=alice)
    ingest(identify("ana", email="ana@example.com"))
    assert feedback.respondent_eligibility(survey=survey, respondent_id="ana") == (False, "audience")
    ingest(track("ana", "Checkout Started", "a"))
    engine.advance()  # the on-commit tasks may already have run it: either way, once
    outbox.actions_send()
    profile = Profile.objects.get(user_id="ana")
    assert CohortMember.objects.filter(cohort=asked, profile=profile).exists()
    assert feedback.respondent_eligibility(survey=survey, respondent_id="ana") == (True, "")
    action = Action.objects.get(kind="survey")
    assert action.status == "done"
    assert action.result == {"survey": survey.pk, "audience": asked.pk, "via": "widget"}
    assert mailoutbox == []


def test_the_widget_needs_a_saved_list_audience(shop, alice, survey_for):
    journey_map, stages, _checkout = shop
    survey = survey_for(None)
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Ask",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
    )
    with pytest.raises(ValidationError) as refused:
        auto.step_add(automation=automation, actor=alice, kind="survey", config={"survey": survey.pk, "via": "widget"})
    assert "config" in refused.value.error_dict
    with pytest.raises(ValidationError):
        auto.step_add(automation=automation, actor=alice, kind="survey", config={"survey": survey.pk, "via": "sms"})
    email = auto.step_add(automation=automation, actor=alice, kind="survey", config={"survey": survey.pk})
    assert "via" not in email.config  # an email invitation, as before


def test_the_builder_offers_the_widget(client_as, shop, alice, erin, survey_for, asked):
    journey_map, stages, _checkout = shop
    survey = survey_for(asked)
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Ask",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
    )
    client = client_as(erin)
    response = client.post(
        f"/automations/{automation.pk}/steps/new/", {"kind": "survey", "survey": survey.pk, "via": "widget"}
    )
    assert response.status_code == 302
    html = client.get(automation.get_absolute_url()).content.decode()
    assert "Make eligible for the survey “Checkout NPS” in the widget" in html

"""Search fixtures: content in English, Latvian, Bulgarian and Traditional Chinese in team A."""

import pytest

from feedback import services as feedback_services
from feedback.validation import parse_submission
from journeys import services as journey_services
from personas import services as persona_services


@pytest.fixture
def shop_map(team_a, alice):
    journey_map = journey_services.map_create(
        team=team_a, actor=alice, title="Online shop", description="Cart abandonment at the decision stage"
    )
    decision = journey_map.stages.get(position=2)
    checkout = journey_services.touchpoint_create(
        stage=decision, actor=alice, revision=None, name="Checkout delivery options", description="Piegādes laiks"
    )
    journey_services.pain_point_create(
        touchpoint=checkout, actor=alice, revision=None, title="Returns policy unclear", description="退貨政策不清楚"
    )
    journey_services.pain_point_create(
        touchpoint=checkout, actor=alice, revision=None, title="Доставката е бавна", description="Клиентите чакат"
    )
    journey_map.refresh_from_db()
    return journey_map


@pytest.fixture
def persona(team_a, alice):
    return persona_services.persona_create(
        team=team_a, actor=alice, name="Switcher Sam", summary="Switching from a competitor", goals="Faster delivery"
    )


@pytest.fixture
def survey(team_a, alice):
    survey = feedback_services.survey_create(team=team_a, actor=alice, name="Checkout NPS", kind="nps")
    return feedback_services.survey_set_status(survey=survey, actor=alice, status="active")


@pytest.fixture
def submit():
    def do(survey, answers, submission_id=None, **extra):
        do.counter += 1
        data = {"submission_id": submission_id or f"sub-{do.counter:08d}", "answers": answers, **extra}
        return feedback_services.response_submit(survey=survey, submission=parse_submission(data))[0]

    do.counter = 0
    return do

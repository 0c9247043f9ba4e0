"""Feedback fixtures: a shop map with a checkout touchpoint owned by erin under a 48 h SLA."""

from datetime import timedelta

import pytest

from feedback import services
from feedback.validation import parse_submission
from journeys.models import JourneyMap, Stage, Touchpoint
from owners.models import SLA, Ownership


@pytest.fixture
def shop_map(team_a):
    return JourneyMap.objects.create(team=team_a, title="Online shop")


@pytest.fixture
def decision(shop_map):
    return Stage.objects.create(journey_map=shop_map, name="Decision", position=2)


@pytest.fixture
def checkout(decision):
    return Touchpoint.objects.create(stage=decision, name="Checkout delivery options")


@pytest.fixture
def checkout_owned(checkout, erin, shop_map):
    Ownership.objects.create(journey_map=shop_map, touchpoint=checkout, user=erin, role=Ownership.Role.ACCOUNTABLE)
    SLA.objects.create(touchpoint=checkout, response_target=timedelta(hours=48), escalation_delay=timedelta(hours=24))
    return checkout


@pytest.fixture
def survey(team_a, alice, checkout):
    """An active NPS survey (score + comment) on the checkout touchpoint, embeddable on the shop."""
    survey = services.survey_create(
        team=team_a,
        actor=alice,
        name="Checkout NPS",
        kind="nps",
        touchpoint=checkout,
        allowed_origins=["https://shop.example.com"],
        title={"en": "How was checkout?", "zh": "结账体验如何？", "ar": "كيف كانت تجربة الدفع؟"},
    )
    return services.survey_set_status(survey=survey, actor=alice, status="active")


@pytest.fixture
def submit():
    """Store answers through the service, as the public endpoint does."""

    def do(survey, answers, submission_id=None, **extra):
        do.counter += 1
        data = {"submission_id": submission_id or f"sub-{do.counter:08d}", "answers": answers, **extra}
        return services.response_submit(survey=survey, submission=parse_submission(data))[0]

    do.counter = 0
    return do

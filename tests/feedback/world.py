"""Feedback objects for the access test (tests/test_access.py)."""

from django.utils import timezone

from feedback.models import Display, FollowUp, Question, Response, ResponseTheme, Survey, Theme
from journeys.models import Stage, Touchpoint


def _survey(world, people):
    touchpoint = world.get(Touchpoint)
    return Survey.objects.create(
        team=people["team"],
        name="Probe survey",
        kind="nps",
        status="active",
        touchpoint=touchpoint,
        followup_threshold=7,
    )


def _response(world, people):
    survey = world[Survey]
    return Response.objects.create(
        team=people["team"],
        survey=survey,
        touchpoint=survey.touchpoint,
        stage=world.get(Stage),
        submission_id="probe-submission-1",
        score=3,
        metric="nps",
        answers={"score": 3, "comment": "late delivery"},
    )


BUILDERS = [
    (Survey, _survey),
    (
        Question,
        lambda world, people: Question.objects.create(
            survey=world[Survey], key="score", kind="nps", text={"en": "How likely?"}, required=True, is_primary=True
        ),
    ),
    (Response, _response),
    (Display, lambda world, people: Display.objects.create(team=people["team"], survey=world[Survey])),
    (
        FollowUp,
        lambda world, people: FollowUp.objects.create(
            team=people["team"], response=world[Response], owner=people["admin"], due_at=timezone.now()
        ),
    ),
    (Theme, lambda world, people: Theme.objects.create(team=people["team"], name="Delivery", keywords="delivery")),
    (
        ResponseTheme,
        lambda world, people: ResponseTheme.objects.create(response=world[Response], theme=world[Theme]),
    ),
]

URL_KWARGS = {
    "survey_pk": lambda world: world[Survey].pk,
    "question_pk": lambda world: world[Question].pk,
    "response_pk": lambda world: world[Response].pk,
    "followup_pk": lambda world: world[FollowUp].pk,
    "theme_pk": lambda world: world[Theme].pk,
}

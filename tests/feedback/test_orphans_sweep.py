"""Answers left behind by a delete that raced their insert (the answer's keys have no database
constraint: feedback.models.Response) are cleared by ``services.orphans_sweep``."""

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from feedback import services
from feedback.models import FollowUp, Response, ResponseTheme
from feedback.tasks import orphans_sweep


def _answer(survey, submission_id, **fields):
    values = {
        "team_id": survey.team_id,
        "survey_id": survey.pk,
        "touchpoint_id": survey.touchpoint_id,
        "stage_id": survey.touchpoint.stage_id,
        "submission_id": submission_id,
        "score": 3,
        "metric": "nps",
        "answers": {"score": 3},
        **fields,
    }
    return Response.objects.create(**values)


def test_answers_of_a_deleted_survey_go_with_their_follow_ups_and_tags(survey, alice):
    kept = _answer(survey, "kept")
    # What a delete racing an insert leaves: an answer whose survey id names no survey.
    orphan = _answer(survey, "orphan", survey_id=survey.pk + 10_000)
    FollowUp.objects.create(
        team_id=survey.team_id, response=orphan, touchpoint_id=survey.touchpoint_id, due_at=timezone.now()
    )
    theme = services.theme_create(team=survey.team, actor=alice, name="Delivery", keywords="delivery")
    ResponseTheme.objects.create(response=orphan, theme=theme)

    result = orphans_sweep()

    assert result == {"deleted": 3, "touchpoints_cleared": 0, "stages_cleared": 0, "owners_cleared": 0}
    assert list(Response.objects.values_list("submission_id", flat=True)) == [kept.submission_id]
    assert not FollowUp.objects.exists() and not ResponseTheme.objects.exists()


def test_dangling_touchpoint_and_stage_ids_are_set_to_null(survey):
    kept = _answer(survey, "kept")
    dangling = _answer(survey, "dangling", touchpoint_id=survey.touchpoint_id + 10_000, stage_id=None)
    stage_gone = _answer(survey, "stage-gone", stage_id=survey.touchpoint.stage_id + 10_000)

    assert services.orphans_sweep() == {
        "deleted": 0,
        "touchpoints_cleared": 1,
        "stages_cleared": 1,
        "owners_cleared": 0,
    }

    dangling.refresh_from_db()
    stage_gone.refresh_from_db()
    kept.refresh_from_db()
    assert (dangling.touchpoint_id, dangling.stage_id) == (None, None)
    assert (stage_gone.touchpoint_id, stage_gone.stage_id) == (survey.touchpoint_id, None)
    assert (kept.touchpoint_id, kept.stage_id) == (survey.touchpoint_id, survey.touchpoint.stage_id)
    assert services.orphans_sweep() == {
        "deleted": 0,
        "touchpoints_cleared": 0,
        "stages_cleared": 0,
        "owners_cleared": 0,
    }


def test_a_follow_up_s_dangling_owner_and_touchpoint_are_set_to_null(survey, alice):
    answer = _answer(survey, "low")
    followup = FollowUp.objects.create(
        team_id=survey.team_id,
        response=answer,
        touchpoint_id=survey.touchpoint_id + 10_000,
        owner_id=alice.pk + 10_000,
        due_at=timezone.now(),
    )
    kept = FollowUp.objects.create(
        team_id=survey.team_id,
        response=_answer(survey, "low-kept"),
        touchpoint_id=survey.touchpoint_id,
        owner=alice,
        due_at=timezone.now(),
    )

    assert services.orphans_sweep() == {
        "deleted": 0,
        "touchpoints_cleared": 1,
        "stages_cleared": 0,
        "owners_cleared": 1,
    }

    followup.refresh_from_db()
    kept.refresh_from_db()
    assert (followup.touchpoint_id, followup.owner_id) == (None, None)
    assert (kept.touchpoint_id, kept.owner_id) == (survey.touchpoint_id, alice.pk)


def test_deleting_a_survey_still_deletes_its_answers(survey, alice):
    _answer(survey, "one")
    survey.delete()
    assert not Response.objects.exists()


@pytest.mark.django_db
def test_only_the_follow_up_s_key_to_its_answer_is_constrained_and_the_sweep_is_scheduled():
    with connection.cursor() as cursor:
        answer = connection.introspection.get_constraints(cursor, Response._meta.db_table)
        followup = connection.introspection.get_constraints(cursor, FollowUp._meta.db_table)
    assert [name for name, c in answer.items() if c["foreign_key"]] == []
    assert [c["columns"] for c in followup.values() if c["foreign_key"]] == [["response_id"]]
    assert settings.CELERY_BEAT_SCHEDULE["feedback-orphans-sweep"]["task"] == "feedback.tasks.orphans_sweep"

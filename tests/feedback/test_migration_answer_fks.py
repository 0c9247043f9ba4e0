"""The answer's foreign-key constraints, dropped (0011, 0012) and put back (0013), keep every answer and
its links: the round trip on a populated database."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from feedback.models import Response

BEFORE = [("feedback", "0010_survey_audience")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def foreign_keys() -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Response._meta.db_table)
    return sorted(c["columns"][0] for c in constraints.values() if c["foreign_key"])


@pytest.mark.django_db(transaction=True)
def test_answers_keep_their_rows_and_links_through_the_constraints_round_trip(survey):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old_apps = migrate(BEFORE).loader.project_state(BEFORE).apps
        assert foreign_keys() == ["stage_id", "survey_id", "team_id", "touchpoint_id"]
        OldResponse = old_apps.get_model("feedback", "Response")
        stored = [
            OldResponse.objects.create(
                team_id=survey.team_id,
                survey_id=survey.pk,
                touchpoint_id=survey.touchpoint_id,
                stage_id=survey.touchpoint.stage_id,
                submission_id=f"before-{n}",
                score=n,
                metric="nps",
                answers={"score": n},
            ).pk
            for n in range(3)
        ]
    finally:
        migrate(latest)

    assert foreign_keys() == ["stage_id", "survey_id", "team_id", "touchpoint_id"]
    rows = list(
        Response.objects.order_by("pk").values_list("pk", "survey_id", "team_id", "touchpoint_id", "stage_id", "score")
    )
    link = (survey.pk, survey.team_id, survey.touchpoint_id, survey.touchpoint.stage_id)
    assert rows == [(pk, *link, n) for n, pk in enumerate(stored)]

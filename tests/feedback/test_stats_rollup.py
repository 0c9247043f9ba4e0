"""The statistics' stored daily sums (feedback/rollup.py): the stored path answers exactly what the
responses alone give (whole dicts), across daylight saving in Europe/Riga, after new, past-dated,
changed and deleted answers and after refreshes."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from feedback import rollup, stats
from feedback.models import Response, ResponseDay, ResponseDayChannel, ResponseDayDirty, ResponseRollup, Survey
from journeys.models import JourneyMap, Stage, Touchpoint

# Before the real date (the triggers mark only days before the database's today), with both of
# 2026's daylight-saving changes in Riga (29 March, 25 October) inside a year's window.
END = datetime(2026, 11, 20, 13, 37, 11, tzinfo=UTC)
ZONE = "Europe/Riga"


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the stored daily sums are PostgreSQL's (SQLite reads the responses)")
    with timezone.override(ZONE):
        yield


@pytest.fixture
def world(team_a):
    journey_map = JourneyMap.objects.create(team=team_a, title="Shop")
    stages = [Stage.objects.create(journey_map=journey_map, name=f"S{i}", position=i) for i in range(3)]
    touchpoints = [Touchpoint.objects.create(stage=s, name=f"T{s.position}{j}") for s in stages for j in range(2)]
    surveys = [Survey.objects.create(team=team_a, name=f"Survey {i}", kind="nps", status="active") for i in range(2)]
    rng = random.Random(19)
    places = [(tp.stage, tp) for tp in touchpoints] + [(stages[0], None), (None, None)]
    scales = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "": (0, 10)}
    rows = []
    for i in range(1500):
        stage, touchpoint = rng.choice(places)
        metric = rng.choice(["nps", "nps", "csat", "ces", ""])
        low, high = scales[metric]
        rows.append(
            Response(
                team=team_a,
                survey=rng.choice(surveys),
                stage=stage,
                touchpoint=touchpoint,
                submission_id=f"roll-{i}",
                metric=metric,
                channel=rng.choice(["widget", "link", "email", ""]),
                score=None if rng.random() < 0.1 else rng.randint(low, high),
                created_at=END - timedelta(seconds=rng.randint(0, 400 * 86400)),
            )
        )
    # Exactly on local midnights and on the window's edges.
    for i, when in enumerate([END - timedelta(days=365), END - timedelta(days=90), END.replace(hour=22, minute=0)]):
        rows.append(
            Response(
                team=team_a,
                survey=surveys[0],
                stage=stages[1],
                touchpoint=touchpoints[2],
                submission_id=f"edge-{i}",
                metric="nps",
                score=9,
                created_at=when,
            )
        )
    Response.objects.bulk_create(rows)
    return {"map": journey_map, "surveys": surveys, "stages": stages, "touchpoints": touchpoints, "rng": rng}


def computed(monkeypatch, call):
    """The answer from the responses alone (today's path)."""
    with monkeypatch.context() as patch:
        patch.setattr(rollup, "available", lambda: False)
        return call()


def answers(world, end):
    for survey in world["surveys"]:
        for days, by in ((90, "week"), (365, "month"), (180, "week")):
            yield lambda s=survey, d=days, b=by: stats.survey_stats(s, days=d, by=b, end=end)
    for days, by in ((365, "week"), (90, "month")):
        yield lambda d=days, b=by: stats.map_stats(world["map"], days=d, by=b, end=end)


def assert_same(world, monkeypatch, end):
    assert stats.stored_plan(end - timedelta(days=365), end) is not None
    for call in answers(world, end):
        stored = call()
        assert stored == computed(monkeypatch, call)
        assert stored["totals"]["n"] > 0


def test_stored_answers_equal_the_computed_ones_through_changes(world, monkeypatch):
    assert rollup.rollup_refresh(now=END) == -1
    state = ResponseRollup.objects.get()
    assert state.zone == ZONE
    assert state.through == datetime(2026, 11, 20).date()
    assert ResponseDay.objects.exists()
    assert_same(world, monkeypatch, END)

    # New answers: today's, and a past-dated one (an import): read from the responses by id.
    survey, stage, touchpoint = world["surveys"][0], world["stages"][2], world["touchpoints"][4]
    for i, when in enumerate([END - timedelta(minutes=5), END - timedelta(days=100), END - timedelta(days=200)]):
        Response.objects.create(
            team=survey.team,
            survey=survey,
            stage=stage,
            touchpoint=touchpoint,
            metric="nps",
            score=0,
            submission_id=f"new-{i}",
            channel="api",
            created_at=when,
        )
    assert not ResponseDayDirty.objects.exists()
    assert_same(world, monkeypatch, END)

    # An old answer's score changed, another moved in time and to another stage, one deleted.
    old = Response.objects.filter(created_at__lt=END - timedelta(days=30), metric="nps").order_by("id")
    first, second, third = old[0], old[1], old[2]
    first.score = 10 if first.score != 10 else 0
    first.save(update_fields=["score"])
    Response.objects.filter(pk=second.pk).update(created_at=second.created_at - timedelta(days=40), stage=stage)
    third.delete()
    assert ResponseDayDirty.objects.count() >= 4
    assert_same(world, monkeypatch, END)

    # Refreshes recompute the changed days and empty the queue; the watermark follows a refresh behind.
    later = END + timedelta(days=1)
    assert rollup.rollup_refresh(now=later) > 0
    assert not ResponseDayDirty.objects.exists()
    assert_same(world, monkeypatch, later)
    rollup.rollup_refresh(now=later)
    top = Response.objects.order_by("-id").values_list("id", flat=True)[0]
    assert ResponseRollup.objects.get().watermark == top
    assert_same(world, monkeypatch, later)

    # The stored sums equal a full rebuild's.
    def stored():
        return [
            Counter(model.objects.values_list(*[f.name for f in model._meta.fields if f.name != "id"]))
            for model in (ResponseDay, ResponseDayChannel)
        ]

    incremental = stored()
    rollup.rollup_refresh(now=later, full=True)
    assert stored() == incremental


def test_an_update_of_todays_answer_marks_nothing(world):
    rollup.rollup_refresh(now=END)
    now = timezone.now()
    response = Response.objects.create(
        team=world["surveys"][0].team,
        survey=world["surveys"][0],
        metric="nps",
        score=None,
        submission_id="partial",
        created_at=now,
    )
    response.score = 9
    response.save(update_fields=["score"])
    assert not ResponseDayDirty.objects.exists()
    response.answers = {"comment": "fine"}
    old = Response.objects.filter(created_at__lt=END).first()
    old.answers = {"comment": "edited"}
    old.save(update_fields=["answers"])  # not a column the statistics read
    assert not ResponseDayDirty.objects.exists()


def test_the_stored_path_reads_few_rows_and_few_queries(world, django_assert_max_num_queries):
    rollup.rollup_refresh(now=END)
    survey = world["surveys"][0]
    # The plan (1), the raw and stored groups (2), channels (2), displays (1), themes (1).
    with django_assert_max_num_queries(7):
        stats.survey_stats(survey, days=90, end=END)
    # The plan (1), the names (1), the raw and stored groups (2).
    with django_assert_max_num_queries(4):
        stats.map_stats(world["map"], days=365, by="week", end=END)


def test_another_time_zone_reads_the_responses(world, monkeypatch):
    rollup.rollup_refresh(now=END)
    with timezone.override("UTC"):
        assert stats.stored_plan(END - timedelta(days=90), END) is None
        rollup.rollup_refresh(now=END)
        assert ResponseRollup.objects.get().zone == "UTC"
        assert_same(world, monkeypatch, END)

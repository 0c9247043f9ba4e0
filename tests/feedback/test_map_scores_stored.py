"""The map page's scores from stored sums (feedback.stats.map_scores_refresh_all, MapScoreStat): the
same figures as computed per view on generated answers, before and after new answers and a refresh,
checked against a plain-Python count; the page's "as of" line and its query count."""

import random
import re
from datetime import timedelta
from itertools import count

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from feedback import stats, tasks
from feedback.models import MapScoreStat, Response, Survey
from journeys.models import JourneyMap, Stage, Touchpoint

_ids = count()
METRICS = {"nps": range(0, 11), "csat": range(1, 6), "ces": range(1, 8)}


def answer(survey, stage, touchpoint, score, when, metric):
    return Response.objects.create(
        team_id=survey.team_id,
        survey=survey,
        stage=stage,
        touchpoint=touchpoint,
        submission_id=f"stored-{next(_ids)}",
        score=score,
        metric=metric,
        answers={"score": score},
        created_at=when,
        updated_at=when,
        finished=True,
    )


def _answers(survey, touchpoints, stages, rng, n, now):
    """``n`` answers at random: any metric, on a touchpoint or only a stage, 0–120 days old, some unscored."""
    for _ in range(n):
        metric = rng.choice(list(METRICS))
        touchpoint = rng.choice([*touchpoints, None])
        stage = touchpoint.stage if touchpoint else rng.choice(stages)
        score = rng.choice(METRICS[metric]) if rng.random() > 0.05 else None
        answer(survey, stage, touchpoint, score, now - timedelta(days=rng.uniform(0, 120)), metric)


@pytest.fixture
def world(team_a, team_b):
    """Two maps (one another team's) of 3 stages × 3 touchpoints and 300 generated answers."""
    rng = random.Random(19)
    now = timezone.now()
    maps = []
    for team, title in ((team_a, "Shop"), (team_b, "Bank")):
        journey_map = JourneyMap.objects.create(team=team, title=title)
        stages = [Stage.objects.create(journey_map=journey_map, name=f"S{i}", position=i) for i in range(3)]
        touchpoints = [
            Touchpoint.objects.create(stage=stage, name=f"{stage.name}-T{j}", position=j)
            for stage in stages
            for j in range(3)
        ]
        survey = Survey.objects.create(team=team, name=f"{title} survey", kind="nps", status="active")
        _answers(survey, touchpoints[:-1], stages, rng, 150, now)  # the last touchpoint: no answer
        maps.append({"map": journey_map, "stages": stages, "touchpoints": touchpoints, "survey": survey})
    return {"maps": maps, "rng": rng}


def _ids_of(entry):
    return [s.pk for s in entry["stages"]], [t.pk for t in entry["touchpoints"]]


def reference(entry, end) -> tuple[dict, dict]:
    """Per touchpoint and per stage, from the stored answers in plain Python: (n, NPS, CSAT, CES)."""
    start = end - timedelta(days=90)
    stage_ids, touchpoint_ids = _ids_of(entry)
    groups: dict = {"touchpoint": {}, "stage": {}}
    for r in Response.objects.filter(score__isnull=False):
        if not (start <= r.created_at < end):
            continue
        for kind, key, wanted in (("touchpoint", r.touchpoint_id, touchpoint_ids), ("stage", r.stage_id, stage_ids)):
            if key in wanted:
                groups[kind].setdefault(key, []).append((r.metric, r.score))

    def figures(scores):
        nps = [s for m, s in scores if m == "nps"]
        csat = [s for m, s in scores if m == "csat"]
        ces = [s for m, s in scores if m == "ces"]
        return (
            len(scores),
            100 * (sum(s >= 9 for s in nps) - sum(s <= 6 for s in nps)) / len(nps) if nps else None,
            100 * sum(s >= 4 for s in csat) / len(csat) if csat else None,
            sum(ces) / len(ces) if ces else None,
        )

    return tuple({key: figures(scores) for key, scores in groups[kind].items()} for kind in ("touchpoint", "stage"))


def _plain(found: dict) -> dict:
    return {key: (f["n"], f["nps"].value, f["csat"].value, f["ces"].value) for key, f in found.items()}


def _assert_matches_reference(found: tuple, expected: tuple):
    for got, want in zip(found, expected, strict=True):
        got = _plain(got)
        assert got.keys() == want.keys()
        for key, (n, *values) in want.items():
            assert got[key][0] == n
            assert got[key][1:] == pytest.approx(values, abs=1e-9)


def test_stored_scores_equal_the_computed_ones_and_the_reference(world):
    now = timezone.now()
    written = stats.map_scores_refresh_all(now=now)
    assert written == MapScoreStat.objects.count() == 2  # a row for every map
    for entry in world["maps"]:
        computed = stats.map_scores(*_ids_of(entry), end=now)
        computed_at, *stored = stats.stored_map_scores(entry["map"])
        assert computed_at == now
        assert tuple(stored) == computed  # the same Figures, to the last bit
        assert computed[0] and computed[1]  # the generated answers reach every map
        assert entry["touchpoints"][-1].pk not in computed[0]
        _assert_matches_reference(tuple(stored), reference(entry, now))


def test_new_answers_wait_for_the_next_refresh(world):
    shop = world["maps"][0]
    first = timezone.now()
    stats.map_scores_refresh_all(now=first)
    before = stats.map_scores(*_ids_of(shop), end=first)
    _answers(shop["survey"], shop["touchpoints"], shop["stages"], world["rng"], 40, timezone.now())
    later = timezone.now()
    now_computed = stats.map_scores(*_ids_of(shop), end=later)
    assert now_computed != before  # the new answers change the figures computed now...
    computed_at, *stored = stats.stored_map_scores(shop["map"])
    assert (computed_at, tuple(stored)) == (first, before)  # ...not the stored ones, as of the refresh
    stats.map_scores_refresh_all(now=later)
    computed_at, *stored = stats.stored_map_scores(shop["map"])
    assert (computed_at, tuple(stored)) == (later, now_computed)
    _assert_matches_reference(tuple(stored), reference(shop, later))


def test_a_row_older_than_the_maximum_age_is_not_read(world):
    shop = world["maps"][0]
    stats.map_scores_refresh_all(now=timezone.now() - timedelta(seconds=901))
    with override_settings(FEEDBACK_MAP_SCORES_MAX_AGE_SECONDS=900):
        assert stats.stored_map_scores(shop["map"]) is None
    with override_settings(FEEDBACK_MAP_SCORES_MAX_AGE_SECONDS=1000):
        assert stats.stored_map_scores(shop["map"]) is not None


def test_a_row_stored_under_other_sums_is_not_read(world):
    shop = world["maps"][0]
    stats.map_scores_refresh_all()
    MapScoreStat.objects.filter(journey_map=shop["map"]).update(names=["n"])
    assert stats.stored_map_scores(shop["map"]) is None


def test_the_beat_task_stores_every_map(world, settings):
    assert settings.CELERY_BEAT_SCHEDULE["feedback-map-scores"]["task"] == "feedback.tasks.map_scores_refresh_all"
    assert tasks.map_scores_refresh_all() == 2
    assert set(MapScoreStat.objects.values_list("journey_map_id", flat=True)) == {e["map"].pk for e in world["maps"]}


def _without_as_of(html: str) -> str:
    """The page without the "as of" line and its per-request CSRF token and CSP nonces."""
    html = re.sub(r'<p class="wm-muted wm-small-text wm-as-of" data-testid="scores-as-of">[^<]*</p>', "", html)
    html = re.sub(r'nonce="[^"]*"', "", html)
    return re.sub(r"[A-Za-z0-9]{64}", "", html)


def test_map_page_draws_the_same_scores_from_the_stored_sums(world, client_as, victor, django_assert_max_num_queries):
    shop = world["maps"][0]
    client = client_as(victor)
    url = reverse("journeys:map_detail", args=[shop["map"].pk])
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as computed_now:
        per_view = client.get(url).content.decode()
    assert 'data-testid="scores-as-of"' not in per_view and "wm-score-chip" in per_view
    stats.map_scores_refresh_all()
    # The stored row replaces the pass over the answers: one query fewer.
    with django_assert_max_num_queries(len(computed_now.captured_queries) - 1):
        response = client.get(url)
    stored = response.content.decode()
    assert response.status_code == 200
    row = MapScoreStat.objects.get(journey_map=shop["map"])
    when = row.computed_at.strftime("%Y-%m-%d %H:%M UTC")
    assert f'data-testid="scores-as-of">Feedback scores as of {when}</p>' in stored
    assert _without_as_of(stored) == _without_as_of(per_view)


def test_the_as_of_line_is_translated(world, client_as, victor):
    stats.map_scores_refresh_all()
    with translation.override("lv"):
        text = translation.gettext("Feedback scores as of %(when)s")
    assert text != "Feedback scores as of %(when)s" and "%(when)s" in text

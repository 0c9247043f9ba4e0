"""The stage funnel of a 6-stage map with a persona breakdown, from the stage transitions:
``analytics.funnels`` (the engine the page and the API use) against hand-written SQL, same data.

PostgreSQL's JIT compiles both statements for tens of seconds at these sizes (their cost estimates
pass ``jit_above_cost``); ``--no-jit`` measures both with ``SET jit = off``.

Run against your own PostgreSQL database (it is migrated and filled once, then reused):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wm_stagefunnel .venv/bin/python -m bench.stage_funnel \
        --profiles 100000

After filling it builds the stored stage funnel (``analytics.stage_store``, timed: what
``manage.py stage_funnels_rebuild`` does) and prints the median of five runs of each: the product
(``engine.run``, which reads the stored rows; the output says which path answered), the walk of
the transitions it falls back to (``SqlEngine.stage_figures``) and the hand-written SQL, with the
product's absolute time (issue 19's bar: under 1 s at 1 million profiles) and the ratios. The
product's figures are checked equal to the walk's before anything is timed. The hand-written SQL is the best form we
could write for the same figures: each profile's first entry into the first stage in the period,
then per stage the earliest entry after the previous one within the window (a correlated MIN over
the (profile, map, entered_at) index), counted per persona with the median time to convert per step
(``percentile_cont``) in the same statement.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402

from analytics import funnels, stage_store  # noqa: E402
from bench.datagen import copy_rows  # noqa: E402
from customers.models import Profile, StageTransition  # noqa: E402
from journeys.models import JourneyMap, Stage  # noqa: E402
from teams.models import Membership, Role, Team  # noqa: E402

TEAM = "bench-stage-funnel"
START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
DAYS = 90
STAGES = ["Awareness", "Consideration", "Decision", "Purchase", "Retention", "Advocacy"]
PERSONAS = ["switcher", "team buyer", "first-timer", "bargain hunter", "returning"]
GO_ON = [0.7, 0.55, 0.35, 0.8, 0.5]


def fill(profiles: int) -> tuple[Team, JourneyMap]:
    team = Team.objects.filter(name=TEAM).first()
    if team is not None:
        journey_map = JourneyMap.objects.get(team=team)
        if Profile.objects.filter(team=team).count() == profiles:
            return team, journey_map
        team.delete()
    team = Team.objects.create(name=TEAM, slug=TEAM, time_zone="UTC")
    journey_map = JourneyMap.objects.create(team=team, title="Six stages")
    stages = [Stage.objects.create(journey_map=journey_map, name=n, position=i) for i, n in enumerate(STAGES)]
    rng = random.Random(19)
    now = START + dt.timedelta(days=DAYS)
    copy_rows(
        "customers_profile",
        ["team_id", "user_id", "traits", "first_seen_at", "last_seen_at", "created_at"],
        ((team.pk, "", json.dumps({"persona": rng.choice(PERSONAS)}), now, now, now) for _ in range(profiles)),
    )
    ids = list(Profile.objects.filter(team=team).values_list("pk", flat=True))

    def rows():
        for pk in ids:
            at = START + dt.timedelta(seconds=rng.randrange(DAYS * 86400))
            index = 0
            previous = None
            while True:
                yield (team.pk, pk, journey_map.pk, previous, stages[index].pk, at, now)
                if rng.random() < 0.1:  # a second visit to the same stage
                    at += dt.timedelta(seconds=rng.randrange(60, 86400))
                    yield (team.pk, pk, journey_map.pk, stages[index].pk, stages[index].pk, at, now)
                if index + 1 >= len(stages) or rng.random() > GO_ON[index]:
                    break
                previous = stages[index].pk
                index += 1
                at += dt.timedelta(seconds=rng.randrange(600, 12 * 86400))

    copy_rows(
        "customers_stagetransition",
        ["team_id", "profile_id", "journey_map_id", "from_stage_id", "to_stage_id", "entered_at", "created_at"],
        rows(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_stagetransition; ANALYZE customers_profile")
    return team, journey_map


def hand_sql(stage_ids: list[int], window_seconds: list[int]) -> str:
    steps = []
    for k in range(2, len(stage_ids) + 1):
        steps.append(
            f"s{k} AS MATERIALIZED (SELECT s.*, (SELECT min(t.entered_at) FROM customers_stagetransition t "
            f"WHERE t.profile_id = s.profile_id AND t.journey_map_id = %(map)s AND t.to_stage_id = {stage_ids[k - 1]} "
            f"AND t.entered_at > s.t{k - 1} AND t.entered_at <= s.t{k - 1} + interval '{window_seconds[k - 1]} seconds'"
            f") AS t{k} FROM s{k - 1} s)"
        )
    last = f"s{len(stage_ids)}"
    counts = ", ".join(f"count(t{k})" for k in range(1, len(stage_ids) + 1))
    medians = ", ".join(
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t{k} - t{k - 1}))"
        for k in range(2, len(stage_ids) + 1)
    )
    return (
        "WITH s1 AS MATERIALIZED (SELECT DISTINCT ON (profile_id) profile_id, entered_at AS t1 "
        "FROM customers_stagetransition "
        f"WHERE journey_map_id = %(map)s AND to_stage_id = {stage_ids[0]} AND entered_at >= %(start)s "
        "AND entered_at < %(end)s ORDER BY profile_id, entered_at, id), "
        + ", ".join(steps)
        + f" SELECT p.traits ->> 'persona', {counts}, {medians} FROM {last} JOIN customers_profile p ON p.id = "
        f"{last}.profile_id GROUP BY 1"
    )


def median_seconds(run, times: int = 5) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", type=int, default=20_000)
    parser.add_argument("--no-jit", action="store_true", help="SET jit = off for the session (both sides)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each side (the median is printed)")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if args.no_jit:
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")
    team, journey_map = fill(args.profiles)
    transitions = StageTransition.objects.filter(journey_map=journey_map).count()
    params = QueryDict(mutable=True)
    params.update({"map": str(journey_map.pk), "breakdown": "persona", "start": "2026-01-05", "end": "2026-04-04"})
    user, _created = get_user_model().objects.get_or_create(username=TEAM)
    Membership.objects.get_or_create(team=team, user=user, defaults={"role": Role.VIEWER})
    query = funnels.query_from(params, user=user)
    started = time.perf_counter()
    stage_store.stage_funnel_build(journey_map=journey_map)
    stage_store.stage_funnel_vacuum()  # as manage.py stage_funnels_rebuild does
    built = time.perf_counter() - started
    engine = funnels.engine_for(team)
    stored = stage_store.stored_figures(query) is not None
    result = engine.run(query)
    walked = engine.stage_figures(query)
    assert result == {**walked, "comparison": None}, "the stored funnel and the walk disagree"
    ours = median_seconds(lambda: engine.run(query), args.runs)
    walk = median_seconds(lambda: engine.stage_figures(query), args.runs)
    stage_ids = [s.ref for s in query.steps]
    windows = [int(s.window.total_seconds()) for s in query.steps]
    sql = hand_sql(stage_ids, windows)
    values = {"map": journey_map.pk, "start": query.start, "end": query.end}

    def hand():
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.fetchall()

    rows = hand()
    # The same figures: entries and conversions per step, all personas together.
    hand_counts = [sum(row[1 + k] for row in rows) for k in range(len(stage_ids))]
    engine_counts = [step["converted"] for step in result["steps"]]
    theirs = median_seconds(hand, args.runs)
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    path = "stored rows (analytics.stage_store)" if stored else "the walk (SqlEngine.stage_figures)"
    print(f"profiles={args.profiles} transitions={transitions} steps={len(stage_ids)} breakdown=persona jit={jit}")
    print(f"converted per step: engine {engine_counts}  hand-written {hand_counts}")
    print(f"stored funnel built in {built:.1f} s; the product answered from {path}")
    print(f"median of {args.runs} runs each")
    print(f"product (engine.run): {ours:.3f} s   walk (stage_figures): {walk:.3f} s   hand-written SQL: {theirs:.3f} s")
    print(f"ratios: product/hand-written {ours / theirs:.3f}   product/walk {ours / walk:.3f}")


if __name__ == "__main__":
    main()

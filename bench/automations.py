"""Benchmark 7: the automation sweep over 1,000,000 enrolments, 10,000 of them due.

The data set: one active automation (wait 1 h → email → wait 24 h) on a 3-stage map, 10,000
customers, 1,000,000 enrolments: 600,000 in progress at the first wait (10,000 of them due, the
rest due over the next weeks) and 400,000 that ended (completed or exited). Before each run
``reset`` puts the 10,000 back at the first wait, due, and deletes the actions the last run wrote.

Timed: ``engine.advance`` (what the beat's sweep runs: lock the due rows with SKIP LOCKED, walk
them, insert the step log and the email actions in one statement, move the enrolments in one, queue
the sends on commit) and ``outbox.actions_due`` (the send queue's selection). Sending is not timed
(the sends are Celery tasks of their own); the broker connection is opened before the timing, as a
worker's is. Median of ``REPEAT``; target under 2 s, set-based (the query count is shown).
"""

from __future__ import annotations

import os
import time

from bench.common import log, median
from bench.results import Result

REPEAT = int(os.environ.get("BENCH_AUTOMATIONS_REPEAT", "3"))
NAME = "8. Automation sweep"
VERSION = 1
PROFILES = 10_000
ENROLMENTS = 1_000_000
ACTIVE = 600_000
DUE = 10_000


def ensure_dataset() -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from automations import services
    from bench.datagen import _dataset_put, _drop_team, _team, dataset_get
    from journeys.models import JourneyMap, Stage

    detail = dataset_get("automations", VERSION)
    if detail is not None:
        return detail
    log(f"building the automations data set ({ENROLMENTS:,} enrolments, {PROFILES:,} customers)")
    _drop_team("Bench automations")
    admin, _ = get_user_model().objects.get_or_create(username="bench-admin")
    with transaction.atomic():
        team = _team("Bench automations", admin, [])
        journey_map = JourneyMap.objects.create(team=team, title="Bench automations map")
        stages = [Stage.objects.create(journey_map=journey_map, name=f"Stage {i}", position=i) for i in range(3)]
        automation = services.automation_create(
            actor=None,
            journey_map=journey_map,
            name="Bench sweep",
            trigger="stage_entered",
            trigger_config={"stage": stages[1].pk},
        )
        first = services.step_add(automation=automation, actor=None, kind="wait", config={"hours": 1})
        services.step_add(
            automation=automation, actor=None, kind="email", config={"templates": {"en": {"subject": "Hi"}}}
        )
        services.step_add(automation=automation, actor=None, kind="wait", config={"hours": 24})
        services.automation_activate(automation=automation, actor=None)
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO customers_profile (team_id, user_id, traits, first_seen_at, last_seen_at, created_at)"
                " SELECT %s, 'bench-' || g, jsonb_build_object('email', 'bench-' || g || '@example.com'),"
                " now(), now(), now() FROM generate_series(1, %s) g",
                [team.pk, PROFILES],
            )
            cur.execute("SELECT min(id) FROM customers_profile WHERE team_id = %s", [team.pk])
            base = cur.fetchone()[0]
            # Enrolment g: customer g % PROFILES, run g // PROFILES (its entry key); the first
            # ACTIVE in progress at the first wait, due over the next six weeks; the rest ended.
            cur.execute(
                "INSERT INTO automations_enrolment (team_id, automation_id, profile_id, entry_key, status, is_holdout,"
                " step_id, step_position, next_run_at, entered_at, ended_at, exit_reason, stage_id, context)"
                " SELECT %(team)s, %(automation)s, %(base)s + g %% %(profiles)s, 'r' || (g / %(profiles)s),"
                " CASE WHEN g < %(active)s THEN 'active' WHEN g %% 3 = 0 THEN 'exited' ELSE 'completed' END,"
                " false, CASE WHEN g < %(active)s THEN %(step)s END, 10,"
                " CASE WHEN g < %(active)s THEN now() + interval '2 hours' + (g %% 60000) * interval '1 minute' END,"
                " now() - interval '1 day', CASE WHEN g >= %(active)s THEN now() END, '', %(stage)s, '{}'::jsonb"
                " FROM generate_series(0, %(n)s - 1) g",
                {
                    "team": team.pk,
                    "automation": automation.pk,
                    "base": base,
                    "profiles": PROFILES,
                    "active": ACTIVE,
                    "step": first.pk,
                    "stage": stages[1].pk,
                    "n": ENROLMENTS,
                },
            )
    detail = {"team": team.pk, "automation": automation.pk, "step": first.pk}
    _dataset_put("automations", VERSION, detail)
    return detail


def reset(detail: dict) -> None:
    """Put ``DUE`` enrolments back at the first wait, due now; forget the last run's actions."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DELETE FROM automations_action WHERE automation_id = %s", [detail["automation"]])
        cur.execute(
            "UPDATE automations_enrolment SET status = 'active', step_id = %(step)s, step_position = 10,"
            " ended_at = NULL, next_run_at = CASE WHEN id %% 60 = 0 THEN now() - interval '1 minute'"
            " ELSE now() + interval '2 hours' + (id %% 60000) * interval '1 minute' END"
            " WHERE automation_id = %(automation)s AND (status = 'active' OR next_run_at IS NOT NULL)",
            detail,
        )
        cur.execute(
            "SELECT count(*) FROM automations_enrolment WHERE automation_id = %s AND status = 'active'"
            " AND next_run_at <= now()",
            [detail["automation"]],
        )
        due = cur.fetchone()[0]
        if due != DUE:
            # Make exactly DUE due (the id arithmetic gives about that many).
            cur.execute(
                "UPDATE automations_enrolment SET next_run_at = now() + interval '3 hours'"
                " WHERE automation_id = %s AND status = 'active' AND next_run_at <= now()",
                [detail["automation"]],
            )
            cur.execute(
                "UPDATE automations_enrolment SET next_run_at = now() - interval '1 minute' WHERE id IN ("
                " SELECT id FROM automations_enrolment WHERE automation_id = %s AND status = 'active'"
                " ORDER BY id LIMIT %s)",
                [detail["automation"], DUE],
            )
        cur.execute("VACUUM (ANALYZE) automations_enrolment")
        cur.execute("VACUUM (ANALYZE) automations_action")


def _broker_ready() -> None:
    """Open the Celery producer's broker connection before the timing: the sweep runs in a worker,
    whose connection is open, and the first in a fresh process imports and connects the transport."""
    from celery import current_app

    with current_app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(max_retries=1)


def run(ctx: dict) -> list[Result]:
    from django.db import connection

    from automations import engine, outbox
    from bench.sla import QueryCounter

    detail = ctx["automations"]
    _broker_ready()
    times, queries, outcome = [], 0, {}
    for _ in range(REPEAT):
        reset(detail)
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            outcome = engine.advance(limit=DUE)
            outcome["queued"] = len(outbox.actions_due(limit=DUE))
            times.append(time.perf_counter() - start)
        queries = counter.count
        if times[-1] > 10:
            break
    log(f"automations sweep: {median(times):.2f} s, {queries} queries, {outcome}")
    with connection.cursor() as cur:
        # Left pending, they would be sent by the next benchmark that runs a Celery worker.
        cur.execute("DELETE FROM automations_action WHERE automation_id = %s", [detail["automation"]])
    return [
        Result(
            NAME,
            f"{ENROLMENTS:,} enrolments, {DUE:,} due: advance + queue",
            median(times),
            "s",
            target=("<", 2.0),
            n=len(times),
            note=f"{queries} SQL queries; result {outcome}; median of {len(times)}",
            extra={"runs": times, "queries": queries},
        )
    ]

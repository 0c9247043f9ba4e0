"""Benchmark 8b: from an event's receipt to its automation's action queued, under ingestion load.

The product runs as benchmark 6 runs it (``bench/ingest.py``): gunicorn ``-w 4`` sync workers, a
Celery worker ``-c 2`` on the benchmark's Redis, wrk posting ``/v1/batch`` (100 track events per
request, ``-t2 -c8``, ``bench/wrk/events.lua``) for ``ROUNDS`` rounds of ``DURATION`` seconds.
The ingestion team has one active automation: "did an event" on ``Order Completed`` (3 % of the
load), every time it fires, no holdout, one email step.

The path timed is the product's: the event is stored and queued for matching; the matching task
matches it and calls automations' match hook, which enrols the customer in the matching's
transaction and, on its commit, queues ``automation_advance``; the worker runs ``engine.advance``,
which writes the email ``Action`` (and queues the send). Per ``Order Completed`` event of a round:
``Action.created_at − Event.received_at`` (the enrolment's entry key names the event). The beat's
sweep (every 60 s) is the fallback when the queue is down and is not running here.
"""

from __future__ import annotations

import base64
import os
import time

from django.db import connection

from bench.common import DATA, log, median, percentile
from bench.ingest import BATCH, USERS, _flush_redis, _fresh_source, _wait_matched, _wrk, celery_worker
from bench.results import Result

NAME = "8. Automation sweep"
ROUNDS = int(os.environ.get("BENCH_LATENCY_ROUNDS", "3"))
DURATION = int(os.environ.get("BENCH_LATENCY_SECONDS", "20"))
TRIGGER = "Order Completed"
AUTOMATION = "Bench latency"
SERVER_ENV = {"CUSTOMERS_SOURCE_RATE_LIMIT": "100000000/s"}


def _automation(detail: dict):
    """The ingestion team's "did an event" automation, made afresh (the last run's and its rows go)."""
    from automations import services
    from automations.models import Automation
    from journeys.models import JourneyMap

    Automation.objects.filter(team_id=detail["team"], name=AUTOMATION).delete()
    automation = services.automation_create(
        actor=None,
        journey_map=JourneyMap.objects.get(pk=detail["map"]),
        name=AUTOMATION,
        trigger="event_done",
        trigger_config={"event": TRIGGER},
        reentry="every_time",
        holdout_percent=0,
    )
    services.step_add(
        automation=automation, actor=None, kind="email", config={"templates": {"en": {"subject": "Thanks"}}}
    )
    return services.automation_activate(automation=automation, actor=None)


def _waited(automation_id: int, source_id: int, run_id: str, timeout: float = 120.0) -> tuple[int, int]:
    """Wait until every trigger event of the round has its action (or ``timeout``); return (events, left)."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*), count(*) FILTER (WHERE a.id IS NULL) FROM customers_event e"
                " LEFT JOIN automations_enrolment en ON en.automation_id = %s AND en.entry_key = 'e' || e.id"
                " LEFT JOIN automations_action a ON a.enrolment_id = en.id"
                " WHERE e.source_id = %s AND e.message_id LIKE %s AND e.event = %s",
                [automation_id, source_id, f"{run_id}-%", TRIGGER],
            )
            events, left = cur.fetchone()
        if left == 0 or time.monotonic() > deadline:
            return events, left
        time.sleep(1)


def _latencies(automation_id: int, source_id: int, run_id: str) -> tuple[list[float], list[float]]:
    """Per trigger event with its action: (receipt → action queued, receipt → enrolled) in seconds."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT extract(epoch FROM a.created_at - e.received_at), extract(epoch FROM en.entered_at - e.received_at)"
            " FROM customers_event e"
            " JOIN automations_enrolment en ON en.automation_id = %s AND en.entry_key = 'e' || e.id"
            " JOIN automations_action a ON a.enrolment_id = en.id"
            " WHERE e.source_id = %s AND e.message_id LIKE %s AND e.event = %s",
            [automation_id, source_id, f"{run_id}-%", TRIGGER],
        )
        rows = cur.fetchall()
    return [float(row[0]) for row in rows], [float(row[1]) for row in rows]


def _stored(source_id: int, run_id: str) -> int:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM customers_event WHERE source_id = %s AND message_id LIKE %s",
            [source_id, f"{run_id}-%"],
        )
        return cur.fetchone()[0]


def run(ctx: dict) -> list[Result]:
    from bench.common import gunicorn

    detail = ctx["ingest"]
    source, write_key = _fresh_source(detail)
    automation = _automation(detail)
    _flush_redis()  # tasks other benchmarks queued with no worker running
    authorization = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    env = {"BENCH_AUTHORIZATION": authorization, "BENCH_MODE": "batch", "BENCH_BATCH": str(BATCH)}
    env["BENCH_USERS"] = str(USERS)
    rounds = []
    # The product's workers: the matching and the sends on the default queue, the triggers (the
    # arrival drain, automation_advance) on their own (config/settings.py CELERY_TASK_ROUTES).
    with (
        gunicorn(access_log=DATA / "gunicorn-latency-access.log", env=SERVER_ENV),
        celery_worker(),
        celery_worker(concurrency=1, queues="triggers"),
    ):
        warm_id = f"lw{int(time.time())}"
        _wrk("/v1/batch", "events.lua", warm_id, 2, 8, **env)
        left = _wait_matched(source.pk, warm_id, timeout=180)
        log(f"latency warm-up: the Celery worker matches ({left} warm-up events left unmatched)")
        _waited(automation.pk, source.pk, warm_id, timeout=60)
        for i in range(ROUNDS):
            run_id = f"l{int(time.time())}r{i}"
            load = _wrk("/v1/batch", "events.lua", run_id, DURATION, 8, **env)
            stored = _stored(source.pk, run_id)
            events, left = _waited(automation.pk, source.pk, run_id)
            # An event still without its action when the wait ends took longer than the wait: it
            # counts as +inf, so a round where more than 1 % are late has an infinite p99 (missed),
            # not a p99 of the events that happened to be quick.
            seconds, enrolled = _latencies(automation.pk, source.pk, run_id)
            seconds += [float("inf")] * left
            rounds.append(
                {
                    "events_per_s": stored / (load["duration_us"] / 1e6),
                    "stored": stored,
                    "triggers": events,
                    "without_action": left,
                    "n": len(seconds),
                    "p50": median(seconds),
                    "p99": percentile(seconds, 99),
                    "max": max(seconds, default=float("nan")),
                    "enrolled_p50": median(enrolled),
                    "enrolled_p99": percentile(enrolled, 99),
                    "censored": left,
                    "load": os.getloadavg()[0],
                }
            )
            r = rounds[-1]
            log(
                f"automation latency round {i + 1}: ingestion {r['events_per_s']:.0f} events/s; {r['triggers']}"
                f" {TRIGGER} events, {r['without_action']} without an action after 120 s; receipt → action queued"
                f" p50 {r['p50']:.2f} s, p99 {r['p99']:.2f} s, max {r['max']:.2f} s (receipt → enrolled p50"
                f" {r['enrolled_p50']:.2f} s, p99 {r['enrolled_p99']:.2f} s); load {r['load']:.1f}"
            )
    with connection.cursor() as cur:
        cur.execute("DELETE FROM customers_profilestage WHERE team_id = %s", [detail["team"]])
        cur.execute("DELETE FROM customers_stagetransition WHERE team_id = %s", [detail["team"]])
    automation.delete()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM customers_event WHERE team_id = %s", [detail["team"]])
    all_seconds = [r["p99"] for r in rounds]
    return [
        Result(
            NAME,
            "receipt → action queued, p99, at the ingestion load",
            median(all_seconds),
            "s",
            target=("<", 60.0),
            n=sum(r["n"] for r in rounds),
            note=(
                f"{ROUNDS} round(s) of {DURATION} s, median of the rounds' p99 {[round(x, 2) for x in all_seconds]};"
                f" p50 {median([r['p50'] for r in rounds]):.2f} s, max {max(r['max'] for r in rounds):.2f} s;"
                f" ingestion {[round(r['events_per_s']) for r in rounds]} events/s (/v1/batch, wrk -t2 -c8);"
                f" events without an action after 120 s: {sum(r['without_action'] for r in rounds)}"
            ),
            extra={"rounds": rounds},
        )
    ]

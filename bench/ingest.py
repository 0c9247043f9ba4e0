"""Benchmark 6: Segment-compatible ingestion (``/v1/batch`` and ``/v1/track``) next to its baselines.

The product runs as in production: gunicorn (``-w 4`` sync workers) and a Celery worker that
matches stored events to stages; wrk (a second process) sends Segment calls with
``bench/wrk/events.lua``: track events of known users (a pool of ``USERS``), 60 % of them named
by one of the tracking plan's four rules.

- **Batch**: ``POST /v1/batch`` with 100 events per request, wrk ``-t2 -c8``. Baseline, same run:
  psql ``\\copy`` of the very rows the round stored (read back with new messageIds) into the same
  table, timed by psql's ``\\timing``.
- **Track**: ``POST /v1/track``, one event per request, wrk ``-t2 -c16``, rounds alternating with
  benchmark 1's bare insert view (``/bench/baseline/`` with ``bench/wrk/submit.lua``) in the same
  gunicorn.
- **Stage latency**: per event of the product rounds, ``matched_at − received_at``: the time from
  receipt to the transaction that matched it against the plan and made the profile's stage current
  (the ``StageTransition`` of a stage change is written in that transaction), at the load of the round.
- **Exactness**: threads post batches that repeat messageIds inside a batch, retry whole batches
  and send the same batch from two threads at once; the rows stored must equal the unique
  messageIds acknowledged, and the sum of the answers' ``stored``.

After each round the rows stored are compared with the 200 answers gunicorn logged × the events
per request.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

from django.db import connection

from bench.common import (
    BENCH,
    DATA,
    DB_NAME,
    HOST,
    PG_HOST,
    PG_PORT,
    PG_USER,
    PORT,
    ROOT,
    child_env,
    cpu_times_by_group,
    gunicorn,
    log,
    median,
    percentile,
    psql,
)
from bench.results import Result

NAME = "6. Ingestion"
VERSION = 1
SMALL = os.environ.get("BENCH_SMALL") == "1"
USERS = 2_000 if SMALL else 20_000
ROUNDS = int(os.environ.get("BENCH_INGEST_ROUNDS", "1" if SMALL else "3"))
DURATION = int(os.environ.get("BENCH_INGEST_SECONDS", "5" if SMALL else "10"))
BATCH = 100
WARMUP = 2
RULES = [("Product Viewed", "Awareness"), ("Added to Cart", "Consideration"), ("Checkout Started", "Decision")]
RULES += [("Order Completed", "Purchase")]
STAGES = ["Awareness", "Consideration", "Decision", "Purchase", "Loyalty"]
TEAM = "Bench ingestion"
# Without a raised limit one client address and one source would turn the load into a limit test.
SERVER_ENV = {"CUSTOMERS_SOURCE_RATE_LIMIT": "100000000/s"}
EVENT_COLUMNS = [
    "team_id",
    "source_id",
    "message_id",
    "type",
    "event",
    "anonymous_id",
    "user_id",
    "identity_id",
    "group_id",
    "previous_id",
    "path",
    "properties",
    "traits",
    "context",
    "timestamp",
    "original_timestamp",
    "sent_at",
    "received_at",
    "clock_skew_suspect",
    "flags",
]


# --- data -----------------------------------------------------------------------------------------


def ensure_dataset() -> dict:
    """A team with a 5-stage map, a tracking rule on each of the first four, ``USERS`` known profiles."""
    from bench.datagen import _dataset_put, _drop_team, _team, _user, copy_rows, dataset_get

    name = f"ingest-{USERS}"
    detail = dataset_get(name, VERSION)
    if detail is not None:
        return detail
    from customers.models import Identity, Profile, TrackingRule
    from journeys.models import JourneyMap, Stage, Touchpoint

    log(f"building the ingestion data: {USERS} profiles")
    _drop_team(f"{TEAM} {USERS}")
    admin = _user("bench-ingest-admin")
    team = _team(f"{TEAM} {USERS}", admin, [])
    journey_map = JourneyMap.objects.create(team=team, title="Shop funnel", description="Ingestion benchmark")
    stages = {
        stage.name: stage
        for stage in Stage.objects.bulk_create(
            [Stage(journey_map=journey_map, name=name, position=i) for i, name in enumerate(STAGES)]
        )
    }
    Touchpoint.objects.bulk_create(
        [Touchpoint(stage=stage, name=f"{stage.name} page", position=0) for stage in stages.values()]
    )
    for event, stage in RULES:
        TrackingRule.objects.create(
            team=team, journey_map=journey_map, stage=stages[stage], event_type="track", event_name=event
        )
    first_profile = (Profile.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    copy_rows(
        "customers_profile",
        ["id", "team_id", "user_id", "traits", "first_seen_at", "last_seen_at", "created_at"],
        ((first_profile + i, team.pk, f"bu{i}", "{}", now, now, now) for i in range(USERS)),
    )
    with connection.cursor() as cur:
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('customers_profile', 'id'), (SELECT max(id) FROM customers_profile))"
        )
    copy_rows(
        "customers_identity",
        ["team_id", "profile_id", "kind", "value", "created_at"],
        ((team.pk, first_profile + i, Identity.Kind.USER_ID.value, f"bu{i}", now) for i in range(USERS)),
    )
    detail = {"team": team.pk, "admin": admin.pk, "map": journey_map.pk, "users": USERS}
    _dataset_put(name, VERSION, detail)
    return detail


def _fresh_source(detail: dict) -> tuple[object, str]:
    """A new source of the benchmark team and its write key (shown once); older sources go."""
    from django.contrib.auth import get_user_model

    from customers.models import Source
    from customers.services import source_create
    from teams.models import Team

    team = Team.objects.get(pk=detail["team"])
    _clear_events(team.pk)
    Source.objects.filter(team=team).delete()
    return source_create(team=team, actor=get_user_model().objects.get(pk=detail["admin"]), name="Bench shop")


def _clear_events(team_id: int) -> None:
    with connection.cursor() as cur:
        cur.execute("DELETE FROM customers_profilestage WHERE team_id = %s", [team_id])
        cur.execute("DELETE FROM customers_stagetransition WHERE team_id = %s", [team_id])
        cur.execute("DELETE FROM customers_event WHERE team_id = %s", [team_id])


# --- processes ------------------------------------------------------------------------------------


@contextlib.contextmanager
def celery_worker(concurrency: int = 2, queues: str = "celery") -> Iterator[subprocess.Popen]:
    """The product's Celery worker (matching), on the benchmark's Redis and database."""
    DATA.mkdir(parents=True, exist_ok=True)
    logfile = open(DATA / f"celery-worker-{queues}.log", "ab")  # noqa: SIM115 (closed below)
    cmd = [str(ROOT / ".venv" / "bin" / "celery"), "-A", "config", "worker", "-c", str(concurrency), "-Q", queues]
    cmd += ["-n", f"bench-{queues}@%h"]
    cmd += ["--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    process = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdout=logfile, stderr=logfile)
    try:
        time.sleep(4)  # its start (imports, the broker connection) is not what is measured
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited with {process.returncode}; see {logfile.name}")
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        logfile.close()


def _wrk(path: str, script: str, run_id: str, seconds: int, connections: int, **env: str) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(BENCH / "wrk" / script)]
    cmd.append(f"http://{HOST}:{PORT}{path}")
    done = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "BENCH_RUN_ID": run_id, **env}, check=True
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {done.stdout[-500:]} {done.stderr[-500:]}")
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    result["rps"] = result["ok"] / (result["duration_us"] / 1e6)
    return result


def _server_200(access_log, offset: int, path: str) -> tuple[int, int]:
    with open(access_log, "rb") as f:
        f.seek(offset)
        data = f.read()
    count = 0
    for line in data.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "POST" and parts[2] == path and parts[0].startswith("2"):
            count += 1
    return count, offset + len(data)


# --- measures -------------------------------------------------------------------------------------


def _stored(source_id: int, run_id: str) -> int:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM customers_event WHERE source_id = %s AND message_id LIKE %s",
            [source_id, f"{run_id}-%"],
        )
        return cur.fetchone()[0]


def _wait_matched(source_id: int, run_id: str, timeout: float = 60.0) -> int:
    """Wait until the round's events are matched (or ``timeout``); return how many are left unmatched."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM customers_event WHERE source_id = %s AND message_id LIKE %s"
                " AND matched_at IS NULL",
                [source_id, f"{run_id}-%"],
            )
            left = cur.fetchone()[0]
        if left == 0 or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def _stage_latency(source_id: int, run_id: str) -> dict:
    """Receipt → matched (the profile's stage current) per event of the round, in seconds."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT extract(epoch FROM matched_at - received_at) FROM customers_event"
            " WHERE source_id = %s AND message_id LIKE %s AND matched_at IS NOT NULL",
            [source_id, f"{run_id}-%"],
        )
        seconds = [float(row[0]) for row in cur.fetchall()]
        cur.execute(
            "SELECT count(*) FROM customers_stagetransition t JOIN customers_event e ON e.id = t.event_id"
            " WHERE e.source_id = %s AND e.message_id LIKE %s",
            [source_id, f"{run_id}-%"],
        )
        transitions = cur.fetchone()[0]
    return {
        "n": len(seconds),
        "p50": median(seconds),
        "p99": percentile(seconds, 99),
        "max": max(seconds, default=float("nan")),
        "transitions": transitions,
    }


def _copy_baseline(source_id: int, run_id: str) -> dict:
    """psql ``\\copy`` of the round's stored rows (new messageIds) into the events table; the rows go after."""
    path = DATA / "ingest-copy.tsv"
    columns = ", ".join(EVENT_COLUMNS)
    selected = ", ".join("'copy-' || message_id" if c == "message_id" else c for c in EVENT_COLUMNS)
    psql(
        f"\\copy (SELECT {selected} FROM customers_event WHERE source_id = {int(source_id)}"
        f" AND message_id LIKE '{run_id}-%' ORDER BY id) TO '{path}'"
    )
    with open(path, "rb") as f:
        rows = sum(1 for _ in f)
    out = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", DB_NAME],
        input=f"\\timing on\n\\copy customers_event ({columns}) FROM '{path}'\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    seconds = next(float(line.split()[1]) / 1000 for line in out.splitlines() if line.startswith("Time: "))
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM customers_event WHERE source_id = %s AND message_id LIKE %s", [source_id, f"copy-{run_id}-%"]
        )
    path.unlink()
    return {"rows": rows, "seconds": seconds, "events_per_s": rows / seconds if seconds else float("nan")}


def _exactness(authorization: str, run_id: str, source_id: int) -> dict:
    """Batches with repeats inside, retries, overlaps and the same batch from two threads at once.

    Return what was acknowledged and what was stored: they must agree exactly.
    """
    threads, per_thread, size = (4, 6, 50) if SMALL else (8, 20, 50)
    rng = random.Random(18)
    fresh = iter(range(10**9))
    batches: list[list[str]] = []
    for _ in range(threads * per_thread):
        ids = [f"{run_id}-{next(fresh)}" for _ in range(size - 10)]
        ids += rng.sample(ids, 5)  # repeated inside the batch
        if batches:
            ids += rng.sample(batches[-1], 5)  # already sent by another request (maybe in flight)
        batches.append(ids)
    plans: list[list[list[str]]] = [[] for _ in range(threads)]
    for n, ids in enumerate(batches):
        plans[n % threads].append(ids)
        if rng.random() < 0.2:
            plans[n % threads].append(ids)  # an SDK's retry after a lost answer
        if rng.random() < 0.1:
            plans[(n + 1) % threads].append(ids)  # the same batch from two senders at once
    answers: list[tuple[list[str], int, dict]] = []
    lock = threading.Lock()

    def send(plan: list[list[str]]) -> None:
        conn = http.client.HTTPConnection(HOST, PORT, timeout=60)
        for ids in plan:
            body = {
                "batch": [
                    {"type": "track", "event": "Product Viewed", "userId": f"bu{hash(mid) % USERS}", "messageId": mid}
                    for mid in ids
                ]
            }
            conn.request(
                "POST",
                "/v1/batch",
                body=json.dumps(body),
                headers={"Content-Type": "application/json", "Authorization": authorization},
            )
            response = conn.getresponse()
            data = json.loads(response.read() or b"{}")
            with lock:
                answers.append((ids, response.status, data))
        conn.close()

    workers = [threading.Thread(target=send, args=(plan,)) for plan in plans]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    acknowledged = {mid for ids, status, _ in answers if status == 200 for mid in ids}
    return {
        "requests": len(answers),
        "events_sent": sum(len(ids) for ids, _, _ in answers),
        "non_200": sum(status != 200 for _, status, _ in answers),
        "acknowledged_unique": len(acknowledged),
        "answered_stored": sum(data.get("stored", 0) for _, _, data in answers),
        "answered_received": sum(data.get("received", 0) for _, _, data in answers),
        "answered_duplicates": sum(data.get("duplicates", 0) for _, _, data in answers),
        "rows": _stored(source_id, run_id),
    }


def _flush_redis() -> None:
    import redis

    from bench.common import REDIS_URL

    redis.Redis.from_url(REDIS_URL).flushdb()


def _round(kind: str, server, access_log, offset: int, source_id: int, authorization: str, i: int):
    """One product round (``batch`` or ``track``) or the bare view's (``baseline``); return (result, offset)."""
    run_id = f"{kind[0]}{int(time.time())}r{i}"
    path = {"batch": "/v1/batch", "track": "/v1/track", "baseline": "/bench/baseline/"}[kind]
    cpu_before = cpu_times_by_group(server.pid)
    if kind == "baseline":
        result = _wrk(path, "submit.lua", run_id, DURATION, 16)
    else:
        env = {"BENCH_AUTHORIZATION": authorization, "BENCH_MODE": kind, "BENCH_BATCH": str(BATCH)}
        result = _wrk(path, "events.lua", run_id, DURATION, 8 if kind == "batch" else 16, **env, BENCH_USERS=str(USERS))
    time.sleep(1.5)  # the requests in flight at wrk's stop finish and are logged
    cpu_after = cpu_times_by_group(server.pid)
    server_ok, offset = _server_200(access_log, offset, path)
    per_request = BATCH if kind == "batch" else 1
    result.update(server_2xx=server_ok, round=i + 1, run_id=run_id)
    result["cpu_ms_per_event"] = {
        group: 1000 * (cpu_after[group] - cpu_before[group]) / max(server_ok * per_request, 1) for group in cpu_after
    }
    if kind != "baseline":
        result["stored"] = _stored(source_id, run_id)
        result["events_per_s"] = result["stored"] / (result["duration_us"] / 1e6)
        result["unmatched_after_wait"] = _wait_matched(source_id, run_id)
        result["stage_latency"] = _stage_latency(source_id, run_id)
        if kind == "batch":
            result["copy"] = _copy_baseline(source_id, run_id)
    log(
        f"ingest round {i + 1} {kind}: {result['rps']:.0f} req/s"
        + (f", {result['events_per_s']:.0f} events/s" if "events_per_s" in result else "")
        + f", p50 {result['p50_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} ms,"
        f" 200 wrk {result['ok']} / server {server_ok}, non-2xx {result['failed']}"
        + (f", stored {result['stored']}" if "stored" in result else "")
        + (
            f"; stage latency p50 {result['stage_latency']['p50']:.2f} s p99 {result['stage_latency']['p99']:.2f} s"
            f" max {result['stage_latency']['max']:.2f} s over {result['stage_latency']['n']} events,"
            f" {result['stage_latency']['transitions']} transitions, {result['unmatched_after_wait']} unmatched"
            if "stage_latency" in result
            else ""
        )
        + (
            f"; psql \\copy {result['copy']['rows']} rows in {result['copy']['seconds'] * 1000:.0f} ms"
            f" = {result['copy']['events_per_s']:.0f} events/s"
            if "copy" in result
            else ""
        )
        + "; CPU per event "
        + ", ".join(f"{g} {ms:.3f} ms" for g, ms in result["cpu_ms_per_event"].items())
        + (f" ({result['first_error']})" if result["failed"] else "")
    )
    return result, offset


def run(ctx: dict) -> list[Result]:
    detail = ctx["ingest"]
    source, write_key = _fresh_source(detail)
    authorization = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    access_log = DATA / "gunicorn-ingest-access.log"
    access_log.write_text("")
    _flush_redis()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE bench_baseline_baselinerow")
    rounds: dict[str, list[dict]] = {"batch": [], "track": [], "baseline": []}
    with gunicorn(access_log=access_log, env=SERVER_ENV) as server, celery_worker():
        for kind, script, path in (
            ("batch", "events.lua", "/v1/batch"),
            ("track", "events.lua", "/v1/track"),
            ("baseline", "submit.lua", "/bench/baseline/"),
        ):
            env = {"BENCH_AUTHORIZATION": authorization, "BENCH_MODE": kind, "BENCH_USERS": str(USERS)}
            warm_id = f"warm{kind[0]}{int(time.time())}"
            _wrk(path, script, warm_id, WARMUP, 8, **env)
            if kind == "batch":
                # The worker starts slowly on a loaded machine (45 s was seen): measure once it matches.
                left = _wait_matched(source.pk, warm_id, timeout=180)
                log(f"ingest warm-up: the Celery worker matches ({left} warm-up events left unmatched)")
        time.sleep(1)
        offset = access_log.stat().st_size
        for i in range(ROUNDS):
            for kind in ("batch", "baseline", "track"):
                result, offset = _round(kind, server, access_log, offset, source.pk, authorization, i)
                rounds[kind].append(result)
        exact = _exactness(authorization, f"x{int(time.time())}", source.pk)
        log(f"ingest exactness: {exact}")
    _clear_events(detail["team"])
    with connection.cursor() as cur:
        cur.execute("TRUNCATE bench_baseline_baselinerow")
    return _results(rounds, exact)


def _results(rounds: dict[str, list[dict]], exact: dict) -> list[Result]:
    def med(kind: str, key: str) -> float:
        return median([r[key] for r in rounds[kind]])

    def latency(kind: str, key: str) -> float:
        return median([r["stage_latency"][key] for r in rounds[kind]])

    def cpu(kind: str) -> str:
        groups = ("gunicorn", "postgres", "redis", "celery")
        parts = {g: median([r["cpu_ms_per_event"].get(g, 0.0) for r in rounds[kind]]) for g in groups}
        return ", ".join(f"{g} {ms:.3f}" for g, ms in parts.items() if ms or g != "celery")

    batch_rows = [r["events_per_s"] for r in rounds["batch"]]
    copy_rows = [r["copy"]["events_per_s"] for r in rounds["batch"]]
    stored_vs_server = sum(
        abs(r["stored"] - r["server_2xx"] * (BATCH if kind == "batch" else 1))
        for kind in ("batch", "track")
        for r in rounds[kind]
    )
    unmatched = sum(r["unmatched_after_wait"] for kind in ("batch", "track") for r in rounds[kind])
    shape = f"{ROUNDS} round(s) of {DURATION} s, median; gunicorn -w 4 sync + a Celery worker -c 2"
    shape += "; small run" if SMALL else ""
    return [
        Result(
            NAME,
            "/v1/batch, 100 events per request (events/s stored)",
            median(batch_rows),
            "events/s",
            baseline=median(copy_rows),
            baseline_label="psql \\copy of the same rows",
            target=(">=", 20_000),
            n=sum(r["stored"] for r in rounds["batch"]),
            note=(
                f"wrk -t2 -c8, {shape}; rounds {[round(x) for x in batch_rows]} events/s against \\copy"
                f" {[round(x) for x in copy_rows]}; CPU ms per event: {cpu('batch')}"
            ),
            extra={"rounds": rounds["batch"]},
        ),
        Result(
            NAME,
            "/v1/batch p99 latency (per request of 100)",
            med("batch", "p99_us") / 1e6,
            "s",
            note=f"p50 {med('batch', 'p50_us') / 1000:.1f} ms",
        ),
        Result(
            NAME,
            "/v1/track, one event per request (2xx/s)",
            med("track", "rps"),
            "req/s",
            baseline=med("baseline", "rps"),
            baseline_label="bare view (benchmark 1)",
            target=(">=", 0.8),
            target_on="ratio",
            n=sum(r["ok"] for r in rounds["track"]),
            note=(
                f"wrk -t2 -c16, alternating with the bare view, {shape}; rounds"
                f" {[round(r['rps']) for r in rounds['track']]} against"
                f" {[round(r['rps']) for r in rounds['baseline']]};"
                f" CPU ms per request: product {cpu('track')}, bare view {cpu('baseline')}"
            ),
            extra={"rounds": rounds["track"], "baseline_rounds": rounds["baseline"]},
        ),
        Result(
            NAME,
            "/v1/track p99 latency",
            med("track", "p99_us") / 1e6,
            "s",
            baseline=med("baseline", "p99_us") / 1e6,
            baseline_label="bare view",
            target=("<", 0.050),
        ),
        Result(
            NAME,
            "receipt → stage current, p99, at the batch load",
            latency("batch", "p99"),
            "s",
            target=("<", 5.0),
            n=sum(r["stage_latency"]["n"] for r in rounds["batch"]),
            note=(
                f"matched_at − received_at of every event; p50 {latency('batch', 'p50'):.2f} s,"
                f" max {latency('batch', 'max'):.2f} s;"
                f" {sum(r['stage_latency']['transitions'] for r in rounds['batch'])} stage transitions"
            ),
        ),
        Result(
            NAME,
            "receipt → stage current, p99, at the track load",
            latency("track", "p99"),
            "s",
            target=("<", 5.0),
            n=sum(r["stage_latency"]["n"] for r in rounds["track"]),
            note=(
                f"p50 {latency('track', 'p50'):.2f} s, max {latency('track', 'max'):.2f} s;"
                f" {sum(r['stage_latency']['transitions'] for r in rounds['track'])} stage transitions;"
                f" unmatched after 60 s (all rounds): {unmatched}"
            ),
        ),
        Result(
            NAME,
            "stored events − events in 200 answers (load rounds)",
            float(stored_vs_server),
            "",
            target=("==", 0),
            note="gunicorn's access log × events per request against the rows of each round",
        ),
        Result(
            NAME,
            "exactness: rows stored − unique messageIds acknowledged",
            float(abs(exact["rows"] - exact["acknowledged_unique"]) + abs(exact["rows"] - exact["answered_stored"])),
            "",
            target=("==", 0),
            n=exact["requests"],
            note=(
                f"{exact['requests']} batch requests, {exact['events_sent']} events sent (repeats inside batches,"
                f" retries, overlaps, one batch from two threads at once): {exact['acknowledged_unique']} unique"
                f" messageIds acknowledged, {exact['rows']} rows stored,"
                f" answers' stored sum {exact['answered_stored']},"
                f" duplicates {exact['answered_duplicates']}, non-200 {exact['non_200']}"
            ),
            extra={"exactness": exact},
        ),
    ]

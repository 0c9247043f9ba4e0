"""Benchmark 1: the public survey endpoint under load, next to a bare Django view inserting one row.

Both run in the same gunicorn (``-w 4`` sync workers, the README's production command), behind
the same middleware, on the same PostgreSQL; wrk (a second process) keeps 16 connections busy
with ``bench/wrk/submit.lua``, which sends a valid NPS answer with a new submission id each time.
Rounds alternate baseline and product so drift on the shared machine hits both alike.

After every round the rows stored are counted and compared with the 2xx answers the server
logged (gunicorn's access log): they must be equal. wrk's own count of 2xx can be lower by the
requests still in flight when it stops (at most one per connection): those were answered and
stored after wrk stopped listening.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

from django.db import connection

from bench.common import BENCH, DATA, HOST, PORT, cpu_times_by_group, gunicorn, log, median
from bench.results import Result

CONNECTIONS = 16
THREADS = 2
ROUNDS = int(os.environ.get("BENCH_SUBMIT_ROUNDS", "3"))
DURATION = int(os.environ.get("BENCH_SUBMIT_SECONDS", "10"))
WARMUP = 3
NAME = "1. Public submission"
# The rate limit across the 4 processes: a server of its own with FEEDBACK_RATE_LIMIT set to a
# limit per WINDOW seconds, loaded by the same wrk for RATE_SECONDS (two full windows at least).
# The limit is half of what the product just served in a window (so it binds however fast the
# machine is), unless BENCH_RATE_LIMIT sets it.
RATE_LIMIT = int(os.environ.get("BENCH_RATE_LIMIT", "0"))
RATE_WINDOW = 10
RATE_SECONDS = int(os.environ.get("BENCH_RATE_SECONDS", "25"))


def _wrk(url: str, run_id: str, seconds: int) -> dict:
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s"]
    cmd += ["-s", str(BENCH / "wrk" / "submit.lua"), url]
    env = {**os.environ, "BENCH_RUN_ID": run_id, "BENCH_ORIGIN": "https://shop.example.com"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {done.stdout[-500:]} {done.stderr[-500:]}")
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    result["rps"] = result["ok"] / (result["duration_us"] / 1e6)
    return result


def _drop_load_surveys() -> None:
    """Delete the load surveys with their answers and follow-ups, and empty the baseline's table.

    Run before and after the benchmark: the load survey sits on the large map's first touchpoint,
    and its tens of thousands of answers would otherwise be in the map page's scores (benchmark 3
    measures the map with 60 answers per touchpoint).
    """
    from feedback.models import Survey

    old = list(Survey.objects.filter(name__startswith="Bench load").values_list("pk", flat=True))
    if old:
        ids = ",".join(str(int(pk)) for pk in old)
        with connection.cursor() as cur:
            cur.execute(
                f"DELETE FROM feedback_followup WHERE response_id IN"
                f" (SELECT id FROM feedback_response WHERE survey_id IN ({ids}))"
            )
            cur.execute(f"DELETE FROM feedback_response WHERE survey_id IN ({ids})")
        Survey.objects.filter(pk__in=old).delete()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE bench_baseline_baselinerow")


def _fresh_survey(maps: dict):
    """A new active NPS survey on a touchpoint with an owner and an SLA; older load surveys go."""
    from bench.datagen import _survey, _user
    from journeys.models import Touchpoint
    from teams.models import Team

    _drop_load_surveys()
    team = Team.objects.get(pk=maps["team"])
    touchpoint = Touchpoint.objects.filter(stage__journey_map_id=maps["large"]["map"]).order_by("pk").first()
    return _survey(team, _user("bench-admin"), f"Bench load {int(time.time())}", "nps", touchpoint)


def _server_2xx(access_log, offset: int, path: str) -> tuple[int, int]:
    """Return (2xx POSTs to ``path`` logged after ``offset``, the new offset)."""
    with open(access_log, "rb") as f:
        f.seek(offset)
        data = f.read()
    count = 0
    for line in data.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "POST" and parts[2] == path and parts[0].startswith("2"):
            count += 1
    return count, offset + len(data)


def _stored(kind: str, survey_id: int, run_id: str) -> int:
    with connection.cursor() as cur:
        if kind == "product":
            cur.execute(
                "SELECT count(*) FROM feedback_response WHERE survey_id = %s AND submission_id LIKE %s",
                [survey_id, f"{run_id}-%"],
            )
        else:
            cur.execute("SELECT count(*) FROM bench_baseline_baselinerow WHERE submission_id LIKE %s", [f"{run_id}-%"])
        return cur.fetchone()[0]


def _flush_redis() -> None:
    """Empty the bench's own Redis database (rate-limit counters, the theme-tagging tasks queued)."""
    import redis

    from bench.common import REDIS_URL

    redis.Redis.from_url(REDIS_URL).flushdb()


def _rate_limit_windows(survey, limit: int) -> list[int]:
    """Answers let through per full window by 4 processes sharing ``limit`` per ``RATE_WINDOW`` s."""
    run_id = f"rl{int(time.time())}"
    path = f"/api/public/surveys/{survey.public_key}/responses/"
    with gunicorn(env={"FEEDBACK_RATE_LIMIT": f"{limit}/{RATE_WINDOW}s"}):
        started = time.time()
        result = _wrk(f"http://{HOST}:{PORT}{path}", run_id, RATE_SECONDS)
        time.sleep(1.5)
        ended = started + result["duration_us"] / 1e6
    with connection.cursor() as cur:
        cur.execute(
            "SELECT floor(extract(epoch FROM created_at) / %s)::bigint AS w, count(*) FROM feedback_response"
            " WHERE survey_id = %s AND submission_id LIKE %s GROUP BY w ORDER BY w",
            [RATE_WINDOW, survey.pk, f"{run_id}-%"],
        )
        counts = dict(cur.fetchall())
    first, last = int(started // RATE_WINDOW) + 1, int(ended // RATE_WINDOW) - 1  # full windows only
    return [counts.get(w, 0) for w in range(first, last + 1)]


def run(ctx: dict) -> list[Result]:
    survey = _fresh_survey(ctx["maps"])
    paths = {
        "baseline": "/bench/baseline/",
        "product": f"/api/public/surveys/{survey.public_key}/responses/",
    }
    access_log = DATA / "gunicorn-access.log"
    access_log.write_text("")
    rounds: dict[str, list[dict]] = {"baseline": [], "product": []}
    checks = []
    with gunicorn(access_log=access_log) as server:
        offset = 0
        for kind in ("baseline", "product"):
            _wrk(f"http://{HOST}:{PORT}{paths[kind]}", f"warm{kind}{int(time.time())}", WARMUP)
        time.sleep(1)
        offset = access_log.stat().st_size
        for i in range(ROUNDS):
            for kind in ("baseline", "product"):
                run_id = f"r{int(time.time())}{kind[0]}{i}"
                cpu_before = cpu_times_by_group(server.pid)
                result = _wrk(f"http://{HOST}:{PORT}{paths[kind]}", run_id, DURATION)
                time.sleep(1.5)  # let the requests in flight at wrk's stop finish and be logged
                cpu_after = cpu_times_by_group(server.pid)
                server_ok, offset = _server_2xx(access_log, offset, paths[kind])
                stored = _stored(kind, survey.pk, run_id)
                result.update(server_2xx=server_ok, stored=stored, round=i + 1)
                result["cpu_ms_per_request"] = {
                    group: 1000 * (cpu_after[group] - cpu_before[group]) / max(server_ok, 1) for group in cpu_after
                }
                rounds[kind].append(result)
                checks.append((kind, result))
                log(
                    f"submit round {i + 1} {kind}: {result['rps']:.0f} req/s, p50 {result['p50_us'] / 1000:.1f} ms,"
                    f" p99 {result['p99_us'] / 1000:.1f} ms, 2xx wrk {result['ok']} / server {server_ok},"
                    f" stored {stored}, non-2xx {result['failed']}; CPU per request "
                    + ", ".join(f"{g} {ms:.2f} ms" for g, ms in result["cpu_ms_per_request"].items())
                    + (f" ({result['first_error']})" if result["failed"] else "")
                )
    _flush_redis()
    limit = RATE_LIMIT or max(20, int(0.5 * median([r["rps"] for r in rounds["product"]]) * RATE_WINDOW))
    windows = _rate_limit_windows(survey, limit)
    log(f"rate limit {limit}/{RATE_WINDOW}s across 4 processes: let through per full window {windows}")
    _flush_redis()
    _drop_load_surveys()

    def med(kind: str, key: str) -> float:
        return median([r[key] for r in rounds[kind]])

    def cpu(kind: str) -> dict[str, float]:
        groups = ("gunicorn", "postgres", "redis")
        return {g: median([r["cpu_ms_per_request"][g] for r in rounds[kind]]) for g in groups}

    def cpu_text(kind: str) -> str:
        parts = cpu(kind)
        own = median([r["cpu_ms_per_request"]["postgres_db"] for r in rounds[kind]])
        return (
            f"{sum(parts.values()):.2f} ms ("
            + ", ".join(f"{g} {ms:.2f}" for g, ms in parts.items())
            + f"; of postgres, this database's backends {own:.2f})"
        )

    note = (
        f"wrk -t{THREADS} -c{CONNECTIONS}, {ROUNDS} alternating rounds of {DURATION} s, median;"
        " gunicorn -w 4 sync; FEEDBACK_RATE_LIMIT raised to 100000000/min (one client address)"
    )
    errors = sum(r["failed"] + r["socket_errors"] + r["timeouts"] for rs in rounds.values() for r in rs)
    mismatched = sum(abs(r["stored"] - r["server_2xx"]) for _, r in checks)
    in_flight = max(r["stored"] - r["ok"] for _, r in checks)
    lost = sum(max(0, r["ok"] - r["stored"]) for _, r in checks)
    product_total = sum(r["stored"] for r in rounds["product"])
    product_ok = sum(r["server_2xx"] for r in rounds["product"])
    extra = {"rounds": rounds, "survey": survey.pk}
    return [
        Result(
            NAME,
            "throughput (2xx/s)",
            med("product", "rps"),
            "req/s",
            baseline=med("baseline", "rps"),
            baseline_label="bare view",
            target=(">=", 0.9),
            target_on="ratio",
            n=sum(r["ok"] for r in rounds["product"]),
            note=note,
            extra=extra,
        ),
        Result(
            NAME,
            "CPU per request (all processes)",
            sum(cpu("product").values()) / 1000,
            "s",
            baseline=sum(cpu("baseline").values()) / 1000,
            baseline_label="bare view",
            note=f"product {cpu_text('product')}; bare view {cpu_text('baseline')}; median of rounds, from /proc",
        ),
        Result(
            NAME,
            "p50 latency",
            med("product", "p50_us") / 1e6,
            "s",
            baseline=med("baseline", "p50_us") / 1e6,
            baseline_label="bare view",
        ),
        Result(
            NAME,
            "p99 latency",
            med("product", "p99_us") / 1e6,
            "s",
            baseline=med("baseline", "p99_us") / 1e6,
            baseline_label="bare view",
            target=("<", 0.050),
        ),
        Result(
            NAME,
            "rate limit across 4 processes (worst window)",
            float(max(windows, key=lambda n: abs(n - limit))) if windows else None,
            "",
            baseline=float(limit),
            baseline_label="the limit",
            target=("<=", 0.10),
            target_on="deviation",
            n=len(windows),
            note=(
                f"FEEDBACK_RATE_LIMIT={limit}/{RATE_WINDOW}s (half the product's throughput), one client address,"
                f" wrk -t{THREADS} -c{CONNECTIONS}"
                f" for {RATE_SECONDS} s; answers stored per full window: {windows}"
            ),
        ),
        Result(
            NAME,
            "stored rows − server 2xx",
            float(mismatched + lost),
            "",
            target=("==", 0),
            n=product_total,
            note=(
                f"product: {product_total} rows stored for {product_ok} 2xx posts logged by gunicorn;"
                f" wrk saw up to {in_flight} fewer (answered after it stopped); {errors} non-2xx/socket errors"
            ),
        ),
    ]

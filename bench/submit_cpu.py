"""Benchmark 1's CPU per request, in one process: the public answer against the bare insert view.

``bench/run.py submit_cpu`` (only when named). The same WSGI handler gunicorn's workers run
(``config.wsgi``, the benchmark's settings: PostgreSQL with persistent connections, Redis and its
background sync) is called directly in this process with the request wrk sends
(``bench/wrk/submit.lua``: a new submission id each time, an NPS score with a realistic spread,
30 % with a comment, an ``Origin`` header), in alternating blocks of baseline and product
requests. Each block reads the CPU time of this process (``time.process_time``: the request's
Python, the sync thread included as in a worker) and of the PostgreSQL backend serving it (from
``/proc``). CPU time is the figure to read on a shared machine: throughput on two saturated
cores follows it, and it moves far less than req/s with the other load.

The figure to read is the median of the rounds' ratios (each product block against the bare
view's block just before it): the other load on a shared machine moves both alike within a round,
and moves the absolute figures by a third between rounds.

Knobs: ``BENCH_CPU_REQUESTS`` (requests per block, 1,000), ``BENCH_CPU_ROUNDS`` (10),
``BENCH_CPU_PROFILE`` (a path prefix: also profile the requests with cProfile (CPU time) and write the stats
to ``<prefix>.product`` and ``<prefix>.baseline``; read them with ``python -m pstats``; the profiler
inflates the CPU figures of that run).
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
import time
from pathlib import Path

from django.db import connection

from bench.common import HOST, PORT, log, median
from bench.results import Result

REQUESTS = int(os.environ.get("BENCH_CPU_REQUESTS", "1000"))
ROUNDS = int(os.environ.get("BENCH_CPU_ROUNDS", "10"))
PROFILE = os.environ.get("BENCH_CPU_PROFILE", "")
NAME = "1. Public submission"
ORIGIN = "https://shop.example.com"
COMMENTS = ("Delivery was late", "Easy checkout", "Returns policy unclear", "Great support", "Too many steps")


def _score(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.25:
        return rng.randint(0, 6)
    if r < 0.55:
        return rng.randint(7, 8)
    return rng.randint(9, 10)


def _bodies(run_id: str, n: int, seed: int) -> list[bytes]:
    """``n`` bodies as ``bench/wrk/submit.lua`` makes them."""
    rng = random.Random(seed)
    bodies = []
    for i in range(n):
        answers = {"score": _score(rng)}
        if rng.random() < 0.3:
            answers["comment"] = rng.choice(COMMENTS)
        body = {
            "submission_id": f"{run_id}-{i}",
            "answers": answers,
            "finished": True,
            "channel": "widget",
            "locale": "en",
            "page_url": "https://shop.example.com/checkout",
        }
        bodies.append(json.dumps(body, separators=(",", ":")).encode())
    return bodies


def _environ(path: str, body: bytes) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": HOST,
        "SERVER_PORT": str(PORT),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "HTTP_HOST": f"{HOST}:{PORT}",
        "HTTP_ORIGIN": ORIGIN,
        "HTTP_CONNECTION": "keep-alive",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def _backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _block(app, path: str, bodies: list[bytes], backend_pid: int | None, profiler=None) -> dict:
    """Send ``bodies`` to ``path``; return the CPU per request (ms) of this process and its backend."""
    statuses: dict[int, int] = {}

    def start_response(status, headers, exc_info=None):
        code = int(status[:3])
        statuses[code] = statuses.get(code, 0) + 1

    environs = [_environ(path, body) for body in bodies]
    pg_before = _backend_cpu(backend_pid) if backend_pid else 0.0
    cpu_before = time.process_time()
    if profiler is not None:
        profiler.enable()
    for environ in environs:
        response = app(environ, start_response)
        b"".join(response)
        response.close()
    if profiler is not None:
        profiler.disable()
    cpu = time.process_time() - cpu_before
    pg = _backend_cpu(backend_pid) - pg_before if backend_pid else float("nan")
    ok = sum(n for code, n in statuses.items() if 200 <= code < 300)
    return {
        "python_ms": 1000 * cpu / len(bodies),
        "postgres_ms": 1000 * pg / len(bodies),
        "ok": ok,
        "statuses": statuses,
    }


def run(ctx: dict) -> list[Result]:
    from django.core.wsgi import get_wsgi_application

    from bench import submit

    survey = submit._fresh_survey(ctx["maps"])
    submit._flush_redis()
    app = get_wsgi_application()
    paths = {
        "baseline": "/bench/baseline/",
        "product": f"/api/public/surveys/{survey.public_key}/responses/",
    }
    profilers = {}
    if PROFILE:
        import cProfile

        profilers = {kind: cProfile.Profile(time.process_time) for kind in paths}
    # Warm both paths (imports, URL resolver, caches, prepared statements), then learn the backend.
    for kind, path in paths.items():
        _block(app, path, _bodies(f"cpuwarm{kind}{int(time.time())}", 300, 0), None)
    connection.ensure_connection()
    backend_pid = connection.connection.info.backend_pid if connection.vendor == "postgresql" else None
    rounds: dict[str, list[dict]] = {"baseline": [], "product": []}
    for i in range(ROUNDS):
        for kind in ("baseline", "product"):
            run_id = f"cpu{int(time.time())}{kind[0]}{i}"
            bodies = _bodies(run_id, REQUESTS, i)
            result = _block(app, paths[kind], bodies, backend_pid, profilers.get(kind))
            if result["ok"] != REQUESTS:
                raise RuntimeError(f"{kind}: {result['statuses']} for {REQUESTS} requests")
            rounds[kind].append(result)
            log(
                f"submit_cpu round {i + 1} {kind}: Python {result['python_ms']:.3f} ms,"
                f" PostgreSQL {result['postgres_ms']:.3f} ms per request"
            )
    for kind, profiler in profilers.items():
        profiler.dump_stats(f"{PROFILE}.{kind}")
        log(f"profile of the {kind}'s requests written to {PROFILE}.{kind}")
    submit._flush_redis()
    submit._drop_load_surveys()

    def med(kind: str, key: str) -> float:
        return median([r[key] for r in rounds[kind]])

    note = (
        f"in one process through config.wsgi, {ROUNDS} alternating blocks of {REQUESTS} requests, median;"
        " bodies as bench/wrk/submit.lua"
    )
    results = []
    for key, label in (("python_ms", "Python"), ("postgres_ms", "PostgreSQL backend")):
        results.append(
            Result(
                NAME,
                f"CPU per request in one process: {label}",
                med("product", key) / 1000,
                "s",
                baseline=med("baseline", key) / 1000,
                baseline_label="bare view",
                n=ROUNDS * REQUESTS,
                note=note
                + "; rounds product "
                + " ".join(f"{r[key]:.3f}" for r in rounds["product"])
                + " / bare "
                + " ".join(f"{r[key]:.3f}" for r in rounds["baseline"])
                + " ms",
            )
        )
    total = {kind: med(kind, "python_ms") + med(kind, "postgres_ms") for kind in rounds}

    def paired(key=None) -> list[float]:
        def cost(r):
            return r[key] if key else r["python_ms"] + r["postgres_ms"]

        return [cost(p) / cost(b) for p, b in zip(rounds["product"], rounds["baseline"], strict=True)]

    results.append(
        Result(
            NAME,
            "CPU per request in one process: Python + PostgreSQL",
            total["product"] / 1000,
            "s",
            baseline=total["baseline"] / 1000,
            baseline_label="bare view",
            n=ROUNDS * REQUESTS,
            note=(
                f"{note}; median of the rounds' ratios: Python {median(paired('python_ms')):.3f},"
                f" PostgreSQL {median(paired('postgres_ms')):.3f}, both {median(paired()):.3f}"
                f" (rounds: {' '.join(f'{x:.2f}' for x in paired())})"
            ),
        )
    )
    return results

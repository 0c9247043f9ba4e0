"""What every benchmark shares: the environment, the database, gunicorn, HTTP timing and medians.

The benchmarks run against their own PostgreSQL database (``waymark_bench``), their own Redis
database (11) and ports 8110-8119, so they never touch a developer's data or server.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
DB_NAME = os.environ.get("BENCH_DB_NAME", "waymark_bench")
DATABASE_URL = f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
HOST = "127.0.0.1"
PORT = int(os.environ.get("BENCH_PORT", "8110"))
GUNICORN_WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))

# The product as it runs in production (README "Running in production"), minus TLS: DEBUG off,
# PostgreSQL with persistent connections, Redis for the cache and the Celery broker. The rate
# limits are raised so that the load generator, one client address, is not throttled.
BENCH_ENV = {
    # BENCH_SETTINGS runs the benchmarks with another settings module (one that extends
    # bench.settings), e.g. to measure a proposed fix before it is made in the product.
    "DJANGO_SETTINGS_MODULE": os.environ.get("BENCH_SETTINGS", "bench.settings"),
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "DB_CONN_MAX_AGE": "600",
    "FEEDBACK_RATE_LIMIT": "100000000/min",
    "API_KEY_RATE": "100000000/min",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "LOG_LEVEL": "WARNING",
    "CELERY_TASK_ALWAYS_EAGER": "0",
}


def apply_env() -> None:
    """Put the benchmark environment into this process (before Django is imported)."""
    os.environ.update(BENCH_ENV)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, **BENCH_ENV, **extra}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- PostgreSQL ---------------------------------------------------------------------------------


def psql(sql: str, *, db: str = DB_NAME, extra: list[str] | None = None, check: bool = True) -> str:
    """Run ``sql`` through the psql client; return its output (unaligned, tuples only)."""
    cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER]
    cmd += [*(extra or []), "-d", db]
    done = subprocess.run(cmd, input=sql, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"psql failed: {done.stderr.strip()}")
    return done.stdout


def ensure_database() -> bool:
    """Create the benchmark database if it is missing; return whether it was created."""
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'", db="postgres").strip()
    if exists:
        return False
    psql(f'CREATE DATABASE "{DB_NAME}"', db="postgres")
    return True


def drop_database() -> None:
    psql(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)', db="postgres")


def psql_timings(sql: str, *, repeat: int, warmup: int = 1) -> list[float]:
    """Run ``sql`` ``warmup + repeat`` times in one psql session with ``\\timing``; return seconds.

    ``\\timing`` is the round trip psql sees: planning, execution and sending the rows.
    """
    statement = sql.strip().rstrip(";") + ";\n"
    script = "\\timing on\n\\o /dev/null\n" + statement * (warmup + repeat)
    out = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST, "-p", str(PG_PORT), "-U", PG_USER, "-d", DB_NAME],
        input=script,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    times = [float(line.split()[1]) / 1000 for line in out.splitlines() if line.startswith("Time: ")]
    return times[warmup:]


# --- numbers ------------------------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: list[float], pct: float) -> float:
    """Return the ``pct`` percentile (nearest rank) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def timed(fn, *, repeat: int, warmup: int = 1) -> list[float]:
    """Call ``fn`` ``warmup + repeat`` times; return the last ``repeat`` durations in seconds."""
    times = []
    for i in range(warmup + repeat):
        start = time.perf_counter()
        fn()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


# --- HTTP ----------------------------------------------------------------------------------------


@dataclass
class HttpClient:
    """A keep-alive HTTP/1.1 client for sequential timed requests against the bench server."""

    headers: dict[str, str] = field(default_factory=dict)
    host: str = HOST
    port: int = PORT

    def __post_init__(self) -> None:
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        """Return ``(status, body bytes, seconds)`` of one request, response fully read."""
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {**self.headers, **(headers or {})}
        if payload is not None:
            all_headers.setdefault("Content-Type", "application/json")
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=payload, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.conn.request(method, path, body=payload, headers=all_headers)
            response = self.conn.getresponse()
            data = response.read()
        return response.status, data, time.perf_counter() - start

    def close(self) -> None:
        self.conn.close()


# --- gunicorn ------------------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(
    *, access_log: Path | None = None, workers: int = GUNICORN_WORKERS, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """Serve the bench settings with gunicorn (sync workers) on ``PORT``; stop it on exit.

    The configuration is the README's production one (``gunicorn config.wsgi -w 4``) on the
    bench's port. With ``access_log`` each request is logged as ``status method path``, which is
    how the submission benchmark counts the posts the server answered with a 2xx. ``env`` overrides
    variables of the benchmark environment for this server only.
    """
    DATA.mkdir(parents=True, exist_ok=True)
    cmd = [str(GUNICORN), "config.wsgi", "-w", str(workers), "-b", f"{HOST}:{PORT}", "--log-level", "warning"]
    cmd += ["--backlog", "2048", "--timeout", "120"]
    if access_log is not None:
        cmd += ["--access-logfile", str(access_log), "--access-logformat", "%(s)s %(m)s %(U)s"]
    errors = open(DATA / "gunicorn-error.log", "ab")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(cmd, cwd=ROOT, env=child_env(**(env or {})), stdout=errors, stderr=errors)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; see {DATA / 'gunicorn-error.log'}")
            try:
                conn = http.client.HTTPConnection(HOST, PORT, timeout=2)
                conn.request("GET", "/accounts/login/")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start within 60 s") from None
                time.sleep(0.3)
        # Warm every worker (imports, URL resolver, DB connection) before anything is timed.
        warm = HttpClient()
        for _ in range(workers * 4):
            warm.request("GET", "/accounts/login/")
        warm.close()
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors.close()


# --- CPU time by process group ------------------------------------------------------------------


def cpu_times_by_group(server_pid: int) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the server's process groups, read from /proc.

    ``gunicorn``: the server and its workers; ``postgres``: every PostgreSQL process (the
    backends serving the workers are most of it); ``redis``: the Redis server. Differences of two
    readings around a load run, divided by the requests, give the CPU each request costs where
    it is spent: on a 2-core machine under load, throughput follows the sum.

    ``postgres_db`` is the part of ``postgres`` spent by the backends connected to the benchmark's
    own database (their process title names it): on a machine shared with other work it tells the
    benchmark's statements apart from the other databases' load. It is not added to the sum.
    """
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    times: dict[int, tuple[str, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        times[pid] = (name, (int(fields[11]) + int(fields[12])) / tick)
    server = {server_pid}
    stack = [server_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            server.add(child)
            stack.append(child)
    groups = {"gunicorn": 0.0, "postgres": 0.0, "redis": 0.0, "celery": 0.0, "postgres_db": 0.0}
    own_database = f" {DB_NAME} ".encode()
    for pid, (name, seconds) in times.items():
        if pid in server:
            groups["gunicorn"] += seconds
        elif name.startswith("postgres"):
            groups["postgres"] += seconds
            with contextlib.suppress(OSError):
                if own_database in Path(f"/proc/{pid}/cmdline").read_bytes():
                    groups["postgres_db"] += seconds
        elif name.startswith("redis-server"):
            groups["redis"] += seconds
        elif name.startswith("celery"):  # the ingestion benchmark's worker (any other worker too)
            groups["celery"] += seconds
    return groups

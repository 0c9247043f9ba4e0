"""CPU time of one Segment call through the whole Django stack, in this process (no server, no load).

Benchmark 6 measures throughput, which on a shared machine moves with everything else running.
The CPU a request costs does not, so this is how a change to the ingestion path is judged before
the throughput run: ``/v1/track`` (one event) or ``/v1/batch`` (100 events) called through
``WSGIHandler`` with the benchmark's settings, on its own PostgreSQL and Redis databases.

    BENCH_DB_NAME=wm_ingest_cpu .venv/bin/python -m bench.ingest_cpu track 1000
    BENCH_DB_NAME=wm_ingest_cpu .venv/bin/python -m bench.ingest_cpu batch 100 [--profile]

Prints the CPU microseconds per request of five rounds (sorted) and their median; ``--profile``
adds the first round's cProfile (CPU time), sorted by ``BENCH_PROFILE_SORT`` (default cumulative).
No Celery worker runs: the matching list only fills.
"""

from __future__ import annotations

import base64
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
import uuid

from bench.common import apply_env, ensure_database

apply_env()
os.environ["CUSTOMERS_SOURCE_RATE_LIMIT"] = "100000000/s"

import django  # noqa: E402

django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402

USERS = 2_000
NAMES = ["Product Viewed", "Added to Cart", "Search", "Scrolled"]


def _write_key() -> str:
    from django.contrib.auth import get_user_model

    from customers.models import Identity, Profile, Source, TrackingRule
    from customers.services import source_create
    from journeys.models import JourneyMap, Stage
    from teams.models import Team
    from teams.services import team_create

    admin, _ = get_user_model().objects.get_or_create(username="bench-ingest-cpu")
    team = Team.objects.filter(name="Bench ingestion CPU").first()
    if team is None:
        team = team_create(name="Bench ingestion CPU", actor=admin)
        journey_map = JourneyMap.objects.create(team=team, title="Shop")
        stage = Stage.objects.create(journey_map=journey_map, name="Awareness", position=0)
        TrackingRule.objects.create(
            team=team, journey_map=journey_map, stage=stage, event_type="track", event_name=NAMES[0]
        )
        profiles = Profile.objects.bulk_create([Profile(team=team, user_id=f"bu{i}") for i in range(USERS)])
        Identity.objects.bulk_create(
            [Identity(team=team, profile=p, kind=Identity.Kind.USER_ID, value=p.user_id) for p in profiles]
        )
    Source.objects.filter(team=team).delete()
    return source_create(team=team, actor=admin, name="CPU")[1]


def _event() -> dict:
    return {
        "type": "track",
        "event": random.choice(NAMES),
        "userId": f"bu{random.randrange(USERS)}",
        "messageId": str(uuid.uuid4()),
        "timestamp": "2026-12-05T00:00:00.000Z",
        "properties": {"sku": "SKU-101", "price": 12.5, "currency": "EUR"},
        "context": {"library": {"name": "analytics.js", "version": "2"}, "ip": "10.1.2.3", "locale": "en-US"},
    }


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "track"
    per_round = max(1, int(sys.argv[2]) // 5) if len(sys.argv) > 2 else 200
    ensure_database()
    call_command("migrate", verbosity=0)
    authorization = "Basic " + base64.b64encode(f"{_write_key()}:".encode()).decode()
    app = WSGIHandler()

    def body() -> bytes:
        payload = _event() if mode == "track" else {"batch": [_event() for _ in range(100)]}
        return json.dumps(payload).encode()

    def call(data: bytes) -> None:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": f"/v1/{mode}",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data),
            "CONTENT_LENGTH": str(len(data)),
            "CONTENT_TYPE": "application/json",
            "HTTP_AUTHORIZATION": authorization,
        }
        status = []
        b"".join(app(environ, lambda line, headers, *_: status.append(line)))
        if not status[0].startswith("200"):
            raise SystemExit(f"the call answered {status[0]}")

    for data in [body() for _ in range(50)]:  # warm: connections, prepared statements, caches
        call(data)
    rounds, profile = [], None
    for i in range(5):
        bodies = [body() for _ in range(per_round)]
        if "--profile" in sys.argv and i == 0:
            profile = cProfile.Profile(time.process_time)
            profile.enable()
        start = time.process_time()
        for data in bodies:
            call(data)
        rounds.append((time.process_time() - start) / per_round * 1e6)
        if profile is not None and i == 0:
            profile.disable()
    rounds.sort()
    print(f"{mode}: CPU µs per request, rounds {[round(r) for r in rounds]}, median {round(rounds[2])}")
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(60)
        print(out.getvalue())


if __name__ == "__main__":
    main()

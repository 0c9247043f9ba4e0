"""Benchmark 4: publishing and comparing versions of the 12 x 15 map; target under 300 ms each.

Through the API over gunicorn with a read-write team key: ``POST /api/v1/maps/<id>/publish/``
and ``GET /api/v1/maps/<id>/diff/?from=<v1>&to=draft`` (a version against the edited draft)
and ``?from=<v1>&to=<v2>`` (two stored versions). The median of ``REPEAT``; the in-process
service time (``map_publish``, ``diff_documents``) is reported next to it for reference.
"""

from __future__ import annotations

import contextlib
import json
import os

from bench.common import HttpClient, gunicorn, log, median, timed
from bench.results import Result, not_available

REPEAT = int(os.environ.get("BENCH_VERSIONS_REPEAT", "9"))
NAME = "4. Publish and compare"


def _edit_then_time(map_pk: int, publish, *, repeat: int) -> list[float]:
    """Time ``publish`` alone, after an edit each time: a draft identical to the last version is refused."""
    import time

    from journeys.models import JourneyMap

    times = []
    for i in range(repeat + 1):
        JourneyMap.objects.filter(pk=map_pk).update(description=f"Benchmark edit {time.time_ns()}")
        start = time.perf_counter()
        publish()
        if i:  # the first is the warm-up
            times.append(time.perf_counter() - start)
    return times


def _service_times(map_pk: int, admin_id: int, first: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ValidationError
    from django.db import DatabaseError

    from journeys.models import JourneyMap, MapVersion
    from journeys.services import map_publish
    from journeys.snapshot import diff_documents, map_document

    journey_map = JourneyMap.objects.get(pk=map_pk)
    admin = get_user_model().objects.get(pk=admin_id)
    old = MapVersion.objects.get(journey_map=journey_map, number=first).snapshot
    out = {"diff": median(timed(lambda: diff_documents(old, map_document(journey_map)), repeat=REPEAT))}
    try:
        out["publish"] = median(
            _edit_then_time(
                map_pk,
                lambda: map_publish(journey_map=journey_map, actor=admin, note="bench (service)"),
                repeat=REPEAT,
            )
        )
    except (DatabaseError, ValidationError) as exc:
        out["publish_error"] = str(exc)
    return out


def run(ctx: dict) -> list[Result]:
    detail = ctx["maps"]
    large = detail["large"]
    map_pk, first, second = large["map"], large["first_version"], large["second_version"]
    service = _service_times(map_pk, detail["admin"], first)
    results = []
    with gunicorn():
        client = HttpClient(headers={"Authorization": f"Bearer {detail['api_key']}", "Accept": "application/json"})
        publish_path = f"/api/v1/maps/{map_pk}/publish/"
        _edit_then_time(map_pk, lambda: None, repeat=0)
        status, body, _ = client.request("POST", publish_path, {"note": "bench"})
        if status == 201:
            runs = _edit_then_time(
                map_pk, lambda: client.request("POST", publish_path, {"note": "bench"}), repeat=REPEAT
            )
            results.append(
                Result(
                    NAME,
                    "publish 12x15 (API)",
                    median(runs),
                    "s",
                    target=("<", 0.300),
                    n=REPEAT,
                    note=f"service alone {service.get('publish', float('nan')) * 1000:.0f} ms; median of {REPEAT}",
                    extra={"runs": runs},
                )
            )
        else:
            reason = service.get("publish_error") or body.decode(errors="replace")[:200]
            with contextlib.suppress(ValueError, AttributeError):
                reason = json.loads(body).get("detail", reason)
            results.append(not_available(NAME, "publish 12x15 (API)", f"POST publish is {status}: {reason}"))
        for label, query in (("v1 → draft", f"from={first}&to=draft"), ("v1 → v2", f"from={first}&to={second}")):
            path = f"/api/v1/maps/{map_pk}/diff/?{query}"
            status, body, _ = client.request("GET", path)
            if status != 200:
                results.append(not_available(NAME, f"compare {label} (API)", f"GET diff is {status}"))
                continue
            summary = json.loads(body).get("summary", {})
            runs = timed(lambda p=path: client.request("GET", p), repeat=REPEAT)
            results.append(
                Result(
                    NAME,
                    f"compare {label} (API)",
                    median(runs),
                    "s",
                    target=("<", 0.300),
                    n=REPEAT,
                    note=f"{summary.get('total', '?')} differences; median of {REPEAT}"
                    + (f"; diff service alone {service['diff'] * 1000:.0f} ms" if label == "v1 → draft" else ""),
                    extra={"runs": runs, "summary": summary},
                )
            )
        client.close()
    for r in results:
        log(f"versions {r.measure}: {r.value if r.value is None else round(r.value * 1000)} ms {r.note}")
    return results

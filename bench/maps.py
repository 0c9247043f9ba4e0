"""Benchmark 3: the map page and the map API for a 12 x 15 map with owners, pain points, scores and
the analytics overlay (issue #19: tracking counts on every card, stored stage figures on every column).

Query counts come from Django's test client in-process (``CaptureQueriesContext``), for the
12 x 15 map and for a 3 x 4 one: the count must not grow with the map. Render times are the
median over ``REPEAT`` requests through gunicorn, signed in with a session cookie (the page) or a
team API key (the API), the two maps alternating so both see the same load; the ratio of each
pair is reported beside the ratio of the medians. The page is checked to show the overlay on both
maps, read from the stored rows its beat tasks keep (refreshed at the start, as the beat would):
else the figure would be of a page without it, or one computing it per view.
"""

from __future__ import annotations

import os
import time

from bench.common import HttpClient, gunicorn, log, median, percentile
from bench.results import Result, not_available

REPEAT = int(os.environ.get("BENCH_MAPS_REPEAT", "20"))
NAME = "3. Map page and API"
# What the page draws when the overlay is on: the tracking counts of a card, a stage's stored figures,
# and the lines saying the overlay's counts and the scores are stored ones (not computed per view).
OVERLAY_MARKS = (
    b'data-testid="overlay"',
    b'data-testid="stage-stats"',
    b'data-testid="overlay-as-of"',
    b'data-testid="scores-as-of"',
)


def refresh_stored(map_ids) -> None:
    """Store the overlay's counts and the scores now, as their beat tasks do every few minutes (the
    page ignores rows older than their maximum age, and building the data set takes longer)."""
    from customers.overlay import overlay_stats_refresh
    from feedback.stats import map_scores_refresh_all
    from journeys.models import JourneyMap

    for journey_map in JourneyMap.objects.filter(pk__in=map_ids):
        overlay_stats_refresh(journey_map=journey_map)
    map_scores_refresh_all()


def alternating(large, small, *, repeat: int, warmup: int = 2) -> tuple[list[float], list[float]]:
    """Time ``large()`` and ``small()`` in turn, ``warmup + repeat`` times each; return the last
    ``repeat`` durations of each, so a change of load on the machine falls on both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(warmup + repeat):
        for fn, out in ((large, times[0]), (small, times[1])):
            start = time.perf_counter()
            fn()
            if i >= warmup:
                out.append(time.perf_counter() - start)
    return times


def _session_cookie(user_id: int) -> str:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(pk=user_id))
    return client.cookies["sessionid"].value


def query_count(path: str, *, user_id: int | None = None, api_key: str | None = None) -> tuple[int, int]:
    """Return (status, number of SQL queries) of one GET through the test client."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=False)
    headers = {}
    if user_id is not None:
        client.force_login(get_user_model().objects.get(pk=user_id))
    if api_key is not None:
        headers["Authorization"] = f"Bearer {api_key}"
    client.get(path, headers=headers)  # warm any per-process cache first
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
    return response.status_code, len(queries.captured_queries)


def run(ctx: dict) -> list[Result]:
    detail = ctx["maps"]
    large, small = detail["large"]["map"], detail["small"]["map"]
    refresh_stored([large, small])
    targets = {
        "page": (lambda pk: f"/maps/{pk}/", {"user_id": detail["admin"]}),
        "API": (lambda pk: f"/api/v1/maps/{pk}/", {"api_key": detail["api_key"]}),
    }
    counts = {}
    for what, (path, auth) in targets.items():
        for size, pk in (("12x15", large), ("3x4", small)):
            status, n = query_count(path(pk), **auth)
            counts[(what, size)] = (status, n)
            log(f"maps {what} {size}: {status}, {n} queries")

    results = []
    cookie = _session_cookie(detail["admin"])
    with gunicorn():
        clients = {
            "page": HttpClient(headers={"Cookie": f"sessionid={cookie}"}),
            "API": HttpClient(headers={"Authorization": f"Bearer {detail['api_key']}", "Accept": "application/json"}),
        }
        for what, (path, _) in targets.items():
            client = clients[what]
            status, body, _ = client.request("GET", path(large))
            (status_q, n_large), (_, n_small) = counts[(what, "12x15")], counts[(what, "3x4")]
            if status != 200 or status_q != 200:
                reason = f"GET {path(large)} is {status} over HTTP, {status_q} in-process"
                results.append(not_available(NAME, f"{what} 12x15", reason))
                continue
            large_path, small_path = path(large), path(small)
            if what == "page":
                missing = [
                    f"{size} lacks {mark.decode()}"
                    for size, p in (("12x15", large_path), ("3x4", small_path))
                    for mark in OVERLAY_MARKS
                    if mark not in client.request("GET", p)[1]
                ]
                if missing:
                    results.append(not_available(NAME, "page p50 render, 12x15", "no overlay: " + "; ".join(missing)))
                    continue
            times, small_times = alternating(
                lambda c=client, p=large_path: c.request("GET", p),
                lambda c=client, p=small_path: c.request("GET", p),
                repeat=REPEAT,
            )
            pairs = sorted(a / b for a, b in zip(times, small_times, strict=True))
            results.append(
                Result(
                    NAME,
                    f"{what} queries, 12x15 vs 3x4",
                    float(n_large),
                    "queries",
                    baseline=float(n_small),
                    baseline_label="3x4",
                    target=("<=", 1.0),
                    target_on="ratio",
                    note="the count must not grow with the map",
                )
            )
            results.append(
                Result(
                    NAME,
                    f"{what} p50 render, 12x15",
                    median(times),
                    "s",
                    baseline=median(small_times),
                    baseline_label="3x4",
                    target=("<", 0.150),
                    n=REPEAT,
                    note=(
                        f"p90 {percentile(times, 90) * 1000:.0f} ms; {len(body) // 1024} KiB; median of {REPEAT},"
                        f" alternating; paired ratio median {median(pairs):.2f}"
                    ),
                    extra={"runs": times, "small_runs": small_times, "paired_ratios": pairs},
                )
            )
            log(
                f"maps {what}: p50 {median(times) * 1000:.1f} ms (3x4: {median(small_times) * 1000:.1f} ms),"
                f" ratio {median(times) / median(small_times):.2f}, paired {median(pairs):.2f}"
                f" [{pairs[len(pairs) // 4]:.2f}-{pairs[(3 * len(pairs)) // 4]:.2f}]"
            )
        for client in clients.values():
            client.close()
    return results

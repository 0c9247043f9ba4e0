"""The rate limits are exact under concurrency: many threads, one key, exactly the limit passes.

Against PostgreSQL and the real Redis (``REDIS_URL``): DRF's own throttle read the key's history,
appended and wrote it back, so concurrent requests overwrote each other's hits and more than the
limit got through.
"""

from __future__ import annotations

import json
import os
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client

from feedback import services
from feedback.models import Response
from teams import ratelimit, shared_state
from teams.api_auth import ApiKeyRateThrottle
from teams.services import api_key_create

THREADS = 16
PER_THREAD = 15
LIMIT = 97

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent requests need PostgreSQL"),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a real Redis)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def shared_redis(settings):
    """The default cache on ``REDIS_URL``, under a key prefix of the test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-{secrets.token_hex(4)}",
        }
    }
    ratelimit.reset()
    yield
    ratelimit.reset()


def _in_threads(send) -> list[int]:
    def worker(_):
        try:
            return [send() for _ in range(PER_THREAD)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return [code for codes in pool.map(worker, range(THREADS)) for code in codes]


def test_an_api_key_gets_exactly_its_limit_from_many_threads(shared_redis, monkeypatch, team_a, alice):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": f"{LIMIT}/day"})
    _, raw = api_key_create(team=team_a, actor=alice, name="load", scope="read")

    def send():
        return Client().get("/api/v1/teams/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code

    codes = _in_threads(send)
    assert len(codes) == THREADS * PER_THREAD
    assert set(codes) == {200, 429}
    assert codes.count(200) == LIMIT


def test_the_public_endpoint_lets_exactly_its_limit_through_from_many_threads(shared_redis, settings, team_a, alice):
    settings.FEEDBACK_RATE_LIMIT = f"{LIMIT}/day"
    survey = services.survey_create(team=team_a, actor=alice, name="Load", kind="nps")
    survey = services.survey_set_status(survey=survey, actor=alice, status="active")
    counter = iter(range(10**6))

    def send():
        body = {"submission_id": f"c-{next(counter):06d}", "answers": {"score": 9}}
        return (
            Client()
            .post(f"/api/public/surveys/{survey.public_key}/responses/", json.dumps(body), "application/json")
            .status_code
        )

    codes = _in_threads(send)
    assert set(codes) == {201, 429}
    assert codes.count(201) == LIMIT
    assert Response.objects.filter(survey=survey).count() == LIMIT
    # What this process counted reaches Redis with the next sync.
    assert shared_state.syncer().sync() is True
    from django.core.cache import cache

    key = cache.make_and_validate_key(f"rate:feedback:127.0.0.1:{ratelimit.window_of(86400)[0]}")
    assert int(cache._cache.get_client().get(key)) == LIMIT

"""The public hot path never waits on Redis: counts and versions are mirrored by a background sync.

Against the real Redis (``REDIS_URL``), under a key prefix of each test's own. The background
thread is off here: each test runs the sync itself where the thread would (every 0.2 s), so no
test depends on timing.
"""

from __future__ import annotations

import json
import os
import secrets

import pytest
from django.core.cache import cache
from django.urls import reverse
from redis.client import Redis

from feedback import survey_cache
from feedback.models import Response, Survey
from teams import local_cache, ratelimit, shared_state

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a real Redis)")


@pytest.fixture
def shared_redis(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": f"test-{secrets.token_hex(4)}",
        }
    }
    settings.SHARED_STATE_SYNC_SECONDS = 0
    ratelimit.reset()
    yield
    ratelimit.reset()


@pytest.fixture
def redis_calls(monkeypatch):
    """Every command sent to Redis (pipelines count as one call)."""
    calls = []
    real_command, real_pipeline = Redis.execute_command, Redis.pipeline

    def execute_command(self, *args, **options):
        calls.append(args[0])
        return real_command(self, *args, **options)

    def pipeline(self, *args, **kwargs):
        calls.append("PIPELINE")
        return real_pipeline(self, *args, **kwargs)

    monkeypatch.setattr(Redis, "execute_command", execute_command)
    monkeypatch.setattr(Redis, "pipeline", pipeline)
    return calls


def post(client, survey, submission_id, score=9):
    return client.post(
        reverse("feedback_public:survey_responses", args=[survey.public_key]),
        data=json.dumps({"submission_id": submission_id, "answers": {"score": score}}),
        content_type="application/json",
    )


def test_an_answer_makes_no_redis_call(shared_redis, client, survey, redis_calls):
    # The first answers read the versions they need once (survey, themes, routing, webhooks);
    # from then on the sync keeps them current.
    assert post(client, survey, "hot-0000", score=9).status_code == 201
    assert post(client, survey, "hot-0001", score=2).status_code == 201
    shared_state.syncer().sync()
    redis_calls.clear()
    codes = [post(client, survey, f"hot-{i:04d}", score=i % 11).status_code for i in range(2, 12)]
    assert codes == [201] * 10
    assert redis_calls == []
    assert Response.objects.count() == 12


def test_the_counts_reach_redis_with_the_sync(shared_redis, client, survey, settings):
    settings.FEEDBACK_RATE_LIMIT = "5/day"
    assert [post(client, survey, f"count-000{i}").status_code for i in range(3)] == [201, 201, 201]
    key = cache.make_and_validate_key(f"rate:feedback:127.0.0.1:{ratelimit.window_of(86400)[0]}")
    raw = cache._cache.get_client()
    assert raw.get(key) is None  # nothing sent yet
    assert shared_state.syncer().sync() is True
    assert int(raw.get(key)) == 3
    assert 0 < raw.ttl(key) <= 86401
    # Another process let two through meanwhile: this one learns it at the next sync.
    raw.incrby(key, 2)
    shared_state.syncer().sync()
    limited = post(client, survey, "count-0009")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1


def test_a_survey_closed_in_another_process_refuses_answers_before_and_after_the_next_sync(
    shared_redis, client, survey
):
    assert post(client, survey, "close-0001").status_code == 201
    shared_state.syncer().sync()
    # Another process closes the survey: the row changes and the shared version moves; this
    # process's memory is not touched (a bare UPDATE and an INCR on the shared key).
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.CLOSED)
    cache.incr(local_cache.version_key(survey_cache.DEFINITIONS))
    # Not heard yet (no round trip per answer), but the answer's statement reads the survey's row.
    early = post(client, survey, "close-0002")
    assert early.status_code == 409 and early.json()["code"] == "survey_closed"
    shared_state.syncer().sync()  # what the background thread does every SHARED_STATE_SYNC_SECONDS
    refused = post(client, survey, "close-0003")
    assert refused.status_code == 409 and refused.json()["code"] == "survey_closed"
    assert set(Response.objects.values_list("submission_id", flat=True)) == {"close-0001"}


def test_four_processes_share_the_limit_within_ten_percent(shared_redis):
    """Four syncers (as four processes would have), hit in turn and synced in turn."""
    syncers = [shared_state.Syncer() for _ in range(4)]
    for syncer in syncers + syncers:
        syncer.sync()  # each says it is alive: every one now counts 4 processes
    assert {s.processes for s in syncers} == {4}
    limit, allowed = 1000, 0
    for step in range(3000):
        syncer = syncers[step % 4] if step % 3 else syncers[0]  # uneven: process 0 gets half
        allowed += syncer.counter_hit("rate:test:share", limit, expires=60, ttl=60)
        if step % 50 == 49:
            syncers[(step // 50) % 4].sync()
    for syncer in syncers:
        syncer.sync()
    assert 0.9 * limit <= allowed <= 1.1 * limit
    assert int(cache._cache.get_client().get(cache.make_and_validate_key("rate:test:share"))) == allowed


def test_a_forked_process_starts_its_own_syncer(shared_redis, monkeypatch, settings):
    settings.SHARED_STATE_SYNC_SECONDS = 0.2
    parent = shared_state.syncer()
    parent.counter_hit("rate:test:fork", 10, expires=60, ttl=60)
    assert parent.thread is not None and parent.thread.is_alive()
    monkeypatch.setattr(shared_state.os, "getpid", lambda: parent.pid + 1)
    child = shared_state.syncer()
    assert child is not parent and child.thread is None and child.counters == {}
    monkeypatch.undo()
    parent.stop()

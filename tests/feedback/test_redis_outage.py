"""Redis down: answers are still validated and stored, the API keeps answering, limits go per process.

Each test starts its own ``redis-server`` on a free port, points the cache (and, where it matters,
the Celery broker) at it, and stops it: the shared Redis on 6379 is never touched.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time

import kombu.pools
import pytest
from django.core.cache import cache
from django.http import JsonResponse
from django.urls import path, reverse

from config import celery_app
from feedback.models import Response
from teams import ratelimit, shared_state
from teams.api_auth import ApiKeyRateThrottle
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server binary")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, on a free port, without persistence."""

    def __init__(self):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.025)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(settings):
    """The default cache on a Redis of the test's own; the background thread off (syncs by hand)."""
    server = PrivateRedis()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.SHARED_STATE_SYNC_SECONDS = 0
    ratelimit.reset()
    try:
        yield server
    finally:
        server.stop()
        ratelimit.reset()
    # settings' teardown restores the local-memory cache the other tests use.


def post(client, survey, submission_id, answers=None, **extra):
    return client.post(
        reverse("feedback_public:survey_responses", args=[survey.public_key]),
        data=json.dumps({"submission_id": submission_id, "answers": answers or {"score": 9}}),
        content_type="application/json",
        **extra,
    )


def test_answers_are_validated_and_stored_while_redis_is_down(private_redis, client, survey, settings):
    settings.FEEDBACK_RATE_LIMIT = "6/day"  # the window does not roll over during the test
    assert post(client, survey, "outage-0001").status_code == 201
    assert post(client, survey, "outage-0002").status_code == 201
    assert shared_state.syncer().sync() is True  # Redis up: the two hits are shared
    assert int(cache._cache.get_client().get(cache.make_and_validate_key(_window_key("feedback:127.0.0.1", 86400))))
    private_redis.stop()
    assert shared_state.syncer().sync() is False  # what the background thread finds

    assert post(client, survey, "outage-0003").status_code == 201
    invalid = post(client, survey, "outage-0004", {"score": 11})
    assert invalid.status_code == 400 and "answers.score" in invalid.json()["errors"]
    assert post(client, survey, "outage-0005", {"score": 3, "comment": "Slow"}).status_code == 201
    assert post(client, survey, "outage-0005", {"score": 3, "comment": "Slow"}).status_code == 200  # idempotent
    # The limit now counts in this process: 6 let through (the invalid answer and the retry count too).
    limited = post(client, survey, "outage-0006")
    assert limited.status_code == 429 and limited.json()["code"] == "throttled"
    assert int(limited["Retry-After"]) >= 1
    stored = dict(Response.objects.values_list("submission_id", "score"))
    assert stored == {"outage-0001": 9, "outage-0002": 9, "outage-0003": 9, "outage-0005": 3}


def _window_key(name: str, period: int) -> str:
    return f"rate:{name}:{ratelimit.window_of(period)[0]}"


def test_a_survey_closed_while_redis_is_down_refuses_answers_within_its_ttl(private_redis, client, survey, alice):
    from feedback import services

    assert post(client, survey, "outage-0101").status_code == 201
    private_redis.stop()
    shared_state.syncer().sync()
    services.survey_set_status(survey=survey, actor=alice, status="closed")  # bumping fails quietly
    response = post(client, survey, "outage-0102")
    assert response.status_code == 409 and response.json()["code"] == "survey_closed"


def test_the_api_keeps_answering_while_redis_is_down(private_redis, key_client, api_as, alice, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "3/day"})
    keyed = key_client()
    assert keyed.get("/api/v1/teams/").status_code == 200
    private_redis.stop()
    # Counted in this process from now on (the hit Redis saw is not known here).
    assert [keyed.get("/api/v1/teams/").status_code for _ in range(3)] == [200, 200, 200]
    throttled = keyed.get("/api/v1/teams/")
    assert throttled.status_code == 429 and throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) >= 1
    session = api_as(alice)
    assert session.get("/api/v1/teams/").status_code == 200
    assert session.get("/api/v1/maps/").status_code == 200


def _forget_broker_connections():
    """Make Celery open its next broker connection from ``broker_url`` as it is now.

    Celery's pools live in kombu's process-wide registry, keyed by broker URL: closing one in place
    would leave a closed pool there for every later publish to that URL, so the registry is reset.
    """
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu.pools.reset()


def test_a_webhook_delivery_is_kept_for_the_sweep_when_the_broker_is_down(
    private_redis, client, survey, alice, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    webhook_services.webhook_endpoint_register(
        team=survey.team, actor=alice, url="http://127.0.0.1:9/hook", event_types=["response.created"]
    )
    private_redis.stop()
    celery_app.conf.task_always_eager = False
    old_broker = celery_app.conf.broker_url
    celery_app.conf.broker_url = private_redis.url
    _forget_broker_connections()
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = post(client, survey, "outage-0201")
    finally:
        celery_app.conf.task_always_eager = True
        celery_app.conf.broker_url = old_broker
        # Later tests publish to the real broker: drop the pools made for the stopped one.
        _forget_broker_connections()
    assert response.status_code == 201 and len(callbacks) == 1  # the queueing ran, and failed quietly
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.payload["data"]["id"] == Response.objects.get(submission_id="outage-0201").pk


def _needs_redis(request):
    cache.set("anything", 1)
    return JsonResponse({"ok": True})


urlpatterns = [path("api/v1/needs-redis/", _needs_redis), path("needs-redis/", _needs_redis)]


@pytest.mark.urls(__name__)
def test_what_truly_needs_redis_answers_a_json_503_with_retry_after(private_redis, client):
    private_redis.stop()
    response = client.get("/api/v1/needs-redis/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "unavailable"
    assert int(response["Retry-After"]) >= 1

"""kill -9 a real Celery worker while a delivery is in flight: a new worker completes it.

The worker runs as a separate process (it must be killable) against Redis and the test database,
so this needs REDIS_URL and a database another process can open (PostgreSQL, or SQLite in a
file); CI has both. Each run uses its own queue, so no other message reaches these workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config import celery_app
from webhooks import selectors, services
from webhooks.models import WebhookDelivery
from webhooks.tasks import webhook_deliver

REDIS_URL = os.environ.get("REDIS_URL", "")
ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str | None:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    name = str(db["NAME"])
    if connection.vendor == "sqlite" and "memory" not in name and name != ":memory:":
        return f"sqlite:///{name}"
    return None


class Worker:
    """A Celery worker process of its own session, so it (and only it) can be killed with -9."""

    def __init__(self, queue: str, database_url: str):
        self.log = tempfile.NamedTemporaryFile(prefix="waymark-worker-", suffix=".log", delete=False)  # noqa: SIM115
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "1",
            "DEBUG": "1",
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")[-3000:]


def wait_for(condition, what: str, worker: Worker, limit: float = 90.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}; worker log:\n{worker.output()}")
        time.sleep(0.2)


@pytest.fixture
def real_broker():
    conf = celery_app.conf
    saved = {k: conf[k] for k in ("task_always_eager", "broker_url", "result_backend")}
    conf.update(task_always_eager=False, broker_url=REDIS_URL, result_backend=REDIS_URL)
    try:
        yield
    finally:
        conf.update(saved)


@pytest.mark.celery_worker
@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL: deliveries run in real Celery workers against Redis")
@pytest.mark.django_db(transaction=True)
def test_a_delivery_survives_kill_9_of_its_worker(receiver, team_a, alice, real_broker):
    database_url = _database_url()
    if database_url is None:
        pytest.skip("the worker process cannot open an in-memory test database; use PostgreSQL")
    queue = f"test-webhooks-{uuid.uuid4().hex[:8]}"
    endpoint = services.webhook_endpoint_register(
        team=team_a, actor=alice, url=receiver.url, event_types=["map.published"]
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="map.published", payload={"n": 1})
    delivery_id = str(delivery.pk)
    receiver.gate = threading.Event()  # the first request blocks: the worker is mid-delivery

    first = Worker(queue, database_url)
    second = None
    try:
        webhook_deliver.apply_async(args=[delivery_id, 1], queue=queue)
        wait_for(receiver.arrived.is_set, "the first attempt to reach the receiver", first)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 1)

        first.kill(signal.SIGKILL)
        assert first.process.returncode == -signal.SIGKILL
        gate, receiver.gate = receiver.gate, None
        gate.set()  # the blocked request's client is gone; answer the next ones at once
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("pending", 1)  # abandoned, not finished

        # What the periodic sweep finds once the lease has run out, sent to a new worker.
        second = Worker(queue, database_url)
        due = selectors.deliveries_due(now=timezone.now() + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS))
        assert due == [(delivery_id, 2)]
        for pk, attempt in due:
            webhook_deliver.apply_async(args=[pk, attempt], queue=queue)
        wait_for(
            lambda: WebhookDelivery.objects.get(pk=delivery_id).status == "succeeded",
            "the new worker to complete the delivery",
            second,
        )
    finally:
        first.kill(signal.SIGKILL)
        if second is not None:
            second.kill(signal.SIGTERM)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.next_attempt_at) == (
        "succeeded",
        2,
        200,
        None,
    )
    # At least once: the interrupted attempt reached the receiver too, with the same delivery id.
    assert [r.headers["Waymark-Delivery"] for r in receiver.requests] == [delivery_id, delivery_id]
    assert receiver.requests[0].body == receiver.requests[1].body
    assert not WebhookDelivery.objects.filter(status__in=["pending", "retrying"]).exists()

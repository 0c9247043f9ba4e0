"""kill -9 a real Celery worker mid-send: the email is neither lost nor sent under two identities.

The worker runs as a separate process (it must be killable) against Redis and the test database,
sending to an SMTP server in this process that holds the first message's final reply. The second
worker sends that message again once the first claim's lease runs out, with the same Message-ID
(the action's idempotency key), which the receiving side dedupes on; the other messages go once.
Needs REDIS_URL and PostgreSQL (DATABASE_URL), as the webhooks' worker test does.
"""

from __future__ import annotations

import signal
import socketserver
import threading
import time
import uuid
from email import message_from_bytes

import pytest
from django.db import connection
from django.utils import timezone

from automations import engine, outbox
from automations import services as auto
from automations.models import Action
from automations.tasks import action_send
from customers.models import Profile
from tests.webhooks.test_webhook_worker import REDIS_URL, Worker, _database_url, real_broker, wait_for  # noqa: F401

LEASE_SECONDS = 4


class Smtp:
    """A minimal SMTP receiver: records each message at the end of its DATA, then answers 250
    (the first one only when ``gate`` is set: the sender is mid-send until then)."""

    def __init__(self):
        self.messages: list[bytes] = []
        self.arrived = threading.Event()
        self.gate: threading.Event | None = None
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self):
                try:
                    self.reply("220 test ESMTP")
                    while line := self.rfile.readline():
                        verb = line.split(b" ", 1)[0].strip().upper()
                        if verb == b"DATA":
                            self.reply("354 go on")
                            body = b""
                            while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                                body += chunk
                            receiver.messages.append(body)
                            receiver.arrived.set()
                            if receiver.gate is not None:
                                receiver.gate.wait(120)
                            self.reply("250 queued")
                        elif verb == b"QUIT":
                            self.reply("221 bye")
                            return
                        else:
                            self.reply("250 ok")
                except OSError:
                    return  # the sender was killed

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def message_ids(self) -> list[str]:
        return [message_from_bytes(m)["Message-ID"] for m in self.messages]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.celery_worker
@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL: the sends run in real Celery workers against Redis")
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL): SKIP LOCKED claims across processes"
)
@pytest.mark.django_db(transaction=True)
def test_a_send_survives_kill_9_of_its_worker(shop, alice, team_a, real_broker, monkeypatch):  # noqa: F811
    database_url = _database_url()
    journey_map, stages, _ = shop
    monkeypatch.setattr("automations.engine._advance_later", lambda automation_id: None)
    monkeypatch.setattr("automations.engine._send_later", lambda: None)
    automation = auto.automation_create(
        actor=alice,
        journey_map=journey_map,
        name="Kill",
        trigger="stage_entered",
        trigger_config={"stage": stages["Decision"].pk},
        holdout_percent=0,
    )
    auto.step_add(automation=automation, actor=alice, kind="email", config={"templates": {"en": {"subject": "Hi"}}})
    auto.automation_activate(automation=automation, actor=alice)
    from automations.models import Respect

    Respect.objects.create(team=team_a, quiet_start="00:00", quiet_end="00:00", max_messages=10)
    profiles = [
        Profile.objects.create(team=team_a, user_id=f"k{i}", traits={"email": f"k{i}@example.com"}) for i in range(3)
    ]
    now = timezone.now()
    engine.enrol(automation, [engine.Candidate(p.pk, f"k{p.pk}", now) for p in profiles])
    engine.advance()
    actions = list(Action.objects.filter(kind="email").order_by("id"))
    assert [a.status for a in actions] == ["pending"] * 3

    smtp = Smtp()
    smtp.gate = threading.Event()
    queue = f"test-automations-{uuid.uuid4().hex[:8]}"
    for key, value in {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "AUTOMATION_LEASE_SECONDS": str(LEASE_SECONDS),
    }.items():
        monkeypatch.setenv(key, value)
    first = Worker(queue, database_url)
    second = None
    try:
        for action in actions:
            action_send.apply_async(args=[action.pk], queue=queue)
        wait_for(smtp.arrived.is_set, "the first email to reach the SMTP server", first)
        first.kill(signal.SIGKILL)
        assert first.process.returncode == -signal.SIGKILL
        gate, smtp.gate = smtp.gate, None
        gate.set()
        statuses = dict(Action.objects.filter(kind="email").values_list("id", "status"))
        assert statuses == {actions[0].pk: "sending", actions[1].pk: "pending", actions[2].pk: "pending"}

        # The sweep's view once the dead worker's lease has run out, sent to a new worker.
        time.sleep(LEASE_SECONDS + 0.5)
        second = Worker(queue, database_url)
        due = outbox.actions_due()
        assert sorted(due) == sorted(a.pk for a in actions)
        for action_id in due:
            action_send.apply_async(args=[action_id], queue=queue)
        wait_for(
            lambda: Action.objects.filter(kind="email", status="done").count() == 3,
            "the new worker to send every email",
            second,
        )
    finally:
        first.kill(signal.SIGKILL)
        if second is not None:
            second.kill(signal.SIGTERM)
        smtp.close()

    done = {a.pk: (a.status, a.attempts) for a in Action.objects.filter(kind="email")}
    assert done == {actions[0].pk: ("done", 2), actions[1].pk: ("done", 1), actions[2].pk: ("done", 1)}
    ids = smtp.message_ids()
    expected = [outbox.message_id(a) for a in actions]
    # Not lost: every action's message arrived. Not doubled: one identity per action; only the
    # interrupted one arrived twice, under the same Message-ID the receiver dedupes on.
    assert set(ids) == set(expected)
    assert sorted(ids.count(m) for m in expected) == [1, 1, 2]
    assert ids.count(expected[0]) == 2

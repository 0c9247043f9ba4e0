"""A webhook receiver on localhost, in a thread: it records each request and answers as told."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the receiver got, and how it answers the next requests."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    answer: bytes = b'{"ok": true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # When set, each request waits for it before answering (a receiver that blocks); ``arrived``
    # is set as soon as a request has been read.
    gate: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            receiver.arrived.set()
            if receiver.gate is not None:
                receiver.gate.wait(120)
            if receiver.delay:
                time.sleep(receiver.delay)
            self.send_response(receiver.status)
            for name, value in receiver.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(receiver.answer)))
            self.end_headers()
            self.wfile.write(receiver.answer)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver(settings):
    """Start a receiver on 127.0.0.1 and let webhooks reach private addresses for the test."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/waymark"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()

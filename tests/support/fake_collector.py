"""A stand-in collector on 127.0.0.1 that answers from a script and records what it received."""

from __future__ import annotations

import json
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCEPTED = (200, {"status": "accepted"})


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class FakeCollector:
    url: str
    answers: list = field(default_factory=list)
    received: list[Received] = field(default_factory=list)


@contextmanager
def fake_collector(*answers: tuple[int, dict]):
    """Answer each POST with the next (status, body); the last answer repeats."""
    state = FakeCollector(url="", answers=list(answers) or [ACCEPTED])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append(Received(self.path, dict(self.headers), body))
            status, payload = state.answers[min(len(state.received), len(state.answers)) - 1]
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/record/deployment"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_collector():
    """Accepts connections (the kernel completes the handshake) but never answers: every read times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1/record/deployment"
    finally:
        listener.close()


def unreachable_url() -> str:
    """A loopback port nobody listens on, so connecting is refused at once."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}/v1/record/deployment"

"""A webhook receiver on 127.0.0.1 that does what the Standard Webhooks spec asks of one.

It verifies every request with the reference library (`standardwebhooks.Webhook.verify`),
answers with the statuses it was told to (then 200), and keeps what it accepted by
`webhook-id`, so a repeat of a message it already has is acknowledged and dropped.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Request:
    headers: dict[str, str]
    body: str
    verified: bool
    status: int


@dataclass
class Receiver:
    """What came in (`requests`), what was accepted once per webhook-id (`accepted`)."""

    url: str
    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0  # seconds before each answer: a slow receiver keeps deliveries in flight
    requests: list[Request] = field(default_factory=list)
    accepted: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: str) -> int:
        with self.lock:
            try:
                payload = Webhook(self.secret).verify(body, headers) if self.secret else None
                verified = payload is not None
            except WebhookVerificationError:
                payload, verified = None, False
            status = self.statuses.pop(0) if self.statuses else (200 if verified else 400)
            self.requests.append(Request(headers, body, verified, status))
            if verified and 200 <= status < 300:
                self.accepted.setdefault(headers["webhook-id"], payload)  # a repeat changes nothing
            return status


@contextmanager
def receiver(statuses: list[int] | None = None) -> Iterator[Receiver]:
    """A receiver thread on a free port of 127.0.0.1; set `.secret` once the subscription exists."""
    holder: list[Receiver] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            time.sleep(holder[0].delay)
            status = holder[0].answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook", statuses=list(statuses or [])))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()

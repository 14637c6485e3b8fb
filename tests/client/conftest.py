"""One real Istok over SQLite for the client's tests, and a scripted stand-in for retry behaviour.

The database kind does not matter to the client, so one SQLite-backed server serves the whole
package (store behaviour on both databases is tested in tests/kb and tests/api).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.api.conftest import Live, sample_server


@pytest.fixture(scope="package")
def istok(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    """A running Istok with the sample content published and a key per role; webhooks may point at
    this machine, since the tests have no DNS to resolve a public host."""
    yield from sample_server(tmp_path_factory.mktemp("client"), sqlite_template, ISTOK_WEBHOOKS_ALLOW_PRIVATE="1")


Reply = tuple[int, dict[str, str], object]  # status, headers, body (a str is sent as HTML, else as JSON)


@dataclass
class Scripted:
    """Answers each request with the next scripted (status, headers, body); records what it got."""

    base: str
    script: list[Reply] = field(default_factory=list)
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def answer(self, *responses: Reply) -> None:
        self.script[:] = list(responses)
        self.seen.clear()


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    """A local HTTP server playing Istok's part of the protocol: the statuses, `Retry-After` and
    problem+json bodies the client must cope with, which the real app sends only under load."""
    state = Scripted(base="")

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            state.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            status, headers, body = state.script.pop(0) if state.script else (500, {}, {"title": "script ended"})
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            kind = "text/html" if isinstance(body, str) else "application/json"
            if status >= 400 and not isinstance(body, str):
                kind = "application/problem+json"
            self.send_header("Content-Type", headers.pop("Content-Type", kind))
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _reply

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()

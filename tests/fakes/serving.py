"""What every fake outside service does alike: serve on a free local port, and wait for what it was sent.

The HTTP fakes (Telegram, WhatsApp, Viber, Chatwoot) are Starlette apps run by uvicorn in a
thread of the test process, so a test reads what they recorded directly; the SMSC is raw TCP and
serves itself, but waits for its submissions the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import uvicorn
from starlette.types import ASGIApp

from tests.api.conftest import free_port

T = TypeVar("T")
POLL = 0.05  # seconds between two looks at what a fake recorded


def wait_for_count(snapshot: Callable[[], list[T]], count: int, what: str, *, timeout: float = 30.0) -> list[T]:
    """Wait until `snapshot()` holds `count` items; those items, or an AssertionError naming `what`.

    `snapshot` copies the fake's list under its lock: the fake's server thread appends meanwhile.
    """
    deadline = time.monotonic() + timeout
    while True:
        items = snapshot()
        if len(items) >= count:
            return items
        if time.monotonic() >= deadline:
            raise AssertionError(f"{len(items)} {what}, not {count}: {items}")
        time.sleep(POLL)


@contextlib.contextmanager
def serving(app: ASGIApp, *, name: str, beside: Callable[[], Coroutine[Any, Any, None]] | None = None) -> Iterator[str]:
    """`app` served on a free port of 127.0.0.1 for the block's duration; its base URL.

    `beside` runs on the server's event loop until the block ends: the service's own side that
    calls the adapter (webhook deliveries), which must not wait on the test's thread.
    """
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))

    async def serve() -> None:
        task = asyncio.ensure_future(beside()) if beside is not None else None
        try:
            await server.serve()
        finally:
            if task is not None:
                task.cancel()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:  # set once the socket listens: from then on it answers
        if time.monotonic() >= deadline or not thread.is_alive():
            raise RuntimeError(f"{name} did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

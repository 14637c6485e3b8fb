"""Request size limit: a body over 1 MiB is refused before it is read into memory."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.problems import problem

MAX_BODY = 1024 * 1024
#: Paths that take larger bodies: image uploads (kb.MAX_IMAGE_BYTES, plus a multipart envelope).
LARGER_BODIES = {"/api/v1/assets": 10 * 1024 * 1024 + 65536, "/admin/assets": 10 * 1024 * 1024 + 65536}


class BodyLimit:
    """ASGI middleware: 413 for a declared or streamed body larger than MAX_BODY.

    A declared Content-Length is checked before anything is read (the server delivers no
    more than it declares). A body without one (Transfer-Encoding: chunked) is read here,
    at most MAX_BODY bytes of it, before the app runs, and handed over again: refusing it
    halfway through the app would let the app's own body parser turn the refusal into a 400.
    """

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = max(self.max_body, LARGER_BODIES.get(scope.get("path", ""), 0))
        declared = headers.get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > limit:
                await self._refuse(scope, receive, send, limit)
                return
            await self.app(scope, receive, send)
            return
        if b"transfer-encoding" not in headers:  # neither header: no body at all (RFC 9112 6.3), nothing to read
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > limit:
                await self._refuse(scope, receive, send, limit)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, replaying(messages, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(413, "body-too-large", "Body too large", f"the request body is over {limit} bytes")
        await response(scope, receive, send)


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that hands over the messages already read, then the server's own."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay

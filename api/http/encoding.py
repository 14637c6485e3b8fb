"""Text that is not Unicode is refused with 422 at the door, once for every route.

JSON lets a client escape half of a surrogate pair (`"\\ud800"`). Python decodes it into a
`str` that no UTF-8 encoder accepts, so it used to travel until the first database driver,
index or response serialiser choked on it: a 500, on some routes and one database only.
Percent-escaped bytes that are not UTF-8 (in a path, a query or a form) Starlette quietly
turns into U+FFFD, so the engine and the store would see other text than was sent.

One pure ASGI middleware checks the raw request before any route parses it: the path, the
query string, and bodies that are JSON (or unlabelled, which a handler may still read as
JSON) or form-encoded. Headers need no check: Starlette decodes them as Latin-1, which always gives
valid code points, and the HTTP parser refuses control bytes in them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import unquote_to_bytes

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.limits import replaying
from api.http.problems import problem

Location = tuple[str | int, ...]
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: A `\u` escape in the surrogate range; only bodies holding one need a full parse.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class WellFormedText:
    """ASGI middleware: 422 problem+json when the path, query or body holds text that is not Unicode."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fault = url_fault(scope)
        if fault is None and scope["method"] in _WITH_BODY:
            body, receive = await _buffered(receive)
            fault = body_fault(body, _content_type(scope))
        if fault is not None:
            await _refuse(*fault)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def url_fault(scope: Scope) -> tuple[Location, str] | None:
    """Where the path or the query string, once percent-decoded, is not UTF-8."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    if not _is_utf8(unquote_to_bytes(raw_path)):
        return ("path",), "the path is not valid Unicode (UTF-8)"
    query: bytes = scope.get("query_string", b"")
    if not _form_is_utf8(query):
        return ("query",), "a query parameter is not valid Unicode (UTF-8)"
    return None


def body_fault(body: bytes, content_type: str) -> tuple[Location, str] | None:
    """Where a JSON or form body holds text that is not Unicode; other media are left to their routes."""
    if not body:
        return None
    if content_type == "application/x-www-form-urlencoded":
        return None if _form_is_utf8(body) else (("body",), "the form is not valid Unicode (UTF-8)")
    if content_type and not _is_json(content_type):
        return None
    if not _is_utf8(body):
        return ("body",), "the body is not valid Unicode (JSON is UTF-8, RFC 8259)"
    if not _SURROGATE_ESCAPE.search(body):
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None  # not JSON at all: FastAPI reports that itself
    found = first_lone_surrogate(document)
    return None if found is None else (("body", *found), "a lone surrogate (\\ud800-\\udfff) is not valid Unicode")


def first_lone_surrogate(document: object) -> Location | None:
    """The location of the first string or key in a parsed JSON document that cannot be UTF-8.

    Iterative, so a deeply nested document cannot exhaust the stack here.
    """
    for location, text in _strings(document):
        if not _encodes(text):
            return tuple(_printable(part) for part in location)
    return None


def _strings(document: object) -> Iterator[tuple[Location, str]]:
    """Every string of a JSON document with its location; a key is reported at its own location."""
    pending: list[tuple[Location, object]] = [((), document)]
    while pending:
        location, node = pending.pop()
        if isinstance(node, str):
            yield location, node
        elif isinstance(node, dict):
            for key, value in reversed(node.items()):
                pending.append(((*location, key), value))
                pending.append(((*location, key), key))  # popped first: a key before its value
        elif isinstance(node, list):
            pending.extend(((*location, i), item) for i, item in reversed(list(enumerate(node))))


def _printable(part: str | int) -> str | int:
    """A location part that can itself go into the JSON problem (a bad key, escaped)."""
    return part if isinstance(part, int) else part.encode("utf-8", "backslashreplace").decode("utf-8")


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _form_is_utf8(raw: bytes) -> bool:
    """A query string or form body: `+` is a space, `%XX` a byte; the bytes must be UTF-8."""
    return _is_utf8(unquote_to_bytes(raw.replace(b"+", b" ")))


def _is_json(content_type: str) -> bool:
    """The media types FastAPI parses as JSON: `application/json` and `application/*+json`."""
    main, _, sub = content_type.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            return str(value.decode("latin-1").partition(";")[0].strip().lower())
    return ""


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole body, and give the app a `receive` that hands it over again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"", replaying([message], receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, replaying([{"type": "http.request", "body": body, "more_body": False}], receive)


def _refuse(location: Location, message: str) -> JSONResponse:
    """The same problem as a failed validation (api.http.problems), so clients handle one shape."""
    where = ".".join(map(str, location))
    errors = [{"loc": list(location), "msg": message}]
    return problem(422, "invalid-request", "Invalid request", f"{where}: {message}", errors=errors)

"""Only the host names Istok is known by (ISTOK_ALLOWED_HOSTS) may reach it.

Without ISTOK_PUBLIC_URL, canonical links, the sitemap and the widget's links are built from
the request's `Host`, and those answers are cacheable: a forged `Host` fetched through a CDN
would poison them for everyone. Requests naming another host get 400 before any route runs
(problem+json under `/api/`, plain text elsewhere). Patterns work as in Starlette's
TrustedHostMiddleware: `*.example.com` matches every subdomain of example.com, `*` any host.
A request with no `Host` at all (HTTP/1.0) is let through: Starlette then uses the address
the server listens on, which no client can forge.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.http.problems import problem


class AllowedHosts:
    """ASGI middleware: 400 for a `Host` header outside the allowed names."""

    def __init__(self, app: ASGIApp, hosts: Iterable[str]) -> None:
        self.app = app
        self.hosts = tuple(h.lower() for h in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = _host_header(scope)
        if header is None or host_allowed(host_name(header), self.hosts):
            await self.app(scope, receive, send)
            return
        await _refusal(scope["path"], header)(scope, receive, send)


def host_name(header: str) -> str:
    """The name in a `Host` header without its port: `[::1]:8000` → `::1`, `Example.com:80` → `example.com`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.partition(":")[0]


def host_allowed(name: str, patterns: Iterable[str]) -> bool:
    """Whether `name` is one of `patterns` (exact names, `*.domain` suffixes, or `*`)."""
    for pattern in patterns:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


def _host_header(scope: Scope) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == b"host":
            return str(value.decode("latin-1"))
    return None


def _refusal(path: str, header: str) -> Response:
    shown = header.encode("ascii", "backslashreplace").decode("ascii")[:200]
    detail = f"this server is not known as {shown!r}; allowed hosts are set by ISTOK_ALLOWED_HOSTS"
    if path.startswith("/api/"):
        return problem(400, "invalid-host", "Invalid host", detail)
    return PlainTextResponse(f"Invalid host header: {detail}\n", status_code=400)

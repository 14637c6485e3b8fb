"""HTTP methods: HEAD wherever GET works, and an honest `Allow` on every 405.

Crawlers, CDNs and uptime checks probe with HEAD, so every GET route (API, pages,
`/sitemap.xml`, static files) answers it with exactly the status and headers GET would
send, and no body. Routes declare GET only; this module is the one place HEAD is added.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """ASGI middleware: a HEAD request runs as the GET it stands for, and its body is dropped.

    The status and every header of the GET response are kept as they are (Content-Length
    included, which describes the body GET would send), so a 304 for HEAD with
    If-None-Match comes from the same conditional-GET code as for GET.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        inner = {**scope, "method": "GET"}  # a copy: the server must still see HEAD on its own scope

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(inner, receive, without_body)
        finally:
            if "route" in inner:  # the metrics outside label requests by the route that served them
                scope["route"] = inner["route"]


#: The methods any route of ours declares; HEAD follows GET, the rest are never served.
ROUTE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route serves at the scope's path, HEAD wherever GET is (for `Allow`).

    Each route is asked through `matches()` alone, which every kind of route (FastAPI's
    included routers among them) answers, so nested routers need no walking here.
    """
    methods: set[str] = set()
    root = scope.get("app_root_path", scope.get("root_path", ""))  # inside /static, the app's own root
    for route in routes:
        for method in ROUTE_METHODS:
            match, _child = route.matches({**scope, "method": method, "root_path": root})
            if match is Match.FULL:
                methods.add("GET" if isinstance(route, Mount) else method)  # the mount is /static: files only
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)

"""Prometheus metrics: requests and latency per route, answers by status and channel, index lag.

Counted per process; with several workers each reports its own (scrape each, or run
one worker per container as is usual behind a load balancer). With ISTOK_METRICS_TOKEN set
a scraper must send it as `Authorization: Bearer <token>`; unset, /metrics is open, for a
scraper on a private network.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import kb
from api.http.problems import problem

registry = CollectorRegistry()
REQUESTS = Counter(
    "istok_http_requests_total",
    "HTTP requests by route, method and status",
    ["route", "method", "status"],
    registry=registry,
)
LATENCY = Histogram(
    "istok_http_request_duration_seconds",
    "HTTP request latency by route",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=registry,
)
ANSWERS = Counter(
    "istok_answers_total", "Answers given, by status and channel", ["status", "channel"], registry=registry
)
INDEX_LAG = Gauge(
    "istok_index_lag_sequences", "Publication-log entries the search index has not applied yet", registry=registry
)


def _route_of(scope: Scope) -> str:
    """The route template (`/api/v1/articles/{locale}/{key}`), so labels stay few."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


class _Measure:
    """Pure ASGI middleware (no per-request task or body buffering, unlike @app.middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = _route_of(scope)
            LATENCY.labels(route, scope["method"]).observe(time.perf_counter() - started)
            REQUESTS.labels(route, scope["method"], str(status)).inc()


def bearer_matches(authorization: str | None, token: str) -> bool:
    """Whether an `Authorization` header carries `token`, compared in constant time."""
    scheme, _, given = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def install_metrics(app: FastAPI, index_lag: Callable[[], int] | None = None) -> None:
    app.add_middleware(_Measure)
    token = kb.load_settings().metrics_token

    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        if token and not bearer_matches(request.headers.get("authorization"), token):
            refused = problem(401, "unauthorized", "Unauthorized", "/metrics needs the ISTOK_METRICS_TOKEN as a bearer")
            refused.headers["WWW-Authenticate"] = 'Bearer realm="istok-metrics"'
            return refused
        if index_lag is not None:
            INDEX_LAG.set(index_lag())
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

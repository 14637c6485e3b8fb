"""Prometheus metrics: requests and latency per route, answers by status and channel, index lag.

Counted per process; with several workers each reports its own (scrape each, or run
one worker per container as is usual behind a load balancer).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

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


def _route_of(request: Request) -> str:
    """The route template (`/api/v1/articles/{locale}/{key}`), so labels stay few."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


def install_metrics(app: FastAPI, index_lag: Callable[[], int] | None = None) -> None:
    @app.middleware("http")
    async def _measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = _route_of(request)
        LATENCY.labels(route, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        return response

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        if index_lag is not None:
            INDEX_LAG.set(index_lag())
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

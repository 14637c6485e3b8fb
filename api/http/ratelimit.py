"""Request budgets per API key and per client address for the answer and search routes.

A flood of questions exhausts CPU; ISTOK_RATE_LIMIT sets requests per second, with bursts of
twice that: a moving window of `2 × rate` requests in any 2 seconds (at least one request per
`1 / rate` seconds for rates under 0.5). The counts live in `api.http.limitstore`: shared by
the replicas through Redis when ISTOK_REDIS_URL is set, per process otherwise.
"""

from __future__ import annotations

import math
import os
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from starlette.concurrency import run_in_threadpool

import kb
from api.http.limitstore import store


class RateLimited(kb.IstokError):
    status = 429
    slug = "rate-limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; try again in {retry_after} s")
        self.retry_after = retry_after


def request_budget(per_second: float) -> RateLimitItem:
    """The window that lets `per_second` requests through on average, twice that in a burst."""
    if per_second <= 0:
        raise ValueError(f"ISTOK_RATE_LIMIT must be above 0, not {per_second}")
    amount = max(1, round(per_second * 2))
    return RateLimitItemPerSecond(amount, max(1, round(amount / per_second)))


_budget = request_budget(float(os.environ.get("ISTOK_RATE_LIMIT", "200")))


def check_rate(*names: str) -> None:
    """Count one request against each named budget; RateLimited (429 with Retry-After) if any is spent.

    It talks to Redis when one is configured: from async code, call it in the thread pool.
    """
    full = [name for name in names if not store.hit(_budget, name)]
    if full:
        wait = max(store.free_at(_budget, name) for name in full) - time.time()
        raise RateLimited(max(1, math.ceil(wait)))


async def check_rate_async(*names: str) -> None:
    """`check_rate` for async routes: in the thread pool when it may wait on Redis, else at once.

    Counting in memory takes microseconds; a hop to the thread pool and back for it would cost
    more than the cached answer it guards.
    """
    if store.configured:
        await run_in_threadpool(check_rate, *names)
    else:
        check_rate(*names)

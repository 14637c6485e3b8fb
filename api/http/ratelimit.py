"""Token buckets per API key and per client address for the answer and search routes.

In memory, per process: a limit protects this process's CPU, which is what a flood
of questions exhausts. ISTOK_RATE_LIMIT sets requests per second (burst: twice that).
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass

import kb


class RateLimited(kb.IstokError):
    status = 429
    slug = "rate-limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    def __init__(self, per_second: float) -> None:
        self.rate = per_second
        self.burst = max(1.0, per_second * 2)
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def wait_time(self, name: str, now: float | None = None) -> float:
        """Take one token from `name`'s bucket: 0 if there was one, else seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = self._buckets[name] = _Bucket(self.burst, now)
                if len(self._buckets) > 100_000:  # forget idle clients rather than grow forever
                    self._buckets = {name: bucket}
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
            bucket.stamp = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate


_limiter = RateLimiter(float(os.environ.get("ISTOK_RATE_LIMIT", "200")))


def check_rate(*names: str) -> None:
    """Raise RateLimited (429 with Retry-After) if any of the named buckets is empty."""
    wait = max(_limiter.wait_time(name) for name in names)
    if wait > 0:
        raise RateLimited(max(1, math.ceil(wait)))

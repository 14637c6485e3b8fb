"""Where every rate limit of this process keeps its counts: Redis when configured, else memory.

Replicas behind one load balancer must agree on a budget, or each would grant a client its
own share of it: with ISTOK_REDIS_URL set, every limit (answer and search requests, sign-in
attempts) counts in that Redis, under a prefix per deployment (a digest of the database URL,
which every replica of one deployment names), so several deployments can share one Redis.
Without it the counts are per process.

Redis going away must not take answers with it: a failed call falls back to per-process
counts for every limit, logs that once, shows it in `/healthz`, and Redis is asked again
every `PROBE_INTERVAL` seconds; once it answers, the shared counts are used again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import redis
from limits import RateLimitItem
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.engine import make_url

import kb

#: Seconds between attempts to reach Redis again while the counts are per process.
PROBE_INTERVAL = 2.0
#: A Redis call waits at most this long: the limits sit in front of every answer.
REDIS_TIMEOUT = 0.5

logger = logging.getLogger("istok.limits")
_T = TypeVar("_T")


class BadRedisUrl(kb.IstokError):
    status = 500
    slug = "bad-redis-url"


@dataclass(frozen=True)
class LimitsStatus:
    """What `/healthz` says of the rate limits."""

    storage: str  # "redis" or "memory"
    shared: bool  # the counts are shared with the other replicas right now
    detail: str


class LimitStore:
    """Moving-window counts in Redis (when given a URL) with per-process counts as the fallback."""

    def __init__(self, redis_url: str = "", *, prefix: str = "istok") -> None:
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._redis: RedisStorage | None = None
        self._shared: MovingWindowRateLimiter | None = None
        self._where = ""
        if redis_url:
            try:
                self._redis = RedisStorage(
                    redis_url,
                    key_prefix=prefix,
                    wrap_exceptions=True,
                    socket_timeout=REDIS_TIMEOUT,
                    socket_connect_timeout=REDIS_TIMEOUT,
                )
            except (ConfigurationError, ValueError) as exc:
                raise BadRedisUrl(f"ISTOK_REDIS_URL is not a Redis URL (redis://host:port/db): {exc}") from exc
            self._shared = MovingWindowRateLimiter(self._redis)
            self._where = make_url(redis_url).render_as_string(hide_password=True)
        self._lock = threading.Lock()
        self._up: bool | None = None  # None: not asked yet
        self._next_probe = 0.0
        self._problem = ""

    @property
    def configured(self) -> bool:
        """Whether a Redis was asked for (ISTOK_REDIS_URL), reachable or not."""
        return self._shared is not None

    def hit(self, item: RateLimitItem, name: str) -> bool:
        """Count one for `name` under `item`; False (nothing counted) when its window is full."""
        return self._run(lambda limiter: limiter.hit(item, name))

    def allows(self, item: RateLimitItem, name: str) -> bool:
        """Whether one more would fit in `name`'s window, counting nothing."""
        return self._run(lambda limiter: limiter.test(item, name))

    def free_at(self, item: RateLimitItem, name: str) -> float:
        """The wall-clock time (`time.time()`) at which `name`'s window next has room."""
        return self._run(lambda limiter: float(limiter.get_window_stats(item, name).reset_time))

    def status(self) -> LimitsStatus:
        """Where the counts are now; asks Redis again first if it was away and a probe is due."""
        if self._shared is None:
            return LimitsStatus("memory", False, "per process: ISTOK_REDIS_URL is not set")
        if self._limiter(verify=True) is self._shared:
            return LimitsStatus("redis", True, f"shared through {self._where}")
        return LimitsStatus(
            "memory", False, f"per process: Redis at {self._where} is unreachable ({self._problem}); retrying"
        )

    def _run(self, call: Callable[[MovingWindowRateLimiter], _T]) -> _T:
        limiter = self._limiter()
        if limiter is self._local:
            return call(limiter)
        try:
            return call(limiter)
        except StorageError as exc:
            self._went_away(exc.storage_error)
            return call(self._local)

    def _limiter(self, *, verify: bool = False) -> MovingWindowRateLimiter:
        """Redis's limiter while it answers; the per-process one while it does not.

        Traffic finds out that Redis went away by a failed call; `verify` (for `/healthz`, which
        may come while no traffic does) asks it at most every `PROBE_INTERVAL` seconds.
        """
        if self._shared is None or self._redis is None:
            return self._local
        if self._up and not verify:
            return self._shared
        now = time.monotonic()
        with self._lock:
            if now < self._next_probe:
                return self._shared if self._up else self._local
            self._next_probe = now + PROBE_INTERVAL
        try:
            self._redis.get_connection().ping()
        except (redis.RedisError, OSError) as exc:
            self._went_away(exc)
            return self._local
        self._came_back()
        return self._shared

    def _went_away(self, error: Exception) -> None:
        with self._lock:
            was_up = self._up is not False
            self._up = False
            self._next_probe = max(self._next_probe, time.monotonic() + PROBE_INTERVAL)
            self._problem = str(error) or type(error).__name__
        if was_up:
            logger.warning(
                "rate limits are per process: Redis at %s is unreachable (%s); retrying every %.0f s",
                self._where,
                self._problem,
                PROBE_INTERVAL,
            )

    def _came_back(self) -> None:
        with self._lock:
            was_down = self._up is False
            self._up = True
            self._problem = ""
        if was_down:
            logger.warning("rate limits are shared again through Redis at %s", self._where)


def deployment_prefix(database_url: str) -> str:
    """The Redis key prefix of one deployment: the same on every replica naming the same database."""
    url = make_url(database_url).render_as_string(hide_password=True)
    return f"istok:{hashlib.sha1(url.encode()).hexdigest()[:12]}"


def _from_settings() -> LimitStore:
    url = os.environ.get("ISTOK_REDIS_URL", "").strip()
    return LimitStore(url, prefix=deployment_prefix(kb.load_settings().database_url)) if url else LimitStore()


#: The one store of this process: every limit counts here.
store = _from_settings()

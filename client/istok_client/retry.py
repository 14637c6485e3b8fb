"""When to send a request again after 429 or 503, and how long to wait first.

The server says how long with `Retry-After` (RFC 9110 section 10.2.3: delay-seconds or an
HTTP-date); the client waits exactly that, without jitter, since the server chose it. Without the
header it backs off exponentially with jitter, so that many adapters refused at once do not come
back at once. Waits are bounded: a server asking for longer than `max_wait` gets its error raised
at once (with `retry_after` on it) rather than a caller blocked for minutes.

Which requests may be repeated is the endpoint's business (`Endpoint.retry_on`): RFC 9110 section
9.2.2 makes GET, HEAD, PUT and DELETE idempotent, so they retry on 429 and on 503. Istok has no
`Idempotency-Key` header anywhere, so a POST or PATCH is never repeated after 503, which a server
may send after doing part of the work; it is repeated after 429, which Istok's rate limit answers
before the request is handled at all (the limit is a route dependency, run before the handler).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from dataclasses import dataclass

IDEMPOTENT = frozenset({429, 503})
REFUSED_ONLY = frozenset({429})


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How many times to try a request, and the bounds of each wait between tries."""

    attempts: int = 3  # tries in all, the first included; 1 turns retrying off
    max_wait: float = 30.0  # seconds: never wait longer than this between two tries
    backoff: float = 0.5  # seconds: the first wait when the server names none, doubled each time

    def delay(self, *, status: int, retry_after: str | None, retry_on: frozenset[int], attempt: int) -> float | None:
        """Seconds to wait before try `attempt + 1` (0-based `attempt` just answered), or None to stop."""
        if status not in retry_on or attempt + 1 >= self.attempts:
            return None
        asked = retry_after_seconds(retry_after) if retry_after is not None else None
        if asked is not None:
            return asked if asked <= self.max_wait else None
        ceiling = min(self.max_wait, self.backoff * 2.0**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # "equal jitter": at least half the step


def retry_after_seconds(value: str, *, now: dt.datetime | None = None) -> float | None:
    """A `Retry-After` value in seconds from now (0 for a date past), or None if it is neither form."""
    value = value.strip()
    if value.isdigit():  # delay-seconds = 1*DIGIT
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)  # IMF-fixdate, and the obsolete forms RFC 9110 allows
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 section 5.6.7: HTTP-dates are UTC ("GMT")
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())

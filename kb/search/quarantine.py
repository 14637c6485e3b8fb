"""Published units this process could not analyse: kept out of the index, named, never fatal.

One stored revision that cannot be parsed (written before a limit existed, or hitting a
bug) must not stop start-up or the index sync, nor take any other unit with it. Such a
unit is left out of search and answers, logged once with its key, locale and revision,
and listed here for `/healthz` and the admin until a later revision of it loads.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Quarantined:
    """One unit left out, and why."""

    key: str
    locale: str
    revision: int
    reason: str
    since: datetime

    @property
    def uid(self) -> str:
        return f"{self.locale}/{self.key}"


@dataclass(frozen=True)
class Failure:
    """What a worker (perhaps another process) reports about a unit it could not analyse."""

    key: str
    locale: str
    revision: int
    reason: str


def describe(exc: BaseException) -> str:
    """A short reason for an operator: the error's type and its first line."""
    text = str(exc).strip().split("\n", 1)[0]
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


class Quarantine:
    """The units left out of this process's index, by uid."""

    def __init__(self) -> None:
        self._units: dict[str, Quarantined] = {}
        self._lock = threading.Lock()

    def add(self, failure: Failure) -> None:
        uid = f"{failure.locale}/{failure.key}"
        with self._lock:
            known = self._units.get(uid)
            if known is not None and known.revision == failure.revision:
                return
            self._units[uid] = Quarantined(
                failure.key, failure.locale, failure.revision, failure.reason, datetime.now(UTC)
            )
        logger.error(
            "unit %s revision %d quarantined (left out of search and answers): %s",
            uid,
            failure.revision,
            failure.reason,
        )

    def release(self, uids: set[str]) -> None:
        """These units loaded again (or are no longer live)."""
        with self._lock:
            for uid in uids & self._units.keys():
                logger.info("unit %s is out of quarantine", uid)
                del self._units[uid]

    def clear(self) -> None:
        with self._lock:
            self._units.clear()

    def units(self) -> list[Quarantined]:
        with self._lock:
            return sorted(self._units.values(), key=lambda q: q.uid)

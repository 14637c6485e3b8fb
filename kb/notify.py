"""Publishes seen by every process at once: PostgreSQL LISTEN/NOTIFY on the publication log.

Whatever moves the log's sequence (`kb.events.reserve_seqs`: publish, unpublish,
rollback, fact changes, bulk publishing) and every synonym change calls `announce()`,
which queues `pg_notify('istok_log', payload)` in the caller's transaction: PostgreSQL
delivers it only if that transaction commits, after the commit is visible, and drops it
with a rolled-back savepoint. On SQLite it does nothing.

Each serving process runs one `Listener`: a thread with its own autocommit connection,
opened from the index's database URL (ISTOK_DATABASE_URL), never taken from the pool,
because a pooled or transaction-pooling proxy's connection forgets its LISTEN. A
notification wakes the index's own catch-up (`SearchIndex.sync`, by sequence number: the
same path the poll takes), which moves the live snapshot and the answer caches with it.
After a lost connection it reconnects with backoff, listens again and then catches up
from the log, so nothing published meanwhile is missed. Polling every ISTOK_INDEX_POLL
seconds stays as the fallback, and is the only path on SQLite or with ISTOK_LISTEN=0.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

if TYPE_CHECKING:
    from kb.search.index import SearchIndex

#: The channel every process listens on.
CHANNEL = "istok_log"
#: The payload of a synonym change (the log's entries carry their sequence number instead).
SYNONYMS = "synonyms"
#: How long one wait for notifications lasts before the stop flag is looked at again.
WAIT = 0.5
#: Past this many quiet seconds the connection is checked (re-issuing LISTEN, a no-op) so a
#: silently dead one is noticed and replaced.
IDLE_CHECK = 10.0
#: The first and the longest wait before reconnecting; it doubles after each failed try.
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 5.0

logger = logging.getLogger(__name__)


def announce(session: Session, payload: int | str) -> None:
    """Tell every listening process, once this transaction commits, that `payload` changed.

    `payload` is the newest log sequence the transaction took, or SYNONYMS.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(sa.select(sa.func.pg_notify(CHANNEL, str(payload))))


@dataclass(frozen=True)
class ListenerState:
    """How this process learns of publishes: `listen` (NOTIFY, poll as fallback) or `poll` only."""

    mode: str
    connected: bool
    detail: str
    reconnects: int = 0
    notifications: int = 0


def conninfo(url: sa.URL) -> str:
    """A libpq connection string for an SQLAlchemy PostgreSQL URL (`postgresql+psycopg://…`)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Listener:
    """One process's LISTEN connection and the thread that waits on it (see the module docstring)."""

    def __init__(self, index: SearchIndex, *, enabled: bool = True) -> None:
        self.index = index
        url = index.engine.url
        self._why_off = ""
        if url.get_backend_name() != "postgresql":
            self._why_off = f"{url.get_backend_name()}: every process polls the log"
        elif not enabled:
            self._why_off = "ISTOK_LISTEN=0: every process polls the log"
        self._conninfo = conninfo(url)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connected = False
        self._detail = "not started"
        self._reconnects = 0
        self._notifications = 0
        self._pid: int | None = None

    @property
    def enabled(self) -> bool:
        return not self._why_off

    def start(self) -> None:
        """Start listening (no-op on SQLite, when turned off, or when already running)."""
        if not self.enabled or (self._thread is not None and self._thread.is_alive()):
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="istok-listener", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread; its connection closes within about WAIT seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def state(self) -> ListenerState:
        if not self.enabled:
            return ListenerState(mode="poll", connected=False, detail=self._why_off)
        with self._lock:
            return ListenerState(
                mode="listen",
                connected=self._connected,
                detail=self._detail,
                reconnects=self._reconnects,
                notifications=self._notifications,
            )

    def wait_connected(self, timeout: float) -> bool:
        """Whether the listener is connected within `timeout` seconds (for a caller that needs it now)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state().connected:
                return True
            time.sleep(0.02)
        return self.state().connected

    # ---- the thread --------------------------------------------------------------

    def _run(self) -> None:
        delay = BACKOFF_FIRST
        first = True
        while not self._stop.is_set():
            try:
                self._listen(reconnect=not first)
                return  # stopped
            except Exception as exc:  # any failure (connection, catch-up): start over after a pause
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                with self._lock:
                    if self._connected or first:
                        logger.warning("listener for %s lost (%s); polling until it reconnects", CHANNEL, reason)
                    self._connected = False
                    self._detail = f"disconnected ({reason}); reconnecting in {delay:.1f} s, polling meanwhile"
            first = False
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, BACKOFF_MAX)

    def _listen(self, *, reconnect: bool) -> None:
        import psycopg  # here, not at the top: a process on SQLite never loads the driver

        with psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=5,
            application_name="istok-listener",
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        ) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self.index.sync()  # whatever was published while nobody here listened
            with self._lock:
                self._connected = True
                self._pid = conn.info.backend_pid
                self._detail = f"listening on {CHANNEL!r} (backend {self._pid})"
                if reconnect:
                    self._reconnects += 1
            quiet_since = time.monotonic()
            while not self._stop.is_set():
                payloads = [n.payload for n in conn.notifies(timeout=WAIT, stop_after=1)]
                if payloads:
                    quiet_since = time.monotonic()
                    with self._lock:
                        self._notifications += len(payloads)
                    if any(self._is_news(p) for p in payloads):
                        self.index.sync()
                elif time.monotonic() - quiet_since >= IDLE_CHECK:
                    conn.execute(f"LISTEN {CHANNEL}")  # a round trip: raises if the connection died quietly
                    quiet_since = time.monotonic()

    def _is_news(self, payload: str) -> bool:
        """A synonym change, or a sequence this process's index has not applied yet."""
        return not payload.isdigit() or int(payload) > self.index.seq

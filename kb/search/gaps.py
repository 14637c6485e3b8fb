"""Content gaps: questions the answer engine could not answer with confidence, counted for editors.

Answering must stay fast, so a gap is only noted in memory on the answering path and
written in batches (one upsert per distinct question) by `flush()`, which the index
calls from a background thread every second, on `sync()`, and on close. The same
question from the same channel adds to one row's count: editors see the most frequent
gaps first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from kb.models import ContentGap, utcnow
from kb.types import ArticleKey, ChannelName, Locale

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Gap:
    """One noted question: its folded form, as typed, where, and the best guess we had."""

    normalised: str
    question: str
    locale: Locale
    channel: ChannelName
    best_key: ArticleKey | None
    best_confidence: float | None


class GapLog:
    """Gaps noted since the last flush, merged by (normalised, locale, channel)."""

    def __init__(self, engine: sa.Engine, *, interval: float = 1.0) -> None:
        self._engine = engine
        self._pending: dict[tuple[str, str, str], tuple[Gap, int]] = {}
        self._lock = threading.Lock()
        self._interval = interval
        self._thread: threading.Thread | None = None

    def note(self, gap: Gap) -> None:
        if not gap.normalised:
            return
        key = (gap.normalised, gap.locale[:16], gap.channel[:32])
        with self._lock:
            count = self._pending.get(key, (gap, 0))[1]
            self._pending[key] = (gap, count + 1)
            if self._thread is None:
                self._thread = threading.Thread(target=self._flush_forever, name="istok-gaps", daemon=True)
                self._thread.start()

    def _flush_forever(self) -> None:
        """The background writer: a failed write is retried on the next round, never raised."""
        while True:
            time.sleep(self._interval)
            try:
                self.flush()
            except Exception:  # the database may be briefly away; the gaps wait in memory
                logger.warning("could not write content gaps; will retry", exc_info=True)

    def pending(self) -> int:
        with self._lock:
            return sum(n for _, n in self._pending.values())

    def flush(self) -> int:
        """Write every noted gap; returns how many questions were written."""
        with self._lock:
            batch, self._pending = list(self._pending.values()), {}
        if not batch:
            return 0
        try:
            return self._write(batch)
        except Exception:
            with self._lock:  # put them back, merged with what came meanwhile
                for gap, n in batch:
                    key = (gap.normalised, gap.locale[:16], gap.channel[:32])
                    self._pending[key] = (gap, self._pending.get(key, (gap, 0))[1] + n)
            raise

    def _write(self, batch: list[tuple[Gap, int]]) -> int:
        now = utcnow()
        rows = [
            {
                "normalised": g.normalised[:500],
                "question": g.question[:500],
                "locale": g.locale[:16],
                "channel": g.channel[:32],
                "count": n,
                "best_key": g.best_key,
                "best_confidence": g.best_confidence,
                "first_seen": now,
                "last_seen": now,
            }
            for g, n in batch
        ]
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        table = ContentGap.__table__  # type: ignore[attr-defined]
        stmt = dialect.insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["normalised", "locale", "channel"],
            set_={
                "count": table.c["count"] + stmt.excluded["count"],
                "question": stmt.excluded.question,
                "best_key": stmt.excluded.best_key,
                "best_confidence": stmt.excluded.best_confidence,
                "last_seen": stmt.excluded.last_seen,
            },
        )
        bind = self._engine
        if bind.dialect.name == "sqlite":
            bind = bind.execution_options(sqlite_begin="BEGIN IMMEDIATE")
        rows.sort(key=lambda r: (r["normalised"], r["locale"], r["channel"]))  # one lock order for every writer
        with bind.begin() as conn:
            conn.execute(stmt, rows)  # one executemany: the answering threads share the GIL with this one
        return sum(n for _, n in batch)


def list_gaps(
    *, session: Session, locale: Locale | None = None, channel: ChannelName | None = None, limit: int = 100
) -> Sequence[ContentGap]:
    """Content gaps, most frequent first, then most recent."""
    stmt = select(ContentGap).order_by(col(ContentGap.count).desc(), col(ContentGap.last_seen).desc())
    if locale:
        stmt = stmt.where(ContentGap.locale == locale)
    if channel:
        stmt = stmt.where(ContentGap.channel == channel)
    return list(session.exec(stmt.limit(limit)))

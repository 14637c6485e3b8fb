"""Content gaps: questions the answer engine could not answer with confidence, counted for editors.

Answering must stay fast, so a gap is only noted in memory on the answering path and
written in batches (one upsert per distinct question) by `flush()`, which the index
calls from a background thread every second, on `sync()`, and on close. The same
question from the same channel adds to one row's count: editors see the most frequent
gaps first.

Client words are masked (`kb.pii.mask_personal`) when written, in the writer thread, so
no phone, e-mail, card or document number reaches the table and the answering path pays
nothing for it. A question asked on behalf of a contact (the answer API's `contact=` or
`identity=`) is a row of its own carrying the contact's id, so erasing the contact deletes
exactly its words (`forget_gaps`); `list_gaps` (kb/search/gap_states.py, with editors' dismissals
and merges) adds the rows of one question up again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from kb import outbox
from kb.db import write_session
from kb.models import ContentGap, utcnow
from kb.pii import mask_personal
from kb.search.gap_states import forget_states
from kb.search.text import clean_question
from kb.types import ArticleKey, ChannelName, Locale

logger = logging.getLogger(__name__)
#: What a `gap.logged` event holds (the question is masked already; kb/webhooks/payloads.py keeps it staff-only).
_GAP_EVENT_FIELDS = ("question", "locale", "channel", "best_key", "best_confidence", "contact_id")


@dataclass(frozen=True, slots=True)
class Gap:
    """One noted question: its folded form, as typed, where, the best guess we had, and who asked."""

    normalised: str
    question: str
    locale: Locale
    channel: ChannelName
    best_key: ArticleKey | None
    best_confidence: float | None
    contact_id: int | None = None

    @property
    def key(self) -> tuple[str, str, str, int | None]:
        return (self.normalised, self.locale[:16], self.channel[:32], self.contact_id)


class GapLog:
    """Gaps noted since the last flush, merged by (normalised, locale, channel, contact)."""

    def __init__(self, engine: sa.Engine, *, interval: float = 1.0) -> None:
        self._engine = engine
        self._pending: dict[tuple[str, str, str, int | None], tuple[Gap, int]] = {}
        self._lock = threading.Lock()
        self._interval = interval
        self._thread: threading.Thread | None = None
        self._writing = threading.Lock()

    def note(self, gap: Gap) -> None:
        if not gap.normalised:
            return
        key = gap.key
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
        """Write every noted gap; returns how many questions were written.

        One flush at a time: a reader that flushes before listing the gaps waits for the
        background writer's batch to land instead of finding nothing pending and reading too early.
        """
        with self._writing:
            with self._lock:
                batch, self._pending = list(self._pending.values()), {}
            if not batch:
                return 0
            try:
                return self._write(batch)
            except Exception:
                with self._lock:  # put them back, merged with what came meanwhile
                    for gap, n in batch:
                        self._pending[gap.key] = (gap, self._pending.get(gap.key, (gap, 0))[1] + n)
                raise

    def _write(self, batch: list[tuple[Gap, int]]) -> int:
        masked = _masked(batch)
        now = utcnow()
        rows = [
            {
                "normalised": g.normalised,
                "question": g.question,
                "locale": g.locale[:16],
                "channel": g.channel[:32],
                "contact_id": g.contact_id,
                "count": n,
                "best_key": g.best_key,
                "best_confidence": g.best_confidence,
                "first_seen": now,
                "last_seen": now,
            }
            for g, n in masked
        ]
        rows.sort(key=lambda r: (r["normalised"], r["locale"], r["channel"], r["contact_id"] or 0))  # one lock order
        table = ContentGap.__table__  # type: ignore[attr-defined]
        with write_session(self._engine) as session:
            for anonymous in (True, False):
                part = [r for r in rows if (r["contact_id"] is None) == anonymous]
                if part:  # one executemany each: the answering threads share the GIL with this one
                    upsert = self._upsert(anonymous=anonymous).returning(*table.c)
                    for new in session.execute(upsert, part):
                        if new.first_seen == new.last_seen:  # a question not seen before: webhooks hear of it
                            outbox.append(
                                session,
                                action="gap.logged",
                                target=f"{new.locale}/{new.channel}",
                                actor="answer engine",
                                role="system",
                                detail={k: getattr(new, k) for k in _GAP_EVENT_FIELDS},
                            )
        return sum(n for _, n in batch)

    def _upsert(self, *, anonymous: bool) -> sa.Insert:
        """Insert or add to the row of this question: the anonymous one, or the contact's own."""
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        table: sa.Table = ContentGap.__table__  # type: ignore[attr-defined]
        stmt = dialect.insert(table)
        keys = ["normalised", "locale", "channel"] if anonymous else ["contact_id", "normalised", "locale", "channel"]
        where = table.c.contact_id.is_(None) if anonymous else table.c.contact_id.is_not(None)
        upsert: sa.Insert = stmt.on_conflict_do_update(
            index_elements=keys,
            index_where=where,
            set_={
                "count": table.c["count"] + stmt.excluded["count"],
                "question": stmt.excluded.question,
                "best_key": stmt.excluded.best_key,
                "best_confidence": stmt.excluded.best_confidence,
                "last_seen": stmt.excluded.last_seen,
            },
        )
        return upsert


def _masked(batch: list[tuple[Gap, int]]) -> list[tuple[Gap, int]]:
    """The batch with personal data masked, merged again: two phone numbers are one `[phone]` question."""
    merged: dict[tuple[str, str, str, int | None], tuple[Gap, int]] = {}
    for gap, n in batch:
        question = mask_personal(gap.question[:500])
        clean = Gap(
            clean_question(question),
            question[:500],
            gap.locale,
            gap.channel,
            gap.best_key,
            gap.best_confidence,
            gap.contact_id,
        )
        if not clean.normalised:
            continue
        merged[clean.key] = (clean, merged.get(clean.key, (clean, 0))[1] + n)
    return list(merged.values())


def forget_gaps(*, session: Session, contact_ids: Sequence[int]) -> int:
    """Erasure: delete the questions these contacts asked; returns how many rows went.

    Their words kept as examples of a merged group are these same rows; editors' decisions
    about questions no one else asked go with them (`forget_states`).
    """
    if not contact_ids:
        return 0
    stmt = sa.delete(ContentGap).where(col(ContentGap.contact_id).in_(list(contact_ids)))
    result = session.execute(stmt.execution_options(synchronize_session=False))
    forget_states(session=session)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

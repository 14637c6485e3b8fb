"""Search and the answer engine: the derived index every channel asks "which unit answers this?".

`kb` re-exports these names; other packages import them from `kb`. One process keeps
one `SearchIndex` per database (`get_index`), opened (or rebuilt) on first use. After a
write, call `refresh()` on it (or `kb.refresh_index()`) to make the change searchable at
once; other processes pick it up on their next poll, within about a second.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from kb.config import load_settings
from kb.db import ensure_migrated, make_engine
from kb.search.answering import THRESHOLDS, Answerer, answerer_for, check_question, forget_answerers
from kb.search.errors import InvalidQuery
from kb.search.gap_states import GapGroup, GapNotFound, dismiss_gap, list_gaps, merge_gaps, restore_gap
from kb.search.gaps import forget_gaps
from kb.search.index import SearchIndex
from kb.search.results import Alternative, Answer, AnswerStatus, SearchHit, SearchResults
from kb.search.searching import search

_indexes: dict[tuple[str, str], SearchIndex] = {}
_lock = threading.Lock()


def get_index(engine: sa.Engine | None = None, *, data_dir: Path | None = None, opened: bool = True) -> SearchIndex:
    """The process's index over `engine` (default: ISTOK_DATABASE_URL), in `data_dir` (ISTOK_DATA_DIR).

    Opened (built if need be) unless `opened` is false, for a caller about to rebuild it anyway.
    """
    settings = load_settings()
    folder = data_dir or settings.data_dir
    url = settings.database_url if engine is None else engine.url.render_as_string(hide_password=False)
    with _lock:
        found = _indexes.get((url, str(folder)))
        if found is None:
            if engine is None:
                engine = make_engine(url)
                ensure_migrated(engine)
            found = _indexes[(url, str(folder))] = SearchIndex(
                engine, data_dir=folder, poll_interval=settings.index_poll
            )
    if opened:
        found.open()
    return found


def answer(
    q: str,
    locale: str,
    channel: str,
    context: Mapping[str, Any] | None = None,
    *,
    index: SearchIndex | None = None,
    contact_id: int | None = None,
) -> Answer:
    """The best published unit for question `q`, a calibrated confidence, `answered` or `handoff`.

    `context` may name a preferred `category` and article keys to `exclude` (already
    offered). `contact_id` names who asked, for the content gap (erasure finds it by id).
    Raises InvalidQuery for an empty question or unknown locale, UnknownChannel (the one
    error for a channel name not in `kb/channels.py`) for an unknown channel.
    """
    return answerer_for(index or get_index()).answer(q, locale, channel, context, contact_id=contact_id)


def hidden_units(index: SearchIndex | None = None) -> frozenset[str]:
    """The `locale/key` of published units search and answers leave out now: announcements outside their time box.

    Judged by the clock on every call, so a caller that keeps answers per index position keys
    them by this too (an answer kept before an announcement ended must not outlive its end).
    """
    return answerer_for(index or get_index()).hidden()


def note_gap(q: str, answer: Answer, *, index: SearchIndex | None = None, contact_id: int | None = None) -> None:
    """Count question `q`, answered earlier with `answer` and served again, as a content gap if it is one."""
    answerer_for(index or get_index()).note_gap(check_question(q), answer, contact_id=contact_id)


def search_articles(
    q: str,
    locale: str,
    role: str = "public",
    *,
    page: int = 1,
    per_page: int = 10,
    category: str | None = None,
    index: SearchIndex | None = None,
) -> SearchResults:
    """Ranked hits with highlighted snippets and facets by category; `role` decides what is searched."""
    return search(index or get_index(), q, locale, role, page=page, per_page=per_page, category=category)


def refresh_index(index: SearchIndex | None = None) -> int:
    """Apply publication-log entries written since the last look (call after a write)."""
    return (index or get_index()).sync()


def reindex(engine: sa.Engine | None = None, *, data_dir: Path | None = None) -> int:
    """Rebuild the index from the database (`istok reindex`); returns how many units it holds.

    The phrase vectors are encoded before it returns. Not opened first: with the lock held
    elsewhere, opening would build a private copy only for the rebuild to fail on that lock;
    `rebuild` raises IndexBusy, naming the holder, instead.
    """
    index = get_index(engine, data_dir=data_dir, opened=False)
    held = index.rebuild()
    index.wait_vectors()  # so that a service started next finds every phrase vector in the store
    return held


@atexit.register
def close_indexes() -> None:
    """Write pending content gaps and close every index of the process."""
    with _lock:
        indexes = list(_indexes.values())
        _indexes.clear()
    forget_answerers()
    for index in indexes:
        with contextlib.suppress(Exception):  # at exit the database may already be gone
            index.close()


__all__ = [
    "THRESHOLDS",
    "Alternative",
    "Answer",
    "AnswerStatus",
    "Answerer",
    "GapGroup",
    "GapNotFound",
    "InvalidQuery",
    "SearchHit",
    "SearchIndex",
    "SearchResults",
    "answer",
    "close_indexes",
    "dismiss_gap",
    "forget_gaps",
    "get_index",
    "hidden_units",
    "list_gaps",
    "merge_gaps",
    "note_gap",
    "refresh_index",
    "reindex",
    "restore_gap",
    "search_articles",
]

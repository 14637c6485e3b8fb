"""What the help center shows: live articles by locale, category and translation.

Loaded with one query per publication-sequence number and shared by every request, so
a help page costs no database read while nothing is published; any publish (on any
process, seen through the index's poll) moves the sequence and the next page reloads.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import col

import kb
from api import runtime


@dataclass(frozen=True)
class Entry:
    """One live article as the help center lists it."""

    key: str
    locale: str
    slug: str
    title: str
    category: str | None
    tags: tuple[str, ...]
    summary: str
    revision: int
    content_hash: str
    updated: dt.datetime


@dataclass
class Catalogue:
    """Every live article at one publication sequence, indexed the ways pages need."""

    seq: int
    changed: dt.datetime  # when the publication log last moved: the pages' Last-Modified
    by_slug: dict[tuple[str, str], Entry] = field(default_factory=dict)
    by_key: dict[tuple[str, str], Entry] = field(default_factory=dict)
    by_category: dict[tuple[str, str | None], list[Entry]] = field(default_factory=dict)
    locales: dict[str, list[Entry]] = field(default_factory=dict)

    def translations(self, key: str) -> list[Entry]:
        return [e for loc in kb.LOCALES if (e := self.by_key.get((loc, key))) is not None]

    def categories(self, locale: str) -> list[tuple[str, int]]:
        """(category, count) in the locale, largest first, then by name."""
        counts = [(cat, len(v)) for (loc, cat), v in self.by_category.items() if loc == locale and cat]
        return sorted(counts, key=lambda c: (-c[1], c[0]))

    def related(self, entry: Entry, limit: int = 5) -> list[Entry]:
        """Articles of the same category sharing the most tags, then by title."""
        same = [e for e in self.by_category.get((entry.locale, entry.category), []) if e.key != entry.key]
        tags = set(entry.tags)
        same.sort(key=lambda e: (-len(tags & set(e.tags)), e.title))
        return same[:limit]


_lock = threading.Lock()
_current: Catalogue | None = None


def current_seq() -> int:
    """The publication sequence this process has seen (polled, at most a second old)."""
    index = runtime.index()
    index.poll()
    return index.seq


def catalogue() -> Catalogue:
    """The catalogue at the current sequence, loaded once per sequence."""
    global _current
    seq = current_seq()
    with _lock:
        if _current is not None and _current.seq == seq:
            return _current
    loaded = _load(seq)
    with _lock:
        _current = loaded
    return loaded


def _load(seq: int) -> Catalogue:
    stmt = (
        sa.select(
            col(kb.Article.key),
            col(kb.Article.locale),
            col(kb.Article.slug),
            col(kb.Article.title),
            col(kb.Article.category),
            col(kb.Article.tags),
            col(kb.Revision.front_matter),
            col(kb.Revision.number),
            col(kb.Revision.content_hash),
            col(kb.Revision.created_at),
        )
        .join(
            kb.Revision,
            (col(kb.Revision.article_id) == col(kb.Article.id))
            & (col(kb.Revision.number) == col(kb.Article.published_revision)),
        )
        .order_by(col(kb.Article.title))
    )
    with kb.read_session(runtime.engine()) as session:
        rows = session.execute(stmt).all()
        changed = session.execute(sa.select(sa.func.max(col(kb.LogEntry.at)))).scalar()
    cat = Catalogue(seq=seq, changed=_aware(changed) if changed else kb.utcnow())
    grouped: dict[tuple[str, str | None], list[Entry]] = defaultdict(list)
    for key, locale, slug, title, category, tags, fm, number, chash, created in rows:
        summary = str((fm or {}).get("summary") or "")
        entry = Entry(key, locale, slug, title, category, tuple(tags or ()), summary, number, chash, _aware(created))
        cat.by_slug[(locale, slug)] = entry
        cat.by_key[(locale, key)] = entry
        grouped[(locale, category)].append(entry)
        cat.locales.setdefault(locale, []).append(entry)
    cat.by_category = dict(grouped)
    return cat


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value

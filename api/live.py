"""What is live at one publication sequence: the one snapshot pages, renders and answers read.

Live articles and facts change only with a publication-log entry, so they are loaded in one
read transaction per sequence number and shared by every request: a help page, a render or
an answer costs no database read while nothing is published. Any publish (on any process,
seen through the index's poll) moves the sequence, and the next reader loads the new one.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlmodel import Session, col

import kb
from api import runtime


@dataclass(frozen=True)
class Entry:
    """One live article, as pages list it and renders link to it."""

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
class Snapshot:
    """Every live article and every fact at one publication sequence, indexed the ways readers need."""

    seq: int
    changed: dt.datetime  # when the publication log last moved: the pages' Last-Modified
    facts: dict[str, kb.FactValue] = field(default_factory=dict)
    by_slug: dict[tuple[str, str], Entry] = field(default_factory=dict)
    by_key: dict[tuple[str, str], Entry] = field(default_factory=dict)
    by_category: dict[tuple[str, str | None], list[Entry]] = field(default_factory=dict)
    locales: dict[str, list[Entry]] = field(default_factory=dict)
    _slugs: dict[str, dict[str, str]] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()  # `locale/key` the lists of this view leave out (`listed`)
    _views: dict[frozenset[str], Snapshot] = field(default_factory=dict, repr=False)

    def without(self, hidden: frozenset[str]) -> Snapshot:
        """This snapshot with the units `hidden` (`locale/key`) left out of its lists, kept per set.

        Only the lists go: the home page's topics, a topic's articles, related questions, the
        sitemap. Looked up by slug or key a hidden unit is still there, so its own page can say
        what became of it, and links to it still resolve.
        """
        if not hidden:
            return self
        if hidden not in self._views:
            def keep(entries: list[Entry]) -> list[Entry]:
                return [e for e in entries if f"{e.locale}/{e.key}" not in hidden]

            by_category = {where: kept for where, entries in self.by_category.items() if (kept := keep(entries))}
            view = replace(
                self,
                by_category=by_category,
                locales={loc: keep(entries) for loc, entries in self.locales.items()},
                hidden=hidden,
                _views={},
            )
            self._views.clear()  # the clock moves on: one view is enough to keep
            self._views[hidden] = view
        return self._views[hidden]

    def slugs(self, locale: str) -> dict[str, str]:
        """Article key -> slug of the live articles of `locale`: where a renderer's links may point."""
        return self._slugs.get(locale, {})

    def translations(self, key: str) -> list[Entry]:
        return [e for loc in kb.LOCALES if (e := self.by_key.get((loc, key))) is not None]

    def categories(self, locale: str) -> list[tuple[str, int]]:
        """(category, count) in the locale, largest first, then by name."""
        counts = [(cat, len(v)) for (loc, cat), v in self.by_category.items() if loc == locale and cat]
        return sorted(counts, key=lambda c: (-c[1], c[0]))

    def related(self, entry: Entry, limit: int = 5) -> list[Entry]:
        return self.related_to(entry.locale, entry.key, entry.category, entry.tags, limit)

    def related_to(
        self, locale: str, key: str, category: str | None, tags: tuple[str, ...] | list[str], limit: int = 5
    ) -> list[Entry]:
        """Live articles of the same category sharing the most tags, then by title (a draft has peers too)."""
        if category is None:
            return []
        same = [e for e in self.by_category.get((locale, category), []) if e.key != key]
        wanted = set(tags)
        same.sort(key=lambda e: (-len(wanted & set(e.tags)), e.title))
        return same[:limit]


_lock = threading.Lock()
_current: Snapshot | None = None


def current() -> Snapshot:
    """The snapshot at the sequence this process has seen (the index polls: at most a second old)."""
    index = runtime.index()
    index.poll()
    return at(index.seq)


def listed() -> Snapshot:
    """The snapshot as the lists show it now: announcements outside their time box left out.

    As search and answers leave them out (`kb.hidden_units`): the help home, a topic's page,
    related questions and the sitemap offer no notice that has ended or not yet begun. Judged
    by the clock, not the sequence, so a page's validators include `hidden` too.
    """
    return current().without(kb.hidden_units(runtime.index()))


def at(seq: int) -> Snapshot:
    """A snapshot at sequence `seq` or newer, loaded only when the kept one is older."""
    global _current
    with _lock:
        if _current is not None and _current.seq >= seq:
            return _current
    loaded = load()
    with _lock:
        if _current is None or _current.seq <= loaded.seq:
            _current = loaded
    return loaded


def load() -> Snapshot:
    """Read what is live now, in one transaction, tagged with the sequence it was read at.

    The command line calls this directly: it has no index to poll and renders once.
    """
    with kb.read_session(runtime.engine()) as session:
        return _read(session)


def _read(session: Session) -> Snapshot:
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
    rows = session.execute(stmt).all()
    changed = session.execute(sa.select(sa.func.max(col(kb.LogEntry.at)))).scalar()
    snap = Snapshot(
        seq=kb.last_seq(session),
        changed=_aware(changed) if changed else kb.utcnow(),
        facts=kb.fact_values(session=session),
    )
    grouped: dict[tuple[str, str | None], list[Entry]] = defaultdict(list)
    for key, locale, slug, title, category, tags, fm, number, chash, created in rows:
        summary = str((fm or {}).get("summary") or "")
        entry = Entry(key, locale, slug, title, category, tuple(tags or ()), summary, number, chash, _aware(created))
        snap.by_slug[(locale, slug)] = entry
        snap.by_key[(locale, key)] = entry
        grouped[(locale, category)].append(entry)
        snap.locales.setdefault(locale, []).append(entry)
        snap._slugs.setdefault(locale, {})[key] = slug
    snap.by_category = dict(grouped)
    return snap


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value

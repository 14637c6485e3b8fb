"""The search index of one process: whoosh on disk plus the in-memory scorer, tailing the log.

The database is the truth; this is derived from it and may be deleted at any time.
On open, the whoosh index in `ISTOK_DATA_DIR/search/<database>/` is used if its record
matches the database (same format, a log position the database has, the same entry
time at that position, the recorded document count), caught up by replaying the
publication log, and otherwise rebuilt from the published revisions. The in-memory
scorer is loaded from the whoosh documents, so a restart does not re-analyse.

`sync()` applies log entries written since (publish, unpublish, rollback, fact
change) and reloads the editors' synonyms when they changed. A process that writes
calls it right after its write; every answer and search also polls at most once per
`poll_interval` seconds, so other processes see a change within about a second.
Whoosh writes from several processes on one host are serialised by a lock file.
"""

from __future__ import annotations

import fcntl
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col

from kb.content import keep_parsed_units
from kb.db import read_session
from kb.events import changes_since
from kb.models import SynonymSet
from kb.search import loading, semantic
from kb.search.documents import IndexDoc
from kb.search.gaps import GapLog
from kb.search.memory import LocaleIndex
from kb.search.query import SynonymMap
from kb.search.textindex import FORMAT, TextIndex
from kb.search.vectors import SemanticIndex
from kb.synonyms import list_sets

#: Past this many log entries to replay, a rebuild is quicker than catching up.
REPLAY_LIMIT = 5000


class SearchState:
    """Everything derived for answering: per-locale scorers, synonyms and (optionally) vectors."""

    def __init__(self, use_semantic: bool) -> None:
        self.locales: dict[str, LocaleIndex] = {}
        self.synonyms: dict[str, SynonymMap] = {}
        self.vectors: dict[str, SemanticIndex] = {}
        self.use_semantic = use_semantic

    def locale(self, locale: str) -> LocaleIndex:
        found = self.locales.get(locale)
        if found is None:
            found = self.locales[locale] = LocaleIndex(locale)
        return found

    def load(self, docs: list[IndexDoc]) -> None:
        by_locale: dict[str, list[IndexDoc]] = {}
        for doc in docs:
            by_locale.setdefault(doc.locale, []).append(doc)
        self.locales = {}
        self.vectors = {}
        for locale, group in by_locale.items():
            self.locale(locale).build(group)
            if self.use_semantic:
                vec = self.vectors[locale] = SemanticIndex(semantic.encoder())
                idx = self.locales[locale]
                vec.set_many([(idx.by_uid[d.uid], _phrases(d)) for d in group])

    def apply(self, docs: list[IndexDoc], gone: list[str]) -> None:
        for uid in gone:
            locale = uid.split("/", 1)[0]
            idx = self.locales.get(locale)
            if idx is not None:
                slot = idx.by_uid.get(uid)
                idx.remove(uid)
                if slot is not None and locale in self.vectors:
                    self.vectors[locale].remove(slot)
        for doc in docs:
            idx = self.locale(doc.locale)
            old = idx.by_uid.get(doc.uid)
            idx.add(doc)
            if self.use_semantic:
                vec = self.vectors.setdefault(doc.locale, SemanticIndex(semantic.encoder()))
                if old is not None:
                    vec.remove(old)
                vec.set(idx.by_uid[doc.uid], _phrases(doc))


def _phrases(doc: IndexDoc) -> list[str]:
    return [t for t in (doc.title, *doc.texts.get("questions", "").split("\n")) if t.strip()]


class SearchIndex:
    """One process's index over one database (see the module docstring)."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        data_dir: Path,
        poll_interval: float = 1.0,
        use_semantic: bool | None = None,
    ) -> None:
        self.engine = engine
        url = engine.url.render_as_string(hide_password=True)
        self.path = data_dir / "search" / hashlib.sha1(url.encode()).hexdigest()[:16]
        keep_parsed_units(data_dir / "search" / "units.sqlite")  # shared by every database: keyed by content
        self.poll_interval = poll_interval
        wanted = semantic.wanted() if use_semantic is None else use_semantic
        self.use_semantic = wanted and semantic.available()
        self.text = TextIndex(self.path)
        self.state = SearchState(self.use_semantic)
        self.gaps = GapLog(engine)
        self.seq = 0
        self.lock = threading.RLock()
        self.rebuilt = False
        self._synonyms_mark: tuple[object, ...] | None = None
        self._last_poll = 0.0
        self._opened = False
        self._generation = 0

    # ---- opening and rebuilding ----------------------------------------------------

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def open(self) -> None:
        """Open the index from disk if it matches the database, else rebuild it; then catch up."""
        with self.lock:
            if self._opened:
                return
            with self._file_lock(), read_session(self.engine) as session:
                if not self._usable(session):
                    self._rebuild(session)
                else:
                    self.state.load(list(self.text.documents()))
                    self.seq = self.text.read_meta().seq  # type: ignore[union-attr]
            self._opened = True
            self.sync()

    def _usable(self, session: Session) -> bool:
        meta = self.text.read_meta()
        if meta is None or meta.format != FORMAT:
            return False
        head = loading.log_position(session)
        if meta.seq > head.seq or head.seq - meta.seq > REPLAY_LIMIT:
            return False
        if meta.seq > 0 and loading.entry_time(session, meta.seq) != meta.seq_at:
            return False  # another database, or the same one re-created
        try:
            self.text.open()
            return self.text.doc_count() == meta.docs
        except Exception:  # any damage to the files means: rebuild from the database
            self.text.close()
            return False

    def rebuild(self) -> int:
        """Rebuild everything from the database (`istok reindex`); returns the article count."""
        with self.lock, self._file_lock(), read_session(self.engine) as session:
            self._rebuild(session)
            self._opened = True
            return self.text.doc_count()

    def _rebuild(self, session: Session) -> None:
        head = loading.log_position(session)
        batches = loading.all_docs(session)
        docs = self.text.create(batches, expected=loading.published_count(session), seq=head.seq, seq_at=head.at)
        self.state.load(docs)
        self.seq = head.seq
        self.rebuilt = True
        self._generation += 1

    # ---- catching up ---------------------------------------------------------------

    def sync(self) -> int:
        """Apply publication-log entries written since the last sync; returns how many."""
        if not self._opened:
            self.open()
            return 0
        with self.lock:
            self._last_poll = time.monotonic()
            applied = 0
            with read_session(self.engine) as session:
                self._sync_synonyms(session)
                while True:
                    entries = changes_since(session, since=self.seq, limit=1000)
                    if not entries:
                        break
                    names = {(e.key, e.locale) for e in entries if e.key and e.locale}
                    docs, gone = loading.changed_docs(session, names)
                    last = entries[-1]
                    with self._file_lock():
                        meta = self.text.read_meta()
                        if meta is not None and meta.seq >= last.seq:
                            self.text.refresh()  # another process already wrote these
                        else:
                            self.text.apply(docs, gone, seq=last.seq, seq_at=last.at.isoformat())
                    self.state.apply(docs, gone)
                    self.seq = last.seq
                    applied += len(entries)
            if applied:
                self._generation += 1
            self.gaps.flush()
            return applied

    refresh = sync

    def poll(self) -> None:
        """Sync if the last sync is older than `poll_interval` seconds."""
        if not self._opened:
            self.open()
        elif time.monotonic() - self._last_poll >= self.poll_interval:
            self.sync()

    def _sync_synonyms(self, session: Session) -> None:
        mark = tuple(
            session.execute(
                sa.select(
                    sa.func.count(),
                    sa.func.coalesce(sa.func.max(col(SynonymSet.id)), 0),
                    sa.func.coalesce(sa.func.sum(col(SynonymSet.version)), 0),
                    sa.func.max(col(SynonymSet.updated_at)),
                )
            ).one()
        )
        if mark == self._synonyms_mark:
            return
        grouped: dict[str, list[list[str]]] = {}
        for syn in list_sets(session=session):
            grouped.setdefault(syn.locale, []).append(list(syn.terms))
        self.state.synonyms = {loc: SynonymMap.build(sets, loc) for loc, sets in grouped.items()}
        self._synonyms_mark = mark
        self._generation += 1

    @property
    def generation(self) -> int:
        """Changes whenever what answers depend on changed (log entries, synonyms, rebuild)."""
        return self._generation

    def close(self) -> None:
        with self.lock:
            self.gaps.flush()
            self.text.close()
            self._opened = False

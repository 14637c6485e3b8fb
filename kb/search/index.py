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
Whoosh writes from several processes on one host are serialised by a lock file
(`kb.search.indexlock`), never waited for without bound: when another process holds
it past `lock_wait` seconds at opening, this process says so and builds a private
index of its own (`<index>.private-<pid>`, removed on close) rather than hang; a
catch-up that cannot get it is retried on the next poll; `rebuild()` raises IndexBusy.
A search folder this process cannot write at opening (a read-only mount, a folder of
another user) sends it to a private index in a temporary folder the same way, started
from the folder's files if they are readable: answers then keep up with publishes
instead of serving a frozen index, or of the process refusing to start over a cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
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
from kb.search.frozen import FrozenLocale, phrase_texts, read_manifest, write_generation
from kb.search.gaps import GapLog
from kb.search.indexlock import IndexBusy, hold, pid_alive
from kb.search.memory import LocaleIndex
from kb.search.quarantine import Quarantine
from kb.search.query import SynonymMap
from kb.search.textindex import FORMAT, META_FILE, Meta, TextIndex
from kb.search.vectors import SemanticIndex, release_freed_memory
from kb.search.vectorstore import VectorStore
from kb.synonyms import list_sets

#: Past this many log entries to replay, a rebuild is quicker than catching up.
REPLAY_LIMIT = 5000
#: How long opening or rebuilding waits for another process's hold on the index lock.
LOCK_WAIT = 5.0
#: How long a catch-up waits for it; past that it is left to the next poll.
SYNC_LOCK_WAIT = 1.0
#: How long opening waits for another process writing the generation it needs (kb/search/frozen.py):
#: a live writer is worth waiting for (a dead one frees its lock at once), a hung one is not.
GENERATION_WAIT = 120.0

logger = logging.getLogger(__name__)


class SearchState:
    """Everything derived for answering: per-locale scorers, synonyms and (optionally) vectors."""

    def __init__(
        self,
        use_semantic: bool,
        store: VectorStore | None = None,
        *,
        defer: bool = True,
        encoder: semantic.Encoder | semantic.Deferred | None = None,
    ) -> None:
        self.locales: dict[str, LocaleIndex] = {}
        self.synonyms: dict[str, SynonymMap] = {}
        self.vectors: dict[str, SemanticIndex] = {}
        self.use_semantic = use_semantic and encoder is not None
        self.encoder = encoder
        self.store = store
        self.defer = defer  # encode phrases the store lacks in the background (see SemanticIndex.set_many)

    def _vectors(self, locale: str) -> SemanticIndex:
        found = self.vectors.get(locale)
        if found is None:
            assert self.encoder is not None  # use_semantic is only set with an encoder
            found = self.vectors[locale] = SemanticIndex(self.encoder, self.store)
        return found

    def locale(self, locale: str) -> LocaleIndex:
        found = self.locales.get(locale)
        if found is None:
            found = self.locales[locale] = LocaleIndex(locale)
        return found

    def load(self, generation: Path, locales: list[str], ident: str) -> None:
        """Map the generation `ident` in `generation` (its `locales`), dropping whatever was held.

        Its phrase vectors too, where a process compiled them for this generation already;
        otherwise they are read (or encoded) and compiled here, then kept there for the others.
        """
        self.locales = {}
        self.vectors = {}
        for locale in locales:
            base = FrozenLocale(generation / locale)
            self.locales[locale] = LocaleIndex(locale, base)
            if self.use_semantic:
                vec = self._vectors(locale)
                kept = generation / locale / f"vectors-{semantic.ENCODER_ID}"
                if not vec.adopt(kept, ident):
                    vec.keep_to(kept, ident)
                    vec.set_many(list(enumerate(base.phrase_texts())), defer=self.defer)

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
                vec = self._vectors(doc.locale)
                if old is not None:
                    vec.remove(old)
                vec.set(idx.by_uid[doc.uid], phrase_texts(doc))


def _encoder(wanted: bool, defer: bool) -> semantic.Encoder | semantic.Deferred | None:
    """The encoder for an index: loading in the background when vectors are deferred, else loaded now.

    A service then starts answering (lexically) without waiting seconds for the model; a
    build that wants its vectors at once (evaluation, training, the benchmark) waits.
    """
    if not wanted:
        return None
    if defer and not semantic.status().failed:
        semantic.load_in_background()
        return semantic.Deferred()
    return semantic.encoder()


class SearchIndex:
    """One process's index over one database (see the module docstring)."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        data_dir: Path,
        poll_interval: float = 1.0,
        use_semantic: bool | None = None,
        lock_wait: float = LOCK_WAIT,
        generation_wait: float = GENERATION_WAIT,
        defer_vectors: bool = True,
    ) -> None:
        self.engine = engine
        url = engine.url.render_as_string(hide_password=True)
        self.path = data_dir / "search" / hashlib.sha1(url.encode()).hexdigest()[:16]
        self.lock_path = self.path.with_suffix(".lock")
        self.lock_wait = lock_wait
        self.generation_wait = generation_wait
        self.private = False  # True once another process's hold on the lock sent us to our own copy
        self.private_reason = ""  # why, for /healthz
        self._scratch: Path | None = None  # the temporary folder of a private copy made outside the data folder
        self._busy_logged = False
        keep_parsed_units(data_dir / "search" / "units.sqlite")  # shared by every database: keyed by content
        self.poll_interval = poll_interval
        wanted = semantic.wanted() if use_semantic is None else use_semantic
        enc = _encoder(wanted, defer_vectors)
        self.use_semantic = enc is not None
        self.vector_store = (
            VectorStore(data_dir / "search" / f"vectors-{semantic.ENCODER_ID}.sqlite", semantic.DIM) if enc else None
        )
        self.text = TextIndex(self.path)
        self.state = SearchState(self.use_semantic, self.vector_store, defer=defer_vectors, encoder=enc)
        self.gaps = GapLog(engine)
        self.quarantine = Quarantine()
        self.seq = 0
        self.lock = threading.RLock()
        self.rebuilt = False
        self._synonyms_mark: tuple[object, ...] | None = None
        self._last_poll = 0.0
        self._opened = False
        self._generation = 0

    # ---- opening and rebuilding ----------------------------------------------------

    @contextmanager
    def _file_lock(self, wait: float | None = None) -> Iterator[None]:
        """The index lock, waited for at most `wait` (default `lock_wait`) seconds, else IndexBusy."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with hold(self.lock_path, wait=self.lock_wait if wait is None else wait):
            yield

    def open(self) -> None:
        """Open the index from disk if it matches the database, else rebuild it; then catch up."""
        with self.lock:
            if self._opened:
                return
            try:
                self._open_locked()
            except IndexBusy as busy:
                self._go_private(busy.detail)
                self._open_locked()
            except OSError as exc:
                if self.private:
                    raise
                # The folder cannot be written (read-only, not ours, full): the index is derived
                # data, so build it where we can rather than take answers down with it.
                self._go_private(f"cannot write the search index in {self.path.parent} ({exc})", elsewhere=True)
                self._open_locked()
            self._opened = True
            self.sync()

    def _open_locked(self) -> None:
        """Open (or rebuild) under the index lock; a generation to write is written outside it.

        Writing the generation from the whoosh documents takes seconds at 10,000 articles: under
        the index lock, the other workers starting beside this one would give up waiting and build
        private copies of everything. They wait on the generation's own lock instead, then map
        what this one wrote.
        """
        with self._file_lock(), read_session(self.engine) as session:
            if not self._usable(session):
                self._rebuild(session)
                if not self.private:
                    self._sweep_private()
                return
            meta = self.text.read_meta()
            assert meta is not None  # `_usable` read it
            mapped = self._map_generation(meta)
        if not mapped:  # the searcher opened above is a point-in-time view: the documents it reads are of `meta`
            with hold(self.generation_lock_path, wait=self.generation_wait):
                if not self._map_generation(meta):  # unless another process wrote it meanwhile
                    self._write_generation(meta, list(self.text.documents()))
        with self._file_lock(), read_session(self.engine) as session:
            self.seq = meta.seq
            self._retry_missing(session)
            if not self.private:
                self._sweep_private()

    @property
    def generation_path(self) -> Path:
        """The folder of the index generation every process maps (`kb.search.frozen`), beside the whoosh index."""
        return self.path.with_name(self.path.name + ".generation")

    @property
    def generation_lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".generation.lock")

    @staticmethod
    def _label(meta: Meta) -> dict[str, object]:
        return {"seq": meta.seq, "seq_at": meta.seq_at, "docs": meta.docs, "text_format": meta.format}

    def _map_generation(self, meta: Meta) -> bool:
        """Map the generation on disk if it is of the whoosh index as `meta` describes it and whole."""
        manifest = read_manifest(self.generation_path)
        if manifest is None or any(manifest.get(k) != v for k, v in self._label(meta).items()):
            return False
        try:
            self.state.load(self.generation_path, list(manifest["locales"]), str(manifest["id"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:  # a file missing or cut short
            logger.warning("the index generation in %s is damaged (%s); writing it anew", self.generation_path, exc)
            return False
        return True

    def _write_generation(self, meta: Meta, docs: list[IndexDoc]) -> None:
        write_generation(self.generation_path, docs, label=self._label(meta))
        release_freed_memory()
        if not self._map_generation(meta):
            raise OSError(f"the index generation written to {self.generation_path} cannot be read back")

    def _go_private(self, reason: str, *, elsewhere: bool = False) -> None:
        """Serve from a copy of our own: another process holds the shared index past `lock_wait`,
        or (`elsewhere`) the search folder cannot be written, so the copy goes to a temporary folder.

        The copy starts from the shared files if they make a whole index (the record
        is copied first, so replaying the log from it covers anything newer); otherwise
        it is rebuilt from the database. Either way this process answers within
        seconds of the wait instead of hanging behind the holder.
        """
        private = self.path.with_name(f"{self.path.name}.private-{os.getpid()}")
        self.private_reason = reason
        if elsewhere:  # mkdtemp: a name nobody else can have taken (the temporary folder is everyone's)
            self._sweep_scratch()
            self._scratch = Path(tempfile.mkdtemp(prefix=f"istok-search-{self.path.name}-"))
            private = self._scratch / private.name
        logger.warning("%s; this process uses a private index in %s instead", reason, private)
        self.text.close()
        shutil.rmtree(private, ignore_errors=True)
        try:
            private.mkdir(parents=True)
            shutil.copy2(self.path / META_FILE, private / META_FILE)
            for file in self.path.iterdir():
                if file.name != META_FILE and file.is_file():
                    shutil.copy2(file, private / file.name)
        except OSError:
            pass  # a half copy is not `_usable`: it is rebuilt
        self.path = private
        self.lock_path = private.with_name(private.name + ".lock")
        self.text = TextIndex(private)
        self.private = True

    def _sweep_private(self) -> None:
        """Remove the private copies of processes that have ended (killed ones leave theirs)."""
        for stale in [
            *self.path.parent.glob(f"{self.path.name}.private-*"),
            *self.path.parent.glob(f"{self.path.name}*.generation.tmp-*"),
            *self.path.parent.glob(f"{self.path.name}*.generation.old-*"),
        ]:
            pid = stale.name.rsplit("-", 1)[-1].removesuffix(".lock").removesuffix(".generation")
            if pid.isdigit() and not pid_alive(int(pid)):
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    stale.unlink(missing_ok=True)

    @property
    def writable(self) -> bool:
        """False when the search folder could not be written at opening: the private copy is in a temporary folder."""
        return self._scratch is None

    def _sweep_scratch(self) -> None:
        """Remove the temporary copies of this index that ended processes (of this user) left behind.

        A server stopped by a signal never reaches the `close` that removes its copy (uvicorn
        re-raises SIGTERM once it has shut down, so atexit does not run), and nothing else
        would: the data folder's own sweep does not look in the temporary folder.
        """
        for folder in Path(tempfile.gettempdir()).glob(f"istok-search-{self.path.name}-*"):
            pids = [p.name.rsplit("-", 1)[-1] for p in folder.glob(f"{self.path.name}.private-*") if p.is_dir()]
            try:
                ours = folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.getuid()
            except OSError:
                continue
            if ours and pids and all(pid.isdigit() and not pid_alive(int(pid)) for pid in pids):
                shutil.rmtree(folder, ignore_errors=True)

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

    def _retry_missing(self, session: Session) -> None:
        """Live units the index on disk lacks were quarantined by an earlier process: try them
        again (a newer parser may read them) and quarantine in this one what still fails."""
        indexed = {uid for idx in self.state.locales.values() for uid in idx.by_uid}
        missing = {(k, loc) for k, loc in loading.published_names(session) if f"{loc}/{k}" not in indexed}
        if not missing:
            return
        docs, _gone = loading.changed_docs(session, missing, self.quarantine)
        meta = self.text.read_meta()
        if docs and meta is not None:
            self.text.apply(docs, [], seq=meta.seq, seq_at=meta.seq_at)
            self.state.apply(docs, [])

    def _rebuild(self, session: Session) -> None:
        head = loading.log_position(session)
        self.quarantine.clear()
        batches = loading.all_docs(session, self.quarantine)
        docs = self.text.create(batches, expected=loading.published_count(session), seq=head.seq, seq_at=head.at)
        meta = self.text.read_meta()
        assert meta is not None  # `create` wrote it
        self._write_generation(meta, docs)
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
                    docs, gone = loading.changed_docs(session, names, self.quarantine)
                    last = entries[-1]
                    try:
                        with self._file_lock(SYNC_LOCK_WAIT):
                            meta = self.text.read_meta()
                            if meta is not None and meta.seq >= last.seq:
                                self.text.refresh()  # another process already wrote these
                            else:
                                self.text.apply(docs, gone, seq=last.seq, seq_at=last.at.isoformat())
                    except IndexBusy as busy:
                        if not self._busy_logged:
                            logger.warning("%s; catching up on a later poll", busy.detail)
                            self._busy_logged = True
                        break
                    except OSError as exc:  # a full or read-only data folder: serve what is held
                        if not self._busy_logged:
                            logger.warning(
                                "cannot write the search index in %s (%s); it serves what it"
                                " holds and catches up on a later poll",
                                self.path,
                                exc,
                            )
                            self._busy_logged = True
                        break
                    self._busy_logged = False
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

    def wait_vectors(self, timeout: float | None = None) -> bool:
        """Wait until every locale's phrase vectors are encoded (and kept in the store)."""
        return all([v.wait(timeout) for v in list(self.state.vectors.values())])

    def vectors_ready(self) -> bool:
        """Whether every locale's vectors are encoded and compiled: answers use them from then on."""
        return all(v.ready for v in list(self.state.vectors.values()))

    def vectors_pending(self) -> int:
        """Phrases still being encoded in the background (0 once every locale's vectors are ready)."""
        return sum(v.pending for v in list(self.state.vectors.values()))

    def close(self) -> None:
        for vectors in list(self.state.vectors.values()):
            vectors.stop()  # outside the lock: the batch being encoded may need it to land
        with self.lock:
            self.gaps.flush()
            self.text.close()
            if self.vector_store is not None:
                self.vector_store.close()
            self._opened = False
            if self.private:
                shutil.rmtree(self.path, ignore_errors=True)
                shutil.rmtree(self.generation_path, ignore_errors=True)
                self.lock_path.unlink(missing_ok=True)
                self.generation_lock_path.unlink(missing_ok=True)
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)

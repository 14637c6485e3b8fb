"""The whoosh index on disk: the durable copy of every analysed article, with its postings.

Articles reach it already analysed (`IndexDoc.counts`), through a field type that
takes term counts instead of text: our analysis (lemmas, stems, folding) happens once,
in Python we control, and whoosh only keeps postings. Each document also stores its
`IndexDoc`, so a restarting process loads the in-memory scorer from here instead of
parsing and analysing every article again. Ranking, facets and paging happen in that
in-memory scorer (whoosh scores every matching posting in Python, tens of milliseconds
at 10,000 articles); whoosh hands back the stored texts of the one page of hits shown,
which snippets are cut from.

Beside the index, `istok-index.json` records what it holds: the format, the last
publication-log entry applied (sequence number and time, so a re-created database is
noticed) and the document count. An index whose record is missing or does not match
is rebuilt by the caller.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import fields, index
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.system import pack_uint

from kb.search.documents import FIELDS, IndexDoc

logger = logging.getLogger(__name__)

FORMAT = 3
META_FILE = "istok-index.json"
#: From this many documents on, a rebuild writes with two processes (each its own segment).
PARALLEL_FROM = 3000


class CountedText(fields.TEXT):  # type: ignore[misc]
    """A text field fed with {term: count}: the analysis was done before whoosh saw it."""

    def __init__(self) -> None:
        super().__init__(analyzer=SpaceSeparatedTokenizer(), phrase=False)

    def index(self, value: Any, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        if isinstance(value, dict):
            return ((t.encode("utf-8"), f, float(f), pack_uint(f)) for t, f in value.items())
        return super().index(value, **kwargs)  # type: ignore[no-any-return]


def schema() -> fields.Schema:
    return fields.Schema(
        uid=fields.ID(unique=True, stored=True),
        locale=fields.ID(stored=True),
        category=fields.ID(stored=True, sortable=True),
        doc=fields.STORED(),
        **{name: CountedText() for name in FIELDS},
    )


@dataclass(frozen=True)
class Meta:
    """What an index on disk holds; compared with the database at start-up."""

    format: int
    seq: int
    seq_at: str | None
    docs: int


def _fields(doc: IndexDoc) -> dict[str, Any]:
    values: dict[str, Any] = {"uid": doc.uid, "locale": doc.locale, "doc": doc.to_data()}
    if doc.category:
        values["category"] = doc.category
    for name in FIELDS:
        if doc.counts.get(name):
            values[name] = doc.counts[name]
    return values


class TextIndex:
    """One whoosh index directory and its record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ix: Any = None
        self._searcher: Any = None

    def read_meta(self) -> Meta | None:
        try:
            data = json.loads((self.path / META_FILE).read_text(encoding="utf-8"))
            return Meta(int(data["format"]), int(data["seq"]), data.get("seq_at"), int(data["docs"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write_meta(self, *, seq: int, seq_at: str | None) -> None:
        data = {"format": FORMAT, "seq": seq, "seq_at": seq_at, "docs": self.doc_count()}
        tmp = self.path / (META_FILE + ".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(self.path / META_FILE)

    def open(self) -> None:
        """Open the existing index; raises on anything missing or broken (the caller rebuilds)."""
        self.close()
        self._ix = index.open_dir(str(self.path))
        self._searcher = self._ix.searcher()

    def create(
        self, batches: Iterable[list[IndexDoc]], *, expected: int, seq: int, seq_at: str | None
    ) -> list[IndexDoc]:
        """Replace whatever is on disk with an index of the documents in `batches`; returns them.

        Batches are indexed as they arrive, so analysing the next ones overlaps with
        writing; `expected` (the document count) decides whether to write with two processes.
        """
        self.close()
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        ix = index.create_in(str(self.path), schema())
        if expected >= PARALLEL_FROM:
            writer = ix.writer(procs=2, limitmb=128, multisegment=True)
        else:
            writer = ix.writer(limitmb=128)
        docs: list[IndexDoc] = []
        try:
            for batch in batches:
                for doc in batch:
                    writer.add_document(**_fields(doc))
                docs.extend(batch)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        self._ix = ix
        self._searcher = ix.searcher()
        self.write_meta(seq=seq, seq_at=seq_at)
        return docs

    def apply(self, upserts: Sequence[IndexDoc], removals: Sequence[str], *, seq: int, seq_at: str | None) -> None:
        """Upsert and delete documents in one commit, then record the log position."""
        if upserts or removals:
            writer = self._ix.writer(timeout=30.0)
            try:
                for uid in removals:
                    writer.delete_by_term("uid", uid)
                for doc in upserts:
                    writer.update_document(**_fields(doc))
                writer.commit()
            except BaseException:
                _abandon(writer)
                raise
        self.refresh()
        self.write_meta(seq=seq, seq_at=seq_at)

    def refresh(self) -> None:
        """See what was committed since (by this process or another).

        A new searcher, not whoosh's `Searcher.refresh()`: that one reuses segment
        readers and can miss deletions committed to a segment it reuses.
        """
        if self._searcher is not None and not self._searcher.up_to_date():
            old, self._searcher = self._searcher, self._ix.searcher()
            old.close()

    def doc_count(self) -> int:
        return int(self._searcher.doc_count()) if self._searcher is not None else 0

    def documents(self) -> Iterator[IndexDoc]:
        """Every stored document (to load the in-memory scorer)."""
        for stored in self._searcher.all_stored_fields():
            yield IndexDoc.from_data(stored["doc"])

    def stored_docs(self, uids: Sequence[str]) -> dict[str, IndexDoc]:
        """The stored documents of `uids` (those present), for snippets of one page of hits.

        A page costs a term look-up and one stored-fields read per hit, a fraction of a
        millisecond, while ranking, counting and paging happen in memory (`kb.search.searching`).
        """
        found: dict[str, IndexDoc] = {}
        if self._searcher is None:
            return found
        for uid in uids:
            docnum = self._searcher.document_number(uid=uid)
            if docnum is not None:
                found[uid] = IndexDoc.from_data(self._searcher.stored_fields(docnum)["doc"])
        return found

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._searcher = None
        self._ix = None


def _abandon(writer: Any) -> None:
    """Give up a writer that failed, releasing its lock even when its commit broke half-way.

    whoosh releases the write lock only at the end of a commit or a cancel, so a commit that
    failed (a full disk: ENOSPC) would keep it and every later writer would wait on it. The
    last table of contents still names only whole segments: readers keep the index as it was.
    """
    if writer.is_closed:
        return
    try:
        writer.cancel()
    except Exception:  # the same full disk may fail the cancel's clean-up: the lock must go anyway
        logger.warning("an index writer failed and could not cancel cleanly; releasing its lock")
        if writer.writelock is not None:
            writer.writelock.release()

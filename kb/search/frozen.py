"""One locale's scorer as files, written once per index generation and mapped by every process.

uvicorn spawns its workers rather than forking them, so each worker that built its scorer
in memory held its own copy: at 10,000 articles, 180 MB of per-article Python objects and
40 MB of postings, plus the heap left fragmented by building them. Written here once (by
whichever process holds the index lock when the generation is new) and mapped read-only,
the postings, lengths, vocabulary and article records are one copy in the page cache for
every worker of the host, and opening an index is mapping files instead of decoding every
stored document. Changes published after the generation are held in memory beside it
(`kb.search.memory`), until the next rebuild writes a new generation.

A generation folder holds one sub-folder per locale:

* `vocab.npy`: the terms, UTF-8, sorted bytewise (fixed width), so a term is found with
  `searchsorted`; `offsets.npy`: where each term's postings start in `slots.npy` (sorted
  article slots) and `tfs.npy` (its frequency per field in each);
* `lengths.npy`, `categories.npy`: per slot, the field lengths and the category id;
* `docs.bin` with `docs.npy` (offsets): each article's `IndexDoc` without texts and counts,
  pickled (what the answer engine reads of a candidate: key, title, revision, phrases as terms);
* `terms.bin` with `terms.npy`: each article's distinct terms, read only to take it out;
* `phrases.json`: each article's title and example questions as written, read once (not
  mapped) when its vectors are looked up, so a worker keeps none of it resident;
* `meta.json`: the uids by slot and the category names.

Folders are written under a temporary name and renamed into place, so a reader never sees
half a generation.
"""

from __future__ import annotations

import json
import mmap
import os
import pickle
import shutil
import uuid
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kb.search.documents import FIELDS, IndexDoc

FORMAT = 3
NF = len(FIELDS)
MANIFEST = "generation.json"


@dataclass(frozen=True, slots=True)
class Record:
    """What the generation keeps of one article."""

    doc: IndexDoc  # without texts and counts
    terms: tuple[str, ...]  # its distinct terms, to take it out again
    phrase_texts: tuple[str, ...]  # title and example questions as written, for their vectors


def phrase_texts(doc: IndexDoc) -> tuple[str, ...]:
    """The article's title and example questions as written: the phrases its vectors are of."""
    return tuple(t for t in (doc.title, *doc.texts.get("questions", "").split("\n")) if t.strip())


def record_of(doc: IndexDoc) -> Record:
    """The record of an analysed article (what stays of it once its postings are counted)."""
    distinct = tuple(dict.fromkeys(t for c in doc.counts.values() for t in c))
    texts = phrase_texts(doc)
    return Record(replace(doc, texts={}, counts={}), distinct, texts)


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# ---- writing ---------------------------------------------------------------------------


def write_generation(folder: Path, docs: Sequence[IndexDoc], *, label: dict[str, Any]) -> None:
    """Write the generation of `docs` to `folder`, replacing whatever is there; `label` goes in its manifest."""
    by_locale: dict[str, list[IndexDoc]] = {}
    for doc in docs:
        by_locale.setdefault(doc.locale, []).append(doc)

    def fill(tmp: Path) -> None:
        for locale, group in by_locale.items():
            _write_locale(tmp / locale, group)
        manifest = {"format": FORMAT, "id": uuid.uuid4().hex, "locales": sorted(by_locale), "docs": len(docs), **label}
        (tmp / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    write_folder(folder, fill)


def write_folder(folder: Path, fill: Callable[[Path], None]) -> None:
    """Make `folder` whole or not at all: `fill` writes a temporary one, which then replaces it."""
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        fill(tmp)
        _swap_in(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp: Path, folder: Path) -> None:
    """Rename `tmp` to `folder`; an older `folder` is moved aside first (processes mapping it keep their mappings)."""
    if folder.exists():
        old = folder.with_name(f"{folder.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(folder)


def _write_locale(folder: Path, docs: Sequence[IndexDoc]) -> None:
    folder.mkdir()
    vocab: dict[str, int] = {}
    tids, slots, fids, tfv = array("i"), array("i"), array("b"), array("f")
    lengths = np.zeros((len(docs), NF), dtype=np.float32)
    categories: list[str] = []
    category_ids: dict[str, int] = {}
    cats = np.full(len(docs), -1, dtype=np.int32)
    blob, offsets = bytearray(), [0]
    term_blob, term_offsets = bytearray(), [0]
    phrases: list[tuple[str, ...]] = []
    for slot, doc in enumerate(docs):
        for f, name in enumerate(FIELDS):
            field_counts = doc.counts.get(name, {})
            lengths[slot, f] = sum(field_counts.values())
            for term, tf in field_counts.items():
                tid = vocab.get(term)
                if tid is None:
                    tid = vocab[term] = len(vocab)
                tids.append(tid)
                slots.append(slot)
                fids.append(f)
                tfv.append(tf)
        if doc.category:
            cid = category_ids.get(doc.category)
            if cid is None:
                cid = category_ids[doc.category] = len(categories)
                categories.append(doc.category)
            cats[slot] = cid
        rec = record_of(doc)
        blob += pickle.dumps(rec.doc, protocol=5)  # texts and counts empty: the whoosh index keeps them
        offsets.append(len(blob))
        term_blob += _json(rec.terms)
        term_offsets.append(len(term_blob))
        phrases.append(rec.phrase_texts)
    names = list(vocab)
    encoded = [n.encode("utf-8") for n in names]
    order = sorted(range(len(names)), key=encoded.__getitem__)
    rank = np.empty(len(names), dtype=np.int64)
    rank[np.array(order, dtype=np.int64)] = np.arange(len(names), dtype=np.int64)
    width = max((len(e) for e in encoded), default=1)
    sorted_vocab = np.array([encoded[i] for i in order], dtype=f"S{width}")
    n = len(docs) + 1
    t = rank[np.frombuffer(tids, dtype=np.int32).astype(np.int64)] if tids else np.zeros(0, dtype=np.int64)
    s = np.frombuffer(slots, dtype=np.int32).astype(np.int64) if slots else np.zeros(0, dtype=np.int64)
    keys, inverse = np.unique(t * n + s, return_inverse=True)
    matrix = np.zeros((len(keys), NF), dtype=np.float32)
    if len(keys):
        matrix[inverse, np.frombuffer(fids, dtype=np.int8)] = np.frombuffer(tfv, dtype=np.float32)
    key_terms = keys // n
    starts = np.searchsorted(key_terms, np.arange(len(names) + 1, dtype=np.int64)).astype(np.int64)
    np.save(folder / "vocab.npy", sorted_vocab)
    np.save(folder / "offsets.npy", starts)
    np.save(folder / "slots.npy", (keys % n).astype(np.int32))
    np.save(folder / "tfs.npy", matrix)
    np.save(folder / "lengths.npy", lengths)
    np.save(folder / "categories.npy", cats)
    np.save(folder / "docs.npy", np.array(offsets, dtype=np.int64))
    (folder / "docs.bin").write_bytes(bytes(blob))
    np.save(folder / "terms.npy", np.array(term_offsets, dtype=np.int64))
    (folder / "terms.bin").write_bytes(bytes(term_blob))
    (folder / "phrases.json").write_bytes(_json(phrases))
    meta = {"uids": [d.uid for d in docs], "categories": categories}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


# ---- reading ---------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of the generation in `folder`, or None when there is none of this format."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def mapped_array(path: Path) -> npt.NDArray[Any]:
    """The array in `path`, mapped read-only (an empty one read, since an empty file cannot be mapped)."""
    try:
        mapped: npt.NDArray[Any] = np.load(path, mmap_mode="r").view(np.ndarray)  # np.memmap slows every operation
    except ValueError:
        mapped = np.load(path)
    return mapped


class FrozenLocale:
    """One locale of a generation, mapped: postings by term and records by slot."""

    def __init__(self, folder: Path) -> None:
        self.vocab = mapped_array(folder / "vocab.npy")
        self.offsets = mapped_array(folder / "offsets.npy")
        self.slots = mapped_array(folder / "slots.npy")
        self.tfs = mapped_array(folder / "tfs.npy")
        self.lengths = np.array(mapped_array(folder / "lengths.npy"))  # small, and changed in place by unpublishing
        self.category_ids = np.array(mapped_array(folder / "categories.npy"))
        self._doc_offsets = mapped_array(folder / "docs.npy")
        self._term_offsets = mapped_array(folder / "terms.npy")
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        self.uids: list[str] = list(meta["uids"])
        self.categories: list[str] = list(meta["categories"])
        self._docs = _map_bytes(folder / "docs.bin")
        self._terms = _map_bytes(folder / "terms.bin")
        self._folder = folder
        self._check()

    def _check(self) -> None:
        """Raise ValueError unless the files agree with each other (a file cut short, or of another generation)."""
        n = len(self.uids)
        whole = (
            len(self.offsets) == len(self.vocab) + 1
            and int(self.offsets[-1]) == len(self.slots) == len(self.tfs)
            and len(self.lengths) == len(self.category_ids) == n
            and len(self._doc_offsets) == len(self._term_offsets) == n + 1
            and int(self._doc_offsets[-1]) == len(self._docs)
            and int(self._term_offsets[-1]) == len(self._terms)
        )
        if not whole:
            raise ValueError(f"the index generation's files in {self._folder} do not agree with each other")

    def __len__(self) -> int:
        return len(self.uids)

    def find(self, term: str) -> int:
        """The term's row in `vocab`, or -1 when the generation does not have it."""
        needle = term.encode("utf-8")
        if not len(self.vocab) or len(needle) > self.vocab.dtype.itemsize:
            return -1
        i = int(np.searchsorted(self.vocab, needle))
        return i if i < len(self.vocab) and self.vocab[i] == needle else -1

    def posting(self, row: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        a, b = int(self.offsets[row]), int(self.offsets[row + 1])
        return self.slots[a:b], self.tfs[a:b]

    def term(self, row: int) -> str:
        return bytes(self.vocab[row]).decode("utf-8")

    def terms(self) -> Iterator[str]:
        for raw in self.vocab.tolist():
            yield raw.decode("utf-8")

    def doc(self, slot: int) -> IndexDoc:
        a, b = int(self._doc_offsets[slot]), int(self._doc_offsets[slot + 1])
        doc: IndexDoc = pickle.loads(self._docs[a:b])  # our own file; a third of decoding JSON, per candidate
        return doc

    def doc_terms(self, slot: int) -> tuple[str, ...]:
        a, b = int(self._term_offsets[slot]), int(self._term_offsets[slot + 1])
        return tuple(json.loads(self._terms[a:b]))

    def phrase_texts(self) -> list[tuple[str, ...]]:
        """Every article's phrases as written, by slot: read, not mapped (wanted once, at opening)."""
        return [tuple(p) for p in json.loads((self._folder / "phrases.json").read_bytes())]


def _map_bytes(path: Path) -> mmap.mmap | bytes:
    with open(path, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(f.fileno()).st_size else b""

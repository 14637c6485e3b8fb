"""The in-memory scorer beside whoosh: per-locale postings as numpy arrays, for answers and search.

A whoosh query over 10,000 articles scores every matching posting in Python (tens of
milliseconds), and the answer engine needs per-field evidence for its candidates, not
just one score. This index holds, for every term, the article slots it occurs in and
its frequency in each field, so BM25F over all articles is a few vector operations per
question term; each slot's category id lets search count facets over all hits at once.
It is derived exactly like the whoosh index (from `IndexDoc`s) and rebuilt with it.

Slots are never reused: a re-indexed article gets a new slot, so every postings array
stays sorted by slot and can be searched with `searchsorted`.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from kb.search.documents import FIELDS, IndexDoc
from kb.search.typos import Corrector

NF = len(FIELDS)
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Posting:
    """Where one term occurs: sorted slots, and its frequency per field in each (n × fields)."""

    slots: IntArray
    tfs: FloatArray


@dataclass(frozen=True, slots=True)
class DocInfo:
    """What the answer engine needs of an article besides its postings."""

    doc: IndexDoc  # without texts and counts
    terms: tuple[str, ...]  # distinct terms, to take the article out again
    phrase_sets: tuple[frozenset[str], ...]
    bigrams: frozenset[tuple[str, str]]


class LocaleIndex:
    """Every published article of one locale, as postings and per-slot lengths."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.docs: list[DocInfo | None] = []
        self.by_uid: dict[str, int] = {}
        self.postings: dict[str, Posting] = {}
        self.lengths: FloatArray = np.zeros((0, NF), dtype=np.float32)
        self.category_ids: IntArray = np.zeros(0, dtype=np.int32)  # per slot; -1: none or removed
        self.categories: list[str] = []  # category id -> name
        self._category_ids: dict[str, int] = {}
        self.length_sums = np.zeros(NF, dtype=np.float64)
        self.live = 0
        self.corrector = Corrector()
        self._idf: dict[str, float] = {}
        self._mass: dict[frozenset[str], float] = {}

    # ---- statistics ------------------------------------------------------------

    def df(self, term: str) -> int:
        p = self.postings.get(term)
        return 0 if p is None else len(p.slots)

    def idf(self, term: str) -> float:
        """BM25's idf, never negative; 0 for a term no article has (cached until the next change)."""
        found = self._idf.get(term)
        if found is None:
            df = self.df(term)
            found = 0.0 if df == 0 else math.log(1.0 + (self.live - df + 0.5) / (df + 0.5))
            self._idf[term] = found
        return found

    def phrase_mass(self, phrase: frozenset[str]) -> float:
        """An example phrase's idf mass (its terms' idf summed; 1 when nothing), cached like `idf`.

        The answer engine weighs every phrase of every candidate that shares a term with the
        question by it: summed afresh, it was the larger part of a lexical answer's time.
        """
        found = self._mass.get(phrase)
        if found is None:
            found = self._mass[phrase] = sum(self.idf(t) for t in phrase) or 1.0
        return found

    def _forget_statistics(self) -> None:
        """Every article added or removed moves the idf of all terms, and so every phrase's mass."""
        self._idf.clear()
        self._mass.clear()

    def average_lengths(self) -> FloatArray:
        return np.maximum(self.length_sums / max(self.live, 1), 1.0).astype(np.float32)

    # ---- building and changing ---------------------------------------------------

    def build(self, docs: Sequence[IndexDoc]) -> None:
        """Fill an empty index with many articles at once (a rebuild)."""
        vocab: dict[str, int] = {}
        tids, slots, fids, tfv = array("i"), array("i"), array("b"), array("f")
        first = len(self.docs)
        for offset, doc in enumerate(docs):
            slot = first + offset
            info = _info(doc)
            self.docs.append(info)
            self.by_uid[doc.uid] = slot
            for f, name in enumerate(FIELDS):
                field_counts = doc.counts.get(name, {})
                for term, tf in field_counts.items():
                    tid = vocab.get(term)
                    if tid is None:
                        tid = vocab[term] = len(vocab)
                    tids.append(tid)
                    slots.append(slot)
                    fids.append(f)
                    tfv.append(tf)
        self._grow(len(self.docs))
        for offset, doc in enumerate(docs):
            self._count_lengths(first + offset, doc)
        if not tids:
            return
        t = np.frombuffer(tids, dtype=np.int32).astype(np.int64)
        s = np.frombuffer(slots, dtype=np.int32).astype(np.int64)
        combined = t * (len(self.docs) + 1) + s
        keys, inverse = np.unique(combined, return_inverse=True)
        matrix = np.zeros((len(keys), NF), dtype=np.float32)
        matrix[inverse, np.frombuffer(fids, dtype=np.int8)] = np.frombuffer(tfv, dtype=np.float32)
        key_terms = keys // (len(self.docs) + 1)
        key_slots = (keys % (len(self.docs) + 1)).astype(np.int32)
        bounds = np.flatnonzero(np.diff(key_terms)) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(keys)]))
        names = list(vocab)
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            term = names[int(key_terms[start])]
            self.postings[term] = Posting(key_slots[start:end], matrix[start:end])
        self.corrector.add(vocab)

    def add(self, doc: IndexDoc) -> None:
        """Index one article (replacing its earlier version)."""
        self.remove(doc.uid)
        slot = len(self.docs)
        self.docs.append(_info(doc))
        self.by_uid[doc.uid] = slot
        self._grow(slot + 1)
        self._count_lengths(slot, doc)
        rows: dict[str, list[float]] = {}
        for f, name in enumerate(FIELDS):
            for term, tf in doc.counts.get(name, {}).items():
                rows.setdefault(term, [0.0] * NF)[f] = float(tf)
        one = np.array([slot], dtype=np.int32)
        for term, row in rows.items():
            old = self.postings.get(term)
            tfs = np.array([row], dtype=np.float32)
            if old is None:
                self.postings[term] = Posting(one, tfs)
            else:
                self.postings[term] = Posting(np.concatenate((old.slots, one)), np.concatenate((old.tfs, tfs)))
        self.corrector.add(rows)

    def remove(self, uid: str) -> bool:
        """Take an article out; False if it was not in."""
        slot = self.by_uid.pop(uid, None)
        if slot is None:
            return False
        info = self.docs[slot]
        assert info is not None
        self.docs[slot] = None
        self._forget_statistics()
        self.length_sums -= self.lengths[slot].astype(np.float64)
        self.lengths[slot] = 0
        self.category_ids[slot] = -1
        self.live -= 1
        for term in info.terms:
            old = self.postings.get(term)
            if old is None:
                continue
            keep = old.slots != slot
            if keep.all():
                continue
            if not keep.any():
                del self.postings[term]
            else:
                self.postings[term] = Posting(old.slots[keep], old.tfs[keep])
        return True

    def _grow(self, size: int) -> None:
        if size > len(self.lengths):
            bigger = np.zeros((max(size, 2 * len(self.lengths), 64), NF), dtype=np.float32)
            bigger[: len(self.lengths)] = self.lengths
            self.lengths = bigger
            cats = np.full(len(bigger), -1, dtype=np.int32)
            cats[: len(self.category_ids)] = self.category_ids
            self.category_ids = cats

    def _count_lengths(self, slot: int, doc: IndexDoc) -> None:
        self._forget_statistics()
        row = np.array([sum(doc.counts.get(name, {}).values()) for name in FIELDS], dtype=np.float32)
        self.lengths[slot] = row
        self.length_sums += row.astype(np.float64)
        self.live += 1
        if doc.category:
            cid = self._category_ids.get(doc.category)
            if cid is None:
                cid = self._category_ids[doc.category] = len(self.categories)
                self.categories.append(doc.category)
            self.category_ids[slot] = cid

    def category_id(self, name: str) -> int:
        """The id of category `name` in `category_ids`, or -2 when no article ever had it."""
        return self._category_ids.get(name, -2)

    def terms(self) -> Iterable[str]:
        return self.postings.keys()


def _info(doc: IndexDoc) -> DocInfo:
    distinct = {t for c in doc.counts.values() for t in c}
    bigrams: set[tuple[str, str]] = set()
    for phrase in doc.phrases:
        bigrams.update(pairwise(phrase))
    slim = replace(doc, texts={}, counts={})  # texts live in whoosh; counts are in the postings
    return DocInfo(
        doc=slim,
        terms=tuple(distinct),
        phrase_sets=tuple(frozenset(p) for p in doc.phrases),
        bigrams=frozenset(bigrams),
    )

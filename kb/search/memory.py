"""The scorer beside whoosh: per-locale postings as numpy arrays, for answers and search.

A whoosh query over 10,000 articles scores every matching posting in Python (tens of
milliseconds), and the answer engine needs per-field evidence for its candidates, not
just one score. This index holds, for every term, the article slots it occurs in and
its frequency in each field, so BM25F over all articles is a few vector operations per
question term; each slot's category id lets search count facets over all hits at once.
It is derived exactly like the whoosh index (from `IndexDoc`s).

Most of it is the index generation's files, mapped (`kb.search.frozen`): one copy per host
however many workers serve. What was published since the generation is held in memory
over it: a changed term's whole posting, an added article's record, a removed one's slot.

Slots are never reused: a re-indexed article gets a new slot, so every postings array
stays sorted by slot and can be searched with `searchsorted`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kb.search.documents import FIELDS, IndexDoc
from kb.search.frozen import FrozenLocale, record_of
from kb.search.typos import Corrector

NF = len(FIELDS)
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]
#: Records of the generation's articles kept decoded (the candidates of recent questions).
DOC_CACHE = 1024


@dataclass(frozen=True, slots=True)
class Posting:
    """Where one term occurs: sorted slots, and its frequency per field in each (n × fields)."""

    slots: IntArray
    tfs: FloatArray


@dataclass(frozen=True, slots=True)
class DocInfo:
    """What the answer engine needs of an article besides its postings: its record, phrases as terms.

    Only strings, numbers and tuples: none of it is a set for the collector to walk. Decoded
    records are kept and replaced all the time, and the frozensets they once held made every
    full collection longer (a worker's p99 doubled, measured with the collector off and on).
    """

    doc: IndexDoc  # without texts and counts

    @property
    def phrases(self) -> tuple[tuple[str, ...], ...]:
        return self.doc.phrases


class Postings:
    """Every term's posting: the generation's, mapped, under the ones changed since (held here)."""

    def __init__(self, base: FrozenLocale | None) -> None:
        self._base = base
        self._changed: dict[str, Posting | None] = {}  # None: no article has the term any more
        self._found: dict[str, Posting] = {}  # the generation's postings looked up so far (views of the files)

    def get(self, term: str) -> Posting | None:
        if term in self._changed:
            return self._changed[term]
        found = self._found.get(term)
        if found is None and self._base is not None:
            row = self._base.find(term)
            if row >= 0:  # kept: at most the generation's vocabulary, a few hundred bytes a term
                found = self._found[term] = Posting(*self._base.posting(row))
        return found

    def __contains__(self, term: str) -> bool:
        return self.get(term) is not None

    def __setitem__(self, term: str, posting: Posting) -> None:
        self._changed[term] = posting

    def __delitem__(self, term: str) -> None:
        self._changed[term] = None

    def __iter__(self) -> Iterator[str]:
        if self._base is not None:
            for term in self._base.terms():
                if self._changed.get(term, True) is not None:
                    yield term
        base = self._base
        for term, posting in self._changed.items():
            if posting is not None and (base is None or base.find(term) < 0):
                yield term

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def keys(self) -> Iterator[str]:
        return iter(self)


class Docs:
    """Articles by slot: the generation's records (decoded when asked for, a few thousand kept),
    then those added since; None for a slot whose article was removed."""

    def __init__(self, base: FrozenLocale | None) -> None:
        self._base = base
        self._first = len(base) if base is not None else 0  # the first slot added since the generation
        self._added: list[tuple[DocInfo, tuple[str, ...]] | None] = []
        self._gone: set[int] = set()
        self._cache: dict[int, DocInfo] = {}

    def __len__(self) -> int:
        return self._first + len(self._added)

    def __getitem__(self, slot: int) -> DocInfo | None:
        if slot >= self._first:
            added = self._added[slot - self._first]
            return None if added is None else added[0]
        if slot in self._gone:
            return None
        info = self._cache.get(slot)
        if info is None:
            assert self._base is not None
            info = DocInfo(self._base.doc(slot))
            if len(self._cache) >= DOC_CACHE:
                del self._cache[next(iter(self._cache))]  # the oldest decoded
            self._cache[slot] = info
        return info

    def alive(self, slot: int) -> bool:
        if slot >= self._first:
            return self._added[slot - self._first] is not None
        return slot not in self._gone

    def terms(self, slot: int) -> tuple[str, ...]:
        """The distinct terms of the article in `slot` (none when it was removed)."""
        if not self.alive(slot):
            return ()
        if slot >= self._first:
            added = self._added[slot - self._first]
            assert added is not None
            return added[1]
        assert self._base is not None
        return self._base.doc_terms(slot)

    def append(self, doc: IndexDoc) -> None:
        rec = record_of(doc)
        self._added.append((DocInfo(rec.doc), rec.terms))

    def drop(self, slot: int) -> None:
        if slot >= self._first:
            self._added[slot - self._first] = None
        else:
            self._gone.add(slot)
            self._cache.pop(slot, None)


class LocaleIndex:
    """Every published article of one locale, as postings and per-slot lengths (see the module docstring)."""

    def __init__(self, locale: str, base: FrozenLocale | None = None) -> None:
        self.locale = locale
        self.docs = Docs(base)
        self.postings = Postings(base)
        self.corrector = Corrector()
        if base is None:
            self.by_uid: dict[str, int] = {}
            self.lengths: FloatArray = np.zeros((0, NF), dtype=np.float32)
            self.category_ids: IntArray = np.zeros(0, dtype=np.int32)  # per slot; -1: none or removed
            self.categories: list[str] = []  # category id -> name
        else:
            self.by_uid = {uid: slot for slot, uid in enumerate(base.uids)}
            self.lengths = base.lengths
            self.category_ids = base.category_ids
            self.categories = list(base.categories)
            self.corrector.add(base.terms())
        self._category_ids = {name: cid for cid, name in enumerate(self.categories)}
        self.length_sums: npt.NDArray[np.float64] = self.lengths.sum(axis=0, dtype=np.float64)
        self.live = len(self.by_uid)
        self._idf: dict[str, float] = {}
        self._mass: dict[tuple[int, int], float] = {}

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

    def phrase_mass(self, slot: int, which: int, phrase: tuple[str, ...]) -> float:
        """The idf mass of phrase `which` of `slot` (its terms' idf summed; 1 when nothing), cached like `idf`.

        The answer engine weighs every phrase of every candidate that shares a term with the
        question by it: summed afresh, it was the larger part of a lexical answer's time.
        Kept by place, not by the phrase itself, so the cache holds no article's terms.
        """
        found = self._mass.get((slot, which))
        if found is None:
            found = self._mass[(slot, which)] = sum(self.idf(t) for t in dict.fromkeys(phrase)) or 1.0
        return found

    def _forget_statistics(self) -> None:
        """Every article added or removed moves the idf of all terms, and so every phrase's mass."""
        self._idf.clear()
        self._mass.clear()

    def average_lengths(self) -> FloatArray:
        return np.maximum(self.length_sums / max(self.live, 1), 1.0).astype(np.float32)

    # ---- changes since the generation -----------------------------------------------

    def add(self, doc: IndexDoc) -> None:
        """Index one article (replacing its earlier version)."""
        self.remove(doc.uid)
        slot = len(self.docs)
        self.docs.append(doc)
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
        terms = self.docs.terms(slot)
        self.docs.drop(slot)
        self._forget_statistics()
        self.length_sums -= self.lengths[slot].astype(np.float64)
        self.lengths[slot] = 0
        self.category_ids[slot] = -1
        self.live -= 1
        for term in terms:
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

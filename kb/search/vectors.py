"""The semantic evidence per article: how near a question's vector is to its title and example questions.

Each article has up to eleven phrase vectors (title and example questions). Raw
cosines say a lot, but sentence vectors share a large common direction and a few
directions that vary as much within an intent as between intents, so raw cosines
crowd together and the nearest phrase is often a near-duplicate wording of another
intent. Two things make better use of the examples:

* **Whitening by the spread within articles.** How an article's own example questions
  differ from each other shows which directions are wording, not meaning. Cosines are
  also taken after centring and whitening by that within-article covariance (shrunk
  towards a multiple of the identity, since a knowledge base has few examples per
  article): a linear discriminant measured on the examples only, so it holds on
  unseen questions instead of being tuned to them.
* **The nearest-example vote.** The phrases nearest to the question vote for their
  articles (softmax by cosine): one close example of a rival counts for less than
  several moderately close examples of the right article.

Memory and time stay flat at 10,000 articles: phrase vectors are held as int8 (a
scale per row; cosines move by about 0.002), the whitened cosine of a phrase is taken
from the same int8 row (`p·A(q-c)` over a kept norm, with `A` the squared whitening),
and once a locale has more than `FULL_SCAN` phrases only the phrases of the articles
nearest by centroid (plus the lexical candidates) are scored. A question may come in
several forms (as typed, and as repaired); each column keeps its best form.

The whitening is refitted when the number of phrases has changed by a tenth since the
last fit, so a publish does not pay for it every time.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kb.search.memory import FloatArray, IntArray
from kb.search.semantic import Encoder
from kb.search.vectorstore import VectorStore

#: Columns of `SemanticIndex.scores`, in order; the answer engine adds the rank by `sem_max`.
SCORE_COLUMNS: tuple[str, ...] = (
    "sem_max",
    "sem_top3",
    "sem_centroid",
    "sem_knn",
    "semw_max",
    "semw_centroid",
    "semw_knn",
)
SEMANTIC_FEATURES: tuple[str, ...] = (*SCORE_COLUMNS, "sem_rank_recip")
KNN = 20
KNN_TEMPERATURE = 0.02
WKNN = 50
WKNN_TEMPERATURE = 0.1
#: Weight of the identity in the shrunk within-article covariance (0: none, 1: no whitening).
SHRINK = 0.8
REFIT_CHANGE = 0.1
#: Up to this many phrases every phrase is scored; beyond, only those of the `POOL` nearest articles.
FULL_SCAN = 8_000
POOL = 64
#: Articles per step of the background warm-up (read from the store, or encoded, together).
WARM_BATCH = 256
#: Phrases the whitening is fitted on at most (a sample of articles beyond that).
FIT_SAMPLE = 30_000

Int8Array = np.ndarray

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Rows:
    """One article's phrase vectors, int8 with a scale per row."""

    codes: Int8Array
    scales: FloatArray
    total: FloatArray  # the sum of the rows (its direction is the article's centroid)

    @classmethod
    def of(cls, vectors: FloatArray) -> _Rows:
        scales = np.maximum(np.abs(vectors).max(axis=1), 1e-9) / 127.0
        codes = np.round(vectors / scales[:, None]).astype(np.int8)
        total = (codes.astype(np.float32) * scales[:, None]).sum(axis=0)
        return cls(codes, scales.astype(np.float32), total.astype(np.float32))

    def floats(self) -> FloatArray:
        return np.asarray(self.codes.astype(np.float32) * self.scales[:, None], dtype=np.float32)


@dataclass(frozen=True)
class _Space:
    """Every phrase of the locale, compiled for scoring (rebuilt after changes)."""

    codes: Int8Array  # phrases × dim
    scales: FloatArray  # per phrase
    owners: IntArray  # the slot of each phrase
    starts: IntArray  # per slot: its first phrase (slots' phrases are contiguous)
    ends: IntArray
    centroids: FloatArray  # slots × dim, unit rows (zero for a slot without phrases)
    centre: FloatArray
    whiten: FloatArray  # dim × dim, symmetric
    squared: FloatArray  # whiten @ whiten
    wnorms: FloatArray  # per phrase: |(p - centre) W|
    wcentroids: FloatArray  # slots × dim, unit rows
    dense: FloatArray | None  # the phrases as float32, kept while there are at most FULL_SCAN


def _unit(x: FloatArray) -> FloatArray:
    return np.asarray(x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9), dtype=np.float32)


def _means(rows: FloatArray, owners: IntArray, size: int) -> FloatArray:
    sums = np.zeros((size, rows.shape[1]), dtype=np.float32)
    np.add.at(sums, owners, rows)
    return sums


def fit_whitening(matrix: FloatArray, owners: IntArray, size: int) -> FloatArray:
    """The inverse square root of the shrunk within-article covariance of `matrix` (symmetric)."""
    dim = matrix.shape[1]
    counts = np.maximum(np.bincount(owners, minlength=size), 1).astype(np.float32)
    means = _means(matrix, owners, size) / counts[:, None]
    resid = (matrix - means[owners]).astype(np.float64)
    within = resid.T @ resid / max(len(matrix), 1)
    scale = max(float(np.trace(within)) / dim, 1e-9)
    shrunk = (1.0 - SHRINK) * within + SHRINK * scale * np.eye(dim)
    values, vectors = np.linalg.eigh(shrunk)
    return np.asarray((vectors / np.sqrt(np.maximum(values, 1e-12))) @ vectors.T, dtype=np.float32)


class SemanticIndex:
    """Vectors of every title and example question of one locale, by article slot."""

    def __init__(self, enc: Encoder, store: VectorStore | None = None) -> None:
        self.encoder = enc
        self.store = store
        self._rows: dict[int, _Rows] = {}
        self._space: _Space | None = None
        self._whiten: tuple[int, FloatArray, FloatArray] | None = None  # (phrases fitted on, W, centre)
        self._wnorms: dict[int, FloatArray] = {}  # per slot, under the current whitening
        self._pending: dict[int, Sequence[str]] = {}  # slots whose phrases are still being encoded
        self._lock = threading.RLock()
        self._warming: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        """False while phrases are encoded in the background: answers use lexical evidence meanwhile."""
        warming = self._warming
        return not self._pending and not (warming is not None and warming.is_alive())  # compiled too

    @property
    def pending(self) -> int:
        return sum(len(t) for t in list(self._pending.values()))

    def set(self, slot: int, texts: Sequence[str]) -> None:
        self.set_many([(slot, texts)])

    def set_many(self, items: Sequence[tuple[int, Sequence[str]]], *, defer: bool = False) -> None:
        """Give slots their phrases; with `defer`, a background thread reads or encodes their vectors.

        A service would otherwise not answer until every phrase vector was read back from
        the store (seconds at 10,000 articles, inside the index lock that other workers
        wait for) or, on a cold store, encoded (a minute and more).
        """
        if defer:
            with self._lock:
                self._pending.update(items)
            self._warm()
            return
        flat = [t for _, texts in items for t in texts]
        self._assign(items, dict(zip(flat, self.encoder.phrases(flat, self.store), strict=True)))

    def _assign(self, items: Sequence[tuple[int, Sequence[str]]], vectors: dict[str, FloatArray]) -> None:
        with self._lock:
            for slot, texts in items:
                self._pending.pop(slot, None)
                self._wnorms.pop(slot, None)
                if texts:
                    self._rows[slot] = _Rows.of(np.stack([vectors[t] for t in texts]))
                else:
                    self._rows.pop(slot, None)
            self._space = None

    def _warm(self) -> None:
        with self._lock:
            if not self._pending or (self._warming is not None and self._warming.is_alive()):
                return
            self._warming = threading.Thread(target=self._encode_pending, name="istok-vectors", daemon=True)
            self._warming.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background encoding to finish; whether every phrase has its vector."""
        thread = self._warming
        if thread is not None:
            thread.join(timeout)
        return self.ready

    def _encode_pending(self) -> None:
        try:
            while True:
                with self._lock:
                    batch = list(itertools.islice(self._pending.items(), WARM_BATCH))
                if not batch:
                    break
                flat = [t for _, texts in batch for t in texts]
                vectors = dict(zip(flat, self.encoder.phrases(flat, self.store), strict=True))
                with self._lock:  # a slot removed or re-set meanwhile is no longer pending: leave it
                    self._assign([(s, t) for s, t in batch if self._pending.get(s) is t], vectors)
            self._compile()
        except Exception:  # contained: the lexical evidence keeps answering
            logger.exception("encoding phrase vectors failed; answers stay lexical for this locale")

    def remove(self, slot: int) -> None:
        with self._lock:
            self._pending.pop(slot, None)
            self._wnorms.pop(slot, None)
            if self._rows.pop(slot, None) is not None:
                self._space = None

    def _compile(self) -> _Space:
        with self._lock:
            if self._space is None:
                self._space = self._compiled()
            return self._space

    def _compiled(self) -> _Space:
        slots = sorted(self._rows)
        dim = self.encoder.dim
        size = (max(slots) + 1) if slots else 0
        counts = np.array([len(self._rows[s].codes) for s in slots], dtype=np.int64)
        starts = np.zeros(size, dtype=np.int32)
        ends = np.zeros(size, dtype=np.int32)
        offsets = np.concatenate(([0], np.cumsum(counts))) if slots else np.zeros(1, dtype=np.int64)
        starts[slots], ends[slots] = offsets[:-1], offsets[1:]
        codes = np.concatenate([self._rows[s].codes for s in slots]) if slots else np.zeros((0, dim), np.int8)
        scales = np.concatenate([self._rows[s].scales for s in slots]) if slots else np.zeros(0, np.float32)
        owners = np.repeat(np.array(slots, dtype=np.int32), counts) if slots else np.zeros(0, np.int32)
        sums = np.zeros((size, dim), dtype=np.float32)
        if slots:
            sums[slots] = np.stack([self._rows[s].total for s in slots])
        n = len(codes)
        if self._whiten is None or abs(n - self._whiten[0]) > REFIT_CHANGE * max(self._whiten[0], 1):
            self._whiten = (n, *self._fit(slots, size))
            self._wnorms = {}
        _, whiten, centre = self._whiten
        squared = whiten @ whiten
        self._norm_new(slots, whiten, centre)
        wnorms = np.concatenate([self._wnorms[s] for s in slots]) if slots else np.zeros(0, np.float32)
        wcentroids = _unit(np.asarray((_unit(sums) - centre) @ whiten, dtype=np.float32))
        wcentroids[np.linalg.norm(sums, axis=1) == 0] = 0.0
        dense = codes.astype(np.float32) * scales[:, None] if n <= FULL_SCAN else None
        return _Space(
            codes, scales, owners, starts, ends, _unit(sums), centre, whiten, squared, wnorms, wcentroids, dense
        )

    def _norm_new(self, slots: list[int], whiten: FloatArray, centre: FloatArray) -> None:
        """Whitened norms of the phrases of slots that lack them (all of them after a refit only)."""
        new = [s for s in slots if s not in self._wnorms]
        for at in range(0, len(new), 512):
            chunk = new[at : at + 512]
            part = np.concatenate([self._rows[s].floats() for s in chunk]) - centre
            norms = np.linalg.norm(part @ whiten, axis=1).astype(np.float32)
            bounds = np.cumsum([len(self._rows[s].codes) for s in chunk])[:-1]
            self._wnorms.update(zip(chunk, np.split(norms, bounds), strict=True))

    def _fit(self, slots: list[int], size: int) -> tuple[FloatArray, FloatArray]:
        """Whitening and centre, from every phrase or (past `FIT_SAMPLE`) a fixed sample of articles."""
        chosen = slots
        total = sum(len(self._rows[s].codes) for s in slots)
        if total > FIT_SAMPLE:
            chosen = sorted(np.random.default_rng(0).permutation(slots)[: FIT_SAMPLE * len(slots) // total].tolist())
        dim = self.encoder.dim
        if not chosen:
            return np.eye(dim, dtype=np.float32), np.zeros(dim, dtype=np.float32)
        matrix = np.concatenate([self._rows[s].floats() for s in chosen])
        owners = np.repeat(np.arange(len(chosen), dtype=np.int32), [len(self._rows[s].codes) for s in chosen])
        return fit_whitening(matrix, owners, len(chosen)), matrix.mean(axis=0).astype(np.float32)

    def scores(self, forms: Sequence[str], size: int, near: IntArray | None = None) -> tuple[IntArray, FloatArray]:
        """Slots scored and their `SCORE_COLUMNS` (the best over the question's `forms`).

        Every slot with phrases is scored while the locale has at most `FULL_SCAN`
        phrases; past that, the `POOL` slots nearest by either centroid and the slots in
        `near` (the lexical candidates).
        """
        space = self._compile()
        if len(space.owners) == 0 or not forms:
            return np.zeros(0, dtype=np.int32), np.zeros((0, len(SCORE_COLUMNS)), dtype=np.float32)
        questions = self.encoder.questions(list(forms))  # forms × dim
        centroid = space.centroids @ questions.T  # slots × forms
        centred = questions - space.centre
        wq = centred @ space.whiten
        wq_norm = np.maximum(np.linalg.norm(wq, axis=1), 1e-9)
        wcentroid = space.wcentroids @ (wq / wq_norm[:, None]).T
        pool = _pool(space, centroid.max(axis=1), wcentroid.max(axis=1), near)
        rows, matrix = _phrases(space, pool)
        sims = matrix @ questions.T  # phrases × forms
        u = centred @ space.squared  # `squared` is symmetric
        norms = np.maximum(space.wnorms[rows], 1e-9)[:, None] * wq_norm[None, :]
        wsims = (matrix @ u.T - space.centre @ u.T) / norms
        local = np.searchsorted(pool, space.owners[rows]).astype(np.int32)
        best = _columns(pool, local, sims[:, 0], wsims[:, 0], centroid[:, 0], wcentroid[:, 0])
        for f in range(1, len(questions)):
            best = np.maximum(best, _columns(pool, local, sims[:, f], wsims[:, f], centroid[:, f], wcentroid[:, f]))
        return pool, best


def _pool(space: _Space, centroid: FloatArray, wcentroid: FloatArray, near: IntArray | None) -> IntArray:
    has = np.flatnonzero(space.ends > space.starts).astype(np.int32)
    if space.dense is not None or len(has) <= POOL:
        return has
    k = min(POOL, len(has))
    picked = {*has[np.argpartition(-centroid[has], k - 1)[:k]].tolist()}
    picked |= {*has[np.argpartition(-wcentroid[has], k - 1)[:k]].tolist()}
    if near is not None:
        picked |= {s for s in near.tolist() if s < len(space.ends) and space.ends[s] > space.starts[s]}
    return np.array(sorted(picked), dtype=np.int32)


def _phrases(space: _Space, pool: IntArray) -> tuple[IntArray, FloatArray]:
    """The phrase rows of the pooled slots and their vectors as float32."""
    if space.dense is not None:
        return np.arange(len(space.owners), dtype=np.int32), space.dense
    starts, lengths = space.starts[pool], space.ends[pool] - space.starts[pool]
    first = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    rows = (first + np.arange(int(lengths.sum()))).astype(np.int32)
    return rows, space.codes[rows].astype(np.float32) * space.scales[rows, None]


def _columns(
    pool: IntArray, local: IntArray, sims: FloatArray, wsims: FloatArray, centroid: FloatArray, wcentroid: FloatArray
) -> FloatArray:
    """`SCORE_COLUMNS` of each pooled slot for one form of the question."""
    sims, wsims = sims.astype(np.float32), wsims.astype(np.float32)
    size = len(pool)
    out = np.empty((size, len(SCORE_COLUMNS)), dtype=np.float32)
    out[:, 0] = _best(sims, local, size)
    out[:, 1] = _top3(sims, local, size)
    out[:, 2] = centroid[pool]
    out[:, 3] = _vote(sims, local, size, KNN, KNN_TEMPERATURE)
    out[:, 4] = _best(wsims, local, size)
    out[:, 5] = wcentroid[pool]
    out[:, 6] = _vote(wsims, local, size, WKNN, WKNN_TEMPERATURE)
    return out


def _vote(sims: FloatArray, owners: IntArray, size: int, k: int, temperature: float) -> FloatArray:
    """Each slot's share of the softmax vote of the `k` phrases nearest to the question."""
    k = min(k, len(sims))
    near = np.argpartition(-sims, k - 1)[:k]
    votes = np.exp((sims[near] - sims[near].max()) / temperature)
    share = np.zeros(size, dtype=np.float32)
    np.add.at(share, owners[near], votes / votes.sum())
    return share


def _best(values: FloatArray, owners: IntArray, size: int) -> FloatArray:
    best = np.full(size, -1.0, dtype=np.float32)
    np.maximum.at(best, owners, values.astype(np.float32))
    return best


def _top3(sims: FloatArray, owners: IntArray, size: int) -> FloatArray:
    """Mean of each slot's three best cosines."""
    order = np.lexsort((-sims, owners))
    ranked_owners, ranked_sims = owners[order], sims[order]
    starts = np.flatnonzero(np.r_[True, ranked_owners[1:] != ranked_owners[:-1]])
    position = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    top = position < 3
    sums = np.zeros(size, dtype=np.float32)
    counts = np.zeros(size, dtype=np.float32)
    np.add.at(sums, ranked_owners[top], ranked_sims[top])
    np.add.at(counts, ranked_owners[top], 1.0)
    return np.where(counts > 0, sums / np.maximum(counts, 1.0), -1.0).astype(np.float32)

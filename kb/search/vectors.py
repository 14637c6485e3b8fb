"""The semantic evidence per article: how near a question's vector is to its title and example questions.

Each article has up to eleven phrase vectors (title and example questions). Raw e5
cosines say a lot, but all e5 vectors share a large common direction and a few
directions that vary as much within an intent as between intents, so raw cosines
crowd into 0.7–0.95 and the nearest phrase is often a near-duplicate wording of
another intent. Two things make better use of the examples:

* **Whitening by the spread within articles.** How an article's own example questions
  differ from each other shows which directions are wording, not meaning. The phrase
  vectors are centred and whitened by that within-article covariance (shrunk towards
  a multiple of the identity, since a knowledge base has few examples per article);
  cosines after that are a linear discriminant, measured on the examples only, so it
  holds on unseen questions instead of being tuned to them.
* **The nearest-example vote.** The `KNN` phrases of the whole locale nearest to the
  question vote for their articles (softmax by cosine): one close example of a rival
  counts for less than several moderately close examples of the right article.

The whitening is refitted when the number of phrases has changed by a tenth since the
last fit, so a publish does not pay for it every time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kb.search.memory import FloatArray, IntArray
from kb.search.semantic import Encoder

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


@dataclass(frozen=True)
class _Space:
    """Every phrase vector of the locale, compiled for scoring (rebuilt after changes)."""

    matrix: FloatArray  # phrases × dim, unit rows
    owners: IntArray  # the slot of each phrase
    centroids: FloatArray  # slots × dim, unit rows
    centre: FloatArray
    whiten: FloatArray  # dim × dim
    wmatrix: FloatArray  # whitened phrases, unit rows
    wcentroids: FloatArray  # whitened centroids, unit rows


def _unit(x: FloatArray) -> FloatArray:
    return np.asarray(x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9), dtype=np.float32)


def _means(rows: FloatArray, owners: IntArray, size: int) -> FloatArray:
    sums = np.zeros((size, rows.shape[1]), dtype=np.float32)
    np.add.at(sums, owners, rows)
    return sums


def fit_whitening(matrix: FloatArray, owners: IntArray, size: int) -> FloatArray:
    """The inverse square root of the shrunk within-article covariance of `matrix`."""
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

    def __init__(self, enc: Encoder) -> None:
        self.encoder = enc
        self._rows: dict[int, FloatArray] = {}
        self._space: _Space | None = None
        self._whiten: tuple[int, FloatArray] | None = None  # (phrases it was fitted on, matrix)

    def set(self, slot: int, texts: Sequence[str]) -> None:
        self._rows[slot] = self.encoder.encode(list(texts))
        self._space = None

    def set_many(self, items: Sequence[tuple[int, Sequence[str]]]) -> None:
        flat = [t for _, texts in items for t in texts]
        vectors = self.encoder.encode(flat)
        at = 0
        for slot, texts in items:
            self._rows[slot] = vectors[at : at + len(texts)]
            at += len(texts)
        self._space = None

    def remove(self, slot: int) -> None:
        if self._rows.pop(slot, None) is not None:
            self._space = None

    def _compile(self) -> _Space:
        if self._space is not None:
            return self._space
        slots = sorted(self._rows)
        dim = self.encoder.dim
        rows = [self._rows[s] for s in slots]
        matrix = np.concatenate(rows) if rows else np.zeros((0, dim), dtype=np.float32)
        owners = np.concatenate(
            [np.full(len(r), s, dtype=np.int32) for s, r in zip(slots, rows, strict=True)]
            or [np.zeros(0, dtype=np.int32)]
        )
        size = (max(slots) + 1) if slots else 0
        centroids = _unit(_means(matrix, owners, size))
        if self._whiten is None or abs(len(matrix) - self._whiten[0]) > REFIT_CHANGE * self._whiten[0]:
            self._whiten = (len(matrix), fit_whitening(matrix, owners, size))
        whiten = self._whiten[1]
        centre = matrix.mean(axis=0) if len(matrix) else np.zeros(dim, dtype=np.float32)
        wmatrix = _unit((matrix - centre) @ whiten)
        self._space = _Space(matrix, owners, centroids, centre, whiten, wmatrix, _unit(_means(wmatrix, owners, size)))
        return self._space

    def scores(self, question: str, size: int) -> FloatArray:
        """Per slot (rows of `size`), the columns of `SCORE_COLUMNS`; -1 where a slot has no phrases.

        Raw cosines: the nearest phrase, the mean of the best three, the centroid; the
        nearest-example vote; then the nearest phrase and the centroid after whitening.
        """
        space = self._compile()
        out = np.full((size, len(SCORE_COLUMNS)), -1.0, dtype=np.float32)
        owners = space.owners
        if len(owners) == 0:
            return out
        q = self.encoder.encode([question])[0]
        sims = space.matrix @ q
        out[:, 0] = _best(sims, owners, size)
        out[:, 1] = _top3(sims, owners, size)
        out[: len(space.centroids), 2] = space.centroids @ q
        out[:, 3] = _vote(sims, owners, size, KNN, KNN_TEMPERATURE)
        wq = _unit((q - space.centre) @ space.whiten)
        wsims = space.wmatrix @ wq
        out[:, 4] = _best(wsims, owners, size)
        out[: len(space.wcentroids), 5] = space.wcentroids @ wq
        out[:, 6] = _vote(wsims, owners, size, WKNN, WKNN_TEMPERATURE)
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

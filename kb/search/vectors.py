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

Memory and time stay flat at 10,000 articles: phrase vectors are held once, as int8
(a scale per row; cosines move by about 0.002); the whitened cosine of a phrase is taken
from the same int8 row (`p·A(q-c)` over a kept norm, with `A` the squared whitening); an
article's centroid cosines, raw and whitened, are sums of its phrases' products with the
question over kept norms, so no centroid matrix is held. Once a locale has more than
`FULL_SCAN` phrases, only the phrases of the articles nearest by centroid (plus the
lexical candidates) are scored, and those are chosen in the `POOL_DIM` principal
directions of the centroids (a tenth of the memory and time of the full dimension; the
article nearest in full is in the pool for all but a few questions in a thousand). A
question may come in several forms (as typed, and as repaired); each column keeps its
best form.

The whitening and the pool's directions are refitted when the number of phrases has
changed by a tenth since the last fit, so a publish does not pay for them every time.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.search.frozen import mapped_array, write_folder
from kb.search.memory import FloatArray, IntArray
from kb.search.semantic import EXIT_WAIT, Deferred, Encoder
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
#: Principal directions of the centroids the pool is chosen in.
POOL_DIM = 192
#: Articles per step of the background warm-up (read from the store, or encoded, together).
WARM_BATCH = 256
#: Phrases the whitening is fitted on at most (a sample of articles beyond that).
FIT_SAMPLE = 30_000
#: The arrays of a compiled space kept beside an index generation (`SemanticIndex.adopt`).
KEPT_ARRAYS = ("codes", "scales", "owners", "slots", "starts", "ends", "norms", "wnorms", "wcnorms", "raw", "white")
KEPT_FIT = ("centre", "whiten", "raw_basis", "white_basis")
KEPT_META = "space.json"

Int8Array = np.ndarray

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Rows:
    """One article's phrase vectors, int8 with a scale per row (views into the compiled space once compiled)."""

    codes: Int8Array
    scales: FloatArray
    norm: float  # the length of the sum of the rows (whose direction is the article's centroid)

    @classmethod
    def many(cls, vectors: FloatArray, counts: Sequence[int]) -> list[_Rows]:
        """The rows of consecutive articles (`counts` phrases each, none empty) as views of one block.

        One block per batch rather than small arrays per article, which would fragment the heap.
        """
        scales = (np.maximum(np.abs(vectors).max(axis=1), 1e-9) / 127.0).astype(np.float32)
        codes = np.round(vectors / scales[:, None]).astype(np.int8)
        bounds = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        if len(codes) == 0:
            return []
        sums = np.add.reduceat(codes.astype(np.float32) * scales[:, None], bounds[:-1], axis=0)
        norms = np.linalg.norm(sums, axis=1).tolist()
        return [cls(codes[a:b], scales[a:b], n) for a, b, n in zip(bounds[:-1], bounds[1:], norms, strict=True)]

    def floats(self) -> FloatArray:
        return np.asarray(self.codes.astype(np.float32) * self.scales[:, None], dtype=np.float32)


@dataclass(frozen=True)
class _Fit:
    """What is fitted on the locale's phrases and refitted only when they have changed by a tenth."""

    phrases: int  # how many it was fitted on
    centre: FloatArray
    whiten: FloatArray  # dim × dim, symmetric
    raw_basis: FloatArray  # dim × POOL_DIM: principal directions of the unit centroids
    white_basis: FloatArray  # the same for the whitened unit centroids


@dataclass(frozen=True)
class _Derived:
    """One article's values under the current fit."""

    wnorms: FloatArray  # per phrase: |(p - centre) W|
    wnorm: float  # |(ŝ - centre) W| for its unit centroid ŝ
    raw: FloatArray  # its unit centroid in `raw_basis`
    white: FloatArray  # its whitened unit centroid in `white_basis`


@dataclass(frozen=True)
class _Space:
    """Every phrase of the locale, compiled for scoring (rebuilt after changes)."""

    codes: Int8Array  # phrases × dim
    scales: FloatArray  # per phrase
    owners: IntArray  # the slot of each phrase
    slots: IntArray  # the slots with phrases, ascending (their phrases are contiguous, in this order)
    starts: IntArray  # per slot: its first phrase
    ends: IntArray
    norms: FloatArray  # per slot: `_Rows.norm`
    wnorms: FloatArray  # per phrase
    wcnorms: FloatArray  # per slot: `_Derived.wnorm`
    fit: _Fit
    raw: FloatArray | None  # per entry of `slots`: `_Derived.raw` (None while every phrase is scored)
    white: FloatArray | None
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

    def __init__(
        self, enc: Encoder | Deferred, store: VectorStore | None = None, *, full_scan: int = FULL_SCAN, pool: int = POOL
    ) -> None:
        self.encoder = enc
        self.store = store
        self.full_scan = full_scan
        self.pool = pool
        self._rows: dict[int, _Rows] = {}
        self._space: _Space | None = None
        self._fit: _Fit | None = None
        self._derived: dict[int, _Derived] = {}  # per slot, under `_fit`
        self._pending: dict[int, Sequence[str]] = {}  # slots whose phrases are still being encoded
        self._lock = threading.RLock()
        self._warming: threading.Thread | None = None
        self._stopping = threading.Event()
        self._keep: tuple[Path, str] | None = None  # where to write the space once compiled, and for which generation

    @property
    def ready(self) -> bool:
        """False while phrases are encoded in the background, or the encoder still loads: answers
        use lexical evidence meanwhile."""
        warming = self._warming
        if isinstance(self.encoder, Deferred) and not self.encoder.loaded:
            return False
        return not self._pending and not (warming is not None and warming.is_alive())  # compiled too

    @property
    def pending(self) -> int:
        return sum(len(t) for t in list(self._pending.values()))

    def set(self, slot: int, texts: Sequence[str]) -> None:
        self._keep = None  # the space is no longer the generation's
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
        self._assign(items, self.encoder.phrases(flat, self.store))
        if len(items) > 1:
            self._compile()  # a whole locale (a build): compiled now, not by its first question
            self._write_kept()
            release_freed_memory()

    def _assign(self, items: Sequence[tuple[int, Sequence[str]]], vectors: FloatArray) -> None:
        """Give `items` their rows of `vectors` (one per text, in the order of `items`)."""
        present = [(slot, texts) for slot, texts in items if texts]
        rows = _Rows.many(vectors, [len(texts) for _, texts in present])
        with self._lock:
            for slot, _texts in items:
                self._pending.pop(slot, None)
                self._derived.pop(slot, None)
                self._rows.pop(slot, None)
            self._rows.update(zip((slot for slot, _ in present), rows, strict=True))
            self._space = None

    def _warm(self) -> None:
        with self._lock:
            if not self._pending or (self._warming is not None and self._warming.is_alive()):
                return
            self._stopping.clear()  # phrases given after a stop (an index reopened) are encoded again
            self._warming = threading.Thread(target=self._encode_pending, name="istok-vectors", daemon=True)
            self._warming.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background encoding to finish; whether every phrase has its vector."""
        thread = self._warming
        if thread is not None:
            thread.join(timeout)
        return self.ready

    def stop(self, timeout: float | None = EXIT_WAIT) -> None:
        """End the background encoding after its current batch (what is left stays pending).

        Called as the index closes, so that no thread is inside ONNX Runtime when the process
        leaves: that aborts the process instead of letting it exit with its status.
        """
        self._stopping.set()
        thread = self._warming
        if thread is not None:
            thread.join(timeout)

    def _encode_pending(self) -> None:
        try:
            while not self._stopping.is_set():
                with self._lock:
                    batch = list(itertools.islice(self._pending.items(), WARM_BATCH))
                if not batch:
                    break
                flat = [t for _, texts in batch for t in texts]
                vectors = self.encoder.phrases(flat, self.store)
                with self._lock:  # a slot removed or re-set meanwhile is no longer pending: leave it
                    kept, rows, at = [], [], 0
                    for slot, texts in batch:
                        if self._pending.get(slot) is texts:
                            kept.append((slot, texts))
                            rows.append(np.arange(at, at + len(texts)))
                        at += len(texts)
                    if len(kept) < len(batch):
                        vectors = vectors[np.concatenate(rows)] if rows else vectors[:0]
                    self._assign(kept, vectors)
            if self._stopping.is_set():
                return
            self._compile()
            self._write_kept()
            release_freed_memory()
        except Exception:  # contained: the lexical evidence keeps answering
            logger.exception("encoding phrase vectors failed; answers stay lexical for this locale")

    def remove(self, slot: int) -> None:
        with self._lock:
            self._keep = None
            self._pending.pop(slot, None)
            self._derived.pop(slot, None)
            if self._rows.pop(slot, None) is not None:
                self._space = None

    # ---- the compiled space kept beside an index generation -----------------------------

    def keep_to(self, folder: Path, generation: str) -> None:
        """Write the space to `folder` once it is compiled from the phrases given so far, for the
        other processes of the host to map (`adopt`) instead of reading and compiling it each.

        Forgotten if a phrase is set or removed first: that space is not the generation's.
        """
        self._keep = (folder, generation)

    def _write_kept(self) -> None:
        with self._lock:
            target, self._keep = self._keep, None
            space = self._space
            if target is None or space is None:
                return
            listed = space.slots.tolist()
            dim = space.fit.whiten.shape[0]
            raw = np.stack([self._derived[s].raw for s in listed]) if listed else np.zeros((0, POOL_DIM), np.float32)
            white = (
                np.stack([self._derived[s].white for s in listed]) if listed else np.zeros((0, POOL_DIM), np.float32)
            )
        folder, generation = target
        arrays = {name: getattr(space, name) for name in KEPT_ARRAYS if name not in ("raw", "white")}
        arrays |= {"raw": raw, "white": white} | {name: getattr(space.fit, name) for name in KEPT_FIT}
        meta = {"generation": generation, "phrases": space.fit.phrases, "dim": dim}

        def fill(tmp: Path) -> None:
            for name, array in arrays.items():
                np.save(tmp / f"{name}.npy", np.ascontiguousarray(array))
            (tmp / KEPT_META).write_text(json.dumps(meta), encoding="utf-8")

        try:
            write_folder(folder, fill)
        except OSError as exc:  # a read-only or full data folder: each process compiles its own
            logger.warning("the compiled phrase vectors cannot be kept in %s (%s)", folder, exc)

    def adopt(self, folder: Path, generation: str) -> bool:
        """Map the space a process compiled for `generation` into `folder`; False when there is none
        (or it is of another generation, or damaged): then the phrases are read and compiled here."""
        try:
            meta = json.loads((folder / KEPT_META).read_text(encoding="utf-8"))
            if meta.get("generation") != generation or int(meta["dim"]) != self.encoder.dim:
                return False
            a = {name: mapped_array(folder / f"{name}.npy") for name in KEPT_ARRAYS + KEPT_FIT}
        except (OSError, ValueError, KeyError, TypeError):
            return False
        n, size, listed = len(a["codes"]), len(a["starts"]), len(a["slots"])
        whole = (
            len(a["scales"]) == len(a["owners"]) == len(a["wnorms"]) == n
            and len(a["ends"]) == len(a["norms"]) == len(a["wcnorms"]) == size
            and a["raw"].shape == a["white"].shape == (listed, POOL_DIM)
            and a["whiten"].shape == (self.encoder.dim, self.encoder.dim)
            and (n == 0 or a["codes"].shape[1] == self.encoder.dim)
        )
        if not whole:
            return False
        fit = _Fit(int(meta["phrases"]), a["centre"], a["whiten"], a["raw_basis"], a["white_basis"])
        pooled = n > self.full_scan and listed > 0
        dense = None if pooled else a["codes"].astype(np.float32) * a["scales"][:, None]
        space = _Space(
            a["codes"], a["scales"], a["owners"], a["slots"], a["starts"], a["ends"], a["norms"], a["wnorms"],
            a["wcnorms"], fit, a["raw"] if pooled else None, a["white"] if pooled else None, dense,
        )  # fmt: skip
        rows: dict[int, _Rows] = {}
        derived: dict[int, _Derived] = {}
        for i, s in enumerate(a["slots"].tolist()):
            lo, hi = int(a["starts"][s]), int(a["ends"][s])
            rows[s] = _Rows(a["codes"][lo:hi], a["scales"][lo:hi], float(a["norms"][s]))
            derived[s] = _Derived(a["wnorms"][lo:hi], float(a["wcnorms"][s]), a["raw"][i], a["white"][i])
        with self._lock:
            self._rows, self._derived, self._fit, self._space = rows, derived, fit, space
            self._pending = {}
        return True

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
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        starts = np.zeros(size, dtype=np.int32)
        ends = np.zeros(size, dtype=np.int32)
        starts[slots], ends[slots] = offsets[:-1], offsets[1:]
        codes = np.concatenate([self._rows[s].codes for s in slots]) if slots else np.zeros((0, dim), np.int8)
        scales = np.concatenate([self._rows[s].scales for s in slots]) if slots else np.zeros(0, np.float32)
        owners = np.repeat(np.array(slots, dtype=np.int32), counts) if slots else np.zeros(0, np.int32)
        n = len(codes)
        if self._fit is None or abs(n - self._fit.phrases) > REFIT_CHANGE * max(self._fit.phrases, 1):
            self._fit = self._fitted(slots)
            self._derived = {}
        fit = self._fit
        self._derive_new(slots, fit)
        norms = np.zeros(size, dtype=np.float32)
        wcnorms = np.zeros(size, dtype=np.float32)
        norms[slots] = [self._rows[s].norm for s in slots]
        wcnorms[slots] = [self._derived[s].wnorm for s in slots]
        wnorms = np.concatenate([self._derived[s].wnorms for s in slots]) if slots else np.zeros(0, np.float32)
        pooled = n > self.full_scan and bool(slots)
        raw = np.stack([self._derived[s].raw for s in slots]) if pooled else None
        white = np.stack([self._derived[s].white for s in slots]) if pooled else None
        # The per-slot rows become views of the compiled arrays, so each vector is held once.
        for i, s in enumerate(slots):
            a, b = int(offsets[i]), int(offsets[i + 1])
            self._rows[s] = _Rows(codes[a:b], scales[a:b], self._rows[s].norm)
            d = self._derived[s]
            self._derived[s] = _Derived(
                wnorms[a:b], d.wnorm, raw[i] if raw is not None else d.raw, white[i] if white is not None else d.white
            )
        dense = codes.astype(np.float32) * scales[:, None] if not pooled else None
        ordered = np.array(slots, dtype=np.int32)
        return _Space(codes, scales, owners, ordered, starts, ends, norms, wnorms, wcnorms, fit, raw, white, dense)

    def _derive_new(self, slots: list[int], fit: _Fit) -> None:
        """`_Derived` of the slots that lack it (all of them after a refit only), 512 articles at a time."""
        new = [s for s in slots if s not in self._derived]
        for at in range(0, len(new), 512):
            chunk = new[at : at + 512]
            floats = [self._rows[s].floats() for s in chunk]
            part = np.concatenate(floats) - fit.centre
            norms = np.linalg.norm(part @ fit.whiten, axis=1).astype(np.float32)
            bounds = np.cumsum([len(f) for f in floats])[:-1]
            unit = _unit(np.stack([f.sum(axis=0) for f in floats]))
            white = np.asarray((unit - fit.centre) @ fit.whiten, dtype=np.float32)
            wnorm = np.linalg.norm(white, axis=1)
            raw_in, white_in = unit @ fit.raw_basis, _unit(white) @ fit.white_basis
            for i, (s, mine) in enumerate(zip(chunk, np.split(norms, bounds), strict=True)):
                self._derived[s] = _Derived(mine, float(wnorm[i]), raw_in[i], white_in[i])

    def _fitted(self, slots: list[int]) -> _Fit:
        """Whitening, centre and the pool's bases: from every phrase, or past `FIT_SAMPLE` a sample of articles."""
        chosen = slots
        total = sum(len(self._rows[s].codes) for s in slots)
        if total > FIT_SAMPLE:
            chosen = sorted(np.random.default_rng(0).permutation(slots)[: FIT_SAMPLE * len(slots) // total].tolist())
        dim = self.encoder.dim
        if not chosen:
            eye = np.eye(dim, dtype=np.float32)
            return _Fit(0, np.zeros(dim, dtype=np.float32), eye, eye[:, :POOL_DIM], eye[:, :POOL_DIM])
        floats = [self._rows[s].floats() for s in chosen]
        matrix = np.concatenate(floats)
        owners = np.repeat(np.arange(len(chosen), dtype=np.int32), [len(f) for f in floats])
        whiten = fit_whitening(matrix, owners, len(chosen))
        centre = matrix.mean(axis=0).astype(np.float32)
        unit = _unit(np.stack([f.sum(axis=0) for f in floats]))
        white = _unit(np.asarray((unit - centre) @ whiten, dtype=np.float32))
        return _Fit(total, centre, whiten, principal(unit), principal(white))

    def scores(self, forms: Sequence[str], size: int, near: IntArray | None = None) -> tuple[IntArray, FloatArray]:
        """Slots scored (ascending) and their `SCORE_COLUMNS` (the best over the question's `forms`).

        Every slot with phrases is scored while the locale has at most `full_scan`
        phrases; past that, the `pool` slots nearest by either centroid and the slots in
        `near` (the lexical candidates).
        """
        space = self._compile()
        if len(space.owners) == 0 or not forms:
            return np.zeros(0, dtype=np.int32), np.zeros((0, len(SCORE_COLUMNS)), dtype=np.float32)
        fit = space.fit
        questions = self.encoder.questions(list(forms))  # forms × dim
        centred = questions - fit.centre
        wq = centred @ fit.whiten
        wq_norm = np.maximum(np.linalg.norm(wq, axis=1), 1e-9)
        pool = self._pool(space, questions, wq / wq_norm[:, None], near)
        rows, matrix, scales = _phrases(space, pool)
        lengths = space.ends[pool] - space.starts[pool]
        first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        u = wq @ fit.whiten  # (q - c)·W², with W symmetric and still in the cache from `wq`
        offset = fit.centre @ u.T  # per form
        # One pass over the phrases for both products; each row's int8 scale applied to the result.
        columns = np.asarray(np.concatenate((questions, u)).T, dtype=np.float32)
        both = matrix @ columns
        if scales is not None:
            both *= scales[:, None]
        sims, products = both[:, : len(questions)], both[:, len(questions) :]  # phrases × forms
        wsims = (products - offset) / (np.maximum(space.wnorms[rows], 1e-9)[:, None] * wq_norm[None, :])
        # An article's centroid cosines: sums of its phrases' products over its kept norms.
        norms = space.norms[pool][:, None]
        empty = norms[:, 0] == 0
        norms = np.maximum(norms, 1e-9)
        centroid = np.asarray(np.add.reduceat(sims, first, axis=0) / norms, dtype=np.float32)
        wcentroid = np.asarray(
            (np.add.reduceat(products, first, axis=0) / norms - offset)
            / (np.maximum(space.wcnorms[pool], 1e-9)[:, None] * wq_norm[None, :]),
            dtype=np.float32,
        )
        centroid[empty], wcentroid[empty] = 0.0, 0.0
        local, place, width = _grouped(lengths, len(rows))
        return pool, _columns(local, place, width, sims, wsims, centroid, wcentroid)

    def _pool(self, space: _Space, questions: FloatArray, wunit: FloatArray, near: IntArray | None) -> IntArray:
        """The slots to score: all with phrases, or the nearest by either centroid and the `near` ones."""
        if space.raw is None or space.white is None or len(space.slots) <= self.pool:
            return space.slots
        k = self.pool
        raw = (space.raw @ (questions @ space.fit.raw_basis).T).max(axis=1)
        white = (space.white @ (wunit @ space.fit.white_basis).T).max(axis=1)
        picked = [space.slots[np.argpartition(-raw, k - 1)[:k]], space.slots[np.argpartition(-white, k - 1)[:k]]]
        if near is not None and len(near):
            near = near[near < len(space.ends)]
            picked.append(near[space.ends[near] > space.starts[near]])
        return np.unique(np.concatenate(picked)).astype(np.int32)


def release_freed_memory() -> None:
    """Hand the heap's free pages back to the system after a warm-up (glibc only; elsewhere nothing).

    Reading and compiling a locale's vectors frees a few hundred megabytes of transient
    arrays; glibc keeps such pages for reuse, so a worker would look (and be billed) as if it
    still held them.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def principal(rows: FloatArray) -> FloatArray:
    """The `POOL_DIM` directions along which `rows` spread most (dim × POOL_DIM), for dot products."""
    moment = rows.astype(np.float64).T @ rows.astype(np.float64)
    _values, vectors = np.linalg.eigh(moment)  # ascending
    return np.ascontiguousarray(vectors[:, ::-1][:, :POOL_DIM], dtype=np.float32)


def _phrases(space: _Space, pool: IntArray) -> tuple[IntArray, FloatArray, FloatArray | None]:
    """The phrase rows of the pooled slots (contiguous per slot, in pool order), their vectors, and their scales.

    Past `FULL_SCAN` the vectors are the int8 codes as float32, unscaled: the caller scales the
    products (phrases × a few columns) rather than the rows (phrases × 512). While every phrase
    is scored they are the kept float32 rows, already scaled (scales None).
    """
    if space.dense is not None:
        return np.arange(len(space.owners), dtype=np.int32), space.dense, None
    starts, lengths = space.starts[pool], space.ends[pool] - space.starts[pool]
    first = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    rows = (first + np.arange(int(lengths.sum()))).astype(np.int32)
    return rows, space.codes[rows].astype(np.float32), space.scales[rows]


def _grouped(lengths: IntArray, total: int) -> tuple[IntArray, IntArray, int]:
    """Each phrase's (pool index, place in its article) for a padded pool × width layout, and the width."""
    local = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
    first = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    place = (np.arange(total, dtype=np.int64) - np.repeat(first, lengths)).astype(np.int32)
    return local, place, int(lengths.max()) if len(lengths) else 0


def _columns(
    local: IntArray,
    place: IntArray,
    width: int,
    sims: FloatArray,
    wsims: FloatArray,
    centroid: FloatArray,
    wcentroid: FloatArray,
) -> FloatArray:
    """`SCORE_COLUMNS` of each pooled slot, the best over the question's forms (columns of `sims`).

    Phrases are contiguous per slot, so they are laid out padded, one row per slot, and every
    per-article reduction is one operation along that row for all forms at once.
    """
    size, forms = centroid.shape
    padded = np.full((2, forms, size, width), -np.inf, dtype=np.float32)
    padded[0][:, local, place] = sims.T
    padded[1][:, local, place] = wsims.T
    best = padded.max(axis=-1)  # 2 × forms × size
    top = np.sort(padded[0], axis=-1)[..., -3:]
    finite = np.isfinite(top)
    top3 = np.where(finite, top, 0.0).sum(axis=-1) / np.maximum(finite.sum(axis=-1), 1)
    columns = np.stack(
        (
            best[0],
            top3,
            centroid.T,
            _vote(sims, local, size, KNN, KNN_TEMPERATURE),
            best[1],
            wcentroid.T,
            _vote(wsims, local, size, WKNN, WKNN_TEMPERATURE),
        ),
        axis=-1,
    )  # forms × size × columns
    return np.asarray(columns.max(axis=0), dtype=np.float32)


def _vote(sims: FloatArray, owners: IntArray, size: int, k: int, temperature: float) -> FloatArray:
    """Per form: each slot's share of the softmax vote of the `k` phrases nearest to the question."""
    k = min(k, len(sims))
    out = np.empty((sims.shape[1], size), dtype=np.float32)
    for f in range(sims.shape[1]):
        column = sims[:, f]
        near = np.argpartition(-column, k - 1)[:k]
        votes = np.exp((column[near] - column[near].max()) / temperature)
        out[f] = np.bincount(owners[near], weights=votes / votes.sum(), minlength=size)
    return out

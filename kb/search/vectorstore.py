"""Phrase vectors kept on disk by the hash of their text, so nothing is encoded twice.

A cold index build of 10,000 articles encodes about 110,000 titles and example
questions (a minute); a restart, another worker or a publish finds every unchanged
text here and encodes only the new ones. The file is a cache like the rest of the
search folder: one per encoder (`semantic.ENCODER_ID` is in its name), shared by the
processes of a host (SQLite in WAL mode), and when it is damaged, locked or
unwritable the vectors are simply encoded again: a failure here costs time, never an
answer.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kb.search.memory import FloatArray

logger = logging.getLogger(__name__)

_CHUNK = 500  # keys per SELECT (under SQLite's variable limit)


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class VectorStore:
    """`text → float16 vector` in one SQLite file."""

    def __init__(self, path: Path, dim: int) -> None:
        self.path = path
        self.dim = dim
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=2.0, check_same_thread=False, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL) WITHOUT ROWID")
                self._db = db
            except (OSError, sqlite3.Error) as exc:
                self._fail(exc)
        return self._db

    def _fail(self, exc: Exception) -> None:
        if not self._broken:
            logger.warning("phrase vectors are not kept on disk (%s: %s): they will be encoded again", self.path, exc)
        self._broken = True
        self._db = None

    def read_into(self, texts: Sequence[str], out: FloatArray) -> np.ndarray:
        """Write the stored vector of each of `texts` into its row of `out`; which rows were found.

        Rows are written in place, not returned one array each: a warm-up reads a hundred
        thousand vectors, and as many small arrays would leave the heap fragmented for good.
        """
        found = np.zeros(len(texts), dtype=bool)
        rows: dict[bytes, list[int]] = {}
        for i, text in enumerate(texts):
            rows.setdefault(_key(text), []).append(i)
        with self._lock:
            db = self._connect()
            if db is None:
                return found
            keys = list(rows)
            try:
                for at in range(0, len(keys), _CHUNK):
                    chunk = keys[at : at + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    for key, blob in db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk):
                        if len(blob) == 2 * self.dim:
                            where = rows[key]
                            out[where] = np.frombuffer(blob, dtype=np.float16)
                            found[where] = True
            except sqlite3.Error as exc:
                self._fail(exc)
        return found

    def put_many(self, items: Sequence[tuple[str, FloatArray]]) -> None:
        """Keep `items`; a failure is logged once and then ignored."""
        rows = [(_key(t), np.asarray(v, dtype=np.float16).tobytes()) for t, v in items]
        with self._lock:
            db = self._connect()
            if db is None:
                return
            try:
                with db:
                    db.execute("BEGIN")
                    db.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)
            except sqlite3.Error as exc:
                self._fail(exc)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

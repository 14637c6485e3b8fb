"""Parsed units kept on disk by content hash, beside the search index.

Parsing a revision with Python-Markdown costs one to two milliseconds; loading the same
tree back costs a few dozen microseconds. The search index parses every published unit
when it is built, so keeping each tree here means a serving process (or a second worker)
answers a question about an article it has not touched yet without parsing it again.

The file is derived data like the whoosh index: keyed by content hash (which fixes the
tree), safe to delete, rebuilt as units are parsed. A read or write that fails (locked by
another process, damaged file) only costs a parse, never an error. Trees are pickled, so
the file must be as trusted as the rest of `ISTOK_DATA_DIR`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import sqlite3
import threading
from dataclasses import fields, is_dataclass
from pathlib import Path

from kb import tree
from kb.markdown_ext import PARSER_VERSION
from kb.tree import Unit

logger = logging.getLogger(__name__)


def _shape() -> str:
    """A fingerprint of the tree's classes and their fields: pickles of another shape are never loaded."""
    classes = sorted(
        (obj for obj in vars(tree).values() if isinstance(obj, type) and is_dataclass(obj)), key=lambda c: c.__name__
    )
    described = ";".join(f"{c.__name__}({','.join(f.name for f in fields(c))})" for c in classes)
    return hashlib.sha256(described.encode()).hexdigest()[:16]


#: The tree's shape and the parser that built it: a tree kept by another parser version
#: (perhaps one that parsed some sources wrongly) is never loaded, only parsed again.
FORMAT = hashlib.sha256(f"{_shape()}/{PARSER_VERSION}".encode()).hexdigest()[:16]


class UnitFile:
    """A SQLite file of pickled units, one connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection | None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) != os.getpid():
            conn = None  # a forked child (the index build's pool) must not share its parent's connection
        if conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=2.0, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=OFF")  # a lost write costs one parse
                conn.execute("CREATE TABLE IF NOT EXISTS units (hash TEXT PRIMARY KEY, format TEXT, tree BLOB)")
            except sqlite3.Error:
                logger.warning("parsed-unit file %s unusable; parsing instead", self.path, exc_info=True)
                return None
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def get(self, digest: str) -> Unit | None:
        conn = self._connection()
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT tree FROM units WHERE hash = ? AND format = ?", (digest, FORMAT)).fetchone()
            unit = pickle.loads(row[0]) if row is not None else None
        except (sqlite3.Error, pickle.UnpicklingError, AttributeError, EOFError, TypeError):
            return None
        return unit if isinstance(unit, Unit) and unit.content_hash == digest else None

    def put(self, unit: Unit) -> None:
        conn = self._connection()
        if conn is None:
            return
        try:
            blob = pickle.dumps(unit, protocol=pickle.HIGHEST_PROTOCOL)
        except (RecursionError, pickle.PicklingError, TypeError):
            logger.warning(
                "parsed unit %s/%s cannot be kept on disk; it is parsed again when needed",
                unit.locale,
                unit.key,
                exc_info=True,
            )
            return
        # Busy with another process's write, or damaged: this tree is simply parsed again next time.
        with contextlib.suppress(sqlite3.Error):
            conn.execute(
                "INSERT OR REPLACE INTO units (hash, format, tree) VALUES (?, ?, ?)", (unit.content_hash, FORMAT, blob)
            )

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

"""SQLite: the online backup API copies a live (WAL) database page by page under one read snapshot."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from kb.backup.archive import BackupError


def database_file(engine: sa.Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up or restore into")
    return Path(database)


def snapshot(engine: sa.Engine, payload: Path) -> tuple[str | None, dict[str, int]]:
    """SQLite's backup API copies every page in one step under one read snapshot, then VACUUM drops free pages."""
    source = sqlite3.connect(database_file(engine), timeout=30)
    target = sqlite3.connect(payload)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        target.execute("VACUUM")  # free pages (already zeroed by secure_delete) are not carried along
        return _sqlite_revision(target), _sqlitecounts(target)
    finally:
        target.close()
        source.close()


def restore(engine: sa.Engine, payload: Path) -> None:
    target_file = database_file(engine)
    target_file.parent.mkdir(parents=True, exist_ok=True)
    engine.dispose()  # our pooled connections would keep reading the pages being replaced
    source = sqlite3.connect(payload)
    target = sqlite3.connect(target_file, timeout=30)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise BackupError(f"cannot restore into {target_file}: {exc} (is `istok serve` still using it?)") from exc
    finally:
        target.close()
        source.close()


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


def _sqlitecounts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        str(r[0])
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ]
    return {name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in sorted(names)}

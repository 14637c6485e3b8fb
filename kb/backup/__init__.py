"""Backups: one file holding a consistent snapshot of the database, and restoring it into an empty one.

The file is a tar archive of two members: `manifest.json` (format version, Istok version,
dialect, migration, creation time, rows per table, the payload's SHA-256) and the payload
itself — on SQLite a copy of the database made with SQLite's online backup API (consistent
while the service writes, in WAL mode), on PostgreSQL a `pg_dump --format=custom` taken in
the very snapshot the rows were counted in (`pg_export_snapshot`). A restore checks the file
whole before touching anything, refuses a database that holds data (unless forced), a newer
format or schema and the other dialect, restores, checks the rows against the manifest, then
migrates to this code's head, so an older backup comes back into the newer schema. Last, the
caller's `reapply` erases again everyone the erasure journal names (`kb.erasure_journal`):
kb cannot import contact context, so the one erase function is handed in.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from kb.audit import Actor, as_actor
from kb.audit import record as audit_record
from kb.backup import postgresql, sqlite
from kb.backup.archive import (
    FORMAT_VERSION,
    PAYLOADS,
    BackupError,
    Manifest,
    istok_version,
    read_manifest,
    sha256,
    unpack,
    write_archive,
)
from kb.backup.tables import check_empty, counts, wipe
from kb.db import MIGRATIONS_DIR, head_revision, upgrade, write_session
from kb.erasure_journal import Erasure, read_erasures
from kb.errors import IstokError
from kb.models import utcnow

__all__ = ["BackupError", "Manifest", "Reapply", "RestoreReport", "create_backup", "read_manifest", "restore_backup"]

#: Erases again, in the restored database, everyone the journal names; returns the contact ids it erased.
Reapply = Callable[[Session, Sequence[Erasure], dt.datetime], list[int]]


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did: the backup's manifest, the migrations run after it, who was erased again."""

    manifest: Manifest
    migrated_from: str | None
    migrated_to: str | None
    reerased: list[int] = field(default_factory=list)
    journal_entries: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "manifest": self.manifest.as_dict(),
            "migrated_from": self.migrated_from,
            "migrated_to": self.migrated_to,
            "journal_entries": self.journal_entries,
            "reerased_contacts": self.reerased,
        }


def create_backup(path: Path, *, engine: sa.Engine, actor: Actor | str) -> Manifest:
    """Write a consistent snapshot of the database to `path` (replaced only once complete)."""
    dialect = _dialect(engine)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".istok-backup-", dir=path.parent) as tmp:  # the file's disk, not /tmp
        payload = Path(tmp) / PAYLOADS[dialect]
        created_at = utcnow()
        if dialect == "sqlite":
            revision, rows = sqlite.snapshot(engine, payload)
        else:
            revision, rows = postgresql.dump(engine, payload)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            istok_version=istok_version(),
            dialect=dialect,
            alembic_revision=revision,
            created_at=created_at,
            counts=rows,
            payload=payload.name,
            payload_sha256=sha256(payload),
        )
        write_archive(path, manifest, payload)
    with write_session(engine) as session:
        who = as_actor(actor)
        audit_record(
            session, actor=who.name, role=who.role, action="database.backup", target="database", client=who.client
        )
    return manifest


def restore_backup(
    path: Path, *, engine: sa.Engine, reapply: Reapply, actor: Actor | str, force: bool = False
) -> RestoreReport:
    """Restore `path` into the (empty) database of `engine`, migrate it, and erase again who was erased.

    `force` replaces a database that holds data. Every check (the journal's readability
    included) runs before anything is changed. Should anything fail once the database was
    replaced, it is emptied again: a half-checked restore, or one that still holds people
    erased since, is worse than none.
    """
    dialect = _dialect(engine)
    erasures = read_erasures()
    scratch = sqlite.database_file(engine).parent if dialect == "sqlite" else None  # the database's disk
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".istok-restore-", dir=scratch) as tmp:
        manifest, payload = unpack(Path(path), Path(tmp))
        _check_restorable(manifest, dialect)
        if not force:
            check_empty(engine)
        if dialect == "sqlite":
            sqlite.restore(engine, payload)
        else:
            postgresql.restore(engine, payload)
    try:
        reerased = _finish_restore(engine, manifest, erasures, reapply, as_actor(actor))
    except Exception as exc:
        wipe(engine)
        detail = exc.detail if isinstance(exc, IstokError) else f"{type(exc).__name__}: {exc}"
        raise BackupError(f"the restore was undone (the database is empty again): {detail}") from exc
    return RestoreReport(
        manifest=manifest,
        migrated_from=manifest.alembic_revision,
        migrated_to=head_revision(),
        reerased=reerased,
        journal_entries=len(erasures),
    )


def _finish_restore(
    engine: sa.Engine, manifest: Manifest, erasures: Sequence[Erasure], reapply: Reapply, who: Actor
) -> list[int]:
    """Check the rows against the manifest, migrate, erase again; the audit row says what was restored."""
    restored = counts(engine)
    if restored != manifest.counts:
        changed = sorted(t for t in set(restored) | set(manifest.counts) if restored.get(t) != manifest.counts.get(t))
        raise BackupError(f"the restored database does not hold the rows the manifest lists (tables {changed})")
    upgrade(engine)
    with write_session(engine) as session:
        reerased = reapply(session, erasures, manifest.created_at)
        audit_record(
            session,
            actor=who.name,
            role=who.role,
            action="database.restore",
            target="database",
            client=who.client,
            backup_created_at=manifest.created_at.isoformat(),
            reerased=reerased,
        )
    return reerased


def _dialect(engine: sa.Engine) -> str:
    name = engine.dialect.name
    if name not in PAYLOADS:
        raise BackupError(f"backups cover SQLite and PostgreSQL, not {name}")
    return name


def _check_restorable(manifest: Manifest, dialect: str) -> None:
    if manifest.dialect != dialect:
        raise BackupError(
            f"this backup is of a {manifest.dialect} database and the target is {dialect}; "
            "restore it into the same kind of database (moving between them is not supported)"
        )
    revision = manifest.alembic_revision
    if revision is not None and not _known_revision(revision):
        raise BackupError(
            f"this backup's schema is at migration {revision}, which this Istok ({istok_version()}) does not "
            f"know (its newest is {head_revision()}): the backup was made by a newer Istok; upgrade Istok first"
        )


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return any(rev.revision == revision for rev in script.walk_revisions())

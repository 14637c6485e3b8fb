"""The backup file: a tar archive of `manifest.json` and one payload, checked whole before use.

The manifest says what the file holds (format version, Istok version, dialect, migration,
creation time, rows per table) and the payload's SHA-256, so a damaged or tampered file is
refused before anything is changed. A newer format is refused with the version this code reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from kb.errors import IstokError

#: The archive layout this code writes; a restore refuses a file of a newer one.
FORMAT = "istok-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PAYLOADS = {"sqlite": "istok.sqlite", "postgresql": "istok.pgdump"}


class BackupError(IstokError):
    """A backup cannot be made or a file cannot be restored; nothing was changed."""

    status = 422
    slug = "backup-error"


@dataclass(frozen=True)
class Manifest:
    """What a backup file says about itself."""

    format_version: int
    istok_version: str
    dialect: str
    alembic_revision: str | None
    created_at: dt.datetime
    counts: dict[str, int]
    payload: str
    payload_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": self.format_version,
            "istok_version": self.istok_version,
            "dialect": self.dialect,
            "alembic_revision": self.alembic_revision,
            "created_at": self.created_at.isoformat(),
            "counts": dict(sorted(self.counts.items())),
            "payload": self.payload,
            "payload_sha256": self.payload_sha256,
        }


def istok_version() -> str:
    try:
        return metadata.version("istok")
    except metadata.PackageNotFoundError:
        return "unknown"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_archive(path: Path, manifest: Manifest, payload: Path) -> None:
    """Write next to `path`, fsync, then rename: a crash never leaves half a backup under the name."""
    partial = path.with_name(f".{path.name}.partial")
    body = json.dumps(manifest.as_dict(), indent=2).encode()
    try:
        with partial.open("wb") as out:
            with tarfile.open(fileobj=out, mode="w:gz") as archive:
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(body)
                info.mtime = int(manifest.created_at.timestamp())
                archive.addfile(info, io.BytesIO(body))
                archive.add(payload, arcname=payload.name)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"cannot write the backup file {path}: {exc.strerror or exc}") from exc


def manifest_of(archive: tarfile.TarFile, path: Path) -> Manifest:
    member = archive.extractfile(MANIFEST)
    if member is None:
        raise BackupError(f"{path} is not an Istok backup file (no {MANIFEST})")
    try:
        data: Mapping[str, Any] = json.loads(member.read())
        if data.get("format") != FORMAT:
            raise BackupError(f"{path} is not an Istok backup file (format {data.get('format')!r})")
        version = int(data["format_version"])
        if version > FORMAT_VERSION:
            raise BackupError(
                f"{path} is a backup of format version {version}; this Istok ({istok_version()}) reads "
                f"up to version {FORMAT_VERSION}: upgrade Istok to restore it"
            )
        return Manifest(
            format_version=version,
            istok_version=str(data["istok_version"]),
            dialect=str(data["dialect"]),
            alembic_revision=None if data["alembic_revision"] is None else str(data["alembic_revision"]),
            created_at=dt.datetime.fromisoformat(str(data["created_at"])),
            counts={str(k): int(v) for k, v in dict(data["counts"]).items()},
            payload=str(data["payload"]),
            payload_sha256=str(data["payload_sha256"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path} has a damaged manifest ({exc})") from exc


def unpack(path: Path, into: Path) -> tuple[Manifest, Path]:
    """The manifest and the payload extracted into `into`, its SHA-256 checked."""
    try:
        with tarfile.open(path, "r:*") as archive:
            manifest = manifest_of(archive, path)
            if manifest.payload not in PAYLOADS.values():
                raise BackupError(f"{path} names an unknown payload {manifest.payload!r}")
            member = archive.extractfile(manifest.payload)
            if member is None:
                raise BackupError(f"{path} lacks its payload {manifest.payload}")
            payload = into / manifest.payload
            with payload.open("wb") as out:
                shutil.copyfileobj(member, out)
    except FileNotFoundError as exc:
        raise BackupError(f"no backup file {path}") from exc
    except KeyError as exc:
        raise BackupError(f"{path} is not an Istok backup file (missing {exc})") from exc
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path} is damaged (the archive cannot be read: {exc})") from exc
    if sha256(payload) != manifest.payload_sha256:
        raise BackupError(f"{path} is damaged: its payload does not match the SHA-256 its manifest records")
    return manifest, payload


def read_manifest(path: Path) -> Manifest:
    """The manifest of a backup file, checked for format and version (not the payload's hash)."""
    try:
        with tarfile.open(path, "r:*") as archive:
            return manifest_of(archive, path)
    except (OSError, KeyError, tarfile.TarError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path} is not an Istok backup file (not a readable archive: {exc})") from exc

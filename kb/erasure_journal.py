"""The erasure journal: erasures written outside the database, so a restored backup forgets them again.

A backup taken before a client was erased still holds the client. Each erasure therefore
appends one line to a JSON Lines file that lives apart from the database (ISTOK_ERASURE_JOURNAL,
default `erasures.jsonl` in ISTOK_DATA_DIR), and a restore erases again everyone the journal
names. A line holds only what finds the person again, never a value in clear: the contact ids
with each contact's creation time (ids are never reused, and the creation time ties an entry
to that very row, so a journal from another database erases nobody), and a keyed hash
(HMAC-SHA256 with ISTOK_SECRET_KEY, else the data folder's `secret-key`) of each identity the
contacts had. Lines are appended under a lock and fsynced before the erasure commits: an
erasure that cannot be journaled does not happen, and one whose transaction fails after its
line was written is made by the next restore anyway, erring on the side the client asked for.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kb.config import load_settings, secret_key
from kb.errors import IstokError

#: The version of a journal line's layout; a reader skips nothing silently, it refuses newer lines.
JOURNAL_VERSION = 1


class ErasureJournalError(IstokError):
    """The journal cannot be written or read; an erasure is refused rather than left unjournaled."""

    status = 503
    slug = "erasure-journal-error"


@dataclass(frozen=True)
class ErasedContact:
    """A contact row an erasure emptied: its id and when it was created (which no other row shares)."""

    id: int
    created_at: dt.datetime


@dataclass(frozen=True)
class Erasure:
    """One journal line: when, which contact rows, and the keyed hashes of their identities."""

    at: dt.datetime
    contacts: tuple[ErasedContact, ...]
    identities: frozenset[str]
    key_id: str  # which key hashed the identities; another key's hashes match nothing


def journal_path() -> Path:
    """ISTOK_ERASURE_JOURNAL, else `erasures.jsonl` in the data folder."""
    given = os.environ.get("ISTOK_ERASURE_JOURNAL", "").strip()
    return Path(given).resolve() if given else load_settings().data_dir / "erasures.jsonl"


def identity_digest(channel: str, address: str) -> str:
    """The keyed hash an identity is journaled as (the same for the same channel and address)."""
    message = f"{channel}\x00{address}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def key_id() -> str:
    """A short name of the hashing key, so a reader knows whether its hashes can match."""
    return hmac.new(_key(), b"istok erasure journal key", hashlib.sha256).hexdigest()[:16]


def record_erasure(
    *, contacts: Sequence[ErasedContact], identities: Iterable[tuple[str, str]], at: dt.datetime
) -> None:
    """Append one erasure and fsync it; raises ErasureJournalError when it cannot be kept."""
    line = {
        "v": JOURNAL_VERSION,
        "at": at.astimezone(dt.UTC).isoformat(),
        "contacts": [{"id": c.id, "created_at": _utc(c.created_at).isoformat()} for c in contacts],
        "identities": sorted({identity_digest(ch, addr) for ch, addr in identities}),
        "key_id": key_id(),
    }
    data = (json.dumps(line, separators=(",", ":")) + "\n").encode()
    path = journal_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(path.parent)
    except OSError as exc:
        raise ErasureJournalError(
            f"cannot append to the erasure journal {path} ({exc.strerror or exc}); the erasure was not made"
        ) from exc


def read_erasures(path: Path | None = None) -> list[Erasure]:
    """Every erasure in the journal, oldest first; none when there is no journal yet."""
    path = path or journal_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ErasureJournalError(f"cannot read the erasure journal {path}: {exc.strerror or exc}") from exc
    out: list[Erasure] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            out.append(_parse(json.loads(raw)))
        except (ValueError, KeyError, TypeError) as exc:
            if number == len(text.splitlines()) and not text.endswith("\n"):
                break  # a last line cut short by a crash mid-write: its erasure never committed
            raise ErasureJournalError(f"{path}:{number}: not an erasure journal line ({exc})") from exc
    return out


def _parse(line: dict[str, object]) -> Erasure:
    version = line["v"]
    if not isinstance(version, int) or version > JOURNAL_VERSION:
        raise ValueError(f"journal line version {version!r}, this Istok reads up to {JOURNAL_VERSION}")
    people = line["contacts"]
    hashes = line["identities"]
    if not isinstance(people, list) or not isinstance(hashes, list):
        raise TypeError("contacts and identities must be lists")
    return Erasure(
        at=dt.datetime.fromisoformat(str(line["at"])),
        contacts=tuple(
            ErasedContact(id=int(p["id"]), created_at=dt.datetime.fromisoformat(str(p["created_at"]))) for p in people
        ),
        identities=frozenset(str(h) for h in hashes),
        key_id=str(line["key_id"]),
    )


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot open a folder; the line itself is synced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _key() -> bytes:
    """The key the pages sign with (`kb.config.secret_key`), read once per process."""
    return secret_key().encode()

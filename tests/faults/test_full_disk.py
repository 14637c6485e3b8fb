"""A full data folder: answers keep coming, nothing is corrupted, and the service recovers when space returns.

ISTOK_DATA_DIR (the search index, the parsed units, and on SQLite the database itself) is a
small tmpfs of its own (`mount -t tmpfs -o size=…`: the tests run as root; without root they
skip, and fail under CI=true), filled to the last byte with a file while a server runs.
Then: every answer and search is a 200 (the index stays readable; on SQLite, whose database is
on the full disk too, an answer may be a 503 problem+json, since answering writes its trace)
and every write either lands or is a 503 problem+json, none a 500 and none hangs. On PostgreSQL the publishes land
and the index, which cannot take them, keeps serving what it had; once the filler is gone it
catches up by itself. Afterwards the store holds every acknowledged write whole, the SQLite
files pass `PRAGMA integrity_check`, and the index reopens as it is, without a rebuild.

A read-only data folder is tested in tests/faults/test_read_only_data.py, with a read-only bind
mount made before the server starts (remounting this tmpfs read-only under a running server fails with EBUSY).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import kb
from tests.api.conftest import make_keys, migrated_database, start_server
from tests.conftest import CONTENT, missing_tool
from tests.faults.store import check_acknowledged
from tests.faults.traffic import Outcome, Traffic

TIME_LIMIT = 150
#: The data folder's size: the sample's index, units and SQLite database take about 3 MB.
SIZE_MB = 32
CLIENT_TIMEOUT = 10.0
FULL_FOR = 3.0
CATCH_UP = 10.0
SERVER_ENV = {"ISTOK_SEMANTIC": "0", "ISTOK_RATE_LIMIT": "100000", "ISTOK_INDEX_POLL": "0.2", "ISTOK_JOBS_POLL": "0.2"}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A SIZE_MB tmpfs mounted for the test; unmounted afterwards."""
    mount = tmp_path / "data"
    mount.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        missing_tool("a full disk needs a small tmpfs: `mount` as root")
    done = subprocess.run(
        [
            "mount",
            "-t",
            "tmpfs",
            "-o",
            f"size={SIZE_MB}m,mode=0755",
            f"istok-faults-{uuid.uuid4().hex[:6]}",
            str(mount),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        missing_tool(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    """Write a file into `folder` until the file system says it is full; the file."""
    filler = folder / "filler"
    chunk = b"\0" * (1 << 20)
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        try:
            while True:  # the last partial megabyte, to the byte
                out.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def _ok_or_503(o: Outcome, *, database_on_disk: bool) -> bool:
    """Reads are served (on SQLite, whose database shares the full disk, they may be a 503 too:
    an answer writes its trace); writes land or are a 503 problem+json with Retry-After."""
    unavailable = o.status == 503 and o.media_type == "application/problem+json" and o.retry_after is not None
    if o.kind in ("answer", "search"):
        return o.status == 200 or (database_on_disk and unavailable)
    return o.status in (200, 201) or unavailable


def _errors(tmp_path: Path) -> str:
    """The server's last logged tracebacks, to say why a request failed."""
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "logs").glob("server-*.log"))
    return text[max(0, text.rfind("Traceback") - 4000) :] if "Traceback" in text else "(no traceback in the server log)"


def _integrity(folder: Path) -> dict[str, str]:
    """`PRAGMA integrity_check` of every SQLite file under `folder`."""
    checked = {}
    for path in folder.rglob("*.sqlite"):
        checked[path.name] = _check(path)
    for path in folder.glob("*.db"):
        checked[path.name] = _check(path)
    return checked


def _check(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
def test_a_full_data_folder_keeps_answers_coming_and_recovers_when_space_returns(
    kind: str, small_disk: Path, tmp_path: Path, sqlite_template: Path
) -> None:
    with migrated_database(kind, small_disk, sqlite_template, prefix="istok_faults_disk") as db_url:
        engine = kb.make_engine(db_url)
        kb.import_paths([CONTENT], engine=engine, publish=True)
        engine.dispose()
        keys = make_keys(db_url)
        # the server's own log stays outside the full folder: a test needs to read it
        proc, base = start_server(db_url, tmp_path / "logs", ISTOK_DATA_DIR=str(small_disk), **SERVER_ENV)
        try:
            traffic = Traffic([base], keys["bot"], keys["editor"], timeout=CLIENT_TIMEOUT, tag=f"disk-{kind}").start()
            try:
                time.sleep(1.0)
                filler = fill(small_disk)
                full_at = time.monotonic()
                time.sleep(FULL_FOR)
                filler.unlink()
                freed_at = time.monotonic()
                time.sleep(1.0)
            finally:
                traffic.stop()
            during = [o for o in traffic.outcomes if o.started >= full_at and o.ended <= freed_at]
            print(f"\n{kind}: while full {dict(Counter((o.kind, o.status) for o in during))}")
            assert {o.kind for o in during} >= {"answer", "search", "put"}, "no traffic while the disk was full"
            bad = [o for o in traffic.outcomes if not _ok_or_503(o, database_on_disk=kind == "sqlite")]
            assert bad == [], f"{len(bad)} requests failed otherwise than allowed: {bad[:5]}\n{_errors(tmp_path)}"
            _serves_every_publish(base, keys["bot"], traffic)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
        check_acknowledged(db_url, traffic)
        assert set(_integrity(small_disk).values()) == {"ok"}, _integrity(small_disk)
        engine = kb.make_engine(db_url)
        try:
            index = kb.SearchIndex(engine, data_dir=small_disk, use_semantic=False)
            index.open()
            with kb.read_session(engine) as session:
                head = kb.last_seq(session)
            assert (index.rebuilt, index.seq) == (False, head), "the index did not reopen as it was"
            index.close()
        finally:
            engine.dispose()


def _serves_every_publish(base: str, bot: str, traffic: Traffic) -> None:
    """Once space is back, search finds the newest acknowledged publish of every article."""
    newest = {p.key: p.revision for p in sorted(traffic.published, key=lambda p: p.seq or 0)}
    assert newest, "nothing was published"
    auth = {"Authorization": f"Bearer {bot}"}
    deadline = time.monotonic() + CATCH_UP
    behind = dict(newest)
    with httpx.Client(base_url=base, headers=auth, timeout=CLIENT_TIMEOUT) as client:
        while behind and time.monotonic() < deadline:
            for key, revision in list(behind.items()):
                found = client.get("/api/v1/search", params={"q": f"Fault probe {key}", "locale": "en"}).json()
                if any(h["key"] == key and h["revision"] == revision for h in found["hits"]):
                    del behind[key]
            time.sleep(0.1)
    assert behind == {}, f"after the disk had room again the index still lacks {behind}"

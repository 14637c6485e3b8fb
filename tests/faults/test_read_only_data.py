"""A read-only data folder: answers keep coming, nothing is corrupted, and the index recovers once it may write.

The deployment this stands for: ISTOK_DATA_DIR is a folder the service may only read (a
container's read-only mount, a folder of another user) and the database is PostgreSQL. The
folder is made read-only by a read-only bind mount (`mount --bind`, then `mount -o
remount,bind,ro`) made before the server starts: remounting a tmpfs read-only under a running
server fails with EBUSY (tests/faults/test_full_disk.py), a bind mount made first does not. The
tests run as root; without root they skip, and fail under CI=true. The mount is undone at
teardown whatever happens.

1. A folder a writable start prepared (the index, the parsed units, the phrase vectors, the
   encoder's files, the secret key), then mounted read-only: the server starts, its log names
   the folder it cannot write, `/healthz`, answers and searches are 200, a publish lands (or is
   a 503 problem+json, never a 500 nor a hang), and once the mount is writable again the
   published article is found; the folder's index then reopens as it was, without a rebuild.
2. An empty read-only folder. Without ISTOK_SECRET_KEY the server refuses to start, and its
   log says why in one line naming the `secret-key` file it cannot make on a read-only file
   system: every answer's links go through the page settings, which sign with that key, so a
   server started without it would fail every answer while `/healthz` says ok; and there is
   no stand-in (a key of the process's own would break sessions across workers and restarts,
   and the erasure journal's hashes). With ISTOK_SECRET_KEY given, it starts and answers: the
   index is derived data (the database is the truth), and the code already builds a private
   index when it cannot use the shared one (another process holding the lock) and the
   encoder's files in a temporary folder when their own is unwritable; so the index is built
   in a temporary folder and the parsed units are kept in memory. Refusing then would take
   answers down over a cache.

In both, `/healthz` says `degraded`, its `index` not `writable` and why, and the server's log
names the folder.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import kb
from tests.api.conftest import make_keys, start_server
from tests.conftest import CONTENT, fresh_pg_database, missing_tool

TIME_LIMIT = 300
CLIENT_TIMEOUT = 15.0
CATCH_UP = 15.0
#: The secret key comes from the data folder's file here, as in the deployment this stands for.
SERVER_ENV = {"ISTOK_RATE_LIMIT": "100000", "ISTOK_INDEX_POLL": "0.2", "ISTOK_SECRET_KEY": ""}
QUESTION = {"q": "lost phone", "locale": "en"}
_PRIVATE = re.compile(r"uses a private index in (\S+) instead")


@pytest.fixture
def bind_mount(tmp_path: Path) -> Iterator[Path]:
    """A bind mount of a folder of its own, writable until `remount` says otherwise; unmounted afterwards."""
    source, mount = tmp_path / "source", tmp_path / "data"
    source.mkdir()
    mount.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        missing_tool("a read-only data folder needs a bind mount: `mount` as root")
    done = subprocess.run(["mount", "--bind", str(source), str(mount)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        missing_tool(f"cannot bind-mount a folder here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def remount(mount: Path, mode: str) -> None:
    """Make the bind mount read-only (`ro`) or writable (`rw`) again, and check that it is."""
    subprocess.run(["mount", "-o", f"remount,bind,{mode}", str(mount)], check=True, capture_output=True)
    probe = mount / f"probe-{uuid.uuid4().hex[:6]}"
    try:
        probe.touch()
    except OSError as exc:
        assert mode == "ro" and exc.errno == errno.EROFS, exc
        return
    probe.unlink()
    assert mode == "rw", f"{mount} is still writable"


@pytest.fixture
def database() -> Iterator[tuple[str, dict[str, str]]]:
    """A PostgreSQL database of its own with the sample published, and a key per role."""
    with fresh_pg_database("istok_faults_ro") as db_url:
        engine = kb.make_engine(db_url)
        kb.import_paths([CONTENT], engine=engine, publish=True)
        engine.dispose()
        yield db_url, make_keys(db_url)


def _log(logs: Path) -> str:
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(logs.glob("server-*.log")))


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=15)


def _reads(client: httpx.Client) -> None:
    """`/healthz`, an answer and a search: each a 200, the search with hits."""
    health = client.get("/healthz")
    assert health.status_code == 200, health.text
    state = health.json()
    assert state["status"] == "degraded" and state["index"]["private"] and not state["index"]["writable"], state
    assert "cannot write the search index" in state["index"]["detail"], state
    answer = client.get("/api/v1/answer", params={**QUESTION, "channel": "bot"})
    assert answer.status_code == 200, answer.text
    search = client.get("/api/v1/search", params=QUESTION)
    assert search.status_code == 200, search.text
    assert search.json()["hits"], search.json()


def _probe(key: str) -> str:
    return f"---\nkey: {key}\nlocale: en\ntitle: Read-only probe {key}\n---\nWritten while the folder was read-only.\n"


def _publish(client: httpx.Client, key: str) -> int | None:
    """Create and publish an article through the API; its revision, or None when a 503 turned it away."""
    saved = client.put(
        f"/api/v1/articles/en/{key}",
        json={"source": _probe(key), "message": "read-only probe"},
        headers={"If-None-Match": "*"},
    )
    if _refused(saved):
        return None
    assert saved.status_code in (200, 201), saved.text
    published = client.post(f"/api/v1/articles/en/{key}/publish", json={})
    if _refused(published):
        return None
    assert published.status_code == 200, published.text
    return int(published.json()["published_revision"])


def _refused(reply: httpx.Response) -> bool:
    """A 503 problem+json, the one refusal allowed; anything else of 500 and over fails here."""
    if reply.status_code == 503:
        assert reply.headers["content-type"].startswith("application/problem+json"), reply.text
        return True
    assert reply.status_code < 500, reply.text
    return False


def _found(client: httpx.Client, key: str, revision: int) -> bool:
    """Whether search finds `revision` of `key` within CATCH_UP seconds."""
    deadline = time.monotonic() + CATCH_UP
    while time.monotonic() < deadline:
        hits = client.get("/api/v1/search", params={"q": f"Read-only probe {key}", "locale": "en"}).json()["hits"]
        if any(h["key"] == key and h["revision"] == revision for h in hits):
            return True
        time.sleep(0.2)
    return False


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_prepared_folder_mounted_read_only_keeps_answering_and_catches_up_once_writable(
    bind_mount: Path, tmp_path: Path, database: tuple[str, dict[str, str]]
) -> None:
    db_url, keys = database
    logs = tmp_path / "logs"
    # The writable start that prepares the folder; the secret key is made by the first page that signs, and
    # the encoder's files and the erasure journal go to the data folder, not the test session's shared ones.
    env = {**SERVER_ENV, "ISTOK_DATA_DIR": str(bind_mount), "ISTOK_ENCODER_DIR": "", "ISTOK_ERASURE_JOURNAL": ""}
    proc, base = start_server(db_url, logs, **env)
    try:
        assert httpx.get(f"{base}/help/en/", timeout=CLIENT_TIMEOUT).status_code == 200
    finally:
        _stop(proc)
    prepared = {p.name for p in bind_mount.iterdir()}
    assert {"search", "encoder", "secret-key"} <= prepared, prepared

    remount(bind_mount, "ro")
    proc, base = start_server(db_url, logs, **env)
    try:
        log = _log(logs)
        assert f"{bind_mount}/search" in log and "Read-only file system" in log, log
        assert "Traceback" not in log, log
        with httpx.Client(base_url=base, headers=_auth(keys["bot"]), timeout=CLIENT_TIMEOUT) as reader:
            _reads(reader)
            assert reader.get("/help/en/").status_code == 200  # the key is read from the folder
            key = f"ro-{uuid.uuid4().hex[:8]}"
            with httpx.Client(base_url=base, headers=_auth(keys["editor"]), timeout=CLIENT_TIMEOUT) as editor:
                revision = _publish(editor, key)
            _reads(reader)
            with httpx.Client(base_url=base, headers=_auth(keys["admin"]), timeout=CLIENT_TIMEOUT) as admin:
                contact = _refused_erasure(admin)
                remount(bind_mount, "rw")
                erased = admin.delete(f"/api/v1/contacts/{contact}")
                assert erased.status_code == 200, erased.text  # journaled now, so made
                gone = admin.get(f"/api/v1/contacts/{contact}")
                assert gone.status_code == 404, gone.text
            assert (bind_mount / "erasures.jsonl").read_text().count("\n") == 1
            if revision is not None:
                assert _found(reader, key, revision), f"once writable, search still lacks {key} r{revision}"
    finally:
        _stop(proc)
        _remove_private_copy(logs)
    assert "Traceback" not in _log(logs), _log(logs)
    _reopens_as_it_was(db_url, bind_mount)


def _refused_erasure(admin: httpx.Client) -> int:
    """A contact made while the folder is read-only, whose erasure is refused: the journal in the
    folder cannot take it, and an erasure a restore could not make again is not made (kb/erasure_journal.py)."""
    made = admin.post(
        "/api/v1/contacts", json={"name": "Ro Client", "identities": [{"channel": "phone", "address": "+37129000111"}]}
    )
    assert made.status_code == 201, made.text
    contact = int(made.json()["id"])
    refused = admin.delete(f"/api/v1/contacts/{contact}")
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("erasure-journal-error"), refused.json()
    kept = admin.get(f"/api/v1/contacts/{contact}").json()
    assert kept["name"] == "Ro Client" and kept["identities"], kept  # nothing erased
    return contact


def _remove_private_copy(logs: Path) -> None:
    """Remove the temporary folder of the server's private index, which the log names.

    A server stopped by SIGTERM skips the close that would remove it (uvicorn re-raises the
    signal, so atexit does not run); the next start over the same database sweeps it, but every
    test here has a database of its own.
    """
    for found in _PRIVATE.finditer(_log(logs)):
        scratch = Path(found.group(1)).parent
        assert scratch.name.startswith("istok-search-"), f"the private index is not in a temporary folder: {scratch}"
        shutil.rmtree(scratch, ignore_errors=True)


def _reopens_as_it_was(db_url: str, folder: Path) -> None:
    """The folder's own index opens without a rebuild and catches up to the database's head."""
    engine = kb.make_engine(db_url)
    try:
        index = kb.SearchIndex(engine, data_dir=folder, use_semantic=False)
        index.open()
        with kb.read_session(engine) as session:
            head = kb.last_seq(session)
        assert (index.rebuilt, index.private, index.seq) == (False, False, head), "the index did not reopen as it was"
        index.close()
    finally:
        engine.dispose()


def test_an_empty_read_only_folder_answers_from_a_temporary_index_or_refuses_in_one_line(
    bind_mount: Path, tmp_path: Path, database: tuple[str, dict[str, str]]
) -> None:
    db_url, keys = database
    logs = tmp_path / "logs"
    remount(bind_mount, "ro")
    # lexical only: the encoder's fallback to a temporary folder is not what is under test here
    env = {**SERVER_ENV, "ISTOK_DATA_DIR": str(bind_mount), "ISTOK_SEMANTIC": "0"}
    with pytest.raises(RuntimeError, match="server exited"):
        start_server(db_url, logs / "keyless", **env)
    said = _log(logs / "keyless")
    # the first line past uvicorn's own INFO lines says it all; the traceback comes after it
    first = next(line for line in said.splitlines() if line.strip() and not line.startswith("INFO:"))
    assert f"{bind_mount}/secret-key" in first and "Read-only file system" in first, said
    assert "ISTOK_SECRET_KEY" in first, first

    proc, base = start_server(db_url, logs, **{**env, "ISTOK_SECRET_KEY": "given-to-every-replica"})
    try:
        with httpx.Client(base_url=base, headers=_auth(keys["bot"]), timeout=CLIENT_TIMEOUT) as reader:
            _reads(reader)
            assert reader.get("/help/en/").status_code == 200
            key = f"ro-{uuid.uuid4().hex[:8]}"
            with httpx.Client(base_url=base, headers=_auth(keys["editor"]), timeout=CLIENT_TIMEOUT) as editor:
                revision = _publish(editor, key)
            if revision is not None:  # the index in the temporary folder takes it at once
                assert _found(reader, key, revision), f"search lacks {key} r{revision}"
        log = _log(logs)
    finally:
        _stop(proc)
        _remove_private_copy(logs)
    assert f"{bind_mount}/search" in log and "Read-only file system" in log, log
    assert "Traceback" not in log, log
    assert list(bind_mount.iterdir()) == [], "something was written into the read-only folder"

"""`kill -9` of one of two replicas during writes: nothing half-written, the other serves on, and the
restarted one catches up with what was published while it was dead.

Two `uvicorn` replicas over one PostgreSQL database, each with a data folder (an index) of its
own, as on two hosts. Readers and writers go to both; replica A is killed with SIGKILL at a
random moment (ISTOK_FAULTS_SEED replays it). Then: every revision in the store is whole (its
source hashes to its stored hash), the publication log has no hole, every acknowledged save
and publish is there; replica B answered every request with no server error, before and after
the kill; and A, started again on its old folder, serves every publish B made meanwhile.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import kb
from tests.api.conftest import make_keys, start_server
from tests.bulkstore import kill9
from tests.conftest import CONTENT, fresh_pg_database
from tests.faults.store import check_acknowledged
from tests.faults.traffic import Traffic

pytestmark = pytest.mark.postgres
TIME_LIMIT = 150
CLIENT_TIMEOUT = 10.0
#: Seconds of traffic on both replicas after the kill.
AFTER_KILL = 3.0
#: How long the restarted replica may take to serve what it missed.
CATCH_UP = 10.0
SERVER_ENV = {"ISTOK_SEMANTIC": "0", "ISTOK_RATE_LIMIT": "100000", "ISTOK_JOBS_POLL": "0.2"}


@dataclass
class Replicas:
    db_url: str
    keys: dict[str, str]
    folders: tuple[Path, Path]


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[Replicas]:
    with fresh_pg_database("istok_faults_kill") as db_url:
        engine = kb.make_engine(db_url)
        kb.import_paths([CONTENT], engine=engine, publish=True)
        engine.dispose()
        yield Replicas(db_url, make_keys(db_url), (tmp_path / "host-a", tmp_path / "host-b"))


def _last_seq(db_url: str) -> int:
    engine = kb.make_engine(db_url)
    with kb.read_session(engine) as session:
        seq = kb.last_seq(session)
    engine.dispose()
    return seq


def _serves(base: str, bot: str, key: str, revision: int) -> bool:
    """Whether `base` renders `key` at `revision` and its search finds it there."""
    auth = {"Authorization": f"Bearer {bot}"}
    rendered = httpx.get(f"{base}/api/v1/articles/en/{key}/render/web", headers=auth, timeout=CLIENT_TIMEOUT)
    if rendered.status_code != 200 or rendered.headers.get("X-Istok-Revision") != str(revision):
        return False
    found = httpx.get(
        f"{base}/api/v1/search",
        params={"q": f"Fault probe {key}", "locale": "en"},
        headers=auth,
        timeout=CLIENT_TIMEOUT,
    )
    return any(h["key"] == key and h["revision"] == revision for h in found.json()["hits"])


def test_kill_9_of_one_replica_during_writes_loses_nothing_and_it_catches_up(replicas: Replicas) -> None:
    seed = int(os.environ.get("ISTOK_FAULTS_SEED") or random.SystemRandom().randrange(2**31))
    delay = random.Random(seed).uniform(1.0, 3.0)
    print(f"\nreplica kill: seed {seed} (ISTOK_FAULTS_SEED={seed} replays it), kill after {delay:.2f} s")
    folder_a, folder_b = replicas.folders
    proc_a, base_a = start_server(replicas.db_url, folder_a, **SERVER_ENV)
    proc_b, base_b = start_server(replicas.db_url, folder_b, **SERVER_ENV)
    procs: list[subprocess.Popen[str]] = [proc_a, proc_b]
    try:
        traffic = Traffic(
            [base_a, base_b],
            replicas.keys["bot"],
            replicas.keys["editor"],
            readers=2,
            writers=4,
            tag="kill",
            timeout=CLIENT_TIMEOUT,
        ).start()
        try:
            time.sleep(delay)
            kill9(proc_a)
            killed_at = time.monotonic()
            time.sleep(AFTER_KILL)
        finally:
            traffic.stop()
        on_b = [o for o in traffic.outcomes if o.base == base_b]
        after_kill_on_b = [o for o in on_b if o.started > killed_at]
        print(
            f"replica B: {dict(Counter(o.status for o in on_b))}; A: "
            f"{dict(Counter(o.status for o in traffic.outcomes if o.base == base_a))}"
        )
        assert [o for o in on_b if o.status is None or o.status >= 500] == [], "replica B failed requests"
        assert {o.kind for o in after_kill_on_b if o.status in (200, 201)} == {"answer", "search", "put", "publish"}
        counts = check_acknowledged(replicas.db_url, traffic)
        print(f"store after the kill: {counts}")

        missed = [p for p in traffic.published if p.base == base_b and p.seq is not None]
        newest = {p.key: p.revision for p in sorted(missed, key=lambda p: p.seq or 0)}
        assert newest, "replica B published nothing"
        proc_a, base_a = start_server(replicas.db_url, folder_a, **SERVER_ENV)  # on its old folder
        procs.append(proc_a)
        deadline = time.monotonic() + CATCH_UP
        behind = dict(newest)
        while behind and time.monotonic() < deadline:
            behind = {k: r for k, r in behind.items() if not _serves(base_a, replicas.keys["bot"], k, r)}
            time.sleep(0.1)
        assert behind == {}, f"the restarted replica does not serve {behind}"
        ready = httpx.get(f"{base_a}/readyz", timeout=CLIENT_TIMEOUT).json()
        assert ready["index_seq"] == _last_seq(replicas.db_url), ready
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=15)

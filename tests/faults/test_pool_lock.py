"""The index lock never outlives its process, and nobody waits for it for ever (issue #12, item 3).

Real processes only: `istok reindex` and `istok serve` run as subprocesses, are killed
with SIGKILL or SIGTERM, and their children are looked up by pid in /proc.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import kb
from kb.search.loading import POOL_FROM
from tests.bulkstore import (
    Output,
    alive,
    answers,
    bulk_sqlite,
    copy_store,
    env_for,
    istok,
    kill9,
    lock_file,
    lock_is_free,
    make_key,
    pool_started,
    reap,
    serve,
    survivors,
)
from tests.conftest import CONTENT, ROOT

ARTICLES = POOL_FROM + 100  # enough for the rebuild to analyse in a process pool


#: A bound on a start that must not wait for the lock (its holder may never let go), not a timing:
#: a start costs 8-10 s on a loaded 2-core machine with the other test worker beside it.
START_BOUND = 25


def test_a_killed_reindex_leaves_no_child_and_no_lock_and_the_next_start_answers(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    db_url = copy_store(bulk_sqlite(tmp_path_factory, ARTICLES), tmp_path)
    env = env_for(db_url, tmp_path)
    reindex = istok("reindex", env=env)
    Output(reindex)
    pool_started(reindex)
    children = kill9(reindex)
    try:
        left = survivors(children)
        assert left == [], f"pool workers {left} outlived the killed reindex"
        assert lock_is_free(lock_file(db_url, tmp_path)), "the index lock outlived the killed reindex"
        served = serve(env, within=START_BOUND)
        try:
            assert answers(served, make_key(db_url, "bot"))["status"] in ("answered", "handoff")
        finally:
            served.stop()
    finally:
        reap(children)


HOLDER = """
import fcntl, sys, time
handle = open(sys.argv[1], "a+")
fcntl.flock(handle, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(600)
"""


@pytest.fixture
def held_lock(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    """A store with the sample content, and another live process holding its index lock."""
    engine = kb.make_engine(sqlite_url)
    kb.import_paths([CONTENT], engine=engine, publish=True)
    engine.dispose()
    path = lock_file(sqlite_url, tmp_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    try:
        yield sqlite_url, path, holder
    finally:
        holder.kill()
        holder.wait()


def test_a_start_finding_the_lock_held_serves_within_seconds_and_says_who_holds_it(
    held_lock: tuple[str, Path, subprocess.Popen[str]], tmp_path: Path
) -> None:
    db_url, path, holder = held_lock
    env = env_for(db_url, tmp_path)
    served = serve(env, within=START_BOUND)
    try:
        found = answers(served, make_key(db_url, "bot"), q="роуминг")
        assert found["status"] in ("answered", "handoff")
    finally:
        served.stop()
    assert served.proc.returncode is not None
    log = served.output.text()
    assert str(path) in log and f"pid {holder.pid}" in log, log
    # the holder gone, the next start uses the shared index and removes the private copy
    holder.kill()
    holder.wait()
    again = serve(env, within=START_BOUND)
    again.stop()
    assert not list(path.parent.glob("*.private-*")), "a private index outlived its process"


def test_sigterm_stops_a_start_that_waits_for_the_lock(
    held_lock: tuple[str, Path, subprocess.Popen[str]], tmp_path: Path
) -> None:
    db_url, _path, _holder = held_lock
    proc = istok("serve", "--port", "0", "--no-access-log", env=env_for(db_url, tmp_path))
    output = Output(proc)
    try:
        assert output.wait_for("Waiting for application startup", 30), output.text()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)  # hang detection, not a timing claim: before the fix it never returned
        except subprocess.TimeoutExpired:
            pytest.fail(f"istok serve ignored SIGTERM while waiting for the index lock:\n{output.text()}")
    finally:
        if alive(proc.pid):
            proc.kill()
            proc.wait()


def test_reindex_while_another_process_holds_the_lock_fails_clearly(
    held_lock: tuple[str, Path, subprocess.Popen[str]], tmp_path: Path
) -> None:
    db_url, path, holder = held_lock
    reindex = istok("reindex", env=env_for(db_url, tmp_path))
    try:
        out, _ = reindex.communicate(timeout=60)  # hang detection: before the fix it waited for ever
    except subprocess.TimeoutExpired:
        reindex.kill()
        pytest.fail(f"istok reindex hung on a held index lock:\n{reindex.communicate()[0]}")
    assert reindex.returncode == 1, out
    assert str(path) in out and f"pid {holder.pid}" in out and "Traceback" not in out, out


FORKS_WHILE_HOLDING = """
import multiprocessing, sys, time
from pathlib import Path
from kb.search.indexlock import hold

def child():
    time.sleep(600)

with hold(Path(sys.argv[1]), wait=5):
    worker = multiprocessing.get_context("fork").Process(target=child)  # as whoosh's writer processes are
    worker.start()
    print(worker.pid, flush=True)
    time.sleep(600)
"""


def test_any_child_forked_while_the_lock_is_held_lets_go_of_it_and_dies_with_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "index.lock"
    proc = subprocess.Popen(
        [sys.executable, "-c", FORKS_WHILE_HOLDING, str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    child = int(proc.stdout.readline())
    try:
        assert not lock_is_free(path)
        kill9(proc)
        assert survivors([child]) == [], "a child forked under the lock outlived its parent"
        assert lock_is_free(path), "the lock outlived the process that took it"
    finally:
        reap([child])

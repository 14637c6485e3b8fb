"""Crash suite: `kill -9` the real processes mid-write, restart, and check the store is whole.

Killed: `istok import` of a big folder, `istok publish --all`, `istok reindex` while its
process pool runs, and `istok serve` under a burst of concurrent PUTs and publishes over
HTTP (SQLite and PostgreSQL). After every kill the store must hold: every revision whole
(its source parses and hashes to its stored content hash), the publication log numbered
1..N with no hole, every draft and published pointer naming an existing revision, an
import or publish-all either wholly there or not at all; no child of a killed process
survives; and `istok serve` comes up and answers /healthz and an answer within 10 s.

Kill delays are random, from a seed printed at the start (set ISTOK_CRASH_SEED to replay).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

import kb
from kb import Article, Revision
from tests.bulkstore import (
    Served,
    answers,
    bulk_sqlite,
    check_store,
    copy_store,
    env_for,
    generate,
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
from tests.conftest import CONTENT

ROUNDS = 3
IMPORT_ARTICLES = 600  # about two seconds of `istok import` on two cores
REINDEX_ARTICLES = kb.REINDEX_POOL_FROM + 100
WRITERS = 4


@pytest.fixture(scope="module")
def seed() -> int:
    value = int(os.environ.get("ISTOK_CRASH_SEED") or random.SystemRandom().randrange(2**31))
    print(f"\ncrash suite seed: {value} (ISTOK_CRASH_SEED={value} replays it)")
    return value


def _counts(db_url: str) -> tuple[int, int]:
    """Revisions, and articles whose draft is live."""
    engine = kb.make_engine(db_url)
    with engine.connect() as conn:
        revisions = conn.execute(sa.select(sa.func.count()).select_from(Revision)).scalar_one()
        live = conn.execute(
            sa.select(sa.func.count()).select_from(Article).where(Article.published_revision == Article.draft_revision)
        ).scalar_one()
    engine.dispose()
    return int(revisions), int(live)


def _kill_after(proc: Any, delay: float) -> str:
    """SIGKILL `proc` after `delay` s; whether it was still running ("mid") or done ("too late")."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    if proc.poll() is not None:
        return f"too late (it had ended, rc {proc.returncode})"
    kids = kill9(proc)
    assert survivors(kids) == [], f"children {kids} outlived the killed {proc.args[1]}"
    return "mid"


def _serves(env: dict[str, str], db_url: str) -> None:
    served = serve(env, within=25)
    try:
        assert httpx.get(f"{served.base}/healthz", timeout=10).status_code == 200
        assert answers(served, make_key(db_url, "bot"))["status"] in ("answered", "handoff")
    finally:
        served.stop()


def test_kill_9_during_import_and_publish_all(
    seed: int, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    db_url = copy_store(bulk_sqlite(tmp_path_factory, IMPORT_ARTICLES), tmp_path)
    env = env_for(db_url, tmp_path)
    report = []
    for r in range(ROUNDS):
        folder = tmp_path / f"variant-{r}"
        generate(folder, IMPORT_ARTICLES, seed=seed + r, status="draft")  # every article changed
        before, _ = _counts(db_url)
        delay = rng.uniform(0.8, 2.8)  # a full import takes about 2.7 s
        landed = _kill_after(istok("import", str(folder), env=env), delay)
        check_store(db_url)
        after, _ = _counts(db_url)
        assert after - before in (0, IMPORT_ARTICLES), f"a killed import left {after - before} of {IMPORT_ARTICLES}"
        if after == before:  # finish the import so that publish-all has drafts to publish
            engine = kb.make_engine(db_url)
            kb.import_paths([folder], engine=engine, actor="crash-test")
            engine.dispose()
        _, live_before = _counts(db_url)
        publish_delay = rng.uniform(0.7, 1.4)  # a full publish-all about 1.3 s
        publish_landed = _kill_after(istok("publish", "--all", env=env), publish_delay)
        counts = check_store(db_url)
        _, live_after = _counts(db_url)
        assert live_after in (live_before, counts["articles"]), f"publish-all half done: {live_after} live"
        imported = "committed" if after > before else "rolled back"
        published = "committed" if live_after > live_before else "rolled back"
        report.append(
            f"import killed {delay:.2f}s {landed} ({imported}); "
            f"publish --all killed {publish_delay:.2f}s {publish_landed} ({published})"
        )
    print(f"import/publish: {ROUNDS} rounds:", *report, sep="\n  ")
    _serves(env, db_url)


def test_kill_9_during_reindex(seed: int, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    rng = random.Random(seed + 1)
    db_url = copy_store(bulk_sqlite(tmp_path_factory, REINDEX_ARTICLES), tmp_path)
    env = env_for(db_url, tmp_path)
    report = []
    for _ in range(ROUNDS):
        reindex = istok("reindex", env=env)
        children = pool_started(reindex)
        delay = rng.uniform(0.0, 1.0)
        time.sleep(delay)
        children += kill9(reindex)
        try:
            assert survivors(children) == [], "pool workers outlived the killed reindex"
        finally:
            reap(children)
        assert lock_is_free(lock_file(db_url, tmp_path)), "the index lock outlived the killed reindex"
        check_store(db_url)
        report.append(f"reindex killed {delay:.2f}s after its pool started ({len(set(children))} workers)")
    print(f"reindex: {ROUNDS} rounds:", *report, sep="\n  ")
    _serves(env, db_url)


class Burst:
    """Writers doing GET, PUT (If-Match) and publish over HTTP, and creating articles, until told to stop."""

    def __init__(self, served: Served, key: str, articles: list[tuple[str, str]], round_no: int) -> None:
        self.base = served.base
        self.headers = {"Authorization": f"Bearer {key}"}
        self.articles = articles
        self.round_no = round_no
        self.stop = threading.Event()
        self.statuses: dict[int, int] = {}
        self.writes = 0
        self._guard = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(WRITERS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)

    def _note(self, response: httpx.Response) -> None:
        with self._guard:
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            if response.status_code in (200, 201):
                self.writes += 1

    def _run(self, writer: int) -> None:
        rng = random.Random(writer * 1000 + self.round_no)
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=10) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                try:
                    if n % 4 == 0:
                        self._create(client, writer, n)
                    else:
                        self._edit(client, *rng.choice(self.articles), n=n, writer=writer)
                except httpx.TransportError:
                    return  # the server was killed

    def _edit(self, client: httpx.Client, locale: str, key: str, *, n: int, writer: int) -> None:
        got = client.get(f"/api/v1/articles/{locale}/{key}")
        if got.status_code != 200:
            self._note(got)
            return
        source = got.json()["source"].rstrip("\n") + f"\n\nEdit {self.round_no}.{writer}.{n}.\n"
        put = client.put(
            f"/api/v1/articles/{locale}/{key}",
            json={"source": source, "message": "crash burst"},
            headers={"If-Match": got.headers["ETag"]},
        )
        self._note(put)
        if put.status_code == 200:
            self._note(client.post(f"/api/v1/articles/{locale}/{key}/publish", json={}))

    def _create(self, client: httpx.Client, writer: int, n: int) -> None:
        key = f"burst-{self.round_no}-{writer}-{n}"
        source = f"---\nkey: {key}\nlocale: en\ntitle: Burst article {key}\n---\nWritten during a crash test.\n"
        put = client.put(
            f"/api/v1/articles/en/{key}",
            json={"source": source, "message": "crash burst"},
            headers={"If-None-Match": "*"},
        )
        self._note(put)
        if put.status_code in (200, 201):
            self._note(client.post(f"/api/v1/articles/en/{key}/publish", json={}))


@pytest.fixture
def burst_store(db_url: str) -> Iterator[str]:
    engine = kb.make_engine(db_url)
    kb.import_paths([CONTENT], engine=engine, publish=True)
    engine.dispose()
    yield db_url


def test_kill_9_of_the_server_during_a_burst_of_writes(seed: int, burst_store: str, tmp_path: Path) -> None:
    db_url = burst_store
    rng = random.Random(seed + 2)
    env = env_for(db_url, tmp_path, ISTOK_RATE_LIMIT="1000000")
    editor, bot = make_key(db_url, "editor"), make_key(db_url, "bot")
    engine = kb.make_engine(db_url)
    with engine.connect() as conn:
        articles = [(str(loc), str(k)) for loc, k in conn.execute(sa.select(Article.locale, Article.key)).all()]
    engine.dispose()
    served = serve(env, within=25)
    report = []
    try:
        for r in range(ROUNDS):
            burst = Burst(served, editor, articles, r)
            burst.start()
            delay = rng.uniform(0.5, 2.0)
            time.sleep(delay)
            children = kill9(served.proc)
            burst.join()
            assert survivors(children) == [], f"children {children} outlived the killed server"
            counts = check_store(db_url)
            server_errors = {s: c for s, c in burst.statuses.items() if s >= 500}
            assert not server_errors, f"the server answered {server_errors} before it was killed"
            report.append(
                f"killed after {delay:.2f}s: {burst.writes} writes {dict(sorted(burst.statuses.items()))}; {counts}"
            )
            served = serve(env, within=25)  # restart: up and answering (a bound: starts take 8-10 s loaded)
            assert answers(served, bot)["status"] in ("answered", "handoff")
    finally:
        served.stop()
    print(f"write burst ({db_url.split(':')[0]}): {ROUNDS} rounds:", *report, sep="\n  ")

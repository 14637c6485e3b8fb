"""Replicas share one rate-limit budget per key and address through Redis; without it, each has its own.

Two real server processes over one database: requests spread over both are refused once the
shared budget is spent, not twice it; sign-in attempts likewise. A Redis that is not there
(a closed port), or that goes away, leaves answers served with per-process limits, says so in
`/healthz`, and the shared budget comes back with Redis. Redis runs at 127.0.0.1:6379 (a
missing one is a skip on a developer's machine, a failure under CI=true); each test's database
is its own, and so is its key prefix there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
import redis

import kb
from tests.api.conftest import free_port, make_keys, migrated_database, start_server
from tests.conftest import missing_tool
from tests.helpers import article

REDIS = "redis://127.0.0.1:6379/0"
#: One request per 10 s per key and per address (ISTOK_RATE_LIMIT is per second, a burst twice that).
SLOW = {"ISTOK_RATE_LIMIT": "0.1", "ISTOK_LOGIN_ATTEMPTS": "3", "ISTOK_SEMANTIC": "0"}


@pytest.fixture(scope="module")
def shared_redis() -> str:
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        missing_tool(f"Redis is not reachable at {REDIS}: {exc}")
    return REDIS


@contextmanager
def replicas(tmp_path: Path, sqlite_template: Path, count: int, **env: str) -> Iterator[tuple[list[str], str]]:
    """`count` servers over one database with one published article; yields their URLs and a bot key."""
    with migrated_database("sqlite", tmp_path, sqlite_template, prefix="unused") as db_url, ExitStack() as stack:
        engine = kb.make_engine(db_url)
        with kb.write_session(engine) as session:
            saved = kb.save_draft(session=session, source=article(), base_revision=None, actor="test")
            kb.publish(session=session, article=saved.article, actor="test")
            kb.create_user(session=session, username="guessed", password="the-right-password", role="editor", actor="t")
        engine.dispose()
        bases = []
        for n in range(count):
            proc, base = start_server(db_url, tmp_path / f"replica-{n}", **env)
            stack.callback(_stop, proc)
            bases.append(base)
        yield bases, make_keys(db_url)["bot"]


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=15)


def _searches(bases: list[str], key: str, rounds: int) -> list[int]:
    """Statuses of `rounds` searches on each server in turn, with one key from one address."""
    statuses = []
    for _ in range(rounds):
        for base in bases:
            got = httpx.get(
                f"{base}/api/v1/search",
                params={"q": "balance", "locale": "en"},
                headers={"Authorization": f"Bearer {key}"},
            )
            statuses.append(got.status_code)
            if got.status_code == 429:
                assert int(got.headers["Retry-After"]) >= 1 and got.json()["type"].endswith("/rate-limited")
    return statuses


def _wrong_sign_ins(bases: list[str], rounds: int) -> list[int]:
    """Statuses of `rounds` sign-ins with a wrong password on each server in turn, for one user."""
    browsers = [httpx.Client(base_url=base, timeout=30) for base in bases]
    tokens = [re.search(r'name="csrf" value="([^"]+)"', b.get("/login").text) for b in browsers]
    statuses = []
    for _ in range(rounds):
        for browser, token in zip(browsers, tokens, strict=True):
            assert token is not None
            form = {"username": "guessed", "password": "wrong", "csrf": token.group(1)}
            statuses.append(browser.post("/login", data=form).status_code)
    for browser in browsers:
        browser.close()
    return statuses


def _limits(base: str) -> dict[str, object]:
    health = httpx.get(f"{base}/healthz", timeout=30).json()
    return dict(health["limits"], status=health["status"])


def test_two_replicas_share_one_request_budget_through_redis(
    shared_redis: str, tmp_path: Path, sqlite_template: Path
) -> None:
    with replicas(tmp_path, sqlite_template, 2, ISTOK_REDIS_URL=shared_redis, **SLOW) as (bases, key):
        for base in bases:
            limits = _limits(base)
            assert limits["storage"] == "redis" and limits["shared"] is True and limits["status"] == "ok", limits
        statuses = _searches(bases, key, rounds=3)
    assert statuses.count(200) == 1 and statuses.count(429) == 5, statuses


def test_two_replicas_share_the_sign_in_attempts_through_redis(
    shared_redis: str, tmp_path: Path, sqlite_template: Path
) -> None:
    with replicas(tmp_path, sqlite_template, 2, ISTOK_REDIS_URL=shared_redis, **SLOW) as (bases, _key):
        statuses = _wrong_sign_ins(bases, rounds=3)
    assert statuses == [401, 401, 401, 429, 429, 429], statuses


def test_without_redis_each_replica_has_a_budget_of_its_own(tmp_path: Path, sqlite_template: Path) -> None:
    with replicas(tmp_path, sqlite_template, 2, **SLOW) as (bases, key):
        assert _limits(bases[0])["storage"] == "memory" and _limits(bases[0])["status"] == "ok"
        searches = _searches(bases, key, rounds=3)
        sign_ins = _wrong_sign_ins(bases, rounds=4)
    assert searches[:2] == [200, 200] and searches[2:] == [429] * 4, searches
    assert sign_ins == [401] * 6 + [429, 429], sign_ins


def test_an_unreachable_redis_leaves_answers_served_with_per_process_limits(
    tmp_path: Path, sqlite_template: Path
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with replicas(tmp_path, sqlite_template, 1, ISTOK_REDIS_URL=closed, **SLOW) as (bases, key):
        limits = _limits(bases[0])
        assert limits["storage"] == "memory" and limits["shared"] is False and limits["status"] == "degraded"
        assert "unreachable" in str(limits["detail"]) and closed in str(limits["detail"])
        assert _searches(bases, key, rounds=2) == [200, 429]  # still limited, by this process alone
        assert _wrong_sign_ins(bases, rounds=4) == [401, 401, 401, 429]
        time.sleep(2.1)  # past the next attempt to reach Redis, which fails again
        assert _searches(bases, key, rounds=1) == [429] and not _limits(bases[0])["shared"]
    (log,) = (tmp_path / "replica-0").glob("server-*.log")
    assert log.read_text(encoding="utf-8").count("rate limits are per process: Redis at") == 1  # logged once


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A redis-server of this test's own, which it may stop and start again on the same port."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing_tool("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    running: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        args = [binary or "", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        running.append(subprocess.Popen([*args, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL))
        client = redis.Redis(port=port, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    start()
    yield f"redis://127.0.0.1:{port}/0", running
    for proc in running:
        proc.kill()
        proc.wait(timeout=10)


def test_the_shared_budget_comes_back_with_redis(
    own_redis: tuple[str, list[subprocess.Popen[bytes]]], tmp_path: Path, sqlite_template: Path
) -> None:
    url, running = own_redis
    with replicas(tmp_path, sqlite_template, 1, ISTOK_REDIS_URL=url, **SLOW) as (bases, key):
        assert _limits(bases[0])["shared"] is True
        running[0].kill()
        running[0].wait(timeout=10)
        assert _searches(bases, key, rounds=1) == [200]  # Redis went away: per process from here
        assert _limits(bases[0])["shared"] is False and _limits(bases[0])["status"] == "degraded"
        args = running[0].args
        running.append(subprocess.Popen(args, stdout=subprocess.DEVNULL))
        deadline = time.monotonic() + 15
        while not (limits := _limits(bases[0]))["shared"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert limits["shared"] is True and limits["status"] == "ok"
        # Counting in Redis again: its budget is fresh, so one request passes, then it is spent.
        assert _searches(bases, key, rounds=2) == [200, 429]

"""`/readyz` says whether a process should get traffic, and when not, which check failed.

Ready means: the database answers, its schema is this code's migration head, and the search
index has applied every publication-log entry older than ISTOK_READY_LAG seconds. Each check
is broken for real here: the schema stamped back a migration, the index kept from its lock
while an article is published, the database dropped under the server.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

import kb
from tests.api.conftest import Live, migrated_database, start_server
from tests.conftest import PG_SERVER
from tests.helpers import article

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Live]:
    """A server of the module's own over a migrated database, allowed 1 s of index lag.

    Each test leaves it ready, as it found it: a test that breaks readiness puts it right again.
    """
    tmp_path = tmp_path_factory.mktemp(f"readyz-{request.param}")
    with migrated_database(request.param, tmp_path, sqlite_template, prefix="istok_readyz") as db_url:
        proc, base = start_server(db_url, tmp_path, ISTOK_SEMANTIC="0", ISTOK_READY_LAG="1")
        try:
            yield Live(base=base, db_url=db_url, data_dir=tmp_path)
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def _not_ready(base: str, check: str) -> dict[str, Any]:
    got = httpx.get(f"{base}/readyz", timeout=30)
    assert got.status_code == 503, got.text
    assert got.headers["content-type"].startswith(PROBLEM) and int(got.headers["Retry-After"]) >= 1
    body: dict[str, Any] = got.json()
    assert body["type"].endswith("/not-ready") and body["detail"].startswith(f"not ready: {check}: ")
    assert body["checks"][check] not in ("ok", "not checked")
    return body


@contextmanager
def _holding(lock: Path) -> Iterator[None]:
    """The index's lock file held as another process on the host would: an exclusive `flock`."""
    with lock.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


def _publish(db_url: str, key: str) -> None:
    engine = kb.make_engine(db_url)
    with kb.write_session(engine) as session:
        saved = kb.save_draft(session=session, source=article(key=key), base_revision=None, actor="test")
        kb.publish(session=session, article=saved.article, actor="test")
    engine.dispose()


def test_ready_on_a_migrated_database_with_the_index_caught_up(served: Live) -> None:
    _publish(served.db_url, "ready-one")
    with httpx.Client(base_url=served.base, timeout=30) as anyone:  # no key: like /healthz
        got = anyone.get("/readyz")
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["status"] == "ready" and body["checks"] == {"database": "ok", "schema": "ok", "index": "ok"}
        assert body["last_seq"] >= 1 and body["index_lag_seconds"] <= 1  # the index polls once a second
        assert got.headers["cache-control"] == "no-store"
        time.sleep(1.1)
        caught_up = anyone.get("/readyz").json()
        assert caught_up["index_seq"] == caught_up["last_seq"] == body["last_seq"]
        assert caught_up["index_lag_seconds"] == 0
        assert anyone.head("/readyz").status_code == 200


def test_not_ready_while_the_schema_is_not_the_codes(served: Live) -> None:
    engine = served.engine()
    with engine.begin() as conn:
        head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        body = _not_ready(served.base, "schema")
        assert "is at migration 0001" in body["detail"] and "istok db upgrade" in body["detail"]
        assert body["checks"]["database"] == "ok" and body["checks"]["index"] == "not checked"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        engine.dispose()
    assert httpx.get(f"{served.base}/readyz", timeout=30).status_code == 200


def test_not_ready_while_the_index_lags_the_log_past_the_allowed_seconds(served: Live) -> None:
    assert httpx.get(f"{served.base}/readyz", timeout=30).status_code == 200
    (lock,) = (served.data_dir / "search").glob("*.lock")
    with _holding(lock):  # the server's index cannot apply anything meanwhile
        _publish(served.db_url, "lagging")
        time.sleep(1.5)
        body = _not_ready(served.base, "index")
        assert body["checks"]["index"].startswith("1 log entries not applied, the oldest for ")
    deadline = time.monotonic() + 15
    while (got := httpx.get(f"{served.base}/readyz", timeout=30)).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert got.status_code == 200 and got.json()["index_seq"] == got.json()["last_seq"]


def test_not_ready_when_the_database_is_gone(tmp_path: Path, sqlite_template: Path) -> None:
    with migrated_database("postgres", tmp_path, sqlite_template, prefix="istok_readyz_gone") as db_url:
        proc, base = start_server(db_url, tmp_path, ISTOK_SEMANTIC="0")
        try:
            assert httpx.get(f"{base}/readyz", timeout=30).status_code == 200
            admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE "{sa.make_url(db_url).database}" WITH (FORCE)')
            admin.dispose()
            body = _not_ready(base, "database")
            assert body["checks"]["schema"] == body["checks"]["index"] == "not checked"
        finally:
            proc.terminate()
            proc.wait(timeout=15)

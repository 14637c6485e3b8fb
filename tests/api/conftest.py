"""A real `uvicorn` serving the app on a free port, over SQLite and over PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

import kb
from tests.conftest import ROOT, fresh_pg_database


@dataclass
class Live:
    """A running server and the database behind it, with a key per role."""

    base: str
    db_url: str
    data_dir: Path
    keys: dict[str, str] = field(default_factory=dict)

    def client(self, role: str | None = None, **headers: str) -> httpx.Client:
        auth = {"Authorization": f"Bearer {self.keys[role]}"} if role else {}
        return httpx.Client(base_url=self.base, headers={**auth, **headers}, timeout=30)

    def engine(self) -> sa.Engine:
        return kb.make_engine(self.db_url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, data_dir: Path, **env: str) -> tuple[subprocess.Popen[str], str]:
    """A uvicorn serving the app, once it answers with the semantic evidence loaded.

    It binds a port the system picks (`--port 0`) and says which in its log: test workers run side
    by side, and a port picked free beforehand could be another worker's by the time it is bound.
    """
    environ = {**os.environ, "ISTOK_DATABASE_URL": db_url, "ISTOK_DATA_DIR": str(data_dir), **env}
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"server-{uuid.uuid4().hex[:8]}.log"
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("uvicorn")),
            "api.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-access-log",
        ],
        env=environ,
        cwd=ROOT,
        # A file, not a pipe: a pipe nobody reads fills up and freezes a server that logs a lot.
        stdout=log.open("w", encoding="utf-8"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(encoding='utf-8')}")
        if base is None:
            bound = _BOUND.search(log.read_text(encoding="utf-8"))
            base = bound.group(1) if bound else None
            time.sleep(0.1)
            continue
        try:
            health = httpx.get(f"{base}/healthz", timeout=1).json()
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        if not health.get("semantic", {}).get("detail", "").startswith("warming"):
            return proc, base  # answers use the semantic evidence from here on, as they will in every test
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start in 60 s")


_BOUND = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


def sample_server(data_dir: Path, sqlite_template: Path, **env: str) -> Iterator[Live]:
    """A server of its own over SQLite with the sample content published, started with `env`."""
    shutil.copy(sqlite_template, data_dir / "istok.db")
    db_url = f"sqlite:///{data_dir / 'istok.db'}"
    engine = kb.make_engine(db_url)
    kb.import_paths([ROOT / "content"], engine=engine, publish=True)
    engine.dispose()
    proc, base = start_server(db_url, data_dir, **env)
    try:
        yield Live(base=base, db_url=db_url, data_dir=data_dir, keys=make_keys(db_url))
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def reviewed_server(data_dir: Path, sqlite_template: Path, rules: str) -> Iterator[Live]:
    """A sample server of its own under the review workflows `rules` (kept in `keys["rules"]`), with a
    second editor's key, `keys["reviewer"]` (named rita), to approve what the editor key proposes."""
    workflows = data_dir / "workflows.yaml"
    workflows.write_text(rules, encoding="utf-8")
    for live in sample_server(data_dir, sqlite_template, ISTOK_RATE_LIMIT="100000", ISTOK_WORKFLOWS=str(workflows)):
        engine = live.engine()
        with kb.write_session(engine) as session:
            live.keys["reviewer"] = kb.create_key(session=session, name="rita", role="editor", actor="test")[1]
        engine.dispose()
        live.keys["rules"] = str(workflows)
        yield live


def make_keys(db_url: str) -> dict[str, str]:
    engine = kb.make_engine(db_url)
    keys: dict[str, str] = {}
    with kb.write_session(engine) as session:
        for role in ("admin", "editor", "operator", "bot"):
            keys[role] = kb.create_key(session=session, name=f"test-{role}", role=role, actor="test")[1]
        revoked, secret = kb.create_key(session=session, name="test-revoked", role="admin", actor="test")
        kb.revoke_key(session=session, key_id=revoked.id or 0, actor="test")
        keys["revoked"] = secret
    engine.dispose()
    return keys


@contextmanager
def migrated_database(kind: str, data_dir: Path, sqlite_template: Path, *, prefix: str) -> Iterator[str]:
    """A migrated, empty database for servers to share: a SQLite file in `data_dir`, or a
    PostgreSQL database of its own, dropped afterwards. Yields its URL."""
    if kind == "sqlite":
        shutil.copy(sqlite_template, data_dir / "istok.db")
        yield f"sqlite:///{data_dir / 'istok.db'}"
        return
    with fresh_pg_database(prefix) as db_url:
        yield db_url


def _live_server(kind: str, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp(f"live-{kind}")
    with migrated_database(kind, data_dir, sqlite_template, prefix="istok_live") as db_url:
        engine = kb.make_engine(db_url)
        kb.import_paths([ROOT / "content"], engine=engine, publish=True)
        engine.dispose()
        proc, base = start_server(db_url, data_dir, ISTOK_RATE_LIMIT="100000")
        try:
            yield Live(base=base, db_url=db_url, data_dir=data_dir, keys=make_keys(db_url))
        finally:
            proc.terminate()
            proc.wait(timeout=15)


@pytest.fixture(scope="session")
def live_sqlite(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    yield from _live_server("sqlite", tmp_path_factory, sqlite_template)


@pytest.fixture(scope="session")
def live_postgres(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    yield from _live_server("postgres", tmp_path_factory, sqlite_template)


@pytest.fixture(params=["sqlite", "postgres"])
def live(request: pytest.FixtureRequest) -> Live:
    """The worker's server over each database kind, with the sample content imported and published.

    One per kind for the whole session, shared by every test file the worker runs: its tests
    create what they need under names of their own and look only at that. Each kind is a
    session fixture of its own, so a worker switching kinds between files keeps both running.
    """
    return request.getfixturevalue(f"live_{request.param}")

"""Fixtures: a fresh, migrated store per test, on SQLite and (where asked) PostgreSQL.

PostgreSQL is the server at ISTOK_TEST_PG (default 127.0.0.1:5432, user postgres).
Without it, PostgreSQL tests skip on a developer's machine and fail under CI=true.
"""

from __future__ import annotations

import inspect
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

import kb
from tests.helpers import run_in_own_loop

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
PG_SERVER = os.environ.get("ISTOK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
IN_CI = os.environ.get("CI", "").lower() == "true"


def missing_tool(message: str) -> None:
    """Skip on a developer's machine; fail in CI, where every tool must be installed."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: required)")
    pytest.skip(message)


#: What a test file does that takes seconds rather than milliseconds: start servers, browsers, commands.
_SLOW_MARKS = (
    "start_server(",
    "sample_server(",
    "serve(",
    "subprocess.",
    "running_provider(",
    "live: Live",
    "site: Site",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files that start processes first, quick in-process files after them, each file's tests together.

    The test workers take whole files (`--dist loadfile`) in this order: a slow file taken
    last would keep one worker busy while the others wait at the end of the run; quick
    files taken last fill the others' time instead.
    """
    weights: dict[Path, int] = {}
    for item in items:
        path = item.path
        if path not in weights:
            source = path.read_text(encoding="utf-8")
            weights[path] = -sum(source.count(mark) for mark in _SLOW_MARKS)
    first_seen = {path: n for n, path in enumerate(dict.fromkeys(item.path for item in items))}
    items.sort(key=lambda item: (weights[item.path], first_seen[item.path]))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """`async def` tests run on a loop of their own thread (see `run_in_own_loop`)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    run_in_own_loop(pyfuncitem.obj(**arguments))
    return True


@pytest.fixture(scope="session", autouse=True)
def _erasures_journaled_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests that erase a contact in-process journal it in a temporary file, not in the checkout's `var/`.

    A test about the journal itself names its own (ISTOK_ERASURE_JOURNAL, or a data folder).
    """
    if "ISTOK_ERASURE_JOURNAL" in os.environ:
        yield
        return
    os.environ["ISTOK_ERASURE_JOURNAL"] = str(tmp_path_factory.mktemp("journal") / "erasures.jsonl")
    try:
        yield
    finally:
        os.environ.pop("ISTOK_ERASURE_JOURNAL", None)


@pytest.fixture(scope="session", autouse=True)
def _no_review_workflows_unless_asked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests publish without review (an empty workflows file) unless they name their own ISTOK_WORKFLOWS.

    The sample `content/workflows.yaml` asks billing articles for an approval, which tests
    about other things must not depend on; tests/kb/test_workflows.py and friends set their own.
    """
    if "ISTOK_WORKFLOWS" in os.environ:
        yield
        return
    empty = tmp_path_factory.mktemp("workflows") / "workflows.yaml"
    empty.write_text("", encoding="utf-8")
    os.environ["ISTOK_WORKFLOWS"] = str(empty)
    try:
        yield
    finally:
        os.environ.pop("ISTOK_WORKFLOWS", None)


@pytest.fixture(scope="session", autouse=True)
def _one_encoder_folder_for_the_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every server, command and test worker of the run maps the encoder's files from one folder.

    As the processes of one host do (ISTOK_ENCODER_DIR): the first writes them, the rest map them,
    instead of each test server writing its own into its data folder. Test workers share the
    parent of their temporary folders.
    """
    if "ISTOK_ENCODER_DIR" in os.environ:
        yield
        return
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    os.environ["ISTOK_ENCODER_DIR"] = str(shared / "encoder")
    try:
        yield
    finally:
        os.environ.pop("ISTOK_ENCODER_DIR", None)


@pytest.fixture(scope="session")
def espeak() -> str:
    """The espeak-ng binary, which speaks the IVR (renderer tests, the WAV routes, the Asterisk adapter)."""
    path = shutil.which("espeak-ng")
    if path is None:
        missing_tool("espeak-ng is not installed (apt-get install espeak-ng)")
    return path or ""


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = kb.make_engine(f"sqlite:///{path}")
    kb.upgrade(engine)
    engine.dispose()
    return path


@contextmanager
def fresh_pg_database(prefix: str, *, migrated: bool = True) -> Iterator[str]:
    """A PostgreSQL database of its own (migrated, or with no tables at all), dropped afterwards; yields its URL.

    Without the server: skipped on a developer's machine, a failure under CI=true.
    """
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        missing_tool(f"PostgreSQL is not reachable at {PG_SERVER}: {exc.orig}")
    url = f"{PG_SERVER}/{name}"
    if migrated:
        engine = kb.make_engine(url)
        kb.upgrade(engine)
        engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One migrated database for the session; each test empties it first."""
    with fresh_pg_database("istok_test") as url:
        yield url


def _fresh_sqlite(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "istok.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def _fresh_pg(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ).scalars()
        conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        conn.exec_driver_sql("INSERT INTO log_head (id, seq) VALUES (1, 0)")
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return _fresh_sqlite(sqlite_template, tmp_path)
    return _fresh_pg(request.getfixturevalue("pg_database"))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database, for tests that do not depend on the engine."""
    return _fresh_sqlite(sqlite_template, tmp_path)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    eng = kb.make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[sa.Engine]:
    eng = kb.make_engine(sqlite_url)
    yield eng
    eng.dispose()

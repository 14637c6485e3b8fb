"""Engines, sessions and migrations for SQLite (embedded) and PostgreSQL (scale-out).

SQLite writers open their transaction with BEGIN IMMEDIATE: a read-then-write
transaction would otherwise fail with "database is locked" when another writer got in
between, instead of waiting its turn and then seeing the conflict properly.

SQLite runs with `secure_delete` on every connection, so a deleted or rewritten row is
overwritten with zeros in the page rather than left in free space, where an erased
client's words would still be read off the file; `checkpoint_after_commit()` then moves
the zeroed pages out of the write-ahead log into the file and empties the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session

from kb.errors import DatabaseNotMigrated

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Seconds a new PostgreSQL connection may take before the attempt fails.
CONNECT_TIMEOUT = 5
#: The PostgreSQL advisory lock key `upgrade` holds while it migrates ("istok-db" in ASCII).
MIGRATION_LOCK = 0x69_73_74_6F_6B_2D_64_62


def make_engine(url: str) -> sa.Engine:
    """An engine for `url`; a SQLite file's folder is created on first use."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # pre-ping replaces a pooled connection a database restart killed; the connect timeout bounds how
    # long a request waits on a database that does not answer (it then gets a 503, api/http/problems.py)
    return sa.create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args={"connect_timeout": CONNECT_TIMEOUT}
    )


def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def _sqlite_engine(url: str) -> sa.Engine:
    parsed = sa.engine.make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
        # SQLite's lower() folds ASCII only; kb.listing matches titles in every script with this
        dbapi_conn.create_function("istok_lower", 1, _lower, deterministic=True)

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

    return engine


@contextmanager
def read_session(engine: sa.Engine) -> Iterator[Session]:
    """A session for reading; it never holds a write lock."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session(engine: sa.Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error."""
    bind = engine.execution_options(sqlite_begin="BEGIN IMMEDIATE") if engine.dialect.name == "sqlite" else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def checkpoint_after_commit(session: Session) -> None:
    """On SQLite, once `session` commits, copy the log into the file and truncate the log.

    Erasure calls it: with secure_delete the new pages hold zeros, but the write-ahead log
    still holds the pages as they were until a checkpoint overwrites the file and the log
    is truncated. A reader still busy with an old snapshot makes this a best effort: the
    next automatic checkpoint completes it. PostgreSQL needs nothing (VACUUM reclaims).
    """
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, sa.Connection) else bind
    if engine.dialect.name != "sqlite":
        return

    def _checkpoint(_session: Session) -> None:
        raw = engine.raw_connection()  # autocommit (see _on_connect): a checkpoint cannot run in a transaction
        try:
            cur = raw.cursor()
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.close()
        finally:
            raw.close()

    sa.event.listen(session, "after_commit", _checkpoint, once=True)


def alembic_config(engine: sa.Engine) -> Config:
    from alembic.config import Config  # alembic is imported when the schema is looked at, not by every command

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: sa.Engine) -> None:
    """Bring the schema to the newest migration (`istok db upgrade`).

    On PostgreSQL under a session advisory lock: replicas started at once each run `db upgrade`
    (deploy/istok-migrate.service), and two migrations racing on one database would both try to
    create the same tables. The second waits for the lock, then finds the schema at head.
    """
    from alembic import command

    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), "head")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock:
        lock.execute(sa.select(sa.func.pg_advisory_lock(MIGRATION_LOCK)))
        try:
            command.upgrade(alembic_config(engine), "head")
        finally:
            lock.execute(sa.select(sa.func.pg_advisory_unlock(MIGRATION_LOCK)))


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return heads[0] if heads else None


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return script.get_current_head()


def ensure_migrated(engine: sa.Engine) -> None:
    """Refuse to work on a database whose schema is not the one this code expects."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        state = "has no Istok tables" if current is None else f"is at migration {current}, not {head}"
        raise DatabaseNotMigrated(f"the database {where} {state}; run `istok db upgrade` to migrate it")

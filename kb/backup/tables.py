"""Rows per table, and emptiness: what a backup counts, what a restore checks and clears."""

from __future__ import annotations

import sqlalchemy as sa

from kb.backup.archive import BackupError

#: Rows a migrated but unused database holds already: they make no database "not empty".
SEED_TABLES = frozenset({"alembic_version", "log_head", "webhook_cursor"})


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return counts_on(conn)


def counts_on(conn: sa.Connection) -> dict[str, int]:
    names = sa.inspect(conn).get_table_names()
    return {
        name: int(conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one())
        for name in sorted(names)
    }


def revision_on(conn: sa.Connection) -> str | None:
    value = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return None if value is None else str(value)


def check_empty(engine: sa.Engine) -> None:
    """A database holds data when any table but the migrations' own seed rows has a row."""
    held = {t: n for t, n in counts(engine).items() if n and t not in SEED_TABLES}
    if held:
        where = engine.url.render_as_string(hide_password=True)
        rows = ", ".join(f"{t} ({n})" for t, n in sorted(held.items()))
        raise BackupError(
            f"the database {where} is not empty (rows in {rows}); restore into an empty database, "
            "or pass --force to replace everything it holds"
        )


def wipe(engine: sa.Engine) -> None:
    """Drop every table of the database (foreign keys first), leaving it as empty as a new one."""
    meta = sa.MetaData()
    try:
        with engine.begin() as conn:
            meta.reflect(conn)
            meta.drop_all(conn)
    except sa.exc.SQLAlchemyError as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise BackupError(f"cannot empty the database {where}: {exc}") from exc

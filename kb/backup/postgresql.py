"""PostgreSQL: `pg_dump --format=custom` in an exported snapshot, and `pg_restore` in one transaction."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa

from kb.backup.archive import BackupError
from kb.backup.tables import counts_on, revision_on, wipe


def dump(engine: sa.Engine, payload: Path) -> tuple[str | None, dict[str, int]]:
    """pg_dump in the snapshot this transaction exported, so the counts are those of the dump."""
    pg_dump = _pg_tool("pg_dump")
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        counts = counts_on(conn)
        revision = revision_on(conn) if "alembic_version" in counts else None
        options = ["--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", f"--file={payload}"]
        _run_tool([pg_dump, *options], engine)
    return revision, counts


def restore(engine: sa.Engine, payload: Path) -> None:
    """Drop what the database holds (checked empty, or forced), then pg_restore in one transaction."""
    pg_restore = _pg_tool("pg_restore")
    wipe(engine)
    try:
        _run_tool(
            [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(payload)],
            engine,
        )
    except BackupError as exc:
        raise BackupError(f"{exc.detail} (the database was emptied and holds nothing now)") from exc


def _pg_tool(name: str) -> str:
    """The PostgreSQL client program `name`: on PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_major_version, reverse=True)
    if candidates:
        return candidates[0]
    raise BackupError(
        f"{name} is not installed (not on PATH nor under /usr/lib/postgresql/*/bin); "
        "install the PostgreSQL client programs (Debian: apt-get install postgresql-client)"
    )


def _major_version(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _run_tool(argv: list[str], engine: sa.Engine) -> None:
    """Run pg_dump or pg_restore on the engine's database; the password travels in PGPASSWORD, not argv."""
    url = engine.url
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run([*argv, f"--dbname={conninfo}"], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tool = Path(argv[0]).name
        raise BackupError(f"{tool} failed (exit {result.returncode}): {result.stderr.strip()[-2000:]}")

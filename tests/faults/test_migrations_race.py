"""Replicas started at once each run `istok db upgrade`: on one empty PostgreSQL database they must
neither fail nor apply a migration twice (kb/db.py takes an advisory lock around the upgrade)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import kb
from tests.bulkstore import ISTOK, env_for
from tests.conftest import ROOT, fresh_pg_database

pytestmark = pytest.mark.postgres
TIME_LIMIT = 120
RACERS = 3


def _upgrades(url: str, tmp: Path, count: int) -> list[subprocess.Popen[str]]:
    """`count` processes of `istok db upgrade` on `url`, started together."""
    env = env_for(url, tmp)
    return [
        subprocess.Popen(
            [ISTOK, "db", "upgrade"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(count)
    ]


def test_upgrades_started_together_on_an_empty_database_all_succeed_and_migrate_once(tmp_path: Path) -> None:
    with fresh_pg_database("istok_migrate_race", migrated=False) as url:
        procs = _upgrades(url, tmp_path, RACERS)
        outputs = [p.communicate(timeout=90)[0] for p in procs]
        assert [p.returncode for p in procs] == [0] * RACERS, "\n---\n".join(outputs)
        said = {line.split()[-1] for out in outputs for line in out.splitlines() if line.startswith("database at")}
        assert len(said) == 1, outputs  # every one reports the same head
        [head] = said
        engine = kb.make_engine(url)
        try:
            with engine.connect() as conn:
                versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
                heads = conn.execute(sa.text("SELECT count(*) FROM log_head")).scalar_one()
                held = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                ).scalar_one()
            assert versions == [head]  # one row: no migration ran twice or left a second head
            assert heads == 1  # the seed row a migration inserts, once
            assert held == 0  # every upgrade let its lock go
            kb.ensure_migrated(engine)  # and it is this code's head
        finally:
            engine.dispose()


def test_an_upgrade_waits_for_one_that_holds_the_lock(tmp_path: Path) -> None:
    """A second upgrade blocks while the first holds the lock, and then finds nothing to do."""
    with fresh_pg_database("istok_migrate_wait", migrated=False) as url:
        holder = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with holder.connect() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_lock(kb.MIGRATION_LOCK)))
            [waiting] = _upgrades(url, tmp_path, 1)
            time.sleep(2.0)
            assert waiting.poll() is None, "the upgrade ran although the migration lock was held"
            tables = conn.execute(sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one()
            assert tables == 0  # nothing migrated meanwhile
            conn.execute(sa.select(sa.func.pg_advisory_unlock(kb.MIGRATION_LOCK)))
        holder.dispose()
        output = waiting.communicate(timeout=60)[0]
        assert waiting.returncode == 0, output

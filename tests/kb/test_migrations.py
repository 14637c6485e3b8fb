"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import contacts  # noqa: F401  (the schema has contact context's tables too; kb never imports them)
import insights  # noqa: F401  (and the roll-up table of insights, migration 0017)
import kb


def test_migrated_schema_matches_the_models(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_an_unmigrated_database_is_refused_with_the_fix_named(tmp_path: object) -> None:
    engine = kb.make_engine(f"sqlite:///{tmp_path}/empty.db")
    try:
        kb.ensure_migrated(engine)
    except kb.DatabaseNotMigrated as exc:
        assert "run `istok db upgrade`" in exc.detail
    else:
        raise AssertionError("an empty database was accepted")
    kb.upgrade(engine)
    kb.ensure_migrated(engine)
    kb.upgrade(engine)  # idempotent

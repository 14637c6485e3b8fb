"""Alembic environment: runs on the engine Istok hands in, never on a URL from a file."""

from __future__ import annotations

import contextlib

from alembic import context
from sqlmodel import SQLModel

import kb.models  # noqa: F401  (registers the tables on SQLModel.metadata)

# Contact context's tables (migration 0005) live in `contacts`, the floor above `kb`. This is a
# migration script, not runtime code: the one place `kb` may name them, so one schema has one history.
with contextlib.suppress(ImportError):  # kb installed without the contacts package
    import contacts.models  # noqa: F401

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()

"""Alembic environment: runs on the engine Istok hands in, never on a URL from a file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import kb.models  # noqa: F401  (registers the tables on SQLModel.metadata)

# Contact context's tables (migration 0005) are declared in `contacts`, the floor above `kb`, and
# kb never imports it (DESIGN.md section 2). The migrations create them by name; whoever compares the
# models with the schema (the composition root, the migration test) imports `contacts.models` first.

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

"""The process's shared engine, built once from the settings and checked for migrations."""

from __future__ import annotations

import functools

import sqlalchemy as sa

import kb


@functools.cache
def engine() -> sa.Engine:
    """The engine for ISTOK_DATABASE_URL; refuses an unmigrated database."""
    eng = kb.make_engine(kb.load_settings().database_url)
    kb.ensure_migrated(eng)
    return eng


@functools.cache
def raw_engine() -> sa.Engine:
    """The engine without the migration check, for `istok db upgrade` itself."""
    return kb.make_engine(kb.load_settings().database_url)


@functools.cache
def index() -> kb.SearchIndex:
    """This process's search index over the engine (opened, or rebuilt, on first use)."""
    return kb.get_index(engine())


def published() -> None:
    """After a commit that touched the publication log: make it searchable here at once."""
    kb.refresh_index(index())

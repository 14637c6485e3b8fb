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


_listener: kb.Listener | None = None


def listen() -> kb.Listener:
    """Start this process's LISTEN/NOTIFY listener beside its index (the app's lifespan does, per worker).

    On SQLite, or with ISTOK_LISTEN=0, it starts nothing: the index's poll is the only path.
    """
    global _listener
    if _listener is None:
        _listener = kb.Listener(index(), enabled=kb.load_settings().listen)
    _listener.start()
    return _listener


def stop_listening() -> None:
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None


def listener_state() -> kb.ListenerState:
    """How this process learns of publishes made elsewhere, for `/healthz`."""
    if _listener is None:
        return kb.ListenerState(mode="poll", connected=False, detail="not listening: the app's lifespan has not run")
    return _listener.state()

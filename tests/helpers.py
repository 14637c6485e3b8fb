"""Small builders shared by tests: article sources and whole-store snapshots."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa
import typer.testing

import kb

T = TypeVar("T")


def in_own_thread(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`call(*args, **kwargs)` in a thread of its own, waited for; its exception is raised here.

    For what runs an event loop: a worker's browser (Playwright's sync API, open for the whole
    session) keeps its loop running in the test's thread, and asyncio and anyio refuse a second.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-loop") as pool:
        return pool.submit(call, *args, **kwargs).result()


def run_in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end on an event loop of its own thread (see `in_own_thread`)."""
    return in_own_thread(asyncio.run, coroutine)


class CliRunner(typer.testing.CliRunner):
    """Typer's runner, each command in a thread of its own: `istok answer` runs an event loop."""

    def invoke(self, *args: Any, **kwargs: Any) -> typer.testing.Result:  # type: ignore[override]
        return in_own_thread(super().invoke, *args, **kwargs)


def article(
    key: str = "check-balance",
    locale: str = "en",
    title: str = "How do I check my balance?",
    body: str = "Dial the code and press call.",
    **front: Any,
) -> str:
    """An article source with the given front matter and body."""
    lines = ["---", f"key: {key}", f"locale: {locale}", f"title: {title}"]
    for name, value in front.items():
        if isinstance(value, list):
            lines.append(f"{name}: [{', '.join(value)}]")
        else:
            lines.append(f"{name}: {value}")
    lines.append("---")
    return "\n".join(lines) + "\n" + textwrap.dedent(body).strip() + "\n"


def snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every Istok table, to prove a failed change left no trace."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            if name == "alembic_version":
                continue
            rows = conn.execute(sa.select(table)).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def save(engine: sa.Engine, source: str, *, base: int | None = None, actor: str = "tester") -> kb.SaveResult:
    with kb.write_session(engine) as session:
        return kb.save_draft(session=session, source=source, base_revision=base, actor=actor)

"""Small builders shared by tests: article sources and whole-store snapshots."""

from __future__ import annotations

import textwrap
from typing import Any

import sqlalchemy as sa

import kb


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

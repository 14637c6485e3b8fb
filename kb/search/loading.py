"""Reading what the index must hold from the database: the truth it is derived from.

A rebuild reads every published revision in one query; catching up reads only the
articles the publication log names since the last position. Either way each unit is
parsed through the content cache and analysed into an `IndexDoc`. Large rebuilds
parse and analyse in worker processes, since both are pure CPU work per article.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from kb.content import parse_source
from kb.facts import FactValue, fact_values
from kb.models import Article, LogEntry, Revision
from kb.search.documents import IndexDoc, build_doc

#: From this many articles on, a rebuild analyses in a process pool.
POOL_FROM = 2000
_CHUNK = 250


@dataclass(frozen=True)
class Position:
    """A place in the publication log: sequence number and when that entry was written."""

    seq: int
    at: str | None


def log_position(session: Session) -> Position:
    """The newest entry of the publication log (0 when it is empty)."""
    row = session.execute(
        sa.select(col(LogEntry.seq), col(LogEntry.at)).order_by(col(LogEntry.seq).desc()).limit(1)
    ).first()
    if row is None:
        return Position(0, None)
    return Position(int(row[0]), row[1].isoformat() if row[1] else None)


def entry_time(session: Session, seq: int) -> str | None:
    at = session.execute(sa.select(col(LogEntry.at)).where(col(LogEntry.seq) == seq)).scalar_one_or_none()
    return at.isoformat() if at is not None else None


def _published(session: Session, where: sa.ColumnElement[bool] | None = None) -> list[tuple[str, int, str]]:
    stmt = sa.select(col(Revision.source), col(Revision.number), col(Revision.content_hash)).join(
        Article,
        (col(Article.id) == col(Revision.article_id)) & (col(Article.published_revision) == col(Revision.number)),
    )
    if where is not None:
        stmt = stmt.where(where)
    return [(str(src), int(num), str(h)) for src, num, h in session.execute(stmt.order_by(col(Article.id))).all()]


def published_count(session: Session) -> int:
    stmt = sa.select(sa.func.count()).select_from(Article).where(col(Article.published_revision).is_not(None))
    return int(session.execute(stmt).scalar_one())


def _analyse(items: Sequence[tuple[str, int, str]], facts: dict[str, FactValue]) -> list[IndexDoc]:
    return [
        build_doc(parse_source(src, file=f"revision {num}", digest=h), revision=num, facts=facts)
        for src, num, h in items
    ]


def all_docs(session: Session) -> Iterator[list[IndexDoc]]:
    """Every published unit, analysed, in batches as they are ready (the caller indexes meanwhile)."""
    facts = fact_values(session=session)
    rows = _published(session)
    if len(rows) < POOL_FROM or (os.cpu_count() or 1) < 2:
        yield _analyse(rows, facts)
        return
    chunks = [rows[i : i + _CHUNK] for i in range(0, len(rows), _CHUNK)]
    with ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
        yield from pool.map(_analyse, chunks, [facts] * len(chunks))


def changed_docs(session: Session, names: Collection[tuple[str, str]]) -> tuple[list[IndexDoc], list[str]]:
    """The current published state of the named (key, locale) articles, and those no longer live."""
    if not names:
        return [], []
    facts = fact_values(session=session)
    docs: list[IndexDoc] = []
    for batch in _batches(sorted(names)):
        wanted = sa.tuple_(col(Article.key), col(Article.locale)).in_(batch)
        docs.extend(_analyse(_published(session, wanted), facts))
    live = {(d.key, d.locale) for d in docs}
    gone = [f"{locale}/{key}" for key, locale in names if (key, locale) not in live]
    return docs, gone


def _batches(items: Sequence[tuple[str, str]], size: int = 200) -> Iterator[list[tuple[str, str]]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])

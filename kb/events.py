"""The publication log: every change the public can see, numbered without gaps."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kb.models import Article, LogEntry, LogHead
from kb.notify import announce
from kb.types import LogKind


def next_seq(session: Session) -> int:
    """Take the next sequence number inside the caller's transaction.

    Updating the one counter row locks it until commit (PostgreSQL) or rides the
    writer's lock (SQLite), so numbers are handed out in commit order and a rollback
    gives its number back.
    """
    return reserve_seqs(session, 1)


def reserve_seqs(session: Session, count: int) -> int:
    """Take `count` consecutive sequence numbers at once; returns the first.

    The one place the log moves, so the one place that tells the other processes
    (`kb.notify.announce`, delivered when the caller's transaction commits).
    """
    session.execute(sa.update(LogHead).where(col(LogHead.id) == 1).values(seq=col(LogHead.seq) + count))
    last = int(session.execute(sa.select(col(LogHead.seq)).where(col(LogHead.id) == 1)).scalar_one())
    announce(session, last)
    return last - count + 1


def append(
    session: Session,
    *,
    kind: LogKind,
    actor: str,
    article: Article | None = None,
    revision: int | None = None,
    content_hash: str | None = None,
    fact_key: str | None = None,
) -> LogEntry:
    entry = LogEntry(
        seq=next_seq(session),
        kind=kind.value,
        article_id=article.id if article else None,
        key=article.key if article else None,
        locale=article.locale if article else None,
        revision=revision,
        content_hash=content_hash,
        fact_key=fact_key,
        actor=actor,
    )
    session.add(entry)
    return entry


def last_seq(session: Session) -> int:
    return int(session.execute(sa.select(col(LogHead.seq)).where(col(LogHead.id) == 1)).scalar_one())


def changes_since(session: Session, *, since: int, limit: int = 100) -> list[LogEntry]:
    """Entries after `since`, oldest first: what a cache or an index must catch up on."""
    stmt = select(LogEntry).where(col(LogEntry.seq) > since).order_by(col(LogEntry.seq)).limit(limit)
    return list(session.exec(stmt))

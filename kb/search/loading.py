"""Reading what the index must hold from the database: the truth it is derived from.

A rebuild reads every published revision in one query; catching up reads only the
articles the publication log names since the last position. Either way each unit is
parsed through the content cache and analysed into an `IndexDoc`. Large rebuilds
parse and analyse in worker processes, since both are pure CPU work per article.
Those workers die with the process that started them (`die_with_parent`): a rebuild
killed with SIGKILL leaves no orphan behind holding the index lock or using the CPU.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from kb.content import parse_source
from kb.facts import FactValue, fact_values
from kb.models import Article, LogEntry, Revision
from kb.search.documents import IndexDoc, build_doc
from kb.search.quarantine import Failure, Quarantine, describe

#: From this many articles on, a rebuild analyses in a process pool.
POOL_FROM = 2000
_CHUNK = 250
#: prctl(2) option: the signal this process gets when the thread that forked it ends.
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Make this (forked) process get SIGKILL when `parent` dies, or exit now if it already has.

    Without it a worker outlives a parent killed with SIGKILL: it keeps computing and
    keeps every descriptor it inherited, the index lock among them, so the next start
    waits for ever. Linux only (prctl); elsewhere the parent's normal shutdown stops
    the pool. The parent may die between fork and prctl, hence the check afterwards.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        os._exit(1)


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


#: A published revision as read for analysis: source, number, content hash, key, locale.
_Row = tuple[str, int, str, str, str]


def _published(session: Session, where: sa.ColumnElement[bool] | None = None) -> list[_Row]:
    stmt = sa.select(
        col(Revision.source), col(Revision.number), col(Revision.content_hash), col(Article.key), col(Article.locale)
    ).join(
        Article,
        (col(Article.id) == col(Revision.article_id)) & (col(Article.published_revision) == col(Revision.number)),
    )
    if where is not None:
        stmt = stmt.where(where)
    rows = session.execute(stmt.order_by(col(Article.id))).all()
    return [(str(src), int(num), str(h), str(key), str(loc)) for src, num, h, key, loc in rows]


def published_names(session: Session) -> set[tuple[str, str]]:
    """(key, locale) of every live article."""
    stmt = sa.select(col(Article.key), col(Article.locale)).where(col(Article.published_revision).is_not(None))
    return {(str(k), str(loc)) for k, loc in session.execute(stmt).all()}


def published_count(session: Session) -> int:
    stmt = sa.select(sa.func.count()).select_from(Article).where(col(Article.published_revision).is_not(None))
    return int(session.execute(stmt).scalar_one())


def _analyse(items: Sequence[_Row], facts: dict[str, FactValue]) -> tuple[list[IndexDoc], list[Failure]]:
    """Each unit on its own: one that fails to parse or analyse is reported, not raised."""
    docs: list[IndexDoc] = []
    failures: list[Failure] = []
    for src, num, h, key, locale in items:
        try:
            docs.append(
                build_doc(parse_source(src, file=f"{locale}/{key} revision {num}", digest=h), revision=num, facts=facts)
            )
        except Exception as exc:  # one bad unit must never stop the others
            failures.append(Failure(key, locale, num, describe(exc)))
    return docs, failures


def _kept(analysed: tuple[list[IndexDoc], list[Failure]], quarantine: Quarantine) -> list[IndexDoc]:
    docs, failures = analysed
    for failure in failures:
        quarantine.add(failure)
    quarantine.release({d.uid for d in docs})
    return docs


def all_docs(session: Session, quarantine: Quarantine) -> Iterator[list[IndexDoc]]:
    """Every published unit, analysed, in batches as they are ready (the caller indexes meanwhile)."""
    facts = fact_values(session=session)
    rows = _published(session)
    if len(rows) < POOL_FROM or (os.cpu_count() or 1) < 2:
        yield _kept(_analyse(rows, facts), quarantine)
        return
    chunks = [rows[i : i + _CHUNK] for i in range(0, len(rows), _CHUNK)]
    # fork, named (3.14 defaults to forkserver): workers start with the modules loaded, about
    # 1.6 s quicker than spawn/forkserver at 2,400 articles on 2 cores; and `die_with_parent`
    # needs this process to be their parent.
    with ProcessPoolExecutor(
        max_workers=min(4, os.cpu_count() or 2),
        mp_context=multiprocessing.get_context("fork"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        for analysed in pool.map(_analyse, chunks, [facts] * len(chunks)):
            yield _kept(analysed, quarantine)


def changed_docs(
    session: Session, names: Collection[tuple[str, str]], quarantine: Quarantine
) -> tuple[list[IndexDoc], list[str]]:
    """The current published state of the named (key, locale) articles, and those no longer live."""
    if not names:
        return [], []
    facts = fact_values(session=session)
    docs: list[IndexDoc] = []
    failed: set[str] = set()
    for batch in _batches(sorted(names)):
        wanted = sa.tuple_(col(Article.key), col(Article.locale)).in_(batch)
        found, failures = _analyse(_published(session, wanted), facts)
        docs.extend(_kept((found, failures), quarantine))
        failed.update(f"{f.locale}/{f.key}" for f in failures)
    live = {(d.key, d.locale) for d in docs}
    gone = [f"{locale}/{key}" for key, locale in names if (key, locale) not in live]
    quarantine.release(set(gone) - failed)  # unpublished: nothing of it is served any more
    return docs, gone


def _batches(items: Sequence[tuple[str, str]], size: int = 200) -> Iterator[list[tuple[str, str]]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])

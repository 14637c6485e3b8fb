"""The event outbox: every kb action, as an event a later consumer (webhooks) reads in order.

`kb.audit.record_action` appends here, so each action's event lives and dies with its
change. A reader pages by id (`events_after`), so ids must follow commit order, or it would
step past an event whose transaction committed after a later-numbered one. The events are
therefore held by the session and inserted as the transaction commits, on PostgreSQL under a
transaction-scoped advisory lock taken as the very last lock (so it cannot close a cycle with
the row locks actions take); SQLite has one writer at a time anyway. A rollback, or the
savepoint an event was appended in rolling back, drops it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from kb.models import OutboxEvent, utcnow

#: The advisory lock that numbers events in commit order on PostgreSQL ("istok outbox").
LOCK_KEY = 0x1570_0B0C
_PENDING = "istok.outbox.pending"


@dataclass(frozen=True)
class _Pending:
    row: dict[str, Any]
    transaction: SessionTransaction | None


def append(
    session: Session,
    *,
    action: str,
    target: str,
    actor: str,
    role: str,
    base_revision: int | None = None,
    new_revision: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add the event to the caller's transaction; it is written when that transaction commits."""
    row = {
        "at": utcnow(),
        "action": action,
        "target": target,
        "actor": actor,
        "role": role,
        "base_revision": base_revision,
        "new_revision": new_revision,
        "detail": dict(detail or {}),
    }
    where = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append(_Pending(row, where))


def events_after(session: Session, *, after_id: int = 0, limit: int = 100) -> list[OutboxEvent]:
    """Events numbered after `after_id`, oldest first: the next page for a consumer."""
    stmt = select(OutboxEvent).where(col(OutboxEvent.id) > after_id).order_by(col(OutboxEvent.id)).limit(limit)
    return list(session.exec(stmt))


def prune(session: Session, *, before: dt.datetime) -> int:
    """Delete events older than `before` (retention); returns how many. Ids are never reused."""
    result = session.execute(
        sa.delete(OutboxEvent).where(col(OutboxEvent.at) < before).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _write_pending(session: OrmSession) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: the events wait for the outer commit
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    session.execute(sa.insert(OutboxEvent), [p.row for p in pending])


def _drop_rolled_back(session: OrmSession, previous_transaction: SessionTransaction) -> None:
    pending: list[_Pending] = session.info.get(_PENDING, [])
    if pending and previous_transaction.nested:
        session.info[_PENDING] = [p for p in pending if not _within(p.transaction, previous_transaction)]


def _drop_unwritten(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: committed ones were written
        session.info.pop(_PENDING, None)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


sa.event.listen(OrmSession, "before_commit", _write_pending)
sa.event.listen(OrmSession, "after_soft_rollback", _drop_rolled_back)
sa.event.listen(OrmSession, "after_transaction_end", _drop_unwritten)

"""The audit log: every write, by whom, from which revision to which."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from kb import outbox
from kb.models import AuditEntry
from kb.rights import EVERYTHING, Rights


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as plain data, so every caller (API, admin, CLI, importer) audits alike.

    `name` is a key's or person's name (`cli:<os user>` for the command line); `role` the
    role they acted in; `client` the address the request came from, when there was one;
    `rights` the categories and locales a person is limited to (kb/rights.py), which the
    content actions check.
    """

    name: str
    role: str = "system"
    client: str | None = None
    rights: Rights = EVERYTHING


def as_actor(actor: Actor | str) -> Actor:
    """A bare name is a caller inside the system (importer, scripts, tests): role "system"."""
    return actor if isinstance(actor, Actor) else Actor(name=actor)


def record_action(
    session: Session,
    actor: Actor | str,
    *,
    action: str,
    target: str,
    base_revision: int | None = None,
    new_revision: int | None = None,
    **detail: Any,
) -> AuditEntry:
    """The audit row and the outbox event a kb action writes for itself, in its own transaction."""
    who = as_actor(actor)
    outbox.append(
        session,
        action=action,
        target=target,
        actor=who.name,
        role=who.role,
        base_revision=base_revision,
        new_revision=new_revision,
        detail=detail,
    )
    return record(
        session,
        actor=who.name,
        role=who.role,
        action=action,
        target=target,
        base_revision=base_revision,
        new_revision=new_revision,
        client=who.client,
        **detail,
    )


def record(
    session: Session,
    *,
    actor: str,
    role: str,
    action: str,
    target: str,
    base_revision: int | None = None,
    new_revision: int | None = None,
    client: str | None = None,
    **detail: Any,
) -> AuditEntry:
    """Add an entry in the caller's transaction, so it exists exactly when the write does."""
    entry = AuditEntry(
        actor=actor,
        role=role,
        action=action,
        target=target,
        base_revision=base_revision,
        new_revision=new_revision,
        client=client,
        detail=detail,
    )
    session.add(entry)
    return entry


def entries(
    *, session: Session, before_id: int | None = None, limit: int = 50, action: str | None = None
) -> list[AuditEntry]:
    """Newest first; `before_id` pages back in time."""
    stmt = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(col(AuditEntry.id) < before_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(session.exec(stmt))

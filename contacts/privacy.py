"""Personal data: audit every profile access, export everything held, erase, and retention.

Erasure keeps the statistics and drops the person: identities and merge records go,
personal fields are emptied, interactions and cases lose their contact and question
text, and the content gaps the contact's questions left are deleted (kb keeps the
contact id on them for this). Contacts merged into the erased one are the same person
and are erased with it. Audit entries name contacts by id only, never by an address, so
the audit log holds nothing an erasure would have to chase. On SQLite the erased rows are
zeroed in the file (secure_delete) and the write-ahead log is emptied after the commit.
Each erasure is also appended to the erasure journal outside the database (`kb.record_erasure`),
before it commits, so that a restored backup erases the person again (`reapply_erasures`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from contacts.merging import merges_of
from contacts.models import Case, Contact, Identity, Interaction, Merge
from kb import (
    ErasedContact,
    Erasure,
    audit_record,
    checkpoint_after_commit,
    erasure_key_id,
    forget_gaps,
    forget_webhook_contacts,
    identity_digest,
    record_erasure,
    utcnow,
)


def audit_access(
    session: Session, *, actor: str, role: str, contact_id: int, action: str, client: str | None = None
) -> None:
    """Record that `actor` read a profile (`action` says which view: context, lookup, export…)."""
    audit_record(
        session, actor=actor, role=role, action=f"contact.{action}", target=f"contact {contact_id}", client=client
    )


def export_contact(*, session: Session, contact: Contact) -> dict[str, Any]:
    """Everything held about the contact (and contacts merged into it) as JSON-ready data."""
    ids = _family(session, contact.id or 0)
    people = [session.get(Contact, i) for i in ids]
    return {
        "contact": _row(contact),
        "merged_contacts": [_row(p) for p in people if p is not None and p.id != contact.id],
        "identities": [_row(i) for i in session.exec(select(Identity).where(col(Identity.contact_id).in_(ids)))],
        "interactions": [
            _row(i)
            for i in session.exec(
                select(Interaction).where(col(Interaction.contact_id).in_(ids)).order_by(col(Interaction.at))
            )
        ],
        "cases": [
            _row(c) for c in session.exec(select(Case).where(col(Case.contact_id).in_(ids)).order_by(col(Case.id)))
        ],
        "merges": [_row(m) for m in merges_of(session=session, contact_id=contact.id or 0)],
        "exported_at": utcnow().isoformat(),
    }


def erase_contact(*, session: Session, contact: Contact, journal: bool = True) -> dict[str, int]:
    """Erase the person, keep anonymous statistics; returns how many rows of each kind changed.

    The erasure is first appended to the erasure journal outside the database (`kb.record_erasure`),
    so restoring an older backup erases the person again; `journal=False` only for that re-erasure.
    """
    ids = _family(session, contact.id or 0)
    if journal:
        _journal(session, ids)
    counts = {
        "identities": _run(session, sa.delete(Identity).where(col(Identity.contact_id).in_(ids))),
        "interactions": _run(
            session,
            sa.update(Interaction)
            .where(col(Interaction.contact_id).in_(ids))
            .values(contact_id=None, question=None, anonymised=True),
        ),
        "cases": _run(session, sa.update(Case).where(col(Case.contact_id).in_(ids)).values(contact_id=None)),
        "merges": _run(session, sa.delete(Merge).where(col(Merge.kept_id).in_(ids) | col(Merge.merged_id).in_(ids))),
        "gaps": forget_gaps(session=session, contact_ids=ids),
        "webhook_deliveries": forget_webhook_contacts(session=session, contact_ids=ids),
    }
    now = utcnow()
    _run(
        session,
        sa.update(Contact)
        .where(col(Contact.id).in_(ids))
        .values(name=None, locale=None, segments=[], consent={}, pin_hash=None, erased_at=now, updated_at=now),
    )
    counts["contacts"] = len(ids)
    session.expire_all()
    checkpoint_after_commit(session)
    return counts


def reapply_erasures(*, session: Session, erasures: Sequence[Erasure], since: dt.datetime) -> list[int]:
    """After a restore, erase again everyone the journal names; returns the contact ids erased now.

    A journaled contact row (same id, same creation time) that the backup still holds unerased
    is erased again, whenever the erasure was. For erasures made after the backup (`since`) a
    contact holding an identity whose keyed hash the journal lists is erased too: at the
    backup's time that address was the erased person's. The one erase function does it.
    """
    targets: set[int] = set()
    for erasure in erasures:
        for person in erasure.contacts:
            row = session.get(Contact, person.id)
            if row is not None and row.erased_at is None and row.created_at == person.created_at:
                targets.add(person.id)
    hashes = {h for e in erasures if e.at >= since and e.key_id == erasure_key_id() for h in e.identities}
    if hashes:
        for identity in session.exec(select(Identity)):
            if identity_digest(identity.channel, identity.address) in hashes:
                targets.add(identity.contact_id)
    erased: list[int] = []
    for contact_id in sorted(targets):
        contact = session.get(Contact, contact_id)
        if contact is None or contact.erased_at is not None:  # erased already, with a contact merged with it
            continue
        erase_contact(session=session, contact=contact, journal=False)
        erased.append(contact_id)
    return erased


def anonymise_older_than(*, session: Session, age: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Retention: interactions older than `age` lose their contact and text; returns how many."""
    cutoff = (now or utcnow()) - age
    return _run(
        session,
        sa.update(Interaction)
        .where(col(Interaction.at) < cutoff, col(Interaction.anonymised).is_(False))
        .values(contact_id=None, question=None, anonymised=True),
    )


def _family(session: Session, contact_id: int) -> list[int]:
    """The contact and every contact merged into it, directly or through others."""
    found = [contact_id]
    frontier = [contact_id]
    while frontier:
        rows = session.exec(select(Contact.id).where(col(Contact.merged_into).in_(frontier))).all()
        frontier = [int(r) for r in rows if r is not None and r not in found]
        found.extend(frontier)
    return found


def _journal(session: Session, ids: list[int]) -> None:
    """Append the erasure of these contact rows, and the keyed hashes of their identities, to the journal."""
    people = session.exec(select(Contact).where(col(Contact.id).in_(ids))).all()
    identities = session.exec(select(Identity).where(col(Identity.contact_id).in_(ids))).all()
    record_erasure(
        contacts=[ErasedContact(id=p.id or 0, created_at=p.created_at) for p in people],
        identities=[(i.channel, i.address) for i in identities],
        at=utcnow(),
    )


def _run(session: Session, stmt: Any) -> int:
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _row(obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = obj.model_dump(mode="json", exclude=_SECRETS)
    return data


#: Never exported: a PIN's hash proves nothing to the client and would help whoever gets the file guess it.
_SECRETS = {"pin_hash"}

"""Personal data: audit every profile access, export everything held, erase, and retention.

Erasure keeps the statistics and drops the person: identities and merge records go,
personal fields are emptied, interactions and cases lose their contact and question
text, and the content gaps the contact's questions left are deleted (kb keeps the
contact id on them for this). Contacts merged into the erased one are the same person
and are erased with it. Audit entries name contacts by id only, never by an address, so
the audit log holds nothing an erasure would have to chase. On SQLite the erased rows are
zeroed in the file (secure_delete) and the write-ahead log is emptied after the commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from contacts.merging import merges_of
from contacts.models import Case, Contact, Identity, Interaction, Merge
from kb import audit_record, checkpoint_after_commit, forget_gaps, forget_webhook_contacts, utcnow


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


def erase_contact(*, session: Session, contact: Contact) -> dict[str, int]:
    """Erase the person, keep anonymous statistics; returns how many rows of each kind changed."""
    ids = _family(session, contact.id or 0)
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


def _run(session: Session, stmt: Any) -> int:
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _row(obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = obj.model_dump(mode="json", exclude=_SECRETS)
    return data


#: Never exported: a PIN's hash proves nothing to the client and would help whoever gets the file guess it.
_SECRETS = {"pin_hash"}

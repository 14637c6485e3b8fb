"""Merging two contacts into one, and undoing it from the merge record alone.

The record lists the ids of every identity, interaction and case that moved and the
survivor's attributes before the merge, so an undo moves exactly those back, whatever
was added to the survivor since. Consent is merged cautiously: a "no" from either wins.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from contacts.directory import get_contact
from contacts.errors import ContactNotFound, MergeConflict, MergeNotFound
from contacts.models import Case, Contact, Identity, Interaction, Merge
from kb import InvalidChange, utcnow


def merge_contacts(*, session: Session, kept_id: int, other_id: int, actor: str) -> Merge:
    """Move everything of `other_id` to `kept_id`; `other_id` then answers as `kept_id`.

    Ids of contacts merged before are followed to their survivors first, so merging two
    ids that already lead to one contact is a MergeConflict (409). A missing `kept_id` is
    ContactNotFound (404: the contact merged into); a missing `other_id` is InvalidChange
    (422), since it is a reference in the request, not the thing the request is about.
    """
    kept = get_contact(session=session, contact_id=kept_id)
    try:
        other = get_contact(session=session, contact_id=other_id)
    except ContactNotFound:
        raise InvalidChange(f"no contact {other_id} to merge into contact {kept_id}") from None
    if kept.id == other.id:
        raise MergeConflict(f"contacts {kept_id} and {other_id} are already one contact (contact {kept.id})")
    assert kept.id is not None and other.id is not None
    moved: dict[str, Any] = {
        "identities": _move(session, Identity, other.id, kept.id),
        "interactions": _move(session, Interaction, other.id, kept.id),
        "cases": _move(session, Case, other.id, kept.id),
        "kept_before": {
            "name": kept.name,
            "locale": kept.locale,
            "segments": list(kept.segments),
            "consent": dict(kept.consent),
        },
    }
    kept.name = kept.name or other.name
    kept.locale = kept.locale or other.locale
    kept.segments = sorted(set(kept.segments) | set(other.segments))
    consent = {**other.consent, **kept.consent}
    for key in set(kept.consent) & set(other.consent):
        consent[key] = kept.consent[key] and other.consent[key]
    kept.consent = consent
    kept.updated_at = other.updated_at = utcnow()
    other.merged_into = kept.id
    record = Merge(kept_id=kept.id, merged_id=other.id, moved=moved, actor=actor)
    session.add_all([kept, other, record])
    session.flush()
    return record


def undo_merge(*, session: Session, merge_id: int, actor: str) -> Merge:
    """Give the merged contact back what the merge moved, and restore the survivor's attributes."""
    record = session.get(Merge, merge_id)
    if record is None:
        raise MergeNotFound(merge_id)
    if record.undone_at is not None:
        raise MergeConflict(f"merge {merge_id} was already undone")
    kept = session.get(Contact, record.kept_id)
    other = session.get(Contact, record.merged_id)
    if kept is None or other is None or kept.erased_at is not None or other.erased_at is not None:
        raise MergeConflict(f"merge {merge_id} cannot be undone: a contact in it was erased")
    if kept.merged_into is not None:
        raise MergeConflict(
            f"contact {kept.id} was itself merged into contact {kept.merged_into} since; undo that merge first"
        )
    moved = record.moved
    for model, key in ((Identity, "identities"), (Interaction, "interactions"), (Case, "cases")):
        ids = [int(i) for i in moved.get(key, [])]
        if ids:
            session.execute(
                sa.update(model)
                .where(col(model.id).in_(ids), col(model.contact_id) == kept.id)
                .values(contact_id=other.id)
                .execution_options(synchronize_session=False)
            )
    before = moved.get("kept_before", {})
    kept.name = before.get("name")
    kept.locale = before.get("locale")
    kept.segments = list(before.get("segments", []))
    kept.consent = dict(before.get("consent", {}))
    kept.updated_at = other.updated_at = utcnow()
    other.merged_into = None
    record.undone_at = utcnow()
    record.moved = {**moved, "undone_by": actor}
    session.add_all([kept, other, record])
    session.flush()
    session.expire_all()
    return record


def merges_of(*, session: Session, contact_id: int) -> list[Merge]:
    """Merges this contact took part in, oldest first."""
    stmt = select(Merge).where((Merge.kept_id == contact_id) | (Merge.merged_id == contact_id))
    return list(session.exec(stmt.order_by(col(Merge.id))))


def _move(session: Session, model: Any, from_id: int, to_id: int) -> list[int]:
    ids = [int(i) for i in session.exec(select(model.id).where(model.contact_id == from_id))]
    if ids:
        session.execute(
            sa.update(model)
            .where(model.contact_id == from_id)
            .values(contact_id=to_id)
            .execution_options(synchronize_session=False)
        )
    return ids

"""Contacts and their identities: create, find by any address, change, and the first sight.

A contact merged into another still answers to its old id: `get_contact` follows
`merged_into` to the survivor, so links kept by other tools keep working.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from contacts.errors import ContactGone, ContactNotFound, IdentityTaken
from contacts.identities import Address
from contacts.models import Contact, Identity
from kb import InvalidChange, utcnow

MAX_MERGE_HOPS = 50


def get_contact(*, session: Session, contact_id: int, follow: bool = True) -> Contact:
    """The contact, or the one it was merged into; ContactNotFound if none or erased."""
    contact = session.get(Contact, contact_id)
    hops = 0
    while follow and contact is not None and contact.merged_into is not None and hops < MAX_MERGE_HOPS:
        contact = session.get(Contact, contact.merged_into)
        hops += 1
    if contact is None:
        raise ContactNotFound(str(contact_id))
    if contact.erased_at is not None:
        raise ContactNotFound(f"{contact_id} (erased)")
    return contact


def find_by_identity(*, session: Session, address: Address) -> Contact | None:
    """The live contact holding `address`, or None."""
    owner = session.exec(
        select(Identity.contact_id).where(
            Identity.channel == address.channel.value, Identity.address == address.address
        )
    ).first()
    return None if owner is None else get_contact(session=session, contact_id=owner)


def lookup(*, session: Session, address: Address) -> Contact:
    contact = find_by_identity(session=session, address=address)
    if contact is None:
        raise ContactNotFound(f"with {address.channel.value} identity {address.address!r}")
    return contact


def create_contact(
    *,
    session: Session,
    name: str | None = None,
    locale: str | None = None,
    segments: Sequence[str] = (),
    consent: Mapping[str, bool] | None = None,
    identities: Iterable[Address] = (),
) -> Contact:
    """A new contact with its identities; IdentityTaken if one already belongs to someone."""
    contact = Contact(name=name, locale=locale, segments=sorted(set(segments)), consent=dict(consent or {}))
    session.add(contact)
    session.flush()
    for address in identities:
        add_identity(session=session, contact=contact, address=address)
    return contact


def ensure_contact(*, session: Session, address: Address, locale: str | None = None) -> tuple[Contact, bool]:
    """The contact holding `address`, created on first sight; True when it was created.

    Two channels seeing a new client at the same instant race on the unique identity:
    the loser's insert fails inside a savepoint and it takes the winner's contact.
    """
    found = find_by_identity(session=session, address=address)
    if found is not None:
        return found, False
    try:
        with session.begin_nested():
            contact = Contact(locale=locale)
            session.add(contact)
            session.flush()
            session.add(Identity(contact_id=contact.id or 0, channel=address.channel.value, address=address.address))
            session.flush()
    except sa.exc.IntegrityError:
        return lookup(session=session, address=address), False
    return contact, True


#: How a channel can vouch that an address is the client's own, as `Identity.verified_by` records it:
#: Telegram's own shared contact; WhatsApp, whose sender id is the number it registered by SMS; a PIN; a code.
VERIFICATIONS = ("telegram-contact", "whatsapp", "pin", "otp")


def add_identity(*, session: Session, contact: Contact, address: Address, verified_by: str | None = None) -> Identity:
    """Attach `address` to `contact` (idempotent); IdentityTaken (409) if another contact has it.

    `verified_by` says how the channel vouched for it (one of VERIFICATIONS); an identity once
    verified stays so when it is added again without proof.
    """
    _check_live(contact)
    if verified_by is not None and verified_by not in VERIFICATIONS:
        raise InvalidChange(f"unknown verification {verified_by!r} (known: {', '.join(VERIFICATIONS)})")
    row = session.exec(
        select(Identity).where(Identity.channel == address.channel.value, Identity.address == address.address)
    ).first()
    if row is not None:
        owner = get_contact(session=session, contact_id=row.contact_id)
        if owner.id != contact.id:
            raise IdentityTaken(address.channel.value, owner.id or 0)
        if verified_by is not None:
            row.verified_by, row.verified_at = verified_by, utcnow()
            session.add(row)
            session.flush()
        return row
    identity = Identity(
        contact_id=contact.id or 0,
        channel=address.channel.value,
        address=address.address,
        verified_by=verified_by,
        verified_at=utcnow() if verified_by else None,
    )
    session.add(identity)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        raise IdentityTaken(address.channel.value, lookup(session=session, address=address).id or 0) from None
    return identity


def identities_of(*, session: Session, contact_id: int) -> list[Identity]:
    return list(session.exec(select(Identity).where(Identity.contact_id == contact_id).order_by(col(Identity.id))))


def update_contact(
    *,
    session: Session,
    contact: Contact,
    name: str | None = None,
    locale: str | None = None,
    segments: Sequence[str] | None = None,
    consent: Mapping[str, bool] | None = None,
) -> Contact:
    """Change the given attributes; `consent` entries are added to (or replace) the ones held."""
    _check_live(contact)
    if name is not None:
        contact.name = name.strip() or None
    if locale is not None:
        contact.locale = locale or None
    if segments is not None:
        contact.segments = sorted(set(segments))
    if consent is not None:
        contact.consent = {**contact.consent, **consent}
    contact.updated_at = utcnow()
    session.add(contact)
    session.flush()
    return contact


def _check_live(contact: Contact) -> None:
    if contact.merged_into is not None:
        raise ContactGone(f"contact {contact.id} was merged into contact {contact.merged_into}; change that one")
    if contact.erased_at is not None:
        raise ContactGone(f"contact {contact.id} was erased")

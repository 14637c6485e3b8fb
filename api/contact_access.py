"""What every contact-context route shares: roles, sessions, identities from the query, the audit,
and the context itself, which the routes and the operator panel serve alike.

Profile reads are audited, so even a GET writes one audit row: those routes open a write
transaction with `recording()`. It skips `writing()`'s search-index refresh, because
nothing of contact context touches the publication log.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlmodel import Session

import contacts
import kb
from api import runtime
from api.deps import Principal, client_address, require
from api.schemas import ContextOut, context_out

#: Operators and bots (and admins): the people and machines in a conversation.
ConversationKey = Annotated[Principal, Depends(require(kb.Role.OPERATOR, kb.Role.BOT))]
#: Operators (and admins): whole profiles, merges, changes to a profile.
OperatorKey = Annotated[Principal, Depends(require(kb.Role.OPERATOR))]

IdentityQ = Annotated[
    str | None,
    Query(max_length=300, description="channel:address, e.g. phone:+37129123456 or web:visitor-7f3a"),
]
PhoneQ = Annotated[str | None, Query(max_length=64, description="A phone number (E.164, or national in the region)")]
EmailQ = Annotated[str | None, Query(max_length=254)]


def recording() -> AbstractContextManager[Session]:
    """A write transaction for contact context (commits on success, rolls back on error)."""
    return kb.write_session(runtime.engine())


def sees_profiles(who: Principal) -> bool:
    """Operators and admins see whole profiles; bots only what a conversation needs."""
    return who.may(kb.Role.OPERATOR)


def audit_access(session: Session, who: Principal, request: Request, contact_id: int, action: str) -> None:
    """One audit row for this caller's access to a contact's profile, in the route's transaction."""
    contacts.audit_access(
        session,
        actor=who.name,
        role=who.role.value,
        contact_id=contact_id,
        action=action,
        client=client_address(request),
    )


def address_from(
    *, identity: str | None = None, phone: str | None = None, email: str | None = None
) -> contacts.Address:
    """The one identity the query names (`identity=`, `phone=` or `email=`); 422 for none or several."""
    given = [(n, v) for n, v in (("identity", identity), ("phone", phone), ("email", email)) if v is not None]
    if len(given) != 1:
        raise kb.InvalidChange("name the contact by exactly one of identity=channel:address, phone= or email=")
    name, value = given[0]
    if name == "identity":
        return contacts.parse_identity(value)
    return contacts.normalise(name, value)


def contact_of(session: Session, *, contact_id: int | None, identity: str | None) -> tuple[contacts.Contact, bool]:
    """The contact named by id or identity (created on first sight of the identity); True if created."""
    if contact_id is not None and identity is not None:
        raise kb.InvalidChange("give either a contact id or an identity, not both")
    if contact_id is not None:
        return contacts.get_contact(session=session, contact_id=contact_id), False
    if identity is None:
        raise kb.InvalidChange("give a contact id or an identity")
    return contacts.ensure_contact(session=session, address=contacts.parse_identity(identity))


def load_context(
    who: Principal,
    client: str | None,
    *,
    contact_id: int | None = None,
    identity: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> ContextOut:
    """The context by id or by one identity, audited: what both routes and the operator panel serve.

    Blocking (database): call it from a thread, e.g. `await run_in_threadpool(load_context, …)`.
    """
    found = None if contact_id is not None else address_from(identity=identity, phone=phone, email=email)
    with recording() as session:
        if found is not None:
            contact = contacts.lookup(session=session, address=found)
        else:
            contact = contacts.get_contact(session=session, contact_id=contact_id or 0)
        contacts.audit_access(
            session, actor=who.name, role=who.role.value, contact_id=contact.id or 0, action="context", client=client
        )
        return context_out(contacts.build_context(session=session, contact=contact), full=sees_profiles(who))

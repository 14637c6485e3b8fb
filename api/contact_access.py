"""What every contact-context route shares: roles, sessions, identities from the query, the audit,
and the context itself, which the routes and the operator panel serve alike.

Profile reads are audited, so even a GET writes one audit row: those routes open a write
transaction with `recording()`. It skips `writing()`'s search-index refresh, because
nothing of contact context touches the publication log.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Query, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session

import contacts
import kb
from api import runtime
from api.deps import Principal, client_address, require
from api.schemas import ContextOut, IdentifiedOut, context_out

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
    verification: str | None = None,
) -> ContextOut:
    """The context by id or by one identity, audited: what both routes and the operator panel serve.

    A bot hears the contents of the client's cases and what they asked before only when the
    client proved who they are on this channel (`verification`, or a messenger identity the
    client verified); `identified_by` says how the contact was found and whether it was proven.
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
        ctx = contacts.build_context(session=session, contact=contact)
        proof = verified_by(verification, contact.id or 0) or _vouched(ctx.identities, found)
        identified = IdentifiedOut(channel=found.channel.value if found else "id", verified_by=proof)
        full = sees_profiles(who)
        return context_out(ctx, full=full, contents=full or proof is not None, identified=identified)


#: How long a verification holds: one call or chat, not the next one.
VERIFIED_FOR = dt.timedelta(minutes=15)
_VERIFICATION_SALT = "istok.contact-verification"


def _serializer() -> URLSafeTimedSerializer:
    # Imported here: api.pages imports its page modules, and the panel's imports this module.
    from api.pages.settings import page_settings

    return URLSafeTimedSerializer(page_settings().secret_key, salt=_VERIFICATION_SALT)


def verification_token(contact_id: int, method: str) -> str:
    """A signed proof that this contact was verified (`method`: pin…), to pass as `verification=`."""
    return _serializer().dumps([contact_id, method])


def verified_by(token: str | None, contact_id: int) -> str | None:
    """The method a still valid `token` proves for `contact_id`; None for no, another or a stale proof."""
    if not token:
        return None
    try:
        proven, method = _serializer().loads(token, max_age=int(VERIFIED_FOR.total_seconds()))
    except (BadSignature, ValueError, TypeError):
        return None
    with kb.read_session(runtime.engine()) as session:
        try:  # a proof given before a merge still names the surviving contact
            survivor = contacts.get_contact(session=session, contact_id=int(proven)).id
        except contacts.ContactNotFound:
            return None
    return str(method) if survivor == contact_id else None


def _vouched(identities: list[contacts.Identity], found: contacts.Address | None) -> str | None:
    """A request by a messenger identity its platform authenticates, verified once by the client's own proof."""
    if found is None or found.channel.value not in contacts.SENDER_AUTHENTICATED:
        return None
    row = next((i for i in identities if i.channel == found.channel.value and i.address == found.address), None)
    return row.verified_by if row is not None else None


def suggest(question: str, locale: str | None) -> contacts.RouteSuggestion:
    """The routing suggestion for a question: keyword rules, else the best article's category."""
    lang = locale if locale in kb.LOCALES else contacts.detect_locale(question)
    try:
        hits = kb.search_articles(question, lang, "public", per_page=3, index=runtime.index()).hits
    except kb.InvalidQuery:  # nothing searchable in it (only punctuation): keyword rules still apply
        hits = []
    return contacts.suggest_route(question, rules=contacts.routing_rules(), hits=hits)

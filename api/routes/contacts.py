"""Contacts over HTTP: profiles, identities, lookup, context, merges, export and erasure.

Fixed paths (`/lookup`, `/context`, `/merges/…`) are declared before `/{contact_id}` so
they are never read as an id. Every read of a profile is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

import contacts
from api.contact_access import (
    VERIFIED_FOR,
    ConversationKey,
    EmailQ,
    IdentityQ,
    OperatorKey,
    PhoneQ,
    audit_access,
    load_context,
    recording,
    sees_profiles,
    verification_token,
)
from api.deps import AdminKey, client_address
from api.http.errors_doc import responses
from api.schemas import (
    ContactIn,
    ContactOut,
    ContactUpdate,
    ContextOut,
    IdentityAdd,
    IdentityOut,
    MergeIn,
    MergeOut,
    PinIn,
    VerifiedOut,
    VerifyIn,
    contact_out,
    merge_out,
)
from api.schemas.fields import IDENTITY_CHANNELS, one_of

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"], responses=responses(401, 403, 404, 422))
ContactId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A contact id; a merged contact's id still works")]


@router.post("", response_model=ContactOut, status_code=201, summary="Create a contact", responses=responses(409, 413))
def create_contact(body: ContactIn, request: Request, who: OperatorKey) -> ContactOut:
    """409 when one of the identities already belongs to another contact (merge them instead)."""
    addresses = [contacts.normalise(i.channel, i.address) for i in body.identities]
    with recording() as session:
        contact = contacts.create_contact(
            session=session,
            name=body.name,
            locale=body.locale,
            segments=body.segments,
            consent=body.consent,
            identities=addresses,
        )
        audit_access(session, who, request, contact.id or 0, "create")
        return contact_out(contact, contacts.identities_of(session=session, contact_id=contact.id or 0), full=True)


@router.get("/lookup", response_model=ContactOut, summary="Find a contact by any identity")
def lookup(
    request: Request,
    who: ConversationKey,
    channel: Annotated[str, Query(max_length=16, json_schema_extra=one_of(IDENTITY_CHANNELS))],
    address: Annotated[str, Query(min_length=1, max_length=254)],
) -> ContactOut:
    """The address is normalised first, so `8 029…`, `+371 29…` and `0037129…` find the same client."""
    found = contacts.normalise(channel, address)
    with recording() as session:
        contact = contacts.lookup(session=session, address=found)
        audit_access(session, who, request, contact.id or 0, "lookup")
        return contact_out(
            contact, contacts.identities_of(session=session, contact_id=contact.id or 0), full=sees_profiles(who)
        )


VerificationQ = Annotated[
    str | None,
    Query(max_length=500, description="The token of `POST /api/v1/contacts/verify`: the client proved who they are"),
]


@router.get("/context", response_model=ContextOut, summary="The context of the contact with an identity")
def context_by_identity(
    request: Request,
    who: ConversationKey,
    identity: IdentityQ = None,
    phone: PhoneQ = None,
    email: EmailQ = None,
    verification: VerificationQ = None,
) -> ContextOut:
    """Like `/{contact_id}/context`, found by `identity=channel:address`, `phone=` or `email=`."""
    return load_context(
        who, client_address(request), identity=identity, phone=phone, email=email, verification=verification
    )


@router.post(
    "/verify",
    response_model=VerifiedOut,
    summary="Check the PIN a client gives on a channel",
    responses=responses(403, 413, 429),
)
def verify(body: VerifyIn, request: Request, who: ConversationKey) -> VerifiedOut:
    """200 with a token that proves, for 15 minutes, that the client is who the identity says; pass it as
    `verification=` to the context. 403 for a wrong PIN (five in a row lock it for 15 minutes: 429)."""
    address = contacts.normalise(body.identity.channel, body.identity.address)
    with recording() as session:
        contact = contacts.lookup(session=session, address=address)
        audit_access(session, who, request, contact.id or 0, "verify")
        try:
            contacts.check_pin(session=session, contact=contact, pin=body.pin)
        except (contacts.WrongPin, contacts.PinLocked):
            session.commit()  # the failed try counts, even though the request fails
            raise
        return VerifiedOut(
            contact=contact.id or 0,
            verified_by="pin",
            token=verification_token(contact.id or 0, "pin"),
            expires_in=int(VERIFIED_FOR.total_seconds()),
        )


@router.post("/merges/{merge_id:int}/undo", response_model=MergeOut, summary="Undo a merge", responses=responses(409))
def undo_merge(merge_id: Annotated[int, Path(ge=1, le=2**31 - 1)], request: Request, who: OperatorKey) -> MergeOut:
    """Moves back exactly what the merge moved; 409 if already undone or a contact was erased since."""
    with recording() as session:
        record = contacts.undo_merge(session=session, merge_id=merge_id, actor=who.name)
        audit_access(session, who, request, record.merged_id, "unmerge")
        return merge_out(record)


@router.get("/{contact_id:int}", response_model=ContactOut, summary="A contact's profile")
def get_contact(contact_id: ContactId, request: Request, who: ConversationKey) -> ContactOut:
    with recording() as session:
        contact = contacts.get_contact(session=session, contact_id=contact_id)
        audit_access(session, who, request, contact.id or 0, "read")
        return contact_out(
            contact, contacts.identities_of(session=session, contact_id=contact.id or 0), full=sees_profiles(who)
        )


@router.patch("/{contact_id:int}", response_model=ContactOut, summary="Change a profile", responses=responses(409, 413))
def update_contact(contact_id: ContactId, body: ContactUpdate, request: Request, who: OperatorKey) -> ContactOut:
    """Only the fields given change; consent entries given replace those held (an opt-out is `false`)."""
    with recording() as session:
        contact = contacts.get_contact(session=session, contact_id=contact_id)
        contacts.update_contact(
            session=session,
            contact=contact,
            name=body.name,
            locale=body.locale,
            segments=body.segments,
            consent=body.consent,
        )
        audit_access(session, who, request, contact.id or 0, "update")
        return contact_out(contact, contacts.identities_of(session=session, contact_id=contact.id or 0), full=True)


@router.delete("/{contact_id:int}", summary="Erase a contact's personal data (admin)")
def erase_contact(contact_id: ContactId, request: Request, who: AdminKey) -> dict[str, int]:
    """Identities and personal fields go; interactions stay, anonymised, for statistics."""
    with recording() as session:
        contact = contacts.get_contact(session=session, contact_id=contact_id)
        counts = contacts.erase_contact(session=session, contact=contact)
        audit_access(session, who, request, contact_id, "erase")
        return counts


@router.get("/{contact_id:int}/export", summary="Everything held about a contact (admin)")
def export_contact(contact_id: ContactId, request: Request, who: AdminKey) -> dict[str, Any]:
    with recording() as session:
        contact = contacts.get_contact(session=session, contact_id=contact_id)
        audit_access(session, who, request, contact.id or 0, "export")
        return contacts.export_contact(session=session, contact=contact)


@router.get("/{contact_id:int}/context", response_model=ContextOut, summary="Who this is, what is open, what was said")
def context(
    contact_id: ContactId, request: Request, who: ConversationKey, verification: VerificationQ = None
) -> ContextOut:
    """Open cases with their last interaction, the last interactions on every channel, the articles
    already served, frequent topics over 90 days and suggested articles. Bots get no personal fields,
    and no case contents or earlier questions unless the client proved who they are (`verification`)."""
    return load_context(who, client_address(request), contact_id=contact_id, verification=verification)


@router.put("/{contact_id:int}/pin", status_code=204, summary="Set the client's PIN", responses=responses(409, 413))
def set_pin(contact_id: ContactId, body: PinIn, request: Request, who: OperatorKey) -> Response:
    """The PIN the client chose (4-8 digits; kept only as an argon2 hash), for proving it is them on the phone."""
    with recording() as session:
        contact = contacts.get_contact(session=session, contact_id=contact_id)
        contacts.set_pin(session=session, contact=contact, pin=body.pin)
        audit_access(session, who, request, contact.id or 0, "pin.set")
    return Response(status_code=204)


@router.post(
    "/{contact_id:int}/identities",
    response_model=IdentityOut,
    status_code=201,
    summary="Add an identity to a contact",
    responses=responses(409, 413) | {200: {"model": IdentityOut, "description": "It was this contact's already"}},
)
def add_identity(
    contact_id: ContactId, body: IdentityAdd, request: Request, response: Response, who: ConversationKey
) -> IdentityOut:
    """409 naming the owner when another contact has the address: the two should be merged.

    A verified address is proof enough that both are one client: the other contact is merged
    into this one (recorded, and undoable like any merge) and the address kept as verified.
    """
    address = contacts.normalise(body.channel, body.address)
    with recording() as session:
        contact = contacts.get_contact(session=session, contact_id=contact_id)
        before = contacts.find_by_identity(session=session, address=address)
        if before is not None and before.id != contact.id and body.verified_by is not None:
            proof = f"{who.name} ({body.verified_by})"
            contacts.merge_contacts(session=session, kept_id=contact.id or 0, other_id=before.id or 0, actor=proof)
            audit_access(session, who, request, contact.id or 0, "merge")
        identity = contacts.add_identity(
            session=session, contact=contact, address=address, verified_by=body.verified_by
        )
        if before is not None:
            response.status_code = 200  # it was already this contact's (or is now, merged)
        audit_access(session, who, request, contact.id or 0, "identity.add")
        return IdentityOut(channel=identity.channel, address=identity.address, verified_by=identity.verified_by)


@router.post(
    "/{contact_id:int}/merge",
    response_model=MergeOut,
    summary="Merge another contact into this one",
    responses=responses(409, 413),
)
def merge(contact_id: ContactId, body: MergeIn, request: Request, who: OperatorKey) -> MergeOut:
    """Identities, timeline and cases of `other` move here; the merge is recorded and can be undone."""
    with recording() as session:
        record = contacts.merge_contacts(session=session, kept_id=contact_id, other_id=body.other, actor=who.name)
        audit_access(session, who, request, record.kept_id, "merge")
        return merge_out(record)

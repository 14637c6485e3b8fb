"""Contact policy over HTTP: may we call or message this client now, and if not, why not."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

import contacts
from api.contact_access import ConversationKey, audit_access, recording
from api.http.errors_doc import responses
from api.schemas import PolicyOut

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"], responses=responses(401, 403, 404, 422))


@router.get(
    "/{contact_id:int}/policy", response_model=PolicyOut, summary="May we contact this client for this purpose?"
)
def policy(
    contact_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    request: Request,
    who: ConversationKey,
    action: Annotated[str, Query(max_length=64, description="sales_call, marketing_sms, … (content/policy.yaml)")],
    at: Annotated[dt.datetime | None, Query(description="When the contact would happen; default now")] = None,
) -> PolicyOut:
    """Rules in `content/policy.yaml`: an open support case, no consent or an opt-out, quiet hours."""
    with recording() as session:
        contact = contacts.get_contact(session=session, contact_id=contact_id)
        decision = contacts.decide(
            session=session, contact=contact, action=action, rules=contacts.policy_rules(), at=at
        )
        audit_access(session, who, request, contact.id or 0, "policy")
        return PolicyOut(
            contact=contact.id or 0,
            action=decision.action,
            allowed=decision.allowed,
            reasons=decision.reasons,
            at=decision.at,
        )

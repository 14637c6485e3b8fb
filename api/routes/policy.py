"""Contact policy over HTTP: may we call or message this client now, and if not, why not."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

import contacts
from api.contact_access import ConversationKey, audit, recording
from api.http.errors_doc import responses

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"], responses=responses(401, 403, 404, 422))


class PolicyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "contact": 7,
                "action": "sales_call",
                "allowed": False,
                "reasons": ["an open support case (billing): resolve it first"],
                "at": "2026-11-23T12:00:00Z",
            }
        }
    )

    contact: int
    action: str
    allowed: bool
    reasons: list[str] = Field(description="Every rule that forbids the action; empty when allowed")
    at: dt.datetime = Field(description="The instant judged (quiet hours depend on it)")


@router.get("/{contact_id}/policy", response_model=PolicyOut, summary="May we contact this client for this purpose?")
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
        audit(session, who, request, contact.id or 0, "policy")
        return PolicyOut(
            contact=contact.id or 0,
            action=decision.action,
            allowed=decision.allowed,
            reasons=decision.reasons,
            at=decision.at,
        )

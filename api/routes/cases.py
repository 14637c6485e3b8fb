"""Cases over HTTP: list a contact's, read one, resolve one (which lifts the policy's hold on sales).

A case is opened by the timeline (a handoff or an escalation), never by hand, so there
is no POST here: record the interaction and the case follows.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

import contacts
from api.contact_access import ConversationKey, audit_access, recording, sees_profiles
from api.http.errors_doc import responses
from api.schemas import CaseOut, case_out

router = APIRouter(prefix="/api/v1/cases", tags=["contacts"], responses=responses(401, 403, 404, 422))
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", response_model=list[CaseOut], summary="A contact's cases, newest first")
def list_cases(
    request: Request,
    who: ConversationKey,
    contact: Annotated[int, Query(ge=1, le=2**31 - 1, description="The contact (a merged id works too)")],
    status: Annotated[str | None, Query(pattern=r"^(open|resolved)$")] = None,
) -> list[CaseOut]:
    with recording() as session:
        found = contacts.get_contact(session=session, contact_id=contact)
        audit_access(session, who, request, found.id or 0, "cases")
        cases = contacts.cases_of(session=session, contact_id=found.id or 0, status=status)
        full = sees_profiles(who)
        return [case_out(c, contacts.last_interaction(session=session, case_id=c.id or 0), full=full) for c in cases]


@router.get("/{case_id:int}", response_model=CaseOut, summary="A case with its last interaction")
def get_case(case_id: CaseId, request: Request, who: ConversationKey) -> CaseOut:
    with recording() as session:
        case = contacts.get_case(session=session, case_id=case_id)
        contacts.get_contact(session=session, contact_id=case.contact_id or 0)
        audit_access(session, who, request, case.contact_id or 0, "case.read")
        last = contacts.last_interaction(session=session, case_id=case_id)
        return case_out(case, last, full=sees_profiles(who))


@router.post("/{case_id:int}/resolve", response_model=CaseOut, summary="Resolve a case")
def resolve(case_id: CaseId, request: Request, who: ConversationKey) -> CaseOut:
    """Idempotent: resolving a resolved case changes nothing and returns it."""
    with recording() as session:
        case = contacts.resolve_case(session=session, case_id=case_id, actor=who.name)
        audit_access(session, who, request, case.contact_id or 0, "case.resolve")
        last = contacts.last_interaction(session=session, case_id=case_id)
        return case_out(case, last, full=sees_profiles(who))

"""Facts over HTTP: typed values kept once, changed with the same ETag rules as articles."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

import kb
from api.deps import AnyKey, EditorKey, actor_of, reading, writing
from api.http.errors_doc import responses
from api.http.etags import base_version, conditional, etag
from api.schemas import MAX_INT32, FactIn, FactOut, FactVersionOut

router = APIRouter(prefix="/api/v1", tags=["facts"], responses=responses(401, 403, 404, 422))
FactKeyPath = Annotated[str, Path(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,127}$", examples=["support_phone"])]
ETAG_PREFIX = "v"


def _out(fact: kb.Fact) -> FactOut:
    return FactOut(
        key=fact.key,
        type=fact.type,
        value=fact.value,
        locales=dict(fact.locales),
        version=fact.version,
        updated_by=fact.updated_by,
        updated_at=fact.updated_at,
    )


@router.get("/facts", response_model=list[FactOut], summary="All facts")
def list_facts(_who: AnyKey) -> list[FactOut]:
    with reading() as session:
        return [_out(f) for f in kb.list_facts(session=session)]


@router.get("/facts/{key}", response_model=FactOut, summary="One fact")
def get_fact(key: FactKeyPath, _who: AnyKey, response: Response) -> FactOut:
    with reading() as session:
        fact = kb.get_fact(session=session, key=key)
        response.headers["ETag"] = etag(ETAG_PREFIX, fact.version)
        return _out(fact)


ProposalPath = Annotated[int, Path(ge=1, le=MAX_INT32, examples=[1])]
_PROPOSAL = "/fact-proposals/{proposal_id}"


class FactStepOut(BaseModel):
    kind: str = Field(description="`submitted`, `approved`, `changes_requested`, `comment` or `applied`")
    actor: str
    role: str
    comment: str
    at: dt.datetime


class FactProposalOut(BaseModel):
    id: int
    key: str
    action: str = Field(description="`set` or `delete`")
    type: str
    value: Any = Field(description="The proposed value (null for a delete)")
    locales: dict[str, Any]
    base_version: int | None = Field(description="The fact's version it was made against (null: a new fact)")
    proposer: str
    state: str = Field(description="`pending`, `changes_requested` (withdrawn) or `applied`")
    applied_version: int | None
    needed: int = Field(description="Approvals the `facts` workflow asks for")
    approved_by: list[str] = Field(description="Who approved this exact value (never the proposer)")
    ready: bool = Field(description="Whether it may be applied")
    steps: list[FactStepOut]


class FactCommentIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"comment": "Matches the tariff"}})

    comment: str = Field(default="", max_length=kb.REVIEW_COMMENT_MAX)


class FactChangesIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"comment": "The fee is 5.50 EUR"}})

    comment: str = Field(min_length=1, max_length=kb.REVIEW_COMMENT_MAX, description="What should change")


def proposal_out(r: kb.FactReview) -> FactProposalOut:
    p = r.proposal
    return FactProposalOut(
        id=p.id or 0,
        key=p.key,
        action=p.action,
        type=p.type,
        value=p.value,
        locales=dict(p.locales),
        base_version=p.base_version,
        proposer=p.proposer,
        state=p.state,
        applied_version=p.applied_version,
        needed=r.needed,
        approved_by=list(r.approved_by),
        ready=r.ready,
        steps=[FactStepOut(kind=s.kind, actor=s.actor, role=s.role, comment=s.comment, at=s.at) for s in r.steps],
    )


EmergencyQuery = Annotated[
    bool,
    Query(description="Change it now without the `facts` workflow's approvals (those allowed only; audited)"),
]


@router.put(
    "/facts/{key}",
    response_model=FactOut,
    summary="Create or change a fact",
    responses=responses(403, 409, 412, 413, 428)
    | {201: {"model": FactOut, "description": "Created"}, 202: {"model": FactProposalOut, "description": "Proposed"}},
    openapi_extra=conditional(creates=True),
)
def put_fact(
    key: FactKeyPath,
    body: FactIn,
    request: Request,
    response: Response,
    who: EditorKey,
    emergency: EmergencyQuery = False,
) -> Any:
    """Every published article showing the fact gets a publication-log entry, so channels refresh.

    Under a `facts` workflow asking for approvals the change is proposed instead (202, not live).
    """
    with writing() as session:
        current = kb.find_fact(session=session, key=key)
        version = current.version if current is not None else None
        base = base_version(request, prefix=ETAG_PREFIX, current=version, what=f"fact {key!r}")
        change = kb.change_fact(
            session=session,
            key=key,
            type=body.type,
            value=body.value,
            locales=body.locales,
            base_version=base,
            actor=actor_of(who, request),
            emergency=emergency,
        )
        if change.review is not None:
            return JSONResponse(proposal_out(change.review).model_dump(mode="json"), status_code=202)
        assert change.fact is not None
        if current is None:
            response.status_code = 201
        response.headers["ETag"] = etag(ETAG_PREFIX, change.fact.version)
        return _out(change.fact)


@router.delete(
    "/facts/{key}",
    status_code=204,
    summary="Delete an unused fact",
    responses=responses(403, 409, 412, 428) | {202: {"model": FactProposalOut, "description": "Proposed"}},
    openapi_extra=conditional(creates=False),
)
def delete_fact(key: FactKeyPath, request: Request, who: EditorKey, emergency: EmergencyQuery = False) -> Response:
    """Refused (409) while any article's draft or live revision still uses the fact; 202 when proposed."""
    with writing() as session:
        fact = kb.get_fact(session=session, key=key)
        base = base_version(request, prefix=ETAG_PREFIX, current=fact.version, what=f"fact {key!r}")
        review = kb.remove_fact(
            session=session, key=key, base_version=base, actor=actor_of(who, request), emergency=emergency
        )
        if review is not None:
            return JSONResponse(proposal_out(review).model_dump(mode="json"), status_code=202)
        return Response(status_code=204)


@router.get("/facts/{key}/versions", response_model=list[FactVersionOut], summary="Every value a fact has had")
def fact_versions(key: FactKeyPath, _who: AnyKey) -> list[FactVersionOut]:
    with reading() as session:
        return [
            FactVersionOut(
                version=v.version, type=v.type, value=v.value, locales=dict(v.locales), author=v.author, at=v.at
            )
            for v in kb.fact_history(session=session, key=key)
        ]


# ---- proposals: fact changes waiting for the `facts` workflow's approvals ----


@router.get("/fact-proposals", response_model=list[FactProposalOut], summary="Fact changes waiting for review")
def list_proposals(
    _who: EditorKey,
    state: Annotated[Literal["pending", "changes_requested", "applied"], Query()] = "pending",
) -> list[FactProposalOut]:
    with reading() as session:
        return [proposal_out(r) for r in kb.fact_proposals(session, state=kb.ProposalState(state))]


@router.get(_PROPOSAL, response_model=FactProposalOut, summary="One fact proposal and its steps")
def get_proposal(proposal_id: ProposalPath, _who: EditorKey) -> FactProposalOut:
    with reading() as session:
        return proposal_out(kb.review_of_proposal(session, proposal_id))


@router.post(
    _PROPOSAL + "/approve",
    response_model=FactProposalOut,
    summary="Approve a proposed fact value",
    responses=responses(409, 413),
)
def approve_proposal(
    proposal_id: ProposalPath, request: Request, who: EditorKey, body: Annotated[FactCommentIn | None, Body()] = None
) -> FactProposalOut:
    """403 for the proposer or someone not among the `facts` reviewers; 409 if it is not pending."""
    with writing() as session:
        review = kb.approve_proposal(
            session, proposal_id, actor=actor_of(who, request), comment=body.comment if body else ""
        )
        return proposal_out(review)


@router.post(
    _PROPOSAL + "/request-changes",
    response_model=FactProposalOut,
    summary="Send a fact proposal back (withdraws it)",
    responses=responses(409, 413),
)
def request_changes(
    proposal_id: ProposalPath, body: FactChangesIn, request: Request, who: EditorKey
) -> FactProposalOut:
    with writing() as session:
        return proposal_out(
            kb.request_fact_changes(session, proposal_id, actor=actor_of(who, request), comment=body.comment)
        )


@router.post(
    _PROPOSAL + "/apply",
    response_model=FactProposalOut,
    summary="Make an approved fact proposal live",
    responses=responses(409),
)
def apply_proposal(proposal_id: ProposalPath, request: Request, who: EditorKey) -> FactProposalOut:
    """409 without its approvals, or when the fact moved since the proposal was made (conflict)."""
    with writing() as session:
        return proposal_out(kb.apply_proposal(session, proposal_id, actor=actor_of(who, request)))

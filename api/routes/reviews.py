"""Review and approval over HTTP: submit a revision, approve it or request changes, the reviewer's queue.

The same `kb` actions as the admin's editor page and `istok review`: kb checks who may review
(content/workflows.yaml), that nobody approves their own text, and that a decision is about a
submitted revision; publishing then asks for the approvals (or `emergency` from those allowed).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

import kb
from api.deps import EditorKey, actor_of, reading, writing
from api.http.errors_doc import responses
from api.routes.articles import KeyPath, LocalePath
from api.schemas import MAX_INT32

router = APIRouter(prefix="/api/v1", tags=["reviews"], responses=responses(401, 403, 404, 422))
RevisionPath = Annotated[int, Path(ge=1, le=MAX_INT32, examples=[3])]


class ReviewCommentIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"comment": "Looks right to me"}})

    comment: str = Field(default="", max_length=kb.REVIEW_COMMENT_MAX)


class ChangesIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"comment": "Say that the code is free"}})

    comment: str = Field(min_length=1, max_length=kb.REVIEW_COMMENT_MAX, description="What should change")


class ReviewStepOut(BaseModel):
    kind: str = Field(description="`submitted`, `approved`, `changes_requested` or `comment`")
    actor: str
    role: str
    comment: str
    at: dt.datetime


class ReviewOut(BaseModel):
    key: str
    locale: str
    category: str | None
    revision: int
    content_hash: str
    author: str
    state: str = Field(description="`none` (not submitted), `pending`, `changes_requested` or `approved`")
    needed: int = Field(description="Approvals its category's workflow asks for (0: no review)")
    approved_by: list[str] = Field(description="Who approved this exact text (never its author)")
    ready: bool = Field(description="Whether it may go live without the emergency path")
    steps: list[ReviewStepOut] = Field(description="This revision's steps and comments, oldest first")


def review_out(r: kb.Review) -> ReviewOut:
    return ReviewOut(
        key=r.key,
        locale=r.locale,
        category=r.category,
        revision=r.revision,
        content_hash=r.content_hash,
        author=r.author,
        state=r.state.value,
        needed=r.needed,
        approved_by=list(r.approved_by),
        ready=r.ready,
        steps=[ReviewStepOut(kind=s.kind, actor=s.actor, role=s.role, comment=s.comment, at=s.at) for s in r.steps],
    )


_STEP = "/articles/{locale}/{key}/revisions/{number}"


@router.get(_STEP + "/review", response_model=ReviewOut, summary="Where a revision's review stands")
def get_review(locale: LocalePath, key: KeyPath, number: RevisionPath, _who: EditorKey) -> ReviewOut:
    with reading() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        return review_out(kb.review_of(session, article, number))


@router.post(
    _STEP + "/review", response_model=ReviewOut, summary="Submit a revision for review", responses=responses(409, 413)
)
def submit(
    locale: LocalePath,
    key: KeyPath,
    number: RevisionPath,
    request: Request,
    who: EditorKey,
    body: Annotated[ReviewCommentIn | None, Body()] = None,
) -> ReviewOut:
    """Asks the category's reviewers for approval; refused if it is already waiting or approved."""
    with writing() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        review = kb.submit_review(
            session, article, actor=actor_of(who, request), revision=number, comment=body.comment if body else ""
        )
        return review_out(review)


@router.post(
    _STEP + "/approve", response_model=ReviewOut, summary="Approve a submitted revision", responses=responses(409, 413)
)
def approve(
    locale: LocalePath,
    key: KeyPath,
    number: RevisionPath,
    request: Request,
    who: EditorKey,
    body: Annotated[ReviewCommentIn | None, Body()] = None,
) -> ReviewOut:
    """For its workflow's reviewers other than its author; covers this revision's exact text only."""
    with writing() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        review = kb.approve(
            session, article, actor=actor_of(who, request), revision=number, comment=body.comment if body else ""
        )
        return review_out(review)


@router.post(
    _STEP + "/request-changes",
    response_model=ReviewOut,
    summary="Send a submitted revision back with a comment",
    responses=responses(409, 413),
)
def request_changes(
    locale: LocalePath, key: KeyPath, number: RevisionPath, body: ChangesIn, request: Request, who: EditorKey
) -> ReviewOut:
    """Withdraws the approvals of this text; the author edits and submits again."""
    with writing() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        review = kb.request_changes(
            session, article, actor=actor_of(who, request), revision=number, comment=body.comment
        )
        return review_out(review)


@router.get("/reviews", response_model=list[ReviewOut], summary="Drafts waiting for review")
def list_reviews(
    who: EditorKey,
    request: Request,
    state: Annotated[Literal["pending"], Query(description="Only `pending` for now")] = "pending",
    mine: Annotated[bool, Query(description="Only those the caller may approve (not their own)")] = True,
) -> list[ReviewOut]:
    """The reviewer's queue: latest drafts submitted and not yet approved, oldest article first."""
    with reading() as session:
        queue = kb.pending_reviews(session, reviewer=actor_of(who, request) if mine else None)
        return [review_out(r) for r in queue]

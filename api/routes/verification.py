"""Article verification over HTTP: "still true" for a live article, and the owners' queue of due ones.

The same `kb` action as the admin's one-click button and `istok verify`: it records who checked
which live revision when, audited, with no new revision. The queue follows `content/verification.yaml`
and the articles' `review_by` (kb/verification_rules.py says what makes an article due).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

import kb
from api.deps import EditorKey, actor_of, reading, writing
from api.http.errors_doc import responses
from api.routes.articles import KeyPath, LocalePath

router = APIRouter(prefix="/api/v1", tags=["verification"], responses=responses(401, 403, 422))


class VerifyIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"note": "Checked the fees with billing"}})

    note: str = Field(default="", max_length=2000, description="What was checked, for the next owner")


class VerificationOut(BaseModel):
    locale: str
    key: str
    revision: int = Field(description="The live revision that was checked")
    content_hash: str = Field(description="The content hash of that revision")
    verified_by: str
    verified_at: dt.datetime
    note: str


class DueReasonOut(BaseModel):
    kind: str = Field(description="`interval` (the category's rule) or `review_by` (the article's date came)")
    since: dt.datetime = Field(description="When this reason made the article due")
    detail: str


class DueOut(BaseModel):
    locale: str
    key: str
    title: str
    category: str | None
    owner: str = Field(description="The live revision's `owner`")
    live_revision: int
    since: dt.datetime = Field(description="Due since (the earliest reason)")
    reasons: list[DueReasonOut]
    last_verification: VerificationOut | None
    changed_since: bool = Field(description="The live text is not the one the last verification checked")


def verification_out(v: kb.ArticleVerification) -> VerificationOut:
    return VerificationOut(
        locale=v.locale,
        key=v.key,
        revision=v.revision,
        content_hash=v.content_hash,
        verified_by=v.verified_by,
        verified_at=v.verified_at,
        note=v.note,
    )


def due_out(d: kb.DueArticle) -> DueOut:
    return DueOut(
        locale=d.article.locale,
        key=d.article.key,
        title=d.article.title,
        category=d.article.category,
        owner=d.owner,
        live_revision=d.article.published_revision or 0,
        since=d.since,
        reasons=[DueReasonOut(kind=r.kind.value, since=r.since, detail=r.detail) for r in d.reasons],
        last_verification=verification_out(d.last_verification) if d.last_verification else None,
        changed_since=d.changed_since,
    )


@router.post(
    "/articles/{locale}/{key}/verify",
    response_model=VerificationOut,
    status_code=201,
    summary="Verify that a live article is still true",
    responses=responses(404, 413),
)
def verify(
    locale: LocalePath, key: KeyPath, request: Request, who: EditorKey, body: VerifyIn | None = None
) -> VerificationOut:
    """Records who and when for the live revision; makes no new revision (422 if nothing is live)."""
    with writing() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        made = kb.verify_article(session, article, actor_of(who, request), body.note if body else "")
        return verification_out(made)


@router.get("/verification/due", response_model=list[DueOut], summary="Live articles due for verification")
def due(
    _who: EditorKey,
    owner: Annotated[str | None, Query(max_length=200, description="The articles' `owner`, in any case")] = None,
    locale: Annotated[str | None, Query(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")] = None,
) -> list[DueOut]:
    """Most overdue first, each with why (`interval`, `review_by`) and since when."""
    with reading() as session:
        return [due_out(d) for d in kb.due_for_verification(session, owner=owner, locale=locale)]

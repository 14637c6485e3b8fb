"""Request and response bodies of the HTTP API, with the examples /docs shows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

SOURCE_EXAMPLE = (
    "---\nkey: check-balance\nlocale: en\ntitle: How do I check my balance?\n"
    "summary: Dial {{ balance_ussd }} and press call.\nstatus: published\n---\n"
    "Dial **{{ balance_ussd }}** and press call.\n"
)

#: The largest value of an `Integer` column on PostgreSQL (ids, revision numbers, versions).
MAX_INT32 = 2**31 - 1
#: The largest integer every JSON client holds exactly (JavaScript's `Number.MAX_SAFE_INTEGER`).
MAX_SAFE = 2**53 - 1
#: A fact's value: text, or a number a client reads back exactly (larger ones go as text, e.g. "1e30").
FactValue = (
    str
    | Annotated[int, Field(ge=-MAX_SAFE, le=MAX_SAFE)]
    | Annotated[float, Field(ge=-MAX_SAFE, le=MAX_SAFE, allow_inf_nan=False)]
)


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": "https://istok.dev/problems/revision-conflict",
                "title": "RevisionConflict",
                "status": 412,
                "detail": "article 'check-balance' (en) was changed meanwhile: ...",
            }
        },
    )

    type: str
    title: str
    status: int
    detail: str


class ArticleSummary(BaseModel):
    key: str
    locale: str
    title: str
    slug: str
    category: str | None
    tags: list[str]
    status: str = Field(description="'published' when a revision is live, else 'draft'")
    draft_revision: int
    published_revision: int | None
    updated_at: dt.datetime


class ArticlePage(BaseModel):
    items: list[ArticleSummary]
    next: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class ArticleOut(ArticleSummary):
    source: str = Field(description="The whole Markdown source with front matter of `source_revision`")
    source_revision: int = Field(description="The revision whose source this is: the draft, or the one live at `as_of`")
    content_hash: str
    as_of: dt.datetime | None = None


class ArticleIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"source": SOURCE_EXAMPLE, "message": "Clearer steps"}})

    source: str = Field(min_length=1, max_length=1_000_000)
    message: str = Field(default="", max_length=2000)


class PublishIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"revision": 3}})

    revision: int | None = Field(default=None, ge=1, le=MAX_INT32, description="Default: the latest draft")


class RollbackIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"revision": 2, "message": "Back to the old price"}})

    revision: int = Field(ge=1, le=MAX_INT32, description="The revision whose content goes live again")
    message: str = Field(default="", max_length=2000)


class PublicationOut(BaseModel):
    key: str
    locale: str
    changed: bool = Field(description="False when the revision was already live (nothing logged)")
    seq: int | None = Field(description="The publication-log entry written, if any")
    published_revision: int | None


class RevisionSummary(BaseModel):
    number: int
    content_hash: str
    author: str
    message: str
    created_at: dt.datetime
    published: bool


class RevisionOut(RevisionSummary):
    source: str
    front_matter: dict[str, Any]


class DiffOut(BaseModel):
    from_revision: int
    to_revision: int
    diff: str = Field(description="Unified diff of the two sources")


class FactIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"type": "money", "value": "2.99 EUR", "locales": {}}},
    )

    type: str = Field(description="text, phone, money, url, date or number")
    value: FactValue
    locales: dict[str, FactValue] = Field(default_factory=dict, description="Per-locale values")


class FactOut(BaseModel):
    key: str
    type: str
    value: Any
    locales: dict[str, Any]
    version: int
    updated_by: str
    updated_at: dt.datetime


class FactVersionOut(BaseModel):
    version: int
    type: str
    value: Any
    locales: dict[str, Any]
    author: str
    at: dt.datetime


class SynonymsIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"locale": "ru", "terms": ["баланс", "остаток", "счёт"]}})

    locale: str = Field(min_length=2, max_length=16)
    terms: list[str] = Field(min_length=2, max_length=50)


class SynonymsUpdate(BaseModel):
    terms: list[str] = Field(min_length=2, max_length=50)


class SynonymsOut(BaseModel):
    id: int
    locale: str
    terms: list[str]
    version: int
    updated_by: str
    updated_at: dt.datetime


class ChangeOut(BaseModel):
    seq: int
    kind: str = Field(description="publish, unpublish, rollback or fact")
    key: str | None
    locale: str | None
    revision: int | None
    content_hash: str | None
    fact_key: str | None
    at: dt.datetime


class ChangesPage(BaseModel):
    items: list[ChangeOut]
    last_seq: int = Field(description="The newest sequence number in the log")
    next: int = Field(description="Pass as `since` to continue")


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    role: str
    action: str
    target: str
    base_revision: int | None
    new_revision: int | None
    detail: dict[str, Any]
    client: str | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    next: int | None


class Provenance(BaseModel):
    """Exactly which unit was served, so 'what did we tell this client?' always has an answer."""

    key: str
    locale: str
    revision: int
    content_hash: str
    title: str | None = None
    category: str | None = None


class AlternativeOut(BaseModel):
    key: str
    title: str
    score: float
    revision: int
    content_hash: str


class RenderedOut(BaseModel):
    channel: str
    format: str
    content_type: str
    body: str
    meta: dict[str, Any]
    warnings: list[str]


class AnswerOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "question": "как проверить баланс",
                "locale": "ru",
                "channel": "bot",
                "status": "answered",
                "confidence": 0.97,
                "threshold": 0.6,
                "provenance": {"key": "check-balance", "locale": "ru", "revision": 1, "content_hash": "442c…"},
                "alternatives": [],
                "rendered": {
                    "channel": "bot",
                    "format": "plain",
                    "content_type": "text/plain",
                    "body": "…",
                    "meta": {},
                    "warnings": [],
                },
            }
        }
    )

    question: str
    locale: str
    channel: str
    status: str = Field(description="'answered', or 'handoff' when no unit is good enough for this channel")
    confidence: float = Field(ge=0, le=1, description="Calibrated probability that the unit answers the question")
    threshold: float = Field(description="The channel's confidence needed to answer")
    provenance: Provenance | None = Field(description="The best unit (also on a handoff, as the best guess)")
    alternatives: list[AlternativeOut]
    rendered: RenderedOut | None = Field(description="The unit in the channel's form; null on a handoff")


class SearchHitOut(BaseModel):
    key: str
    locale: str
    title: str
    category: str | None
    revision: int
    content_hash: str
    score: float
    snippet: str = Field(description="Escaped HTML with <mark> around the matched words")
    internal_snippet: str | None = Field(default=None, description="Operators only: from internal notes")


class SearchOut(BaseModel):
    query: str
    locale: str
    page: int
    per_page: int
    total: int
    hits: list[SearchHitOut]
    facets: dict[str, int] = Field(description="Hits per category, over all pages")
    corrected: str | None = Field(description="The question as understood (keyboard layout or typos repaired)")


class GapOut(BaseModel):
    question: str
    normalised: str
    locale: str
    channel: str
    count: int
    best_key: str | None
    best_confidence: float | None
    first_seen: dt.datetime
    last_seen: dt.datetime

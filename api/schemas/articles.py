"""Articles' bodies: sources in, summaries, revisions, diffs and publications out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.fields import MAX_INT32

SOURCE_EXAMPLE = (
    "---\nkey: check-balance\nlocale: en\ntitle: How do I check my balance?\n"
    "summary: Dial {{ balance_ussd }} and press call.\nstatus: published\n---\n"
    "Dial **{{ balance_ussd }}** and press call.\n"
)


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
    translated_from: int | None = Field(
        default=None,
        ge=1,
        le=MAX_INT32,
        description="A translation: the revision of its key's source locale it now follows (default: what it followed)",
    )


class PublishIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"revision": 3}})

    revision: int | None = Field(default=None, ge=1, le=MAX_INT32, description="Default: the latest draft")
    emergency: bool = Field(
        default=False,
        strict=True,
        description="Publish without the approvals the category's workflow asks for (those allowed only; audited)",
    )


class RollbackIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"revision": 2, "message": "Back to the old price"}})

    revision: int = Field(ge=1, le=MAX_INT32, description="The revision whose content goes live again")
    message: str = Field(default="", max_length=2000)
    emergency: bool = Field(
        default=False,
        strict=True,
        description="Roll back to text never approved, without the workflow's approvals (those allowed only; audited)",
    )


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

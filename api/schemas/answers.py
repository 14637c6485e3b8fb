"""Answers', search's and gaps' bodies, and a unit rendered for a channel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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


class AnnouncementOut(BaseModel):
    """A notice (an outage, planned works) the channel gives before anything else, while it lasts."""

    key: str
    locale: str
    title: str
    text: str = Field(description="The sentence to give first, plain, facts filled in")
    url: str = Field(description="The help-centre page that tells more")
    until: dt.datetime = Field(description="When it stops being given")
    revision: int
    content_hash: str


class AnswerOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "question": "как проверить баланс",
                "locale": "ru",
                "asked_locale": "ru",
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
    locale: str = Field(description="The locale answered from: the question's own language when it is clearly another")
    asked_locale: str = Field(description="The locale the request asked for")
    channel: str
    status: str = Field(description="'answered', or 'handoff' when no unit is good enough for this channel")
    confidence: float = Field(ge=0, le=1, description="Calibrated probability that the unit answers the question")
    threshold: float = Field(description="The channel's confidence needed to answer")
    provenance: Provenance | None = Field(description="The best unit (also on a handoff, as the best guess)")
    alternatives: list[AlternativeOut]
    rendered: RenderedOut | None = Field(description="The unit in the channel's form; null on a handoff")
    announcements: list[AnnouncementOut] = Field(
        default_factory=list,
        description="Notices for this client now, newest first; a bot rendering already begins with them",
    )


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

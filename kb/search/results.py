"""What search and the answer engine hand back: plain, frozen, JSON-ready values."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from kb.types import ArticleKey, ChannelName, Locale


class AnswerStatus(StrEnum):
    """Whether a unit was good enough for the channel, or a person should take over."""

    ANSWERED = "answered"
    HANDOFF = "handoff"


@dataclass(frozen=True, slots=True)
class Alternative:
    """A runner-up unit, with the share of the ranker's belief it got."""

    key: ArticleKey
    title: str
    score: float
    revision: int
    content_hash: str


@dataclass(frozen=True)
class Answer:
    """The engine's verdict on one question, with the provenance of the unit it chose.

    `key`, `revision` and `content_hash` name exactly what was served (also on a
    handoff, as the best guess, for the operator and the gap log); the caller renders that
    revision (`api/answering.py`). `seq` is the publication-log
    position the answer was computed at.
    """

    question: str
    locale: Locale
    channel: ChannelName
    status: AnswerStatus
    confidence: float
    threshold: float
    key: ArticleKey | None = None
    title: str | None = None
    category: str | None = None
    revision: int | None = None
    content_hash: str | None = None
    alternatives: tuple[Alternative, ...] = ()
    reason: str = ""
    seq: int = 0
    cached: bool = False
    elapsed_ms: float = 0.0
    #: The locale the caller asked for; `locale` is the one answered from (the question's own
    #: language when it is clearly another one that the knowledge base has).
    asked_locale: Locale | None = None

    @property
    def answered(self) -> bool:
        return self.status is AnswerStatus.ANSWERED

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["confidence"] = round(self.confidence, 4)
        return data


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One article in search results; `snippet` is escaped HTML with `<mark>` around matches."""

    key: ArticleKey
    locale: Locale
    title: str
    category: str | None
    revision: int
    content_hash: str
    score: float
    snippet: str
    internal_snippet: str | None = None  # operators only


@dataclass(frozen=True)
class SearchResults:
    """One page of hits, the total, and hit counts per category (over all pages)."""

    query: str
    locale: Locale
    role: str
    page: int
    per_page: int
    total: int
    hits: list[SearchHit] = field(default_factory=list)
    facets: dict[str, int] = field(default_factory=dict)
    corrected: str | None = None  # the question as understood, when layout or typos were repaired

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

"""Articles, their revisions and renditions, and the answers and search results built from them."""

# No `from __future__ import annotations`: on Python 3.11 `NotRequired` in a string annotation is not
# seen by `TypedDict`, and `__required_keys__` would be wrong.

from typing import Any, NotRequired, TypedDict

# --- articles -----------------------------------------------------------------------------------


class ArticleSummary(TypedDict):
    key: str
    locale: str
    title: str
    slug: str
    category: str | None
    tags: list[str]
    status: str
    draft_revision: int
    published_revision: int | None
    updated_at: str


class ArticlePage(TypedDict):
    items: list[ArticleSummary]
    next: str | None  # the `cursor` of the next page


class Article(ArticleSummary):
    """An article with the source of its draft (or of what was live `as_of`) and its ETag."""

    source: str
    source_revision: int
    content_hash: str
    as_of: NotRequired[str | None]
    etag: str  # the response's ETag header: send it back (or this whole dict) as `base=`


class Publication(TypedDict):
    key: str
    locale: str
    changed: bool
    seq: int | None
    published_revision: int | None


class RevisionSummary(TypedDict):
    number: int
    content_hash: str
    author: str
    message: str
    created_at: str
    published: bool


class Revision(RevisionSummary):
    source: str
    front_matter: dict[str, Any]


class Diff(TypedDict):
    from_revision: int
    to_revision: int
    diff: str


class RenderedUnit(TypedDict):
    """An article in a channel's form: the body as served and its provenance headers."""

    body: str
    content_type: str
    revision: int
    content_hash: str
    meta: dict[str, Any]


# --- answers and search -------------------------------------------------------------------------


class Provenance(TypedDict):
    key: str
    locale: str
    revision: int
    content_hash: str
    title: NotRequired[str | None]
    category: NotRequired[str | None]


class Alternative(TypedDict):
    key: str
    title: str
    score: float
    revision: int
    content_hash: str


class Rendered(TypedDict):
    channel: str
    format: str
    content_type: str
    body: str
    meta: dict[str, Any]
    warnings: list[str]


class Announcement(TypedDict):
    """A notice (an outage, planned works) to give the client before anything else, while it lasts."""

    key: str
    locale: str
    title: str
    text: str  # the sentence to give first, plain
    url: str  # the help-centre page that tells more
    until: str
    revision: int
    content_hash: str


class Answer(TypedDict):
    """The best answer for a question; `status` is `answered` or `handoff` (give it to a person).

    `announcements` are the notices of now for this client; a bot rendering already begins with them.
    """

    question: str
    locale: str
    asked_locale: str
    channel: str
    status: str
    confidence: float
    threshold: float
    provenance: Provenance | None
    alternatives: list[Alternative]
    rendered: Rendered | None
    announcements: list[Announcement]
    replayed: bool  # from `X-Istok-Replayed`: this outside message was answered before, nothing recorded


class SearchHit(TypedDict):
    key: str
    locale: str
    title: str
    category: str | None
    revision: int
    content_hash: str
    score: float
    snippet: str
    internal_snippet: NotRequired[str | None]


class SearchResults(TypedDict):
    query: str
    locale: str
    page: int
    per_page: int
    total: int
    hits: list[SearchHit]
    facets: dict[str, int]
    corrected: str | None


class Gap(TypedDict):
    question: str
    normalised: str
    locale: str
    channel: str
    count: int
    best_key: str | None
    best_confidence: float | None
    first_seen: str
    last_seen: str

"""The rest of what the store keeps: health, facts, synonym sets, the change log, the audit trail."""

# No `from __future__ import annotations`: on Python 3.11 `NotRequired` in a string annotation is not
# seen by `TypedDict`, and `__required_keys__` would be wrong.

from typing import Any, NotRequired, TypedDict

# --- health -------------------------------------------------------------------------------------


class LocaleCounts(TypedDict):
    articles: int
    published: int


class QuarantinedUnit(TypedDict):
    key: str
    locale: str
    revision: int
    reason: str
    since: str


class JobsState(TypedDict):
    queued: int
    running: int
    failed: int
    due: int
    lag_seconds: float


class SemanticState(TypedDict):
    wanted: bool
    loaded: bool
    encoder: str
    detail: str
    runtime: NotRequired[str]
    failed: NotRequired[bool]


class LimitsState(TypedDict):
    storage: str  # "redis", or "memory": per process
    shared: bool
    detail: str


class ListenerState(TypedDict):
    mode: str  # "listen": PostgreSQL LISTEN/NOTIFY with the poll as fallback; "poll": the poll alone
    connected: bool
    detail: str
    reconnects: int
    notifications: int


class IndexState(TypedDict):
    private: bool  # a copy of this process's own (the shared one was held too long, or cannot be written)
    writable: bool  # False: the data folder's search index could not be written at opening
    detail: str


class Health(TypedDict):
    status: str
    database: str
    articles: dict[str, LocaleCounts]
    published_total: int
    last_seq: int
    quarantined: list[QuarantinedUnit]
    jobs: JobsState
    semantic: SemanticState
    limits: LimitsState
    listener: ListenerState
    index: IndexState


class Readiness(TypedDict):
    status: str  # "ready"; not ready is a 503, raised as ServiceUnavailable
    checks: dict[str, str]
    last_seq: int
    index_seq: int
    index_lag_seconds: float


# --- facts, synonyms, changes, audit ------------------------------------------------------------

FactValue = str | int | float


class Fact(TypedDict):
    key: str
    type: str
    value: Any
    locales: dict[str, Any]
    version: int
    updated_by: str
    updated_at: str
    etag: NotRequired[str]  # on one fact read or written, not in the list of all facts


class FactVersion(TypedDict):
    version: int
    type: str
    value: Any
    locales: dict[str, Any]
    author: str
    at: str


class FactStep(TypedDict):
    kind: str
    actor: str
    role: str
    comment: str
    at: str


class FactProposal(TypedDict):
    """A fact change waiting for the `facts` workflow's approvals (a 202 answer to a change)."""

    id: int
    key: str
    action: str
    type: str
    value: Any
    locales: dict[str, Any]
    base_version: int | None
    proposer: str
    state: str
    applied_version: int | None
    needed: int
    approved_by: list[str]
    ready: bool
    steps: list[FactStep]


class SynonymSet(TypedDict):
    id: int
    locale: str
    terms: list[str]
    version: int
    updated_by: str
    updated_at: str
    etag: NotRequired[str]  # on one set read or written, not in the list of sets


class Change(TypedDict):
    seq: int
    kind: str
    key: str | None
    locale: str | None
    revision: int | None
    content_hash: str | None
    fact_key: str | None
    at: str


class ChangesPage(TypedDict):
    items: list[Change]
    last_seq: int
    next: int  # the `since` of the next call


class AuditEntry(TypedDict):
    id: int
    at: str
    actor: str
    role: str
    action: str
    target: str
    base_revision: int | None
    new_revision: int | None
    detail: dict[str, Any]
    client: str | None


class AuditPage(TypedDict):
    items: list[AuditEntry]
    next: int | None  # the `before` of the next page


# --- webhooks -----------------------------------------------------------------------------------


class Webhook(TypedDict):
    """A subscription: which events are sent to which URL, signed the Standard Webhooks way."""

    id: int
    url: str
    description: str
    events: list[str]
    public: bool  # a public receiver never gets internal notes, client words or people's names
    state: str  # active, paused or disabled
    state_reason: str | None
    failing_since: str | None
    secret_prefix: str
    created_by: str
    created_at: str
    updated_at: str


class WebhookCreated(Webhook):
    secret: str  # the signing secret (`whsec_…`), shown this once


class WebhookChanges(TypedDict, total=False):
    """A subscription change: only the keys given change; `state` pauses (`paused`) or resumes (`active`)."""

    url: str
    events: list[str]
    public: bool
    description: str
    state: str


class Delivery(TypedDict):
    id: int
    webhook_id: int
    event_id: int
    type: str
    message_id: str  # the `webhook-id` header, the same for every attempt and replay
    state: str  # pending, delivered or failed
    attempts: int
    replays: int
    first_attempt_at: str | None
    last_attempt_at: str | None
    next_attempt_at: str | None
    last_status: int | None
    last_error: str | None
    delivered_at: str | None
    created_at: str
    payload: dict[str, Any]


class DeliveryPage(TypedDict):
    items: list[Delivery]
    next: int | None  # the `before` of the next (older) page


# --- scheduled publishing -----------------------------------------------------------------------


class Schedule(TypedDict):
    """A publish or unpublish set for a time; skipped if what was live changed after it was set."""

    id: int
    locale: str
    key: str
    action: str  # publish or unpublish
    revision: int | None  # the revision to make live (publish)
    due_at: str
    live_revision_at_set: int | None
    created_by: str
    created_at: str
    state: str  # pending, done, skipped, cancelled or failed
    outcome: str  # what happened, or who changed what meanwhile (skipped)
    finished_at: str | None


# --- translations -------------------------------------------------------------------------------


class Translation(TypedDict):
    """One locale of one key, judged against the key's source locale."""

    key: str
    locale: str
    state: str  # source, current, outdated, missing or unlinked
    source_locale: str
    source_revision: int  # the source revision a translation follows (its live one, else its draft)
    based_on: int | None  # the source revision this translation was made from
    behind: int  # source revisions not carried over yet
    title: str
    draft_revision: int | None


# --- article verification -----------------------------------------------------------------------


class ArticleVerification(TypedDict):
    """Someone checked that a live article is still true; no revision was made."""

    locale: str
    key: str
    revision: int  # the live revision that was checked
    content_hash: str
    verified_by: str
    verified_at: str
    note: str


class DueReason(TypedDict):
    kind: str  # interval (the category's rule) or review_by (the article's date came)
    since: str
    detail: str


class DueArticle(TypedDict):
    """A live article in the owners' queue: why it is due and since when."""

    locale: str
    key: str
    title: str
    category: str | None
    owner: str
    live_revision: int
    since: str
    reasons: list[DueReason]
    last_verification: ArticleVerification | None
    changed_since: bool  # the live text is not the one the last verification checked


# --- review and approval ------------------------------------------------------------------------


class ReviewStep(TypedDict):
    kind: str  # submitted, approved, changes_requested or comment
    actor: str
    role: str
    comment: str
    at: str


class Review(TypedDict):
    """Where one revision's review stands under its category's workflow."""

    key: str
    locale: str
    category: str | None
    revision: int
    content_hash: str
    author: str
    state: str  # none, pending, changes_requested or approved
    needed: int  # approvals the workflow asks for (0: no review)
    approved_by: list[str]
    ready: bool  # may go live without the emergency path
    steps: list[ReviewStep]

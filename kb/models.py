"""Database tables of the knowledge base (SQLModel).

Revisions are append-only; an article only moves its two pointers. The publication
log is numbered gap-free by the one-row `log_head` counter, which every writer of the
log updates inside its own transaction, so a rolled-back writer leaves no hole.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC on every database, including SQLite, which keeps no zone."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Istok stores UTC-aware times only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _time(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)


class Article(SQLModel, table=True):
    """An article's identity and its two pointers: the latest draft and the live revision."""

    __tablename__ = "articles"
    __table_args__ = (
        sa.UniqueConstraint("key", "locale", name="uq_articles_key_locale"),
        sa.UniqueConstraint("locale", "slug", name="uq_articles_locale_slug"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128, index=True)
    locale: str = Field(max_length=16)
    slug: str = Field(max_length=200)
    title: str
    category: str | None = Field(default=None, max_length=128, index=True)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    draft_revision: int = 0
    published_revision: int | None = None
    created_at: dt.datetime = _time()
    updated_at: dt.datetime = _time()


class Revision(SQLModel, table=True):
    """An immutable, numbered version of an article's whole source."""

    __tablename__ = "revisions"
    __table_args__ = (sa.UniqueConstraint("article_id", "number", name="uq_revisions_article_number"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    number: int
    source: str = Field(sa_type=sa.Text)
    front_matter: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    content_hash: str = Field(max_length=64, index=True)
    author: str = Field(max_length=200)
    message: str = Field(default="", sa_type=sa.Text)
    created_at: dt.datetime = _time()
    # A translation's source: the revision of the key's source locale it was last brought up to date with.
    translated_from_locale: str | None = Field(default=None, max_length=16)
    translated_from_revision: int | None = None


class RevisionFact(SQLModel, table=True):
    """Which facts a revision uses, so a fact change finds the published units to refresh."""

    __tablename__ = "revision_facts"

    revision_id: int = Field(foreign_key="revisions.id", primary_key=True)
    fact_key: str = Field(max_length=128, primary_key=True, index=True)


class LogHead(SQLModel, table=True):
    """The one-row counter that numbers the publication log without gaps."""

    __tablename__ = "log_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0


class LogEntry(SQLModel, table=True):
    """One publish, unpublish, rollback or fact change, in sequence order."""

    __tablename__ = "publication_log"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(max_length=16)
    article_id: int | None = Field(default=None, foreign_key="articles.id", index=True)
    key: str | None = Field(default=None, max_length=128)
    locale: str | None = Field(default=None, max_length=16)
    revision: int | None = None
    content_hash: str | None = Field(default=None, max_length=64)
    fact_key: str | None = Field(default=None, max_length=128)
    actor: str = Field(max_length=200)
    at: dt.datetime = _time(index=True)


class Fact(SQLModel, table=True):
    """A typed value kept once; `version` grows with every change."""

    __tablename__ = "facts"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128, unique=True)
    type: str = Field(max_length=16)
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    locales: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 1
    updated_by: str = Field(max_length=200)
    updated_at: dt.datetime = _time()


class FactVersion(SQLModel, table=True):
    """Every value a fact has had, so past answers can be explained."""

    __tablename__ = "fact_versions"
    __table_args__ = (sa.UniqueConstraint("fact_id", "version", name="uq_fact_versions"),)

    id: int | None = Field(default=None, primary_key=True)
    fact_id: int = Field(foreign_key="facts.id", index=True)
    version: int
    type: str = Field(max_length=16)
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    locales: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    author: str = Field(max_length=200)
    at: dt.datetime = _time()


class SynonymSet(SQLModel, table=True):
    """Words an editor declares interchangeable for search in one locale."""

    __tablename__ = "synonym_sets"

    id: int | None = Field(default=None, primary_key=True)
    locale: str = Field(max_length=16, index=True)
    terms: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    version: int = 1
    updated_by: str = Field(max_length=200)
    updated_at: dt.datetime = _time()


class ContentGap(SQLModel, table=True):
    """A question the answer engine could not answer with confidence, counted for editors."""

    __tablename__ = "content_gaps"
    # A contact's own words are a row of their own, so erasing the contact finds them by id.
    __table_args__ = (
        sa.Index(
            "uq_content_gaps",
            "normalised",
            "locale",
            "channel",
            unique=True,
            sqlite_where=sa.text("contact_id IS NULL"),
            postgresql_where=sa.text("contact_id IS NULL"),
        ),
        sa.Index(
            "uq_content_gaps_contact",
            "contact_id",
            "normalised",
            "locale",
            "channel",
            unique=True,
            sqlite_where=sa.text("contact_id IS NOT NULL"),
            postgresql_where=sa.text("contact_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    normalised: str = Field(max_length=500)
    question: str = Field(max_length=500)  # the latest wording, as a client typed it
    locale: str = Field(max_length=16)
    channel: str = Field(max_length=32)
    count: int = 1
    best_key: str | None = Field(default=None, max_length=128)
    best_confidence: float | None = None
    contact_id: int | None = None  # who asked, when the asker named a contact (no key: kb knows no contacts)
    first_seen: dt.datetime = _time()
    last_seen: dt.datetime = _time(index=True)


class ApiKey(SQLModel, table=True):
    """A machine's key: only its SHA-256 is kept; the secret is shown once, at creation."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)  # the secret's first characters, to tell keys apart in lists
    created_at: dt.datetime = _time()
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Where the key may change content (kb/rights.py), as for people: an empty list is all.
    rights_categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rights_locales: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class AuditEntry(SQLModel, table=True):
    """Who changed what, when, and from which revision: one row per write."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _time(index=True)
    actor: str = Field(max_length=200)
    role: str = Field(max_length=16)
    action: str = Field(max_length=64, index=True)
    target: str = Field(max_length=300)
    base_revision: int | None = None
    new_revision: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    client: str | None = Field(default=None, max_length=64)


class User(SQLModel, table=True):
    """A person who logs in to the admin or the panel; only an argon2 hash of the password is kept."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=200, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=300)
    created_at: dt.datetime = _time()
    last_login_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    locale: str | None = Field(default=None, max_length=8)  # the staff interface's language; None: the browser's
    # Staff sign-in (kb/rights.py, kb/second_factor.py): an empty list of categories or locales is all of them.
    rights_categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    rights_locales: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    totp_secret: str | None = Field(default=None, max_length=64)  # base32; asked for once confirmed
    totp_confirmed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = None  # the 30-second step of the last code taken: none at or before it again


class UserIdentity(SQLModel, table=True):
    """An account at the company's OpenID provider (issuer and `sub`) that signs in as this user."""

    __tablename__ = "user_identities"
    __table_args__ = (sa.UniqueConstraint("issuer", "subject", name="uq_user_identities_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    issuer: str = Field(max_length=500)
    subject: str = Field(max_length=255)
    created_at: dt.datetime = _time()


class RecoveryCode(SQLModel, table=True):
    """A one-time code that stands in for a lost authenticator; only its argon2 hash is kept."""

    __tablename__ = "recovery_codes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    code_hash: str = Field(max_length=300)
    created_at: dt.datetime = _time()


class UserSession(SQLModel, table=True):
    """A signed-in browser: the cookie names it, so logout or a password change can end it everywhere.

    Only a SHA-256 of the cookie's random secret is kept, as for API keys.
    """

    __tablename__ = "user_sessions"

    id: str = Field(max_length=64, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: dt.datetime = _time()
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)


class HelpfulVote(SQLModel, table=True):
    """A reader's "was this helpful?" answer, tied to the exact revision they read.

    `voter` is a salted hash of an anonymous browser token, so one browser counts once per
    revision without Istok keeping anything that identifies the reader.
    """

    __tablename__ = "helpful_votes"
    __table_args__ = (sa.UniqueConstraint("revision_id", "voter", name="uq_helpful_votes_voter"),)

    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(foreign_key="revisions.id", index=True)
    key: str = Field(max_length=128, index=True)
    locale: str = Field(max_length=16)
    revision: int
    helpful: bool
    voter: str = Field(max_length=64)
    at: dt.datetime = _time()
    # Why a reader said "not helpful" (kb/votes.py REASONS), and a few words of theirs, masked.
    reason: str | None = Field(default=None, max_length=16)
    comment: str | None = Field(default=None, max_length=300)


class Job(SQLModel, table=True):
    """Work to do later (kb/jobs.py): due at a time, claimed by one runner under a lease, retried.

    `dedupe` names a job that may be pending only once (a recurring job); it is cleared when
    the job ends, so the next occurrence can take it.
    """

    __tablename__ = "jobs"
    __table_args__ = (sa.Index("ix_jobs_state_due_at", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    dedupe: str | None = Field(default=None, max_length=200, unique=True)
    state: str = Field(default="queued", max_length=16)  # queued, running, done, failed
    due_at: dt.datetime = _time()
    attempts: int = 0
    max_attempts: int = 5
    locked_by: str | None = Field(default=None, max_length=200)
    locked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: dt.datetime = _time()
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxEvent(SQLModel, table=True):
    """One kb action, as it leaves Istok (kb/outbox.py): numbered in commit order, never reused.

    It holds what the action's audit row holds, less the client's address.
    """

    __tablename__ = "outbox_events"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _time(index=True)
    action: str = Field(max_length=64)
    target: str = Field(max_length=300)
    actor: str = Field(max_length=200)
    role: str = Field(max_length=16)
    base_revision: int | None = None
    new_revision: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class WebhookSubscription(SQLModel, table=True):
    """A receiver of outbound events (kb/webhooks.py): where, which event types, and how it fares.

    The secret signs every delivery (Standard Webhooks, `whsec_…`), so it is kept as given and
    shown once, at creation. `public` receivers get the public parts of an event only.
    `since_event_id` is the last outbox event before the subscription existed: it gets the
    events after it. `failing_since` is when its deliveries last began to fail, cleared by a
    success; three days of it pause the subscription.
    """

    __tablename__ = "webhook_subscriptions"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    public: bool = True
    secret: str = Field(max_length=100)
    state: str = Field(default="active", max_length=16)  # active, paused, disabled
    state_reason: str | None = Field(default=None, sa_type=sa.Text)
    since_event_id: int = 0
    failing_since: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(default="", max_length=200)
    created_at: dt.datetime = _time()
    updated_at: dt.datetime = _time()


class WebhookDelivery(SQLModel, table=True):
    """One event for one subscription: the signed body's content, its attempts and outcome.

    `msg_id` is the Standard Webhooks `webhook-id`, the same for every attempt and replay, so
    a receiver can drop what it already has. `schedule` numbers the attempt jobs: a job whose
    number is not the row's is stale (superseded by a replay or a resume) and does nothing.
    `contact_id` names the contact an event is about, so erasing the contact finds its rows.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_event"),
        sa.Index("ix_webhook_deliveries_subscription_state", "subscription_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="webhook_subscriptions.id")
    event_id: int  # an outbox event's id; no key, since old events are pruned
    event_type: str = Field(max_length=64)
    msg_id: str = Field(max_length=64, unique=True)
    body: str = Field(sa_type=sa.Text)
    contact_id: int | None = Field(default=None, index=True)
    state: str = Field(default="pending", max_length=16)  # pending, delivered, failed
    attempts: int = 0
    schedule: int = 0
    replays: int = 0
    first_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    delivered_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = _time()


class WebhookCursor(SQLModel, table=True):
    """The one row saying up to which outbox event webhooks have fanned out."""

    __tablename__ = "webhook_cursor"

    id: int = Field(default=1, primary_key=True)
    last_event_id: int = 0


class Schedule(SQLModel, table=True):
    """A publish or an unpublish set for a time (kb/schedules.py), run once by a job.

    `live_revision_at_set` is what was live when it was set: if that changed meanwhile (someone
    published by hand), the schedule is skipped rather than undo it silently.
    """

    __tablename__ = "schedules"
    __table_args__ = (
        sa.Index("ix_schedules_state_due_at", "state", "due_at"),
        sa.Index("ix_schedules_locale_key", "locale", "key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    locale: str = Field(max_length=16)
    key: str = Field(max_length=128)
    action: str = Field(max_length=16)  # publish, unpublish
    revision: int | None = None  # the revision to publish (publish only)
    due_at: dt.datetime = Field(sa_type=UTCDateTime)
    live_revision_at_set: int | None = None
    created_by: str = Field(max_length=200)
    created_at: dt.datetime = _time()
    state: str = Field(default="pending", max_length=16)  # pending, done, skipped, cancelled, failed
    outcome: str = Field(default="", sa_type=sa.Text)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class ContentGapState(SQLModel, table=True):
    """What editors decided about one question (every row of it, whoever asked): dismissed or merged.

    Keyed by the question's folded form, locale and channel rather than by a row, so a later
    occurrence, or a new contact asking it, falls under the same decision. `merged_into`
    always names a group's main question, whose own `merged_into` is empty (kb/search/gap_states.py).
    """

    __tablename__ = "content_gap_states"
    __table_args__ = (sa.UniqueConstraint("normalised", "locale", "channel", name="uq_content_gap_states"),)

    id: int | None = Field(default=None, primary_key=True)
    normalised: str = Field(max_length=500)
    locale: str = Field(max_length=16)
    channel: str = Field(max_length=32)
    dismissed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    dismissed_by: str | None = Field(default=None, max_length=200)
    merged_into: int | None = Field(default=None, foreign_key="content_gap_states.id", index=True)
    changed_at: dt.datetime = _time()


class ReviewStep(SQLModel, table=True):
    """One step of a revision's review: submitted, approved, changes requested, or a comment.

    Keyed by the revision and its content hash, so an approval covers exactly the text that was
    read; a later edit is a new revision and starts with none (kb/workflows.py).
    """

    __tablename__ = "review_steps"
    __table_args__ = (sa.Index("ix_review_steps_article_revision", "article_id", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id")
    revision: int
    content_hash: str = Field(max_length=64)
    kind: str = Field(max_length=24)  # submitted, approved, changes_requested, comment
    actor: str = Field(max_length=200)
    role: str = Field(max_length=32)
    comment: str = Field(default="", sa_type=sa.Text)
    at: dt.datetime = _time()


class FactProposal(SQLModel, table=True):
    """A fact change waiting for the `facts` workflow's approvals; not live until applied.

    Immutable once made (a new value is a new proposal), so an approval covers exactly this
    value; `base_version` is the fact's version it was made against (None: creating it).
    """

    __tablename__ = "fact_proposals"
    __table_args__ = (sa.Index("ix_fact_proposals_key_state", "key", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128)
    action: str = Field(max_length=8)  # set, delete
    type: str = Field(default="", max_length=16)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    locales: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    base_version: int | None = None
    proposer: str = Field(max_length=200)
    state: str = Field(default="pending", max_length=24)  # pending, changes_requested, applied
    applied_version: int | None = None
    at: dt.datetime = _time()


class FactReviewStep(SQLModel, table=True):
    """One step of a fact proposal's review: submitted, approved, changes requested, comment, applied."""

    __tablename__ = "fact_review_steps"

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="fact_proposals.id", index=True)
    kind: str = Field(max_length=24)
    actor: str = Field(max_length=200)
    role: str = Field(max_length=32)
    comment: str = Field(default="", sa_type=sa.Text)
    at: dt.datetime = _time()


class ArticleVerification(SQLModel, table=True):
    """Someone checked that an article's live content is still true (kb/verification_rules.py).

    No revision is made: the row names the live revision and content hash that were checked.
    Keyed by locale and key (not the article's id), like schedules, so it reads as the audit does.
    """

    __tablename__ = "article_verifications"
    __table_args__ = (sa.Index("ix_article_verifications_locale_key_at", "locale", "key", "verified_at"),)

    id: int | None = Field(default=None, primary_key=True)
    locale: str = Field(max_length=16)
    key: str = Field(max_length=128)
    revision: int  # the live revision that was checked
    content_hash: str = Field(max_length=64)
    verified_by: str = Field(max_length=200)
    verified_at: dt.datetime = _time()
    note: str = Field(default="", sa_type=sa.Text)


class Asset(SQLModel, table=True):
    """An image uploaded by an editor, re-encoded and kept by the sha256 of its bytes (kb/assets.py).

    In the database rather than on disk so every replica serves it; never changed or reused,
    so `/assets/{id}` may be cached for ever.
    """

    __tablename__ = "assets"

    id: str = Field(primary_key=True, max_length=64)  # sha256 hex of `data`
    media_type: str = Field(max_length=32)
    width: int
    height: int
    data: bytes = Field(sa_type=sa.LargeBinary)
    created_by: str = Field(max_length=200)
    created_at: dt.datetime = _time()

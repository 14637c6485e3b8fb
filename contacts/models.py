"""Database tables of contact context (SQLModel, on the same metadata as `kb`'s tables).

A contact is never deleted: merging marks it `merged_into`, erasing empties it and stamps
`erased_at`, so ids stay stable and are never reused. Interactions keep their statistics
(channel, time, article served, topic, outcome) after erasure or retention, without a
person attached: `contact_id` becomes NULL and the question text goes.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from kb import UTCDateTime, utcnow


def _time(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kw)


class Outcome(StrEnum):
    """How an interaction ended; `handoff` and `escalated` open a case."""

    ANSWERED = "answered"
    HANDOFF = "handoff"
    RESOLVED = "resolved"
    ESCALATED = "escalated"
    ABANDONED = "abandoned"


class CaseStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Contact(SQLModel, table=True):
    """One client, whatever channels they use; personal fields are empty once erased."""

    __tablename__ = "contacts"

    id: int | None = Field(default=None, primary_key=True)
    name: str | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, max_length=16)
    segments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    consent: dict[str, bool] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    merged_into: int | None = Field(default=None, foreign_key="contacts.id", index=True)
    created_at: dt.datetime = _time()
    updated_at: dt.datetime = _time()
    erased_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    pin_hash: str | None = Field(default=None, max_length=200)  # argon2; see contacts/verification.py
    pin_failures: int = 0
    pin_locked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Identity(SQLModel, table=True):
    """An address on one channel (an E.164 phone, an email, a visitor id…), unique per channel."""

    __tablename__ = "contact_identities"
    __table_args__ = (sa.UniqueConstraint("channel", "address", name="uq_contact_identities_channel_address"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=254)
    created_at: dt.datetime = _time()
    # How a channel vouched that this address is the client's (`telegram-contact`, `pin`, `otp`);
    # None: only claimed (a caller id, a messenger id), so nothing only the client may hear is given by it.
    verified_by: str | None = Field(default=None, max_length=32)
    verified_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Case(SQLModel, table=True):
    """A support matter that ties interactions together across channels until it is resolved."""

    __tablename__ = "contact_cases"
    __table_args__ = (
        sa.Index("ix_contact_cases_contact_status", "contact_id", "status"),
        # insights count cases by when they opened, closed and were first answered (migration 0018)
        sa.Index("ix_contact_cases_opened_at", "opened_at"),
        sa.Index("ix_contact_cases_closed_at", "closed_at"),
        sa.Index("ix_contact_cases_first_response_at", "first_response_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    status: str = Field(default=CaseStatus.OPEN.value, max_length=16)
    topic: str = Field(max_length=128)  # an article category
    queue: str | None = Field(default=None, max_length=64)
    channel: str = Field(max_length=16)  # where it started
    opened_at: dt.datetime = _time()
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=200)
    # When a person first answered the client after the case opened, where the channel reports it
    # (a desk's agent reply: `record_interaction(agent_reply=True)`); None: not reported.
    first_response_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Interaction(SQLModel, table=True):
    """One exchange on one channel, with exactly which unit was served when Istok answered."""

    __tablename__ = "contact_interactions"
    __table_args__ = (
        sa.Index("ix_contact_interactions_contact_at", "contact_id", "at"),
        sa.Index(
            "uq_contact_interactions_message",
            "channel",
            "message_id",
            unique=True,
            sqlite_where=sa.text("message_id IS NOT NULL"),
            postgresql_where=sa.text("message_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    channel: str = Field(max_length=16)
    direction: str = Field(default="in", max_length=8)  # in: the client reached us; out: we reached them
    at: dt.datetime = _time(index=True)
    question: str | None = Field(default=None, sa_type=sa.Text)  # or a summary; NULL once anonymised
    article_key: str | None = Field(default=None, max_length=128)
    article_locale: str | None = Field(default=None, max_length=16)
    article_revision: int | None = None
    content_hash: str | None = Field(default=None, max_length=64)
    topic: str | None = Field(default=None, max_length=128)
    outcome: str = Field(max_length=16)
    csat: int | None = None
    nps: int | None = None  # 0..10, "how likely are you to recommend us", where the channel asks it
    case_id: int | None = Field(default=None, foreign_key="contact_cases.id", index=True)
    anonymised: bool = False
    # The outside system's id of the message this answers (a Telegram update, a WhatsApp message id):
    # unique per channel, so a webhook delivered twice is put on the timeline, and answered, once.
    message_id: str | None = Field(default=None, max_length=128)


class Merge(SQLModel, table=True):
    """A merge, with everything it moved, so it can be undone from this record alone."""

    __tablename__ = "contact_merges"

    id: int | None = Field(default=None, primary_key=True)
    kept_id: int = Field(foreign_key="contacts.id", index=True)
    merged_id: int = Field(foreign_key="contacts.id", index=True)
    moved: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    actor: str = Field(max_length=200)
    at: dt.datetime = _time()
    undone_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

"""Bodies of the contact-context API, and who sees what of a profile.

Operators see whole profiles. Bots see only what a conversation needs: the contact's
id, locale and segments, open cases, what was served and the topics, but no name,
addresses, consent or the client's own words.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

import contacts

CHANNEL_PATTERN = r"^[a-z][a-z0-9_-]{1,15}$"


def _no_nul(value: str) -> str:
    """PostgreSQL cannot store NUL in text; refuse it (422) rather than fail on one database only."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL (\\x00) characters")
    return value


#: Free text that is stored: any characters but NUL.
Text = Annotated[str, AfterValidator(_no_nul)]
#: An audience name, as in `::: bot segment=business`.
Segment = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
#: A consent purpose, as an action of `content/policy.yaml` names it.
Purpose = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class IdentityIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"channel": "phone", "address": "+371 29 123 456"}})

    channel: str = Field(max_length=16, description="phone, email, telegram, whatsapp, viber, web or crm")
    address: Text = Field(min_length=1, max_length=254, description="Normalised: phones to E.164, emails lower-cased")


class IdentityOut(BaseModel):
    channel: str
    address: str


class ContactIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "name": "Anna Ozola",
                "locale": "ru",
                "segments": ["business"],
                "consent": {"sales_call": True, "marketing_sms": False},
                "identities": [{"channel": "phone", "address": "+37129123456"}],
            }
        }
    )

    name: Text | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    segments: list[Segment] = Field(default_factory=list, max_length=20)
    consent: dict[Purpose, bool] = Field(
        default_factory=dict, description="Per purpose: true = agreed, false = opted out"
    )
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)


class ContactUpdate(BaseModel):
    name: Text | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    segments: list[Segment] | None = Field(default=None, max_length=20)
    consent: dict[Purpose, bool] | None = Field(default=None, description="Entries given replace the ones held")


class ContactOut(BaseModel):
    id: int
    view: str = Field(description="'operator': the whole profile; 'bot': only what a conversation needs")
    name: str | None
    locale: str | None
    segments: list[str]
    consent: dict[str, bool]
    identities: list[IdentityOut]
    created_at: dt.datetime


class InteractionOut(BaseModel):
    id: int
    channel: str
    direction: str
    at: dt.datetime
    question: str | None = Field(description="The client's words or a summary; null for bots and once anonymised")
    article: dict[str, Any] | None = Field(description="key, locale, revision and content_hash of the unit served")
    topic: str | None
    outcome: str
    csat: int | None
    case: int | None


class CaseOut(BaseModel):
    id: int
    contact: int | None
    status: str
    topic: str
    queue: str | None
    channel: str = Field(description="Where the case started")
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    last_interaction: InteractionOut | None = None


class ServedOut(BaseModel):
    key: str
    locale: str
    revision: int
    content_hash: str | None
    channel: str
    at: dt.datetime


class TopicCount(BaseModel):
    topic: str
    count: int


class SuggestionOut(BaseModel):
    key: str
    locale: str
    title: str
    category: str | None


class ContextOut(BaseModel):
    contact: ContactOut
    open_cases: list[CaseOut]
    last_interactions: list[InteractionOut]
    served_articles: list[ServedOut] = Field(description="Already served, newest first: do not repeat them")
    frequent_topics: list[TopicCount] = Field(description="Over the last 90 days, most frequent first")
    suggested_articles: list[SuggestionOut]


class MergeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"other": 42}})

    other: int = Field(
        ge=1, le=2**31 - 1, description="The contact merged into this one; its id keeps answering as this one"
    )


class MergeOut(BaseModel):
    id: int
    kept: int
    merged: int
    moved: dict[str, int] = Field(description="How many identities, interactions and cases moved")
    at: dt.datetime
    undone_at: dt.datetime | None


def contact_out(contact: contacts.Contact, identities: list[contacts.Identity], *, full: bool) -> ContactOut:
    return ContactOut(
        id=contact.id or 0,
        view="operator" if full else "bot",
        name=contact.name if full else None,
        locale=contact.locale,
        segments=list(contact.segments),
        consent=dict(contact.consent) if full else {},
        identities=[IdentityOut(channel=i.channel, address=i.address) for i in identities] if full else [],
        created_at=contact.created_at,
    )


def interaction_out(i: contacts.Interaction, *, full: bool) -> InteractionOut:
    article = None
    if i.article_key is not None:
        article = {
            "key": i.article_key,
            "locale": i.article_locale,
            "revision": i.article_revision,
            "content_hash": i.content_hash,
        }
    return InteractionOut(
        id=i.id or 0,
        channel=i.channel,
        direction=i.direction,
        at=i.at,
        question=i.question if full else None,
        article=article,
        topic=i.topic,
        outcome=i.outcome,
        csat=i.csat,
        case=i.case_id,
    )


def case_out(case: contacts.Case, last: contacts.Interaction | None = None, *, full: bool = True) -> CaseOut:
    return CaseOut(
        id=case.id or 0,
        contact=case.contact_id,
        status=case.status,
        topic=case.topic,
        queue=case.queue,
        channel=case.channel,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        last_interaction=interaction_out(last, full=full) if last is not None else None,
    )


def context_out(ctx: contacts.ContactContext, *, full: bool) -> ContextOut:
    return ContextOut(
        contact=contact_out(ctx.contact, ctx.identities, full=full),
        open_cases=[case_out(o.case, o.last, full=full) for o in ctx.open_cases],
        last_interactions=[interaction_out(i, full=full) for i in ctx.last_interactions],
        served_articles=[ServedOut(**vars(s)) for s in ctx.served],
        frequent_topics=[TopicCount(topic=t, count=n) for t, n in ctx.frequent_topics],
        suggested_articles=[SuggestionOut(**vars(s)) for s in ctx.suggested],
    )


def merge_out(record: contacts.Merge) -> MergeOut:
    moved = {k: len(v) for k, v in record.moved.items() if isinstance(v, list)}
    return MergeOut(
        id=record.id or 0,
        kept=record.kept_id,
        merged=record.merged_id,
        moved=moved,
        at=record.at,
        undone_at=record.undone_at,
    )

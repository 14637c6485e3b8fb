"""Bodies of the contact-context API, and who sees what of a profile.

Contacts and their identities, cases, interactions, the contact policy, the IVR menu and
routing suggestions. Operators see whole profiles. Bots see only what a conversation needs: the contact's
id, locale and segments, open cases, what was served and the topics, but no name,
addresses, consent or the client's own words.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

import contacts
from api.schemas.fields import IDENTITY_CHANNELS, MAX_INT32, OUTCOMES, Text, one_of

CHANNEL_PATTERN = r"^[a-z][a-z0-9_-]{1,15}$"
#: An audience name, as in `::: bot segment=business`.
Segment = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
#: A consent purpose, as an action of `content/policy.yaml` names it.
Purpose = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
#: Consent per purpose: true = agreed, false = opted out. Only purposes as keys, only booleans as
#: values (`"no"` or `0` is refused, not read as false); the schema says so with additionalProperties.
Consent = Annotated[dict[Purpose, StrictBool], Field(json_schema_extra={"additionalProperties": False})]


class IdentityIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"channel": "phone", "address": "+371 29 123 456"}})

    channel: str = Field(max_length=16, json_schema_extra=one_of(IDENTITY_CHANNELS))
    address: Text = Field(min_length=1, max_length=254, description="Normalised: phones to E.164, emails lower-cased")


class IdentityAdd(IdentityIn):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"channel": "phone", "address": "+37129123456", "verified_by": "telegram-contact"}
        }
    )

    verified_by: str | None = Field(
        default=None,
        description="How the channel vouched that the address is the client's own (e.g. the sender's own contact "
        "shared in Telegram); a verified address held by another contact merges that contact into this one",
        json_schema_extra=one_of(contacts.VERIFICATIONS),
    )


class IdentityOut(BaseModel):
    channel: str
    address: str
    verified_by: str | None = Field(default=None, description="How the channel vouched for it; null: only claimed")


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
    consent: Consent = Field(default_factory=dict, description="Per purpose: true = agreed, false = opted out")
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)


class ContactUpdate(BaseModel):
    name: Text | None = Field(default=None, max_length=200)
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$")
    segments: list[Segment] | None = Field(default=None, max_length=20)
    consent: Consent | None = Field(default=None, description="Entries given replace the ones held")


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


class PinIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"pin": "4821"}})

    pin: str = Field(pattern=r"^[0-9]{4,8}$", description="4 to 8 digits the client chose")


class VerifyIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"identity": {"channel": "phone", "address": "+37129123456"}, "pin": "4821"}}
    )

    identity: IdentityIn = Field(description="Who the client says they are on this channel (the caller id…)")
    pin: str = Field(pattern=r"^[0-9]{4,8}$", description="What they keyed or said")


class VerifiedOut(BaseModel):
    contact: int
    verified_by: str
    token: str = Field(description="Pass as `verification=` to the contact's context")
    expires_in: int = Field(description="Seconds the token holds")


class IdentifiedOut(BaseModel):
    channel: str = Field(description="What the contact was found by: an identity channel (phone, telegram…) or `id`")
    verified_by: str | None = Field(
        description="How the client proved it is them on this channel (pin, telegram-contact…); null: only claimed, "
        "so a bot gets no case contents and no earlier questions"
    )


class ContextOut(BaseModel):
    identified_by: IdentifiedOut | None = None
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


class ArticleRefIn(BaseModel):
    """The unit an interaction served, as its provenance names it."""

    key: Text = Field(min_length=1, max_length=128)
    locale: str = Field(pattern=r"^[a-z]{2,3}$")
    revision: int = Field(ge=1, le=MAX_INT32)


class InteractionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "identity": {"channel": "web", "address": "visitor-7f3a"},
                "channel": "chat",
                "question": "пополнил счёт, а деньги не пришли",
                "article": {"key": "top-up", "locale": "ru", "revision": 1},
                "outcome": "handoff",
            }
        }
    )

    contact: int | None = Field(default=None, ge=1, le=MAX_INT32, description="A contact id, or give `identity`")
    identity: IdentityIn | None = Field(default=None, description="Creates the contact on first sight")
    channel: str = Field(pattern=CHANNEL_PATTERN, description="chat, web, bot, ivr, phone, sms, email, telegram…")
    direction: Annotated[str, Field(pattern=r"^(in|out)$")] = "in"
    question: Text | None = Field(default=None, max_length=4000, description="The client's words or a summary")
    article: ArticleRefIn | None = Field(default=None, description="The unit served, when Istok answered")
    outcome: str = Field(description="`handoff` and `escalated` open a case", json_schema_extra=one_of(OUTCOMES))
    topic: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,128}$", description="Default: the article's category"
    )
    csat: int | None = Field(default=None, ge=1, le=5, strict=True)
    nps: int | None = Field(default=None, ge=0, le=10, strict=True, description="How likely to recommend us, 0..10")
    agent_reply: StrictBool = Field(
        default=False,
        description="A person answered the client (a desk's agent reply): the first one after a case opened "
        "is the case's first response",
    )
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$", description="For routing the question")
    message: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="The outside system's id of the message: recorded once per channel; sent again, the first "
        "interaction comes back (200, `replayed`) and nothing is added",
    )


class InteractionCreated(BaseModel):
    interaction: int
    contact: int
    case: int | None = Field(description="The case this interaction opened or joined")
    replayed: bool = Field(default=False, description="This `message` was recorded before: nothing was added")
    created_contact: bool = Field(description="True when the identity was seen for the first time")
    at: dt.datetime


class PolicyOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "contact": 7,
                "action": "sales_call",
                "allowed": False,
                "reasons": ["an open support case (billing): resolve it first"],
                "at": "2026-11-23T12:00:00Z",
            }
        }
    )

    contact: int
    action: str
    allowed: bool
    reasons: list[str] = Field(description="Every rule that forbids the action; empty when allowed")
    at: dt.datetime = Field(description="The instant judged (quiet hours depend on it)")


class MenuOptionOut(BaseModel):
    digit: str
    topic: str = Field(description="An article category")
    label: str


class MenuOut(BaseModel):
    ssml: str = Field(description="The prompt as SSML 1.1 (plain words with format=plain)")
    format: str
    locale: str
    options: list[MenuOptionOut]
    personalised: bool = Field(description="True when the caller was known and the order is theirs")
    contact: int | None


class RouteIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"message": "интернет не работает второй день"}})

    message: str = Field(min_length=1, max_length=4000, description="Any channel, any locale")
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$", description="Default: told from the alphabet")


class RouteArticle(BaseModel):
    key: str
    locale: str
    title: str
    category: str | None
    revision: int


class RouteOut(BaseModel):
    queue: str
    queue_name: str
    reason: str
    topic: str | None = Field(description="The article category the message is about, when known")
    locale: str
    articles: list[RouteArticle] = Field(description="What the operator should see first")


def contact_out(contact: contacts.Contact, identities: list[contacts.Identity], *, full: bool) -> ContactOut:
    return ContactOut(
        id=contact.id or 0,
        view="operator" if full else "bot",
        name=contact.name if full else None,
        locale=contact.locale,
        segments=list(contact.segments),
        consent=dict(contact.consent) if full else {},
        identities=[IdentityOut(channel=i.channel, address=i.address, verified_by=i.verified_by) for i in identities]
        if full
        else [],
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


def context_out(
    ctx: contacts.ContactContext,
    *,
    full: bool,
    contents: bool | None = None,
    identified: IdentifiedOut | None = None,
) -> ContextOut:
    """`full`: the whole profile (staff); `contents`: what the client asked, in cases and before (default `full`)."""
    said = full if contents is None else contents
    return ContextOut(
        identified_by=identified,
        contact=contact_out(ctx.contact, ctx.identities, full=full),
        open_cases=[case_out(o.case, o.last, full=said) for o in ctx.open_cases],
        last_interactions=[interaction_out(i, full=said) for i in ctx.last_interactions],
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

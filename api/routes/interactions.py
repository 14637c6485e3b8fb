"""Interactions over HTTP: any channel appends to a client's timeline, by contact id or identity.

An identity seen for the first time creates the contact, so a chat widget can record a
visitor's first question with nothing but its visitor id. A handoff without an article
takes its case topic and queue from the routing suggestion for the question.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

import contacts
import kb
from api import runtime
from api.contact_access import ConversationKey, audit, contact_of, recording
from api.deps import Principal
from api.http.errors_doc import responses
from api.routes.contact_schemas import CHANNEL_PATTERN, IdentityIn, Text
from api.schemas import AnswerOut

router = APIRouter(prefix="/api/v1/interactions", tags=["contacts"], responses=responses(401, 403, 404, 409, 422))


class ArticleIn(BaseModel):
    key: Text = Field(min_length=1, max_length=128)
    locale: str = Field(pattern=r"^[a-z]{2,3}$")
    revision: int = Field(ge=1, le=2**31 - 1)


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

    contact: int | None = Field(default=None, ge=1, le=2**31 - 1, description="A contact id, or give `identity`")
    identity: IdentityIn | None = Field(default=None, description="Creates the contact on first sight")
    channel: str = Field(pattern=CHANNEL_PATTERN, description="chat, web, bot, ivr, phone, sms, email, telegram…")
    direction: Annotated[str, Field(pattern=r"^(in|out)$")] = "in"
    question: Text | None = Field(default=None, max_length=4000, description="The client's words or a summary")
    article: ArticleIn | None = Field(default=None, description="The unit served, when Istok answered")
    outcome: str = Field(description="answered, handoff, resolved, escalated or abandoned")
    topic: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,128}$", description="Default: the article's category"
    )
    csat: int | None = Field(default=None, ge=1, le=5)
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2,3}$", description="For routing the question")


class InteractionCreated(BaseModel):
    interaction: int
    contact: int
    case: int | None = Field(description="The case this interaction opened or joined")
    created_contact: bool = Field(description="True when the identity was seen for the first time")
    at: dt.datetime


@router.post("", response_model=InteractionCreated, status_code=201, summary="Append an interaction to a timeline")
def record(body: InteractionIn, request: Request, who: ConversationKey) -> InteractionCreated:
    """201 with the contact and the case; `handoff` and `escalated` open a case unless one is open."""
    address = contacts.normalise(body.identity.channel, body.identity.address) if body.identity else None
    if (body.contact is None) == (address is None):
        raise kb.InvalidChange("give exactly one of `contact` (an id) and `identity` ({channel, address})")
    topic, queue = body.topic, None
    if body.outcome in ("handoff", "escalated") and body.question and body.article is None:
        suggestion = suggest(body.question, body.locale)
        topic, queue = topic or suggestion.topic, suggestion.queue
    with recording() as session:
        contact, created = _contact(session, body.contact, address)
        interaction = contacts.record_interaction(
            session=session,
            contact=contact,
            channel=body.channel,
            outcome=body.outcome,
            question=body.question,
            article=contacts.ArticleRef(**body.article.model_dump()) if body.article else None,
            topic=topic,
            queue=queue,
            direction=body.direction,
            csat=body.csat,
        )
        audit(session, who, request, contact.id or 0, "interaction")
        return InteractionCreated(
            interaction=interaction.id or 0,
            contact=contact.id or 0,
            case=interaction.case_id,
            created_contact=created,
            at=interaction.at,
        )


def suggest(question: str, locale: str | None) -> contacts.RouteSuggestion:
    """The routing suggestion for a question: keyword rules, else the best article's category."""
    lang = locale if locale in kb.LOCALES else contacts.detect_locale(question)
    try:
        hits = kb.search_articles(question, lang, "public", per_page=3, index=runtime.index()).hits
    except kb.InvalidQuery:  # nothing searchable in it (only punctuation): keyword rules still apply
        hits = []
    return contacts.suggest_route(question, rules=contacts.routing_rules(), hits=hits)


def _contact(
    session: Session, contact_id: int | None, address: contacts.Address | None
) -> tuple[contacts.Contact, bool]:
    if address is not None:
        return contacts.ensure_contact(session=session, address=address)
    return contacts.get_contact(session=session, contact_id=contact_id or 0), False


class _Guess:
    """The answer engine's best unit, shaped like a search hit for the routing rules."""

    def __init__(self, key: str, locale: str, title: str, category: str | None) -> None:
        self.key, self.locale, self.title, self.category = key, locale, title, category


def record_answer(
    *,
    who: Principal,
    client: str | None,
    contact_id: int | None,
    identity: str | None,
    answer: AnswerOut,
) -> tuple[int, int | None]:
    """Put an answer given through `GET /api/v1/answer` on the client's timeline: (contact, case).

    An answered question records the unit served; a handoff opens a case whose topic
    comes from the routing rules, or else from the engine's best guess.
    """
    prov = answer.provenance
    answered = answer.status == "answered" and prov is not None
    topic = queue = None
    if not answered:
        guesses = [_Guess(prov.key, prov.locale, prov.title or prov.key, prov.category)] if prov else []
        suggestion = contacts.suggest_route(answer.question, rules=contacts.routing_rules(), hits=guesses)
        topic, queue = suggestion.topic, suggestion.queue
    with recording() as session:
        contact, _created = contact_of(session, contact_id=contact_id, identity=identity)
        interaction = contacts.record_interaction(
            session=session,
            contact=contact,
            channel=answer.channel,
            outcome="answered" if answered else "handoff",
            question=answer.question,
            article=contacts.ArticleRef(prov.key, prov.locale, prov.revision) if answered and prov else None,
            topic=topic,
            queue=queue,
        )
        contacts.audit_access(
            session, actor=who.name, role=who.role.value, contact_id=contact.id or 0, action="answer", client=client
        )
        return contact.id or 0, interaction.case_id


def asker_of(*, contact_id: int | None, identity: str | None) -> tuple[int, str | None]:
    """Who asks through `GET /api/v1/answer`, and the audience whose channel blocks they get.

    Found by id or identity, and created on first sight of the identity before the question
    is answered, so that the content gap it may leave carries the contact's id and an
    erasure of the contact finds it.
    """
    with kb.read_session(runtime.engine()) as session:
        if contact_id is not None:
            contact: contacts.Contact | None = contacts.get_contact(session=session, contact_id=contact_id)
        else:
            contact = contacts.find_by_identity(session=session, address=contacts.parse_identity(identity or ""))
        if contact is not None:
            return contact.id or 0, contacts.answer_segment(contact.segments)
    with recording() as session:
        contact, _created = contact_of(session, contact_id=None, identity=identity)
        return contact.id or 0, contacts.answer_segment(contact.segments)

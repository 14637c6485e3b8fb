"""Interactions over HTTP: any channel appends to a client's timeline, by contact id or identity.

An identity seen for the first time creates the contact, so a chat widget can record a
visitor's first question with nothing but its visitor id. A handoff without an article
takes its case topic and queue from the routing suggestion for the question.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

import contacts
import kb
from api.contact_access import ConversationKey, audit_access, recording, suggest
from api.http.errors_doc import responses
from api.schemas import InteractionCreated, InteractionIn

router = APIRouter(prefix="/api/v1/interactions", tags=["contacts"], responses=responses(401, 403, 404, 409, 413, 422))


@router.post(
    "",
    response_model=InteractionCreated,
    status_code=201,
    summary="Append an interaction to a timeline",
    responses={200: {"model": InteractionCreated, "description": "This `message` was recorded before"}},
)
def record(body: InteractionIn, request: Request, response: Response, who: ConversationKey) -> InteractionCreated:
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
        replayed = False
        try:
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
                nps=body.nps,
                agent_reply=body.agent_reply,
                message_id=body.message,
            )
        except contacts.AlreadyRecorded as seen:
            interaction, replayed = seen.interaction, True
            response.status_code = 200
        audit_access(session, who, request, contact.id or 0, "interaction")
        return InteractionCreated(
            interaction=interaction.id or 0,
            contact=interaction.contact_id or contact.id or 0,
            case=interaction.case_id,
            created_contact=created and not replayed,
            at=interaction.at,
            replayed=replayed,
        )


def _contact(
    session: Session, contact_id: int | None, address: contacts.Address | None
) -> tuple[contacts.Contact, bool]:
    if address is not None:
        return contacts.ensure_contact(session=session, address=address)
    return contacts.get_contact(session=session, contact_id=contact_id or 0), False

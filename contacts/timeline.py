"""The timeline: interactions from every channel on one contact, tied together by cases.

A case is per topic (an article category): a handoff or an escalation opens one unless
the contact already has one open for that topic, and every later interaction on that
topic joins it, whatever the channel. So a chat that ended in a handoff and the call
that follows are one case, and the operator on the phone sees the chat. A question is
stored with its personal data masked (`kb.mask_personal`), like every log of client words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from contacts.directory import get_contact
from contacts.errors import AlreadyRecorded, CaseNotFound
from contacts.models import Case, CaseStatus, Contact, Interaction, Outcome
from kb import Actor, Article, InvalidChange, Revision, RevisionNotFound, mask_personal, record_action, utcnow

OPENS_CASE = frozenset({Outcome.HANDOFF, Outcome.ESCALATED})
DEFAULT_TOPIC = "general"


@dataclass(frozen=True)
class ArticleRef:
    """The unit served: with it the timeline can say exactly what the client was told."""

    key: str
    locale: str
    revision: int


def record_interaction(
    *,
    session: Session,
    contact: Contact,
    channel: str,
    outcome: str,
    question: str | None = None,
    article: ArticleRef | None = None,
    topic: str | None = None,
    queue: str | None = None,
    direction: str = "in",
    csat: int | None = None,
    at: dt.datetime | None = None,
    message_id: str | None = None,
    nps: int | None = None,
    agent_reply: bool = False,
) -> Interaction:
    """Append an interaction; open, join or resolve the contact's case for its topic.

    The topic is the served article's category unless given (the routing suggestion's,
    for a handoff with no article). Outcome `resolved` resolves the case it joins.
    `message_id`, the outside system's id of the message, is recorded once per channel:
    AlreadyRecorded (carrying the first interaction) when it is there already, also when a
    concurrent redelivery got there first; nothing of the second is kept then, not even a case.
    `nps` is a 0..10 recommendation score beside `csat`. `agent_reply` says a person answered the
    client (a desk reports its agent's reply): the contact's open cases with no first response yet
    get this one, and the interaction joins the newest of them.
    """
    extra = _Extra(nps=nps, agent_reply=agent_reply)

    def append() -> Interaction:
        return _append(
            session, contact, channel, outcome, question, article, topic, queue, direction, csat, at, message_id, extra
        )

    if message_id is None:
        return append()
    seen = _recorded(session, channel, message_id)
    if seen is not None:
        raise AlreadyRecorded(seen)
    try:
        with session.begin_nested():
            return append()
    except sa.exc.IntegrityError:
        seen = _recorded(session, channel, message_id)
        if seen is None:
            raise
        raise AlreadyRecorded(seen) from None


@dataclass(frozen=True)
class _Extra:
    nps: int | None = None
    agent_reply: bool = False


def _recorded(session: Session, channel: str, message_id: str) -> Interaction | None:
    stmt = select(Interaction).where(Interaction.channel == channel, Interaction.message_id == message_id)
    return session.exec(stmt).first()


def _append(
    session: Session,
    contact: Contact,
    channel: str,
    outcome: str,
    question: str | None,
    article: ArticleRef | None,
    topic: str | None,
    queue: str | None,
    direction: str,
    csat: int | None,
    at: dt.datetime | None,
    message_id: str | None,
    extra: _Extra,
) -> Interaction:
    try:
        result = Outcome(outcome)
    except ValueError:
        raise InvalidChange(f"unknown outcome {outcome!r} (outcomes: {', '.join(o.value for o in Outcome)})") from None
    if csat is not None and not 1 <= csat <= 5:
        raise InvalidChange(f"csat is a score from 1 to 5, not {csat}")
    if extra.nps is not None and not 0 <= extra.nps <= 10:
        raise InvalidChange(f"nps is a score from 0 to 10, not {extra.nps}")
    if question is not None:  # PostgreSQL text cannot hold NUL; a client can type it
        question = mask_personal(question.replace("\x00", ""))  # no phone, card or document number is kept
    content_hash = None
    if article is not None:
        content_hash, category = _served(session, article)
        topic = topic or category
    interaction = Interaction(
        contact_id=contact.id,
        channel=channel,
        direction=direction,
        at=at or utcnow(),
        question=question,
        article_key=article.key if article else None,
        article_locale=article.locale if article else None,
        article_revision=article.revision if article else None,
        content_hash=content_hash,
        topic=topic,
        outcome=result.value,
        csat=csat,
        nps=extra.nps,
        message_id=message_id,
    )
    case_topic = topic or (DEFAULT_TOPIC if result in OPENS_CASE else None)
    interaction.topic = case_topic
    case = None if case_topic is None else open_case_for(session=session, contact_id=contact.id or 0, topic=case_topic)
    if case is None and case_topic is not None and result in OPENS_CASE:
        case = Case(  # a case opens when the interaction happened (an imported or replayed one too)
            contact_id=contact.id, topic=case_topic, queue=queue, channel=channel, opened_at=interaction.at
        )
        session.add(case)
        session.flush()
        _announce(session, case, "case.open", f"{channel} interaction")
    if extra.agent_reply and case is None:
        case = _first_response(session, contact.id or 0, interaction.at)
    elif extra.agent_reply and case is not None and case.first_response_at is None:
        case.first_response_at = interaction.at
    if case is not None:
        interaction.case_id = case.id
        if result is Outcome.RESOLVED:
            _close(session, case, actor=f"{channel} interaction", at=interaction.at)
        elif queue and result in OPENS_CASE:
            case.queue = queue
        session.add(case)
    session.add(interaction)
    session.flush()
    return interaction


def _first_response(session: Session, contact_id: int, at: dt.datetime) -> Case | None:
    """A person's reply: the first response of the contact's open cases still waiting for one (the newest returned)."""
    stmt = select(Case).where(
        Case.contact_id == contact_id,
        Case.status == CaseStatus.OPEN.value,
        col(Case.first_response_at).is_(None),
        col(Case.opened_at) <= at,
    )
    waiting = list(session.exec(stmt.order_by(col(Case.id))))
    for case in waiting:
        case.first_response_at = at
        session.add(case)
    return waiting[-1] if waiting else None


def open_case_for(*, session: Session, contact_id: int, topic: str) -> Case | None:
    """The contact's open case on `topic`, the newest if several (after a merge)."""
    stmt = select(Case).where(Case.contact_id == contact_id, Case.status == CaseStatus.OPEN.value, Case.topic == topic)
    return session.exec(stmt.order_by(col(Case.id).desc())).first()


def open_cases(*, session: Session, contact_id: int) -> list[Case]:
    stmt = select(Case).where(Case.contact_id == contact_id, Case.status == CaseStatus.OPEN.value)
    return list(session.exec(stmt.order_by(col(Case.id))))


def cases_of(*, session: Session, contact_id: int, status: str | None = None, limit: int = 100) -> list[Case]:
    """The contact's cases, newest first, optionally only `open` or `resolved` ones."""
    stmt = select(Case).where(Case.contact_id == contact_id)
    if status is not None:
        stmt = stmt.where(Case.status == status)
    return list(session.exec(stmt.order_by(col(Case.id).desc()).limit(limit)))


def get_case(*, session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or case.contact_id is None:
        raise CaseNotFound(case_id)
    return case


def resolve_case(*, session: Session, case_id: int, actor: str) -> Case:
    """Close the case (idempotent: a resolved case stays as it was)."""
    case = get_case(session=session, case_id=case_id)
    get_contact(session=session, contact_id=case.contact_id or 0)  # 404 once the contact was erased
    if case.status != CaseStatus.RESOLVED.value:
        _close(session, case, actor=actor)
        session.add(case)
        session.flush()
    return case


def last_interaction(*, session: Session, case_id: int) -> Interaction | None:
    stmt = select(Interaction).where(Interaction.case_id == case_id)
    return session.exec(stmt.order_by(col(Interaction.at).desc(), col(Interaction.id).desc())).first()


def _close(session: Session, case: Case, *, actor: str, at: dt.datetime | None = None) -> None:
    case.status = CaseStatus.RESOLVED.value
    case.closed_at = at or utcnow()
    case.closed_by = actor
    _announce(session, case, "case.resolve", actor)


def _announce(session: Session, case: Case, action: str, actor: str) -> None:
    """The audit row and outbox event of a case opened or resolved (webhooks' case.opened/resolved)."""
    record_action(
        session,
        Actor(name=actor, role="system"),
        action=action,
        target=f"case {case.id}",
        case_id=case.id,
        contact_id=case.contact_id,
        topic=case.topic,
        channel=case.channel,
        queue=case.queue,
    )


def _served(session: Session, ref: ArticleRef) -> tuple[str, str | None]:
    """The content hash and category of the revision served; it must exist."""
    row = session.exec(
        select(Revision.content_hash, Article.category)
        .join(Article, col(Article.id) == col(Revision.article_id))
        .where(Article.key == ref.key, Article.locale == ref.locale, Revision.number == ref.revision)
    ).first()
    if row is None:
        raise RevisionNotFound(ref.key, ref.locale, ref.revision)
    return row[0], row[1]

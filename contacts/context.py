"""The context an operator, a bot or the IVR sees, derived from the timeline on each request.

Nothing here is stored: open cases, what was served, frequent topics and suggestions are
all read from interactions and cases, so they can never disagree with the timeline.
Every query is by contact id on an index, which keeps a context read in a few
milliseconds with a million interactions in the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from contacts.directory import identities_of
from contacts.models import Case, CaseStatus, Contact, Identity, Interaction
from kb import Article, utcnow

FREQUENT_WINDOW = dt.timedelta(days=90)
LAST_INTERACTIONS = 10
SERVED_ARTICLES = 20
SUGGESTIONS = 5


@dataclass(frozen=True)
class OpenCase:
    case: Case
    last: Interaction | None


@dataclass(frozen=True)
class Served:
    """An article already served to this contact: nobody should read it to them again."""

    key: str
    locale: str
    revision: int
    content_hash: str | None
    channel: str
    at: dt.datetime


@dataclass(frozen=True)
class Suggestion:
    key: str
    locale: str
    title: str
    category: str | None


@dataclass(frozen=True)
class ContactContext:
    contact: Contact
    identities: list[Identity]
    open_cases: list[OpenCase]
    last_interactions: list[Interaction]
    served: list[Served]
    frequent_topics: list[tuple[str, int]]
    suggested: list[Suggestion]


def build_context(*, session: Session, contact: Contact, now: dt.datetime | None = None) -> ContactContext:
    """Who this is, what is open, what was already answered, what they usually ask."""
    cid = contact.id or 0
    last = list(
        session.exec(
            select(Interaction)
            .where(Interaction.contact_id == cid)
            .order_by(col(Interaction.at).desc(), col(Interaction.id).desc())
            .limit(LAST_INTERACTIONS)
        )
    )
    cases = list(
        session.exec(
            select(Case).where(Case.contact_id == cid, Case.status == CaseStatus.OPEN.value).order_by(col(Case.id))
        )
    )
    open_cases = [OpenCase(case=c, last=_last_of_case(session, c.id or 0)) for c in cases]
    served = _served(session, cid)
    topics = frequent_topics(session=session, contact_id=cid, now=now)
    wanted = [c.topic for c in cases] + [t for t, _ in topics]
    suggested = _suggest(session, wanted, locale=contact.locale, served={s.key for s in served})
    return ContactContext(
        contact=contact,
        identities=identities_of(session=session, contact_id=cid),
        open_cases=open_cases,
        last_interactions=last,
        served=served,
        frequent_topics=topics,
        suggested=suggested,
    )


def frequent_topics(*, session: Session, contact_id: int, now: dt.datetime | None = None) -> list[tuple[str, int]]:
    """Topics of the last 90 days with their counts, most frequent first (ties: most recent first)."""
    since = (now or utcnow()) - FREQUENT_WINDOW
    count = sa.func.count(col(Interaction.id))
    rows = session.exec(
        select(Interaction.topic, count, sa.func.max(col(Interaction.at)))
        .where(Interaction.contact_id == contact_id, col(Interaction.at) >= since, col(Interaction.topic).is_not(None))
        .group_by(col(Interaction.topic))
        .order_by(count.desc(), sa.func.max(col(Interaction.at)).desc())
    ).all()
    return [(str(topic), int(n)) for topic, n, _ in rows]


def open_topics(*, session: Session, contact_id: int) -> list[str]:
    stmt = select(Case.topic).where(Case.contact_id == contact_id, Case.status == CaseStatus.OPEN.value)
    return list(session.exec(stmt.order_by(col(Case.id))))


def _last_of_case(session: Session, case_id: int) -> Interaction | None:
    stmt = select(Interaction).where(Interaction.case_id == case_id)
    return session.exec(stmt.order_by(col(Interaction.at).desc(), col(Interaction.id).desc()).limit(1)).first()


def _served(session: Session, contact_id: int) -> list[Served]:
    """The latest serving of each article (key and locale), newest first."""
    rows = session.exec(
        select(Interaction)
        .where(Interaction.contact_id == contact_id, col(Interaction.article_key).is_not(None))
        .order_by(col(Interaction.at).desc(), col(Interaction.id).desc())
        .limit(SERVED_ARTICLES * 5)
    )
    out: dict[tuple[str, str], Served] = {}
    for i in rows:
        ident = (i.article_key or "", i.article_locale or "")
        if ident not in out and len(out) < SERVED_ARTICLES:
            out[ident] = Served(ident[0], ident[1], i.article_revision or 0, i.content_hash, i.channel, i.at)
    return list(out.values())


def _suggest(session: Session, topics: Sequence[str], *, locale: str | None, served: set[str]) -> list[Suggestion]:
    """Live articles of the contact's open and frequent topics in their locale, not yet served."""
    order = list(dict.fromkeys(topics))
    if not order:
        return []
    stmt = select(Article).where(col(Article.category).in_(order), col(Article.published_revision).is_not(None))
    if locale:
        stmt = stmt.where(Article.locale == locale)
    found = [a for a in session.exec(stmt.order_by(col(Article.id))) if a.key not in served]
    found.sort(key=lambda a: order.index(a.category or ""))
    unique: dict[str, Article] = {}
    for article in found:
        unique.setdefault(article.key, article)
    return [Suggestion(a.key, a.locale, a.title, a.category) for a in list(unique.values())[:SUGGESTIONS]]

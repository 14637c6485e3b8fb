""" "Was this helpful?" votes, each tied to the exact revision the reader saw.

A vote counts per revision, so editors can tell whether a rewrite helped. One browser
counts once per revision (its latest answer wins); `voter` is an opaque digest the
caller derives from an anonymous token, never a name or an address.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kb.errors import InvalidChange
from kb.models import Article, HelpfulVote, Revision, utcnow
from kb.store import get_article, get_revision
from kb.types import ArticleKey, Locale


@dataclass(frozen=True)
class VoteTally:
    """Votes for one revision of an article."""

    revision: int
    helpful: int
    not_helpful: int


def record_vote(
    *, session: Session, key: ArticleKey, locale: Locale, revision: int, helpful: bool, voter: str
) -> HelpfulVote:
    """Store (or change) this voter's answer for a published revision of an article."""
    if not voter or len(voter) > 64:
        raise InvalidChange("a vote needs a voter token of at most 64 characters")
    article = get_article(session=session, key=key, locale=locale)
    if article.published_revision is None:
        raise InvalidChange(f"{locale}/{key} is not published; only what readers saw can be voted on")
    rev = get_revision(session=session, article=article, number=revision)
    existing = session.exec(
        select(HelpfulVote).where(HelpfulVote.revision_id == rev.id, HelpfulVote.voter == voter)
    ).first()
    vote = existing or HelpfulVote(
        revision_id=rev.id or 0, key=key, locale=locale, revision=revision, helpful=helpful, voter=voter
    )
    vote.helpful = helpful
    vote.at = utcnow()
    session.add(vote)
    session.flush()
    return vote


def tally(*, session: Session, key: ArticleKey, locale: Locale) -> list[VoteTally]:
    """Helpful and unhelpful counts per revision of an article, newest revision first."""
    rows = session.execute(
        sa.select(
            col(Revision.number),
            sa.func.sum(sa.case((col(HelpfulVote.helpful), 1), else_=0)),
            sa.func.sum(sa.case((col(HelpfulVote.helpful), 0), else_=1)),
        )
        .join(Revision, col(Revision.id) == col(HelpfulVote.revision_id))
        .join(Article, col(Article.id) == col(Revision.article_id))
        .where(col(Article.key) == key, col(Article.locale) == locale)
        .group_by(col(Revision.number))
        .order_by(col(Revision.number).desc())
    ).all()
    return [VoteTally(revision=int(n), helpful=int(h or 0), not_helpful=int(u or 0)) for n, h, u in rows]

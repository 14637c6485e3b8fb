""" "Was this helpful?" votes, each tied to the exact revision the reader saw.

A vote counts per revision, so editors can tell whether a rewrite helped. One browser
counts once per revision (its latest answer wins); `voter` is an opaque digest the
caller derives from an anonymous token, never a name or an address.

A "not helpful" vote may say why: one of `VoteReason`, and a short comment of the
reader's own, which is masked (`kb.pii.mask_personal`) before it is stored, like every
other piece of client text, and bounded to `COMMENT_MAX` characters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kb.errors import InvalidChange
from kb.models import Article, HelpfulVote, Revision, utcnow
from kb.pii import mask_personal
from kb.store import get_article, get_revision
from kb.types import ArticleKey, Locale

#: The longest comment a reader may leave with a "not helpful" vote (the column holds a little more).
COMMENT_MAX = 280


class VoteReason(StrEnum):
    """Why an article did not help: the reader picks one after "not helpful"."""

    INCOMPLETE = "incomplete"
    WRONG = "wrong"
    UNCLEAR = "unclear"
    BROKEN_LINK = "broken-link"
    OTHER = "other"


@dataclass(frozen=True)
class VoteTally:
    """Votes for one revision of an article; `reasons` counts the unhelpful ones that gave a reason."""

    revision: int
    helpful: int
    not_helpful: int
    reasons: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class VoteComment:
    """A reader's words with a "not helpful" vote, for the editors of the article."""

    revision: int
    reason: str
    comment: str
    at: dt.datetime


def parse_reason(value: str | None) -> VoteReason | None:
    """The reason named by a form or a caller; empty is none, anything unknown is an error."""
    if not value:
        return None
    try:
        return VoteReason(value)
    except ValueError:
        names = ", ".join(r.value for r in VoteReason)
        raise InvalidChange(f"unknown reason {value!r}; a reason is one of: {names}") from None


def record_vote(
    *,
    session: Session,
    key: ArticleKey,
    locale: Locale,
    revision: int,
    helpful: bool,
    voter: str,
    reason: VoteReason | str | None = None,
    comment: str | None = None,
) -> HelpfulVote:
    """Store (or change) this voter's answer for a published revision of an article.

    A helpful vote drops any earlier reason. A "not helpful" vote without a reason keeps the
    one this voter gave before (the reasons form comes after the first click); a comment
    without a reason counts as `other`.
    """
    if not voter or len(voter) > 64:
        raise InvalidChange("a vote needs a voter token of at most 64 characters")
    why = parse_reason(reason) if isinstance(reason, str) or reason is None else reason
    words = " ".join((comment or "").split())
    if len(words) > COMMENT_MAX:
        raise InvalidChange(f"a comment is at most {COMMENT_MAX} characters (this one has {len(words)})")
    if helpful and (why or words):
        raise InvalidChange("a reason goes with a 'not helpful' vote only")
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
    if helpful:
        vote.reason, vote.comment = None, None
    elif why or words:
        vote.reason = (why or VoteReason.OTHER).value
        vote.comment = mask_personal(words)[:300] or None
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
    reasons: dict[int, dict[str, int]] = {}
    for number, why, n in session.execute(
        sa.select(col(HelpfulVote.revision), col(HelpfulVote.reason), sa.func.count())
        .where(col(HelpfulVote.key) == key, col(HelpfulVote.locale) == locale)
        .where(col(HelpfulVote.helpful).is_(False), col(HelpfulVote.reason).is_not(None))
        .group_by(col(HelpfulVote.revision), col(HelpfulVote.reason))
    ):
        reasons.setdefault(int(number), {})[str(why)] = int(n)
    return [
        VoteTally(revision=int(n), helpful=int(h or 0), not_helpful=int(u or 0), reasons=_ordered(reasons.get(int(n))))
        for n, h, u in rows
    ]


def _ordered(counts: Mapping[str, int] | None) -> dict[str, int]:
    """Counts in `VoteReason` order, so every page lists the reasons alike."""
    counts = counts or {}
    return {r.value: counts[r.value] for r in VoteReason if counts.get(r.value)}


def recent_comments(*, session: Session, key: ArticleKey, locale: Locale, limit: int = 10) -> list[VoteComment]:
    """The latest comments readers left with "not helpful", newest first, for the article's editors."""
    rows = session.exec(
        select(HelpfulVote)
        .where(HelpfulVote.key == key, HelpfulVote.locale == locale)
        .where(col(HelpfulVote.comment).is_not(None), col(HelpfulVote.helpful).is_(False))
        .order_by(col(HelpfulVote.at).desc(), col(HelpfulVote.id).desc())
        .limit(limit)
    ).all()
    return [VoteComment(v.revision, v.reason or VoteReason.OTHER.value, v.comment or "", v.at) for v in rows]

"""A "not helpful" vote says why: a reason, a short comment masked like all client words, counted per reason."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

import kb
from kb.db import alembic_config
from tests.helpers import article

SOURCE = article(key="vote-why", title="Why vote", body="Dial the code.")


def _published(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        saved = kb.save_draft(session=session, source=SOURCE, base_revision=None, actor="t")
        kb.publish(session=session, article=saved.article, actor="t")


def _vote(engine: sa.Engine, voter: str, helpful: bool, **kw: object) -> kb.HelpfulVote:
    with kb.write_session(engine) as session:
        vote = kb.record_vote(
            session=session, key="vote-why", locale="en", revision=1, helpful=helpful, voter=voter, **kw
        )  # type: ignore[arg-type]
        session.expunge(vote)
        return vote


def _tally(engine: sa.Engine) -> list[kb.VoteTally]:
    with kb.read_session(engine) as session:
        return kb.tally(session=session, key="vote-why", locale="en")


def test_reasons_are_stored_with_the_vote_and_counted_per_reason(engine: sa.Engine) -> None:
    _published(engine)
    assert _vote(engine, "a", False).reason is None  # the first click: no reason yet
    vote = _vote(engine, "a", False, reason="unclear", comment="  call me on +380 67 123 45 67\nor mail z@example.org ")
    assert (vote.reason, vote.comment) == ("unclear", "call me on [phone] or mail [email]")
    assert _vote(engine, "a", False).reason == "unclear"  # a plain "no" again keeps the reason given
    _vote(engine, "b", False, reason=kb.VoteReason.BROKEN_LINK)
    _vote(engine, "c", False, reason="broken-link")
    _vote(engine, "d", False, comment="the page says 5 days, it took 9")  # words without a reason: other
    _vote(engine, "e", True)
    _vote(engine, "f", False)  # no reason given at all
    assert _tally(engine) == [
        kb.VoteTally(revision=1, helpful=1, not_helpful=5, reasons={"unclear": 1, "broken-link": 2, "other": 1})
    ]
    assert list(_tally(engine)[0].reasons) == ["unclear", "broken-link", "other"]  # the reasons' own order
    assert _vote(engine, "a", True).reason is None  # changed their mind: the reason goes with the "no"
    assert _tally(engine)[0].reasons == {"broken-link": 2, "other": 1}
    with kb.read_session(engine) as session:
        comments = kb.recent_comments(session=session, key="vote-why", locale="en")
        stored = [(v.voter, v.reason, v.comment) for v in session.exec(select(kb.HelpfulVote))]
    assert [(c.reason, c.comment) for c in comments] == [("other", "the page says 5 days, it took 9")]
    assert ("a", None, None) in stored
    assert "123 45 67" not in repr(stored) and "z@example.org" not in repr(stored)


def test_bad_reasons_and_comments_are_refused_and_change_nothing(engine: sa.Engine) -> None:
    _published(engine)
    _vote(engine, "a", False, reason="wrong", comment="old price")
    with pytest.raises(kb.InvalidChange, match="unknown reason 'boring'; a reason is one of: incomplete, wrong"):
        _vote(engine, "a", False, reason="boring")
    with pytest.raises(kb.InvalidChange, match=f"at most {kb.VOTE_COMMENT_MAX} characters"):
        _vote(engine, "a", False, reason="other", comment="x" * (kb.VOTE_COMMENT_MAX + 1))
    with pytest.raises(kb.InvalidChange, match="'not helpful' vote only"):
        _vote(engine, "a", True, reason="wrong")
    with kb.read_session(engine) as session:
        [vote] = session.exec(select(kb.HelpfulVote)).all()
    assert (vote.helpful, vote.reason, vote.comment) == (False, "wrong", "old price")
    long_but_fine = _vote(engine, "b", False, reason="other", comment=" ".join(["word"] * 56))  # 279 characters
    assert len(long_but_fine.comment or "") == 279


def test_the_migration_adds_and_removes_the_columns_and_the_gap_decisions(db_url: str) -> None:
    engine = kb.make_engine(db_url)
    try:
        config = alembic_config(engine)
        command.downgrade(config, "0011")
        assert {c["name"] for c in sa.inspect(engine).get_columns("helpful_votes")}.isdisjoint({"reason", "comment"})
        assert "content_gap_states" not in sa.inspect(engine).get_table_names()
        kb.upgrade(engine)
        assert {"reason", "comment"} <= {c["name"] for c in sa.inspect(engine).get_columns("helpful_votes")}
        assert "content_gap_states" in sa.inspect(engine).get_table_names()
    finally:
        kb.upgrade(engine)  # the PostgreSQL database is shared by the session's tests
        engine.dispose()

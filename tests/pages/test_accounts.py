"""People's accounts and readers' votes in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import kb

SOURCE = "---\nkey: vote-me\nlocale: en\ntitle: Vote me\n---\nBody.\n"


def test_passwords_are_argon2_and_checked(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        user = kb.create_user(
            session=session, username="Anna@Example.com", password="long-password-1", role="editor", actor="test"
        )
        assert user.username == "anna@example.com"
        assert user.password_hash.startswith("$argon2id$") and "long-password-1" not in user.password_hash
    with kb.write_session(engine) as session:
        assert kb.authenticate(session=session, username="anna@example.com", password="wrong-password") is None
        found = kb.authenticate(session=session, username="ANNA@example.com", password="long-password-1")
        assert found is not None and found.last_login_at is not None
        assert kb.authenticate(session=session, username="nobody", password="long-password-1") is None


def test_bad_accounts_are_refused(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        kb.create_user(session=session, username="bob", password="long-password-1", role="operator", actor="test")
    with pytest.raises(kb.Conflict), kb.write_session(engine) as session:
        kb.create_user(session=session, username="bob", password="long-password-2", role="operator", actor="test")
    with pytest.raises(kb.InvalidChange), kb.write_session(engine) as session:
        kb.create_user(session=session, username="carol", password="short", role="operator", actor="test")
    with pytest.raises(kb.InvalidChange), kb.write_session(engine) as session:
        kb.create_user(session=session, username="dave", password="long-password-1", role="pilot", actor="test")


def test_disabled_users_cannot_sign_in(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        kb.create_user(session=session, username="eve", password="long-password-1", role="editor", actor="test")
        kb.disable_user(session=session, username="eve", actor="test")
    with kb.write_session(engine) as session:
        assert kb.authenticate(session=session, username="eve", password="long-password-1") is None


def test_votes_count_once_per_voter_and_revision(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        saved = kb.save_draft(session=session, source=SOURCE, base_revision=None, actor="t")
        kb.publish(session=session, article=saved.article, actor="t")
    with kb.write_session(engine) as session:
        kb.record_vote(session=session, key="vote-me", locale="en", revision=1, helpful=True, voter="a")
        kb.record_vote(session=session, key="vote-me", locale="en", revision=1, helpful=False, voter="a")  # changed
        kb.record_vote(session=session, key="vote-me", locale="en", revision=1, helpful=True, voter="b")
    with kb.read_session(engine) as session:
        assert kb.tally(session=session, key="vote-me", locale="en") == [
            kb.VoteTally(revision=1, helpful=1, not_helpful=1)
        ]
    with pytest.raises(kb.RevisionNotFound), kb.write_session(engine) as session:
        kb.record_vote(session=session, key="vote-me", locale="en", revision=9, helpful=True, voter="c")

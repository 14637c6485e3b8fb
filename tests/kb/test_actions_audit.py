"""Every kb action writes its own audit row, in its own transaction, whoever calls it.

The rows are the ones the API wrote before the actions audited themselves (same action
names, targets, revisions and details), so /api/v1/audit reads the same; a refused
action (a stale revision) writes none, because the row lives and dies with the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

import kb
from tests.helpers import article

WHO = kb.Actor(name="ann", role="editor", client="203.0.113.7")


def _rows(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with kb.read_session(engine) as session:
        found = session.exec(select(kb.AuditEntry).order_by(col(kb.AuditEntry.id)))
        return [
            (e.actor, e.role, e.client, e.action, e.target, e.base_revision, e.new_revision, e.detail) for e in found
        ]


def _do(engine: sa.Engine, action: Callable[[Session], object]) -> list[tuple[Any, ...]]:
    """Run one action in its own transaction; the audit rows it added."""
    before = len(_rows(engine))
    with kb.write_session(engine) as session:
        action(session)
    return _rows(engine)[before:]


def _article(session: Session) -> kb.Article:
    return kb.get_article(session=session, key="check-balance", locale="en")


def _audit_rows_of_each_action(engine: sa.Engine) -> None:
    def row(action: str, target: str, base: int | None, new: int | None, **detail: Any) -> tuple[Any, ...]:
        return ("ann", "editor", "203.0.113.7", action, target, base, new, detail)

    first, second = article(body="First."), article(body="Second.")
    save = kb.save_draft
    assert _do(engine, lambda s: save(session=s, source=first, base_revision=None, actor=WHO)) == [
        row("article.save", "en/check-balance", None, 1, created=True)
    ]
    assert _do(engine, lambda s: save(session=s, source=second, base_revision=1, actor=WHO)) == [
        row("article.save", "en/check-balance", 1, 2, created=True)
    ]
    assert _do(engine, lambda s: kb.publish(session=s, article=_article(s), actor=WHO)) == [
        row("article.publish", "en/check-balance", None, 2)
    ]
    assert _do(engine, lambda s: kb.unpublish(session=s, article=_article(s), actor=WHO)) == [
        row("article.unpublish", "en/check-balance", 2, None)
    ]
    rollback = kb.rollback
    assert _do(
        engine, lambda s: rollback(session=s, article=_article(s), to_revision=1, base_revision=2, actor=WHO)
    ) == [row("article.rollback", "en/check-balance", None, 3, to=1)]
    fact = kb.set_fact
    assert _do(engine, lambda s: fact(session=s, key="fee", type="text", value="1", base_version=None, actor=WHO)) == [
        row("fact.set", "fee", None, 1)
    ]
    assert _do(engine, lambda s: kb.delete_fact(session=s, key="fee", base_version=1, actor=WHO)) == [
        row("fact.delete", "fee", 1, None)
    ]
    made: list[kb.SynonymSet] = []
    created = _do(engine, lambda s: made.append(kb.create_set(session=s, locale="en", terms=["a", "b"], actor=WHO)))
    set_id = made[0].id
    assert created == [row("synonyms.create", f"en/{set_id}", None, 1, terms=["a", "b"])]
    update = kb.update_set
    assert _do(
        engine, lambda s: update(session=s, set_id=set_id or 0, terms=["a", "c"], base_version=1, actor=WHO)
    ) == [row("synonyms.update", f"en/{set_id}", 1, 2, terms=["a", "c"])]
    assert _do(engine, lambda s: kb.delete_set(session=s, set_id=set_id or 0, base_version=2, actor=WHO)) == [
        row("synonyms.delete", f"en/{set_id}", 2, None)
    ]
    assert _do(engine, lambda s: kb.replace_locale(session=s, locale="en", sets=[["x", "y"]], actor=WHO)) == [
        row("synonyms.replace", "en", None, None, sets=1)
    ]


def test_each_action_writes_exactly_its_audit_row(engine: sa.Engine) -> None:
    _audit_rows_of_each_action(engine)


STALE: dict[str, Callable[[Session], object]] = {
    "save_draft": lambda s: kb.save_draft(session=s, source=article(body="Third."), base_revision=1, actor=WHO),
    "rollback": lambda s: kb.rollback(session=s, article=_article(s), to_revision=1, base_revision=1, actor=WHO),
    "set_fact": lambda s: kb.set_fact(session=s, key="fee", type="text", value="2", base_version=3, actor=WHO),
    "delete_fact": lambda s: kb.delete_fact(session=s, key="fee", base_version=3, actor=WHO),
    "update_set": lambda s: kb.update_set(session=s, set_id=1, terms=["p", "q"], base_version=3, actor=WHO),
    "delete_set": lambda s: kb.delete_set(session=s, set_id=1, base_version=3, actor=WHO),
}


@pytest.mark.parametrize("name", sorted(STALE))
def test_a_refused_action_writes_no_audit_row(engine: sa.Engine, name: str) -> None:
    with kb.write_session(engine) as session:
        kb.save_draft(session=session, source=article(body="First."), base_revision=None, actor="seed")
        kb.save_draft(session=session, source=article(body="Second."), base_revision=1, actor="seed")
        kb.set_fact(session=session, key="fee", type="text", value="1", base_version=None, actor="seed")
        kb.create_set(session=session, locale="en", terms=["p", "r"], actor="seed")
    before = _rows(engine)
    with pytest.raises(kb.RevisionConflict), kb.write_session(engine) as session:
        STALE[name](session)
    assert _rows(engine) == before


def test_the_row_is_rolled_back_with_the_change(engine: sa.Engine) -> None:
    """The row is in the action's transaction: when the caller's transaction fails, both go."""
    with pytest.raises(RuntimeError), kb.write_session(engine) as session:
        kb.save_draft(session=session, source=article(), base_revision=None, actor=WHO)
        assert [e.action for e in session.exec(select(kb.AuditEntry))] == ["article.save"]
        raise RuntimeError("the caller fails after the action")
    assert _rows(engine) == []
    with kb.read_session(engine) as session:
        assert kb.find_article(session=session, key="check-balance", locale="en") is None


def test_key_and_user_changes_write_exactly_their_audit_row(engine: sa.Engine) -> None:
    """Keys and accounts are kb actions too; no row holds a key's secret or a password."""

    def row(action: str, target: str, **detail: Any) -> tuple[Any, ...]:
        return ("ann", "editor", "203.0.113.7", action, target, None, None, detail)

    made: list[tuple[kb.ApiKey, str]] = []
    created = _do(engine, lambda s: made.append(kb.create_key(session=s, name=" bot ", role="bot", actor=WHO)))
    key, secret = made[0]
    assert created == [row("key.create", f"key {key.id}", name="bot", granted="bot")]
    revoke = kb.revoke_key
    assert _do(engine, lambda s: revoke(session=s, key_id=key.id or 0, actor=WHO)) == [
        row("key.revoke", f"key {key.id}", name="bot")
    ]
    password, new_password = "first-password-1", "second-password-2"
    create = kb.create_user
    assert _do(engine, lambda s: create(session=s, username="Bob", password=password, role="operator", actor=WHO)) == [
        row("user.create", "bob", granted="operator")
    ]
    logins: list[kb.User | None] = []
    signed_in = _do(
        engine,
        lambda s: logins.append(kb.authenticate(session=s, username="bob", password=password, client="198.51.100.2")),
    )
    assert logins[0] is not None
    assert signed_in == [("bob", "operator", "198.51.100.2", "user.login", "bob", None, None, {})]
    assert _do(engine, lambda s: kb.authenticate(session=s, username="bob", password="wrong-password")) == []
    new = kb.set_password
    assert _do(engine, lambda s: new(session=s, username="bob", password=new_password, actor=WHO)) == [
        row("user.password", "bob", sessions_ended=0)
    ]
    assert _do(engine, lambda s: kb.disable_user(session=s, username="bob", actor=WHO)) == [
        row("user.disable", "bob", sessions_ended=0)
    ]
    everything = repr(_rows(engine))
    assert secret not in everything and secret[12:] not in everything
    assert password not in everything and new_password not in everything


def test_refused_key_and_user_changes_write_no_audit_row(engine: sa.Engine) -> None:
    refused: list[Callable[[Session], object]] = [
        lambda s: kb.create_key(session=s, name=" ", role="bot", actor=WHO),
        lambda s: kb.create_key(session=s, name="x", role="pilot", actor=WHO),
        lambda s: kb.revoke_key(session=s, key_id=999, actor=WHO),
        lambda s: kb.create_user(session=s, username="carol", password="short", role="editor", actor=WHO),
        lambda s: kb.set_password(session=s, username="nobody", password="long-enough-1", actor=WHO),
        lambda s: kb.disable_user(session=s, username="nobody", actor=WHO),
    ]
    for action in refused:
        with pytest.raises(kb.IstokError), kb.write_session(engine) as session:
            action(session)
    assert _rows(engine) == []


def test_publish_all_audits_each_article_it_publishes(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        for key in ("a-one", "b-two", "c-three"):
            kb.save_draft(session=session, source=article(key=key), base_revision=None, actor="seed")
        kb.publish(session=session, article=kb.get_article(session=session, key="b-two", locale="en"), actor="seed")
        kb.save_draft(session=session, source=article(key="b-two", body="Newer."), base_revision=1, actor="seed")
        kb.save_draft(session=session, source=article(key="a-one", locale="ru"), base_revision=None, actor="seed")
    rows = _do(engine, lambda s: kb.publish_all(session=s, actor=WHO, locale="en"))
    assert sorted(rows, key=lambda r: r[4]) == [
        ("ann", "editor", "203.0.113.7", "article.publish", "en/a-one", None, 1, {}),
        ("ann", "editor", "203.0.113.7", "article.publish", "en/b-two", 1, 2, {}),
        ("ann", "editor", "203.0.113.7", "article.publish", "en/c-three", None, 1, {}),
    ]
    assert _do(engine, lambda s: kb.publish_all(session=s, actor=WHO, locale="en")) == []  # nothing left to publish


def test_an_import_audits_every_change_as_its_actor(engine: sa.Engine, tmp_path: Any) -> None:
    (tmp_path / "one.md").write_text(article(key="one", status="published"), encoding="utf-8")
    (tmp_path / "two.md").write_text(article(key="two"), encoding="utf-8")
    (tmp_path / "facts.yaml").write_text("fee:\n  type: text\n  value: '1'\n", encoding="utf-8")
    kb.import_paths([tmp_path], engine=engine, publish=True)
    by_default = {(r[0], r[1], r[3], r[4]) for r in _rows(engine)}
    assert by_default == {
        ("import", "system", "fact.set", "fee"),
        ("import", "system", "article.save", "en/one"),
        ("import", "system", "article.save", "en/two"),
        ("import", "system", "article.publish", "en/one"),
    }
    (tmp_path / "two.md").write_text(article(key="two", body="Changed.", status="published"), encoding="utf-8")
    before = len(_rows(engine))
    kb.import_paths([tmp_path], engine=engine, publish=True, actor=WHO)
    again = [(r[0], r[3], r[4], r[5], r[6]) for r in _rows(engine)[before:]]
    assert sorted(again) == [("ann", "article.publish", "en/two", None, 2), ("ann", "article.save", "en/two", 1, 2)]

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

"""The event outbox: one event per kb action, in the action's transaction, numbered in commit order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

import kb
from tests.helpers import article

WHO = kb.Actor(name="ann", role="editor", client="203.0.113.7")


def _events(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with kb.read_session(engine) as session:
        return [
            (e.actor, e.role, e.action, e.target, e.base_revision, e.new_revision, e.detail)
            for e in kb.events_after(session, limit=1000)
        ]


def _audit(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with kb.read_session(engine) as session:
        found = session.exec(select(kb.AuditEntry).order_by(col(kb.AuditEntry.id)))
        return [(e.actor, e.role, e.action, e.target, e.base_revision, e.new_revision, e.detail) for e in found]


def _article(session: Session) -> kb.Article:
    return kb.get_article(session=session, key="check-balance", locale="en")


def _every_action(engine: sa.Engine) -> None:
    steps = [
        lambda s: kb.save_draft(session=s, source=article(body="First."), base_revision=None, actor=WHO),
        lambda s: kb.save_draft(session=s, source=article(body="Second."), base_revision=1, actor=WHO),
        lambda s: kb.publish(session=s, article=_article(s), actor=WHO),
        lambda s: kb.unpublish(session=s, article=_article(s), actor=WHO),
        lambda s: kb.rollback(session=s, article=_article(s), to_revision=1, base_revision=2, actor=WHO),
        lambda s: kb.set_fact(session=s, key="fee", type="text", value="1", base_version=None, actor=WHO),
        lambda s: kb.delete_fact(session=s, key="fee", base_version=1, actor=WHO),
        lambda s: kb.create_set(session=s, locale="en", terms=["a", "b"], actor=WHO),
        lambda s: kb.replace_locale(session=s, locale="uk", sets=[["c", "d"]], actor=WHO),
    ]
    for step in steps:
        before = len(_events(engine))
        with kb.write_session(engine) as session:
            step(session)
        assert len(_events(engine)) == before + 1


def test_every_action_appends_one_event_holding_what_its_audit_row_holds(engine: sa.Engine) -> None:
    _every_action(engine)
    events = _events(engine)
    assert [e[2] for e in events] == [
        "article.save",
        "article.save",
        "article.publish",
        "article.unpublish",
        "article.rollback",
        "fact.set",
        "fact.delete",
        "synonyms.create",
        "synonyms.replace",
    ]
    assert events == _audit(engine)  # the same facts, without the client's address
    with kb.read_session(engine) as session:
        rows = kb.events_after(session, limit=1000)
    assert [r.id for r in rows] == sorted(r.id or 0 for r in rows)
    assert all(r.at.tzinfo is not None for r in rows)
    assert not hasattr(rows[0], "client")


def test_a_refused_action_appends_nothing(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        kb.save_draft(session=session, source=article(), base_revision=None, actor=WHO)
    with pytest.raises(kb.RevisionConflict), kb.write_session(engine) as session:
        kb.save_draft(session=session, source=article(body="Stale."), base_revision=7, actor=WHO)
    assert [e[2] for e in _events(engine)] == ["article.save"]


def test_an_action_rolled_back_with_its_transaction_appends_nothing(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), kb.write_session(engine) as session:
        kb.create_set(session=session, locale="en", terms=["a", "b"], actor=WHO)
        raise RuntimeError("something later in the same transaction failed")
    assert _events(engine) == []
    with kb.write_session(engine) as session:  # the same session class, a new transaction: nothing left over
        kb.create_set(session=session, locale="en", terms=["c", "d"], actor=WHO)
    assert [e[6] for e in _events(engine)] == [{"terms": ["c", "d"]}]


def test_a_rolled_back_savepoint_drops_only_its_own_events(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        kb.create_set(session=session, locale="en", terms=["kept", "one"], actor=WHO)
        savepoint = session.begin_nested()
        kb.create_set(session=session, locale="en", terms=["dropped", "two"], actor=WHO)
        savepoint.rollback()
        with session.begin_nested():
            kb.create_set(session=session, locale="en", terms=["kept", "three"], actor=WHO)
    assert [e[6]["terms"] for e in _events(engine)] == [["kept", "one"], ["kept", "three"]]


def test_events_after_pages_oldest_first(engine: sa.Engine) -> None:
    for n in range(5):
        with kb.write_session(engine) as session:
            kb.create_set(session=session, locale="en", terms=[f"w{n}", "x"], actor=WHO)
    seen: list[str] = []
    after = 0
    with kb.read_session(engine) as session:
        while page := kb.events_after(session, after_id=after, limit=2):
            assert len(page) <= 2
            seen += [e.detail["terms"][0] for e in page]
            after = page[-1].id or 0
    assert seen == ["w0", "w1", "w2", "w3", "w4"]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # SQLite's writers cannot interleave
def test_events_are_numbered_in_commit_order(engine: sa.Engine) -> None:
    """A reader paging by id must never step past an event that commits later with a lower id."""
    with kb.write_session(engine) as first:
        kb.create_set(session=first, locale="en", terms=["first", "begun"], actor=WHO)
        with kb.write_session(engine) as second:
            kb.create_set(session=second, locale="en", terms=["second", "begun"], actor=WHO)
        with kb.read_session(engine) as reader:
            assert [e.detail["terms"][0] for e in kb.events_after(reader)] == ["second"]
    with kb.read_session(engine) as reader:
        events = kb.events_after(reader)
    assert [e.detail["terms"][0] for e in events] == ["second", "first"]
    assert (events[0].id or 0) < (events[1].id or 0)


def test_event_ids_are_never_reused(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        kb.create_set(session=session, locale="en", terms=["a", "b"], actor=WHO)
    with kb.write_session(engine) as session:
        [old] = kb.events_after(session)
        pruned = sa.delete(kb.OutboxEvent).where(col(kb.OutboxEvent.at) < kb.utcnow() + dt.timedelta(seconds=1))
        session.execute(pruned)
    with kb.write_session(engine) as session:
        kb.create_set(session=session, locale="en", terms=["c", "d"], actor=WHO)
    with kb.read_session(engine) as session:
        [new] = kb.events_after(session)
    assert (new.id or 0) > (old.id or 0)

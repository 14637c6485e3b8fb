"""Fact changes under the `facts` workflow: a proposal is not live until approved by someone other
than its proposer and applied; changes requested withdraw it; a fact that moved meanwhile refuses the
apply; the emergency path is audited; a rollback goes to approved text only, unless an emergency.
SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

import kb
from tests.helpers import article

ANN = kb.Actor(name="ann", role="editor")  # proposes
BOB = kb.Actor(name="bob", role="editor")  # reviews
OLGA = kb.Actor(name="olga", role="operator")  # neither reviewer nor direct publisher
ROOT = kb.Actor(name="root", role="admin")

RULES = """\
facts:
  approvals: 1
  reviewers: [editor]
  direct_publish: [admin]
billing:
  approvals: 1
  reviewers: [editor]
  direct_publish: [admin]
"""


@pytest.fixture(autouse=True)
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "workflows.yaml"
    path.write_text(RULES, encoding="utf-8")
    monkeypatch.setenv("ISTOK_WORKFLOWS", str(path))
    return path


def _seed(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        kb.set_fact(session=session, key="fee", type="money", value="5.00 EUR", base_version=None, actor="importer")


def _value(engine: sa.Engine) -> tuple[str, int]:
    with kb.read_session(engine) as session:
        fact = kb.get_fact(session=session, key="fee")
        return fact.value, fact.version


def _propose(engine: sa.Engine, value: str = "6.00 EUR", base: int = 1) -> int:
    with kb.write_session(engine) as session:
        change = kb.change_fact(session=session, key="fee", type="money", value=value, base_version=base, actor=ANN)
        assert change.fact is None and change.review is not None
        return change.review.proposal.id or 0


def _actions(engine: sa.Engine) -> list[kb.AuditEntry]:
    with kb.read_session(engine) as session:
        return list(session.exec(select(kb.AuditEntry).order_by(col(kb.AuditEntry.id))))


def test_proposal_is_not_live_until_approved_and_applied(engine: sa.Engine) -> None:
    _seed(engine)
    pid = _propose(engine)
    assert _value(engine) == ("5.00 EUR", 1)
    with kb.write_session(engine) as session, pytest.raises(kb.IstokError, match="needs 1 approval"):
        kb.apply_proposal(session, pid, actor=ANN)
    with kb.write_session(engine) as session:
        review = kb.approve_proposal(session, pid, actor=BOB, comment="matches the tariff")
        assert review.approved_by == ("bob",) and review.ready
    assert _value(engine) == ("5.00 EUR", 1)
    with kb.write_session(engine) as session:
        review = kb.apply_proposal(session, pid, actor=ANN)
        assert review.proposal.state == kb.ProposalState.APPLIED and review.proposal.applied_version == 2
    assert _value(engine) == ("6.00 EUR", 2)
    with kb.read_session(engine) as session:
        assert [v.value for v in kb.fact_history(session=session, key="fee")] == ["5.00 EUR", "6.00 EUR"]
        assert kb.fact_proposals(session) == []
    actions = [(a.action, a.actor) for a in _actions(engine) if a.target == "fee"]
    assert actions[-4:] == [
        ("fact_review.submitted", "ann"),
        ("fact_review.approved", "bob"),
        ("fact.set", "ann"),
        ("fact_review.applied", "ann"),
    ]
    fact_set = [a for a in _actions(engine) if a.action == "fact.set"][-1]
    assert fact_set.detail["approved_by"] == ["bob"] and fact_set.detail["proposed_by"] == "ann"
    with kb.read_session(engine) as session:
        outbox = session.exec(select(kb.OutboxEvent.action).order_by(col(kb.OutboxEvent.id))).all()
    assert "fact_review.approved" in outbox and outbox[-2:] == ["fact.set", "fact_review.applied"]


def test_proposer_cannot_approve_and_non_reviewer_cannot_either(engine: sa.Engine) -> None:
    _seed(engine)
    pid = _propose(engine)
    with kb.write_session(engine) as session, pytest.raises(kb.NotAllowed, match="someone else must approve"):
        kb.approve_proposal(session, pid, actor=ANN)
    with kb.write_session(engine) as session, pytest.raises(kb.NotAllowed, match="not a reviewer"):
        kb.approve_proposal(session, pid, actor=OLGA)
    with kb.read_session(engine) as session:
        assert kb.review_of_proposal(session, pid).approved_by == ()


def test_changes_requested_withdraws_the_proposal(engine: sa.Engine) -> None:
    _seed(engine)
    pid = _propose(engine)
    with kb.write_session(engine) as session:
        with pytest.raises(kb.InvalidChange, match="comment is required"):
            kb.request_fact_changes(session, pid, actor=BOB, comment=" ")
        review = kb.request_fact_changes(session, pid, actor=BOB, comment="The fee is 5.50")
        assert review.proposal.state == kb.ProposalState.CHANGES_REQUESTED
    for act in (kb.approve_proposal, kb.apply_proposal):
        with kb.write_session(engine) as session, pytest.raises(kb.Conflict, match="changes_requested"):
            act(session, pid, actor=BOB)
    assert _value(engine) == ("5.00 EUR", 1)


def test_apply_refused_when_the_fact_moved_meanwhile(engine: sa.Engine) -> None:
    _seed(engine)
    pid = _propose(engine)
    with kb.write_session(engine) as session:
        kb.approve_proposal(session, pid, actor=BOB)
        kb.change_fact(
            session=session, key="fee", type="money", value="7.00 EUR", base_version=1, actor=ROOT, emergency=True
        )
    with kb.write_session(engine) as session, pytest.raises(kb.Conflict, match="changed since proposal"):
        kb.apply_proposal(session, pid, actor=ANN)
    assert _value(engine) == ("7.00 EUR", 2)
    with kb.read_session(engine) as session:
        assert kb.review_of_proposal(session, pid).proposal.state == kb.ProposalState.PENDING


def test_emergency_path_is_audited_and_only_for_direct_publishers(engine: sa.Engine) -> None:
    _seed(engine)
    with kb.write_session(engine) as session, pytest.raises(kb.NotAllowed, match="without review"):
        kb.change_fact(
            session=session, key="fee", type="money", value="8.00 EUR", base_version=1, actor=ANN, emergency=True
        )
    with kb.write_session(engine) as session:
        change = kb.change_fact(
            session=session, key="fee", type="money", value="8.00 EUR", base_version=1, actor=ROOT, emergency=True
        )
        assert change.fact is not None and change.fact.version == 2
    last = _actions(engine)[-1]
    assert (last.action, last.actor, last.detail.get("emergency")) == ("fact.set", "root", True)


def test_delete_is_proposed_too(engine: sa.Engine) -> None:
    _seed(engine)
    with kb.write_session(engine) as session:
        review = kb.remove_fact(session=session, key="fee", base_version=1, actor=ANN)
        assert review is not None and review.proposal.action == "delete"
        kb.approve_proposal(session, review.proposal.id or 0, actor=BOB)
    assert _value(engine) == ("5.00 EUR", 1)
    with kb.write_session(engine) as session:
        kb.apply_proposal(session, review.proposal.id or 0, actor=BOB)
    with kb.read_session(engine) as session:
        assert kb.find_fact(session=session, key="fee") is None


def _article(session: sa.orm.Session) -> kb.Article:
    return kb.get_article(session=session, key="check-balance", locale="en")  # type: ignore[arg-type]


def _save(engine: sa.Engine, body: str) -> int:
    with kb.write_session(engine) as session:
        found = kb.find_article(session=session, key="check-balance", locale="en")
        base = found.draft_revision if found is not None else None
        src = article(body=body, category="billing")
        return kb.save_draft(session=session, source=src, base_revision=base, actor=ANN).revision.number


def _approve_and_publish(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        kb.submit_review(session, _article(session), actor=ANN)
        kb.approve(session, _article(session), actor=BOB)
        kb.publish(session=session, article=_article(session), actor=BOB)


def _rollback(engine: sa.Engine, to: int, actor: kb.Actor, *, emergency: bool = False) -> None:
    with kb.write_session(engine) as session:
        a = _article(session)
        kb.rollback(
            session=session, article=a, to_revision=to, base_revision=a.draft_revision, actor=actor, emergency=emergency
        )


def test_rollback_to_approved_content_is_allowed(engine: sa.Engine) -> None:
    first = _save(engine, "Dial *100#.")
    _approve_and_publish(engine)
    _save(engine, "Dial *101#.")
    _approve_and_publish(engine)
    _rollback(engine, first, BOB)
    with kb.read_session(engine) as session:
        a = _article(session)
        live = kb.get_revision(session=session, article=a, number=a.published_revision or 0)
        assert "*100#" in live.source
    last = [a for a in _actions(engine) if a.action == "article.rollback"][-1]
    assert last.detail["approved_by"] == ["bob"]


def test_rollback_to_never_approved_content_needs_the_emergency_path(engine: sa.Engine) -> None:
    first = _save(engine, "Dial *100#.")
    with kb.write_session(engine) as session:  # live before the workflow asked anything: no approval
        kb.publish(session=session, article=_article(session), actor="importer")
    _save(engine, "Dial *101#.")
    _approve_and_publish(engine)
    with pytest.raises(kb.ReviewRequired, match="needs 1 approval"):
        _rollback(engine, first, BOB)
    with pytest.raises(kb.NotAllowed):
        _rollback(engine, first, BOB, emergency=True)
    _rollback(engine, first, ROOT, emergency=True)
    last = [a for a in _actions(engine) if a.action == "article.rollback"][-1]
    assert last.detail["emergency"] is True


def test_review_steps_reach_webhook_receivers_without_staff_words_in_public(engine: sa.Engine) -> None:
    from kb.webhooks.payloads import build_body  # as tests/kb/test_webhooks.py reads bodies

    _seed(engine)
    pid = _propose(engine)
    with kb.write_session(engine) as session:
        kb.request_fact_changes(session, pid, actor=BOB, comment="the fee is secret")
    with kb.read_session(engine) as session:
        events = session.exec(select(kb.OutboxEvent).where(col(kb.OutboxEvent.action).startswith("fact_review."))).all()
        bodies = [build_body(session, e, public=True) for e in events]
        staff = [build_body(session, e, public=False) for e in events]
    assert [b.type for b in bodies if b] == ["fact.review.submitted", "fact.review.changes_requested"]
    assert all("the fee is secret" not in b.text for b in bodies if b)
    assert any(b is not None and "the fee is secret" in b.text for b in staff)

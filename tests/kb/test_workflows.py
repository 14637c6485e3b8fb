"""Review and approval: a billing draft goes live only with an approval of its exact text by someone
other than its author, or through the audited emergency path; every step is audited and queued as an
event; a scheduled publish of an unapproved revision fails saying why. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

import kb
from tests.helpers import article

ANN = kb.Actor(name="ann", role="editor")  # the author
BOB = kb.Actor(name="bob", role="editor")  # a reviewer
OLGA = kb.Actor(name="olga", role="operator")  # neither reviewer nor direct publisher
ROOT_ADMIN = kb.Actor(name="root", role="admin")

RULES = """\
default:
  approvals: 0
billing:
  approvals: 1
  reviewers: [editor]
  direct_publish: [admin, user:ann]
"""


@pytest.fixture(autouse=True)
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "workflows.yaml"
    path.write_text(RULES, encoding="utf-8")
    monkeypatch.setenv("ISTOK_WORKFLOWS", str(path))
    return path


def _save(engine: sa.Engine, body: str, *, base: int | None, category: str = "billing") -> int:
    with kb.write_session(engine) as session:
        saved = kb.save_draft(
            session=session, source=article(body=body, category=category), base_revision=base, actor=ANN
        )
        return saved.revision.number


def _article(session: Session) -> kb.Article:
    return kb.get_article(session=session, key="check-balance", locale="en")  # type: ignore[arg-type]


def _publish(engine: sa.Engine, actor: kb.Actor, *, emergency: bool = False) -> int | None:
    with kb.write_session(engine) as session:
        a = _article(session)
        kb.publish(session=session, article=a, actor=actor, emergency=emergency)
        return a.published_revision


def _actions(engine: sa.Engine, prefix: str) -> list[kb.AuditEntry]:
    with kb.read_session(engine) as session:
        rows = session.exec(
            select(kb.AuditEntry).where(col(kb.AuditEntry.action).startswith(prefix)).order_by(col(kb.AuditEntry.id))
        )
        return list(rows)


def test_submit_request_changes_edit_approve_publish(engine: sa.Engine) -> None:
    first = _save(engine, "Dial *100#.", base=None)
    with pytest.raises(kb.ReviewRequired, match="needs 1 approval"):
        _publish(engine, BOB)
    with kb.write_session(engine) as session:
        review = kb.submit_review(session, _article(session), actor=ANN)
        assert review.state is kb.ReviewState.PENDING
        with pytest.raises(kb.InvalidChange, match="comment is required"):
            kb.request_changes(session, _article(session), actor=BOB, comment="  ")
        review = kb.request_changes(session, _article(session), actor=BOB, comment="Say the code is free.")
        assert review.state is kb.ReviewState.CHANGES_REQUESTED
    with kb.read_session(engine) as session:
        assert [p.revision for p in kb.pending_reviews(session)] == []
    second = _save(engine, "Dial *100#, free of charge.", base=first)
    with kb.write_session(engine) as session:
        assert kb.review_of(session, _article(session)).state is kb.ReviewState.NONE  # a new text starts again
        kb.submit_review(session, _article(session), actor=ANN, comment="Done")
    with kb.read_session(engine) as session:
        assert [(r.revision, r.state) for r in kb.pending_reviews(session, reviewer=BOB)] == [
            (second, kb.ReviewState.PENDING)
        ]
        assert kb.pending_reviews(session, reviewer=ANN) == []  # not her own
        assert kb.pending_reviews(session, reviewer=OLGA) == []  # not a reviewer
    with kb.write_session(engine) as session:
        with pytest.raises(kb.NotAllowed, match="someone else"):
            kb.approve(session, _article(session), actor=ANN)
        with pytest.raises(kb.NotAllowed, match="not a reviewer"):
            kb.approve(session, _article(session), actor=OLGA)
    with kb.write_session(engine) as session:
        review = kb.approve(session, _article(session), actor=BOB, comment="Good")
        assert review.state is kb.ReviewState.APPROVED and review.approved_by == ("bob",)
        assert [s.kind for s in review.steps] == ["submitted", "approved"]
    assert _publish(engine, OLGA) == second
    actions = [(e.action, e.actor, e.new_revision) for e in _actions(engine, "review.")]
    assert actions == [
        ("review.submit", "ann", first),
        ("review.request_changes", "bob", first),
        ("review.submit", "ann", second),
        ("review.approve", "bob", second),
    ]
    published = _actions(engine, "article.publish")[-1]
    assert published.detail == {"approved_by": ["bob"]}
    with kb.read_session(engine) as session:
        events = [e.action for e in kb.events_after(session, limit=100)]
    assert events.count("review.submit") == 2 and "review.approve" in events and "review.request_changes" in events


def test_an_approval_covers_one_text(engine: sa.Engine) -> None:
    first = _save(engine, "Dial *100#.", base=None)
    with kb.write_session(engine) as session:
        kb.submit_review(session, _article(session), actor=ANN)
        kb.approve(session, _article(session), actor=BOB)
    _save(engine, "Dial *100# and wait.", base=first)
    with pytest.raises(kb.ReviewRequired, match=r"has 0 \(none\)"):
        _publish(engine, BOB)
    with kb.write_session(engine) as session:  # the approved revision itself may still go live
        a = _article(session)
        kb.publish(session=session, article=a, revision=first, actor=BOB)
        assert a.published_revision == first


def test_changes_requested_after_an_approval_withdraws_it_and_comments_stay_per_revision(engine: sa.Engine) -> None:
    first = _save(engine, "Dial *100#.", base=None)
    rosa = kb.Actor(name="rosa", role="editor")
    with kb.write_session(engine) as session:
        kb.submit_review(session, _article(session), actor=ANN)
        kb.approve(session, _article(session), actor=BOB)
        with pytest.raises(kb.Conflict, match="already approved"):
            kb.submit_review(session, _article(session), actor=ANN)
        review = kb.request_changes(session, _article(session), actor=rosa, comment="The code changed last week")
        assert (review.state, review.approved_by, review.ready) == (kb.ReviewState.CHANGES_REQUESTED, (), False)
        kb.add_comment(session, _article(session), actor=ANN, comment="Which code?")
    with pytest.raises(kb.ReviewRequired, match="changes_requested"):
        _publish(engine, BOB)
    _save(engine, "Dial *101#.", base=first)
    with kb.read_session(engine) as session:
        old = kb.review_of(session, _article(session), first)
        new = kb.review_of(session, _article(session))
    assert [(s.kind, s.actor) for s in old.steps] == [
        ("submitted", "ann"),
        ("approved", "bob"),
        ("changes_requested", "rosa"),
        ("comment", "ann"),
    ]
    assert new.steps == () and new.state is kb.ReviewState.NONE


def test_emergency_publish_is_for_those_allowed_and_audited(engine: sa.Engine) -> None:
    number = _save(engine, "Dial *100#.", base=None)
    with pytest.raises(kb.NotAllowed, match="without review"):
        _publish(engine, BOB, emergency=True)
    with pytest.raises(kb.ReviewRequired, match="emergency"):
        _publish(engine, ANN)  # she may, but must say so
    assert _publish(engine, ANN, emergency=True) == number
    assert _actions(engine, "article.publish")[-1].detail == {"emergency": True}


def test_other_categories_and_internal_callers_publish_as_before(engine: sa.Engine) -> None:
    number = _save(engine, "Dial *100#.", base=None, category="sim")
    assert _publish(engine, OLGA) == number
    assert _actions(engine, "article.publish")[-1].detail == {}
    with kb.write_session(engine) as session:
        kb.save_draft(
            session=session, source=article(key="autopay", category="billing"), base_revision=None, actor="import"
        )
        assert (
            kb.publish_many(
                session=session, articles=[kb.get_article(session=session, key="autopay", locale="en")], actor="import"
            )
            == 1
        )


def test_bulk_publish_is_direct_publish(engine: sa.Engine) -> None:
    _save(engine, "Dial *100#.", base=None)
    with kb.write_session(engine) as session, pytest.raises(kb.NotAllowed):
        kb.publish_many(session=session, articles=[_article(session)], actor=BOB)
    cli = kb.Actor(name="cli:ops", role="admin")
    with kb.write_session(engine) as session:
        assert kb.publish_many(session=session, articles=[_article(session)], actor=cli) == 1
    assert _actions(engine, "article.publish")[-1].detail == {"emergency": True}


def test_a_scheduled_publish_of_an_unapproved_revision_fails_saying_why(engine: sa.Engine) -> None:
    number = _save(engine, "Dial *100#.", base=None)
    due = kb.utcnow() + dt.timedelta(seconds=0.5)
    with kb.write_session(engine) as session:
        made = kb.schedule_publish(session=session, article=_article(session), revision=number, at=due, actor=BOB)
        schedule_id = made.id or 0
    time.sleep(max(0.0, (due - kb.utcnow()).total_seconds()) + 0.05)
    kb.run_due_jobs(engine, worker="test")
    with kb.read_session(engine) as session:
        schedule = kb.get_schedule(session=session, schedule_id=schedule_id)
        assert _article(session).published_revision is None
    assert schedule.state == "failed"
    assert "needs 1 approval" in schedule.outcome


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("billing:\n  approvals: many\n", 2, "whole number"),
        ("billing:\n  approvals: 1\n  reviewers: [editor, chief]\n", 3, "neither a role"),
        ("default:\n  approvals: 0\nbilling:\n  aprovals: 1\n", 4, "unknown field 'aprovals'"),
        ("billing: [1, 2]\n", 1, "expected approvals"),
        ("billing:\n  approvals: 1\n  reviewers: [editor\n", 4, "expected"),
    ],
)
def test_a_broken_file_names_its_file_and_line(
    rules: Path, engine: sa.Engine, text: str, line: int, message: str
) -> None:
    rules.write_text(text, encoding="utf-8")
    _save(engine, "Dial *100#.", base=None)
    with pytest.raises(kb.ContentError) as caught:
        _publish(engine, BOB)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line) == (str(rules), line)
    assert message in problem.message


def test_the_sample_rules_parse() -> None:
    sample = Path(__file__).resolve().parents[2] / "content" / "workflows.yaml"
    rules = kb.workflows.parse_rules(sample.read_text(encoding="utf-8"), str(sample))
    assert rules["billing"].approvals == 1 and rules["default"].approvals == 0
    assert rules["billing"].may_review(BOB) and not rules["billing"].may_review(OLGA)

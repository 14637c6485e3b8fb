"""Article verification: the rules file, the owners' queue and the one-step "still true" action.

Times are controlled by `now=` (and, for "first went live long ago", by moving the publication
log's time back), never by sleeping. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

import kb
from kb.models import LogEntry
from tests.helpers import article, save

ANN = kb.Actor(name="ann", role="editor")
RULES = kb.VerificationRules(default=dt.timedelta(days=180), categories=(("billing", dt.timedelta(days=90)),))
DAY = dt.timedelta(days=1)


def _live(engine: sa.Engine, key: str = "fees", **front: str) -> None:
    front = {"category": "billing", "owner": "billing-team", **front}
    save(engine, article(key=key, title=f"About {key}", **front))
    with kb.write_session(engine) as session:
        kb.publish(session=session, article=kb.get_article(session=session, key=key, locale="en"), actor="setup")


def _went_live(engine: sa.Engine, key: str, at: dt.datetime) -> None:
    """Move the article's publication entries back to `at`, as if it went live then."""
    with kb.write_session(engine) as session:
        a = kb.get_article(session=session, key=key, locale="en")
        session.execute(sa.update(LogEntry).where(col(LogEntry.article_id) == a.id).values(at=at))


def _due(engine: sa.Engine, now: dt.datetime, **kw: str) -> dict[str, kb.DueArticle]:
    with kb.read_session(engine) as session:
        return {d.article.key: d for d in kb.due_for_verification(session, now=now, rules=RULES, **kw)}


def _verify(engine: sa.Engine, key: str, at: dt.datetime, note: str = "") -> kb.ArticleVerification:
    with kb.write_session(engine) as session:
        a = kb.get_article(session=session, key=key, locale="en")
        made = kb.verify_article(session, a, ANN, note, now=at)
        session.expunge(made)
        return made


def _first_publication(engine: sa.Engine, key: str) -> dt.datetime:
    with kb.read_session(engine) as session:
        a = kb.get_article(session=session, key=key, locale="en")
        return min(e.at for e in session.exec(select(LogEntry).where(LogEntry.article_id == a.id)))


def test_never_verified_is_due_once_the_interval_has_passed_since_it_went_live(engine: sa.Engine) -> None:
    _live(engine, "fees")
    _live(engine, "sim-swap", category="sim", owner="sim-team")
    start = _first_publication(engine, "fees")
    assert _due(engine, start + 89 * DAY) == {}
    due = _due(engine, start + 90 * DAY)
    assert list(due) == ["fees"]
    (reason,) = due["fees"].reasons
    assert reason.kind is kb.DueReason.INTERVAL
    assert reason.since == start + 90 * DAY
    assert "never verified" in reason.detail and "90 days" in reason.detail
    assert due["fees"].last_verification is None
    # The category without its own rule follows `default` (180 days).
    assert set(_due(engine, _first_publication(engine, "sim-swap") + 180 * DAY)) == {"fees", "sim-swap"}


def test_verifying_records_who_when_and_what_without_a_revision(engine: sa.Engine) -> None:
    _live(engine, "fees")
    start = _first_publication(engine, "fees")
    with kb.read_session(engine) as session:
        a = kb.get_article(session=session, key="fees", locale="en")
        before = (a.draft_revision, a.published_revision, len(kb.history(session=session, article=a)))
        live_hash = kb.get_revision(session=session, article=a, number=1).content_hash
        seq = kb.last_seq(session)
    at = start + 100 * DAY
    made = _verify(engine, "fees", at, note="  fees checked with billing ")
    assert (made.verified_by, made.verified_at, made.revision, made.content_hash, made.note) == (
        "ann",
        at,
        1,
        live_hash,
        "fees checked with billing",
    )
    with kb.read_session(engine) as session:
        a = kb.get_article(session=session, key="fees", locale="en")
        assert (a.draft_revision, a.published_revision, len(kb.history(session=session, article=a))) == before
        assert kb.last_seq(session) == seq  # nothing the public sees changed
        (entry,) = kb.audit_entries(session=session, action="article.verify")
        assert (entry.actor, entry.role, entry.target, entry.base_revision, entry.new_revision) == (
            "ann",
            "editor",
            "en/fees",
            1,
            1,
        )
        assert entry.detail["content_hash"] == live_hash
        events = [e for e in kb.events_after(session) if e.action == "article.verify"]
        assert [(e.target, e.actor) for e in events] == [("en/fees", "ann")]
        last = kb.last_verification(session, a)
        assert last is not None and last.verified_at == at
    # The clock now runs from the verification.
    assert _due(engine, at + 89 * DAY) == {}
    again = _due(engine, at + 90 * DAY)["fees"]
    assert again.reasons[0].since == at + 90 * DAY and "last verified" in again.reasons[0].detail
    assert again.last_verification is not None and again.changed_since is False


def test_a_new_published_revision_is_not_a_verification(engine: sa.Engine) -> None:
    _live(engine, "fees")
    now = kb.utcnow()
    _went_live(engine, "fees", now - 200 * DAY)
    _verify(engine, "fees", now - 95 * DAY)
    save(engine, article(key="fees", title="About fees", category="billing", owner="billing-team", body="New."), base=1)
    with kb.write_session(engine) as session:
        kb.publish(session=session, article=kb.get_article(session=session, key="fees", locale="en"), actor="bob")
    due = _due(engine, now)["fees"]
    assert due.reasons[0].since == now - 5 * DAY  # still counted from the verification
    assert due.changed_since is True  # and the owner is told the live text is not what was checked
    assert due.article.published_revision == 2
    # Verifying now covers revision 2 and its hash.
    made = _verify(engine, "fees", now)
    assert made.revision == 2
    assert _due(engine, now + DAY) == {}


def test_never_verified_counts_from_the_first_publication_not_the_latest(engine: sa.Engine) -> None:
    _live(engine, "fees")
    now = kb.utcnow()
    _went_live(engine, "fees", now - 100 * DAY)
    save(engine, article(key="fees", title="About fees", category="billing", owner="billing-team", body="New."), base=1)
    with kb.write_session(engine) as session:
        kb.publish(session=session, article=kb.get_article(session=session, key="fees", locale="en"), actor="bob")
    assert _due(engine, now)["fees"].reasons[0].since == now - 10 * DAY


def test_review_by_makes_it_due_on_that_day_until_someone_verifies_it(engine: sa.Engine) -> None:
    _live(engine, "roaming-eu", category="roaming", owner="roaming-team", review_by="2027-01-10")
    rules = kb.VerificationRules()  # no intervals at all: only review_by
    with kb.read_session(engine) as session:
        ask = lambda day: kb.due_for_verification(session, now=day, rules=rules)  # noqa: E731
        assert ask(dt.datetime(2027, 1, 9, 23, 59, tzinfo=dt.UTC)) == []
        (due,) = ask(dt.datetime(2027, 1, 10, 8, tzinfo=dt.UTC))
    (reason,) = due.reasons
    assert reason.kind is kb.DueReason.REVIEW_BY
    assert reason.since == dt.datetime(2027, 1, 10, tzinfo=dt.UTC)
    assert "2027-01-10" in reason.detail
    # A verification made before the date is not the review it asks for; one on the day is.
    _verify(engine, "roaming-eu", dt.datetime(2027, 1, 5, tzinfo=dt.UTC))
    with kb.read_session(engine) as session:
        assert len(kb.due_for_verification(session, now=dt.datetime(2027, 1, 11, tzinfo=dt.UTC), rules=rules)) == 1
    _verify(engine, "roaming-eu", dt.datetime(2027, 1, 10, 9, tzinfo=dt.UTC))
    with kb.read_session(engine) as session:
        assert kb.due_for_verification(session, now=dt.datetime(2027, 6, 1, tzinfo=dt.UTC), rules=rules) == []


def test_the_queue_filters_by_owner_in_any_case_and_by_locale(engine: sa.Engine) -> None:
    _live(engine, "fees")
    _live(engine, "sim-swap", category="billing", owner="sim-team")
    save(engine, article(key="fees", locale="ru", title="Комиссии", category="billing", owner="billing-team"))
    with kb.write_session(engine) as session:
        kb.publish(session=session, article=kb.get_article(session=session, key="fees", locale="ru"), actor="setup")
    later = kb.utcnow() + 91 * DAY
    assert set(_due(engine, later, owner="Billing-Team")) == {"fees"}
    with kb.read_session(engine) as session:
        rows = kb.due_for_verification(session, now=later, rules=RULES, owner="billing-team")
        assert sorted(d.article.locale for d in rows) == ["en", "ru"]
        rows = kb.due_for_verification(session, now=later, rules=RULES, locale="ru")
        assert [(d.article.key, d.article.locale, d.owner) for d in rows] == [("fees", "ru", "billing-team")]
    assert _due(engine, later, owner="nobody") == {}


def test_only_a_live_article_can_be_verified_or_be_due(engine: sa.Engine) -> None:
    save(engine, article(key="draft-only", category="billing", owner="billing-team"))
    _live(engine, "fees")
    with kb.write_session(engine) as session:
        a = kb.get_article(session=session, key="draft-only", locale="en")
        with pytest.raises(kb.InvalidChange, match="not live"):
            kb.verify_article(session, a, ANN)
        with pytest.raises(kb.InvalidChange, match="at most"):
            kb.verify_article(session, kb.get_article(session=session, key="fees", locale="en"), ANN, "x" * 2001)
    assert list(_due(engine, kb.utcnow() + 365 * DAY)) == ["fees"]
    with kb.read_session(engine) as session:
        assert kb.audit_entries(session=session, action="article.verify") == []


def test_a_category_without_a_rule_and_no_default_is_never_due_by_time(engine: sa.Engine) -> None:
    _live(engine, "sim-swap", category="sim")
    only_billing = kb.VerificationRules(categories=(("billing", dt.timedelta(days=90)),))
    with kb.read_session(engine) as session:
        assert kb.due_for_verification(session, now=kb.utcnow() + 3650 * DAY, rules=only_billing) == []


def test_the_rules_file_is_read_from_its_folder_and_reread_when_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kb.verification_rules import load_rules

    monkeypatch.setenv("ISTOK_VERIFICATION_RULES", str(tmp_path))
    assert kb.verification_rules() == kb.VerificationRules()  # no file: no intervals
    path = tmp_path / "verification.yaml"
    path.write_text("default:\n  every: 26w\ncategories:\n  billing:\n    every: 90d\n", encoding="utf-8")
    rules = load_rules()
    assert (rules.every("billing"), rules.every("sim"), rules.every(None)) == (90 * DAY, 182 * DAY, 182 * DAY)
    path.write_text("categories:\n  billing:\n    every: 30d\n", encoding="utf-8")
    os.utime(path, (1, 1))
    assert (load_rules().every("billing"), load_rules().every("sim")) == (30 * DAY, None)


def test_the_sample_rules_parse() -> None:
    from kb.verification_rules import ROOT, load_rules

    rules = load_rules(ROOT / "content")
    assert rules.every("billing") == 90 * DAY and rules.default is not None


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("default:\n  every: 90days\n", 2, "90d or 12w"),
        ("default:\n  every: 0d\n", 2, "90d or 12w"),
        ("categories:\n  billing:\n    every: 30d\n  billing:\n    every: 60d\n", 4, "given twice"),
        ("categories:\n  billing: 30\n", 2, "must be a mapping"),
        ("default:\n  every: 90d\n  often: yes\n", 3, "unknown key 'often'"),
        ("default:\n  every: 90d\nowner: ann\n", 3, "unknown key 'owner'"),
        ("categories:\n  billing:\n    note: x\n", 3, "names no `every`"),
        ("default: [\n", 2, "expected"),
    ],
)
def test_a_broken_rules_file_is_an_error_naming_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, line: int, words: str
) -> None:
    monkeypatch.setenv("ISTOK_VERIFICATION_RULES", str(tmp_path))
    (tmp_path / "verification.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(kb.ContentError) as caught:
        kb.verification_rules()
    problem = caught.value.problems[0]
    assert problem.file == str(tmp_path / "verification.yaml")
    assert problem.line == line, caught.value.problems
    assert words in str(caught.value)

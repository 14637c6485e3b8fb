"""Scheduled publishing: runs when due and not before, once, as the person who set it; a change made
by hand meanwhile is never undone (the schedule is skipped and says why); a schedule missed while
nothing ran runs at the next start; cancelling stops it. Real time, due a second or less ahead."""

from __future__ import annotations

import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

import kb
from tests.helpers import article, save, snapshot

ANN = kb.Actor(name="ann", role="editor")
BOB = kb.Actor(name="bob", role="editor")


def _article_with_revisions(engine: sa.Engine, count: int = 3, *, live: int | None = 1) -> None:
    for n in range(1, count + 1):
        save(engine, article(body=f"Text number {n}."), base=n - 1 or None)
    if live is not None:
        with kb.write_session(engine) as session:
            a = kb.get_article(session=session, key="check-balance", locale="en")
            kb.publish(session=session, article=a, revision=live, actor="setup")


def _schedule(engine: sa.Engine, *, revision: int | None, at: dt.datetime, actor: kb.Actor = ANN) -> int:
    with kb.write_session(engine) as session:
        a = kb.get_article(session=session, key="check-balance", locale="en")
        if revision is None:
            made = kb.schedule_unpublish(session=session, article=a, at=at, actor=actor)
        else:
            made = kb.schedule_publish(session=session, article=a, revision=revision, at=at, actor=actor)
        return made.id or 0


def _get(engine: sa.Engine, schedule_id: int) -> kb.Schedule:
    with kb.read_session(engine) as session:
        return kb.get_schedule(session=session, schedule_id=schedule_id)


def _live(engine: sa.Engine) -> int | None:
    with kb.read_session(engine) as session:
        return kb.get_article(session=session, key="check-balance", locale="en").published_revision


def _audit(engine: sa.Engine, action: str) -> list[kb.AuditEntry]:
    with kb.read_session(engine) as session:
        return list(session.exec(select(kb.AuditEntry).where(kb.AuditEntry.action == action)))


def _run_until_due(engine: sa.Engine, due: dt.datetime) -> None:
    time.sleep(max(0.0, (due - kb.utcnow()).total_seconds()) + 0.05)
    kb.run_due_jobs(engine, worker="test")


def test_a_scheduled_publish_runs_when_due_and_not_before_as_the_person_who_set_it(engine: sa.Engine) -> None:
    _article_with_revisions(engine)
    due = kb.utcnow() + dt.timedelta(seconds=1)
    schedule_id = _schedule(engine, revision=3, at=due)
    kb.run_due_jobs(engine, worker="test")  # not yet due
    assert (_get(engine, schedule_id).state, _live(engine)) == ("pending", 1)
    _run_until_due(engine, due)
    done = _get(engine, schedule_id)
    assert (done.state, done.outcome, _live(engine)) == ("done", "revision 3 made live", 3)
    assert done.finished_at is not None and done.finished_at >= due
    [published] = [e for e in _audit(engine, "article.publish") if e.actor == "ann"]
    assert (published.role, published.base_revision, published.new_revision) == ("schedule", 1, 3)
    [ran] = _audit(engine, "schedule.run")
    assert ran.detail["schedule"] == schedule_id
    kb.run_due_jobs(engine, worker="test", now=kb.utcnow() + dt.timedelta(hours=1))  # nothing runs twice
    assert len([e for e in _audit(engine, "article.publish") if e.actor == "ann"]) == 1
    with kb.read_session(engine) as session:
        events = [e.action for e in kb.events_after(session, after_id=0, limit=100)]
    assert {"schedule.create", "schedule.run"} <= set(events)


def test_a_scheduled_unpublish_takes_the_article_off(engine: sa.Engine) -> None:
    _article_with_revisions(engine, 1)
    due = kb.utcnow() + dt.timedelta(seconds=0.5)
    schedule_id = _schedule(engine, revision=None, at=due)
    _run_until_due(engine, due)
    assert (_get(engine, schedule_id).state, _live(engine)) == ("done", None)
    [off] = _audit(engine, "article.unpublish")
    assert (off.actor, off.role, off.base_revision) == ("ann", "schedule", 1)


def test_a_publish_by_hand_meanwhile_is_not_undone_the_schedule_is_skipped_and_says_who(engine: sa.Engine) -> None:
    _article_with_revisions(engine)
    due = kb.utcnow() + dt.timedelta(seconds=0.8)
    schedule_id = _schedule(engine, revision=3, at=due)
    with kb.write_session(engine) as session:
        a = kb.get_article(session=session, key="check-balance", locale="en")
        kb.publish(session=session, article=a, revision=2, actor=BOB)
    _run_until_due(engine, due)
    skipped = _get(engine, schedule_id)
    assert (skipped.state, _live(engine)) == ("skipped", 2)
    assert "revision 1 was live when it was set" in skipped.outcome
    assert "bob made revision 2 live" in skipped.outcome
    [told] = _audit(engine, "schedule.skip")
    assert told.actor == "ann" and told.detail["outcome"] == skipped.outcome
    assert [e.actor for e in _audit(engine, "article.publish")] == ["setup", "bob"]


def test_a_schedule_due_while_nothing_ran_runs_when_a_runner_starts(engine: sa.Engine) -> None:
    _article_with_revisions(engine)
    due = kb.utcnow() + dt.timedelta(seconds=0.3)
    schedule_id = _schedule(engine, revision=2, at=due)
    time.sleep(0.6)  # the service is down: nobody runs jobs at the due time
    assert _get(engine, schedule_id).state == "pending"
    runner = kb.JobRunner(engine, poll=0.05)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while _get(engine, schedule_id).state == "pending" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.stop()
    assert (_get(engine, schedule_id).state, _live(engine)) == ("done", 2)


def test_a_cancelled_schedule_never_runs_and_cannot_be_cancelled_twice(engine: sa.Engine) -> None:
    _article_with_revisions(engine)
    due = kb.utcnow() + dt.timedelta(seconds=0.3)
    schedule_id = _schedule(engine, revision=2, at=due)
    with kb.write_session(engine) as session:
        kb.cancel_schedule(session=session, schedule_id=schedule_id, actor=BOB)
    _run_until_due(engine, due)
    cancelled = _get(engine, schedule_id)
    assert (cancelled.state, cancelled.outcome, _live(engine)) == ("cancelled", "cancelled by bob", 1)
    with kb.read_session(engine) as session:
        assert session.exec(select(kb.Job).where(kb.Job.kind == "schedules.run")).all() == []
    with pytest.raises(kb.Conflict, match="is cancelled, not pending"), kb.write_session(engine) as session:
        kb.cancel_schedule(session=session, schedule_id=schedule_id, actor=BOB)
    assert [e.actor for e in _audit(engine, "schedule.cancel")] == ["bob"]
    with pytest.raises(kb.ScheduleNotFound), kb.write_session(engine) as session:
        kb.cancel_schedule(session=session, schedule_id=schedule_id + 100, actor=BOB)


def test_a_cancel_during_the_run_waits_for_it_and_is_refused(engine: sa.Engine) -> None:
    _article_with_revisions(engine)
    schedule_id = _schedule(engine, revision=2, at=kb.utcnow())
    refused: list[Exception] = []

    def cancel() -> None:
        try:
            with kb.write_session(engine) as session:
                kb.cancel_schedule(session=session, schedule_id=schedule_id, actor=BOB)
        except kb.Conflict as exc:
            refused.append(exc)

    with kb.write_session(engine) as session:
        assert kb.run_schedule(session, schedule_id) is not None
        other = threading.Thread(target=cancel)
        other.start()
        time.sleep(0.3)
        assert other.is_alive()  # held by the run's locks until it commits
    other.join(10)
    assert len(refused) == 1 and "is done, not pending" in str(refused[0])
    assert (_get(engine, schedule_id).state, _live(engine)) == ("done", 2)


def test_publish_then_unpublish_set_together_both_run(engine: sa.Engine) -> None:
    _article_with_revisions(engine)
    first = kb.utcnow() + dt.timedelta(seconds=0.5)
    on = _schedule(engine, revision=3, at=first)
    off = _schedule(engine, revision=None, at=first + dt.timedelta(seconds=0.3))
    _run_until_due(engine, first)
    assert (_get(engine, on).state, _get(engine, off).state, _live(engine)) == ("done", "pending", 3)
    _run_until_due(engine, first + dt.timedelta(seconds=0.3))
    assert (_get(engine, off).state, _live(engine)) == ("done", None)


def test_a_later_schedule_run_first_runs_the_articles_earlier_ones_before_itself(engine: sa.Engine) -> None:
    """Two runners may claim an article's schedules side by side; the later one must not go first."""
    _article_with_revisions(engine)
    now = kb.utcnow()
    on = _schedule(engine, revision=3, at=now)
    off = _schedule(engine, revision=None, at=now + dt.timedelta(milliseconds=10))
    time.sleep(0.02)
    with kb.write_session(engine) as session:
        ran = kb.run_schedule(session, off)
    assert ran is not None and ran.id == off
    assert (_get(engine, on).state, _get(engine, off).state, _live(engine)) == ("done", "done", None)
    with kb.read_session(engine) as session:
        kinds = [e.kind for e in session.exec(select(kb.LogEntry).order_by(col(kb.LogEntry.seq)))]
    assert kinds == ["publish", "publish", "unpublish"]  # setup's, then the schedules' in their order
    with kb.write_session(engine) as session:
        assert kb.run_schedule(session, on) is None  # its own job comes later and finds it done


def test_a_schedule_the_publish_refuses_fails_with_the_reason_and_publishes_nothing(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        kb.set_fact(session=session, key="fee", type="text", value="2 EUR", base_version=None, actor="setup")
    save(engine, article(body="Free."))
    save(engine, article(body="It costs {{ fee }}."), base=1)
    save(engine, article(body="Free again."), base=2)
    with kb.write_session(engine) as session:
        kb.publish(
            session=session,
            article=kb.get_article(session=session, key="check-balance", locale="en"),
            revision=1,
            actor="setup",
        )
    due = kb.utcnow() + dt.timedelta(seconds=0.3)
    schedule_id = _schedule(engine, revision=2, at=due)
    with kb.write_session(engine) as session:  # neither the draft (3) nor the live (1) revision uses it
        kb.delete_fact(session=session, key="fee", base_version=1, actor="setup")
    _run_until_due(engine, due)
    failed = _get(engine, schedule_id)
    assert (failed.state, _live(engine)) == ("failed", 1)
    assert "uses unknown facts: fee" in failed.outcome
    assert [e.actor for e in _audit(engine, "article.publish")] == ["setup"]
    [told] = _audit(engine, "schedule.fail")
    assert told.detail["outcome"] == failed.outcome
    with kb.read_session(engine) as session:
        [job] = session.exec(select(kb.Job).where(kb.Job.kind == "schedules.run")).all()
    assert (job.state, job.attempts) == ("done", 1)  # a refusal is an outcome, not something to retry


def test_a_time_in_the_past_is_accepted_within_the_slack_and_runs_at_once(engine: sa.Engine) -> None:
    _article_with_revisions(engine)
    schedule_id = _schedule(engine, revision=2, at=kb.utcnow() - dt.timedelta(seconds=5))
    kb.run_due_jobs(engine, worker="test")
    assert (_get(engine, schedule_id).state, _live(engine)) == ("done", 2)


@pytest.mark.parametrize(
    ("revision", "at", "error", "message"),
    [
        (2, dt.datetime(2030, 1, 1, 9, 0), kb.InvalidChange, "with its zone"),
        (2, "past", kb.InvalidChange, "is in the past"),
        (2, dt.datetime(2999, 1, 1, tzinfo=dt.UTC), kb.InvalidChange, "ten years ahead"),
        (9, "soon", kb.RevisionNotFound, "has no revision 9"),
        (1, "soon", kb.InvalidChange, "already live"),
        (2, "taken", kb.Conflict, "already due at"),
    ],
)
def test_a_bad_schedule_is_refused_with_the_reason_and_changes_nothing(
    engine: sa.Engine, revision: int, at: dt.datetime | str, error: type[kb.IstokError], message: str
) -> None:
    _article_with_revisions(engine)
    soon = kb.utcnow() + dt.timedelta(hours=1)
    if at == "taken":
        _schedule(engine, revision=3, at=soon)
    when = {"past": kb.utcnow() - dt.timedelta(minutes=5), "soon": soon, "taken": soon}.get(str(at), at)
    assert isinstance(when, dt.datetime)
    before = snapshot(engine)
    with pytest.raises(error, match=message):
        _schedule(engine, revision=revision, at=when)
    assert snapshot(engine) == before


def test_unpublishing_what_is_not_live_is_refused(engine: sa.Engine) -> None:
    _article_with_revisions(engine, 1, live=None)
    with pytest.raises(kb.InvalidChange, match="nothing to unpublish"):
        _schedule(engine, revision=None, at=kb.utcnow() + dt.timedelta(hours=1))


def test_list_shows_pending_soonest_first_then_the_finished(engine: sa.Engine) -> None:
    _article_with_revisions(engine)
    now = kb.utcnow()
    late = _schedule(engine, revision=3, at=now + dt.timedelta(hours=2))
    early = _schedule(engine, revision=2, at=now + dt.timedelta(hours=1))
    gone = _schedule(engine, revision=2, at=now + dt.timedelta(hours=3))
    with kb.write_session(engine) as session:
        kb.cancel_schedule(session=session, schedule_id=gone, actor=ANN)
    with kb.read_session(engine) as session:
        assert [s.id for s in kb.list_schedules(session=session)] == [early, late, gone]
        assert [s.id for s in kb.list_schedules(session=session, state="cancelled")] == [gone]
        assert [s.id for s in kb.list_schedules(session=session, locale="uk")] == []
        rows = session.exec(select(kb.Schedule).order_by(col(kb.Schedule.id))).all()
    assert all(r.due_at.tzinfo is not None for r in rows)


def test_a_wall_clock_time_is_read_in_the_editors_zone() -> None:
    kyiv = ZoneInfo("Europe/Kyiv")
    assert kb.local_time("2026-12-24T09:00", kyiv) == dt.datetime(2026, 12, 24, 7, 0, tzinfo=dt.UTC)
    assert kb.local_time("2026-07-01T09:00", kyiv) == dt.datetime(2026, 7, 1, 6, 0, tzinfo=dt.UTC)
    with pytest.raises(kb.InvalidChange, match="does not exist in Europe/Kyiv"):
        kb.local_time("2026-03-29T03:30", kyiv)  # the clocks go from 03:00 to 04:00
    with pytest.raises(kb.InvalidChange, match="not a date and time"):
        kb.local_time("tomorrow", kyiv)


def test_the_editors_zone_comes_from_istok_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ISTOK_TIMEZONE", raising=False)
    assert kb.editor_zone().key == "UTC"
    monkeypatch.setenv("ISTOK_TIMEZONE", "Europe/Kyiv")
    assert kb.editor_zone().key == "Europe/Kyiv"
    monkeypatch.setenv("ISTOK_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="IANA time zone"):
        kb.editor_zone()

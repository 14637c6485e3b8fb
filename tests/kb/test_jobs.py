"""The job runner: jobs live in the database, run once, retry with backoff, survive a dead runner."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

import kb
from kb import jobs

T0 = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)  # due_at of the tests' jobs is T0 unless said
RAN: list[dict[str, Any]] = []


def _fail(_session: Session, _payload: dict[str, Any]) -> None:
    raise RuntimeError("the far side said no")


def _record(session: Session, payload: dict[str, Any]) -> None:
    RAN.append(payload)
    kb.create_set(session=session, locale="en", terms=[f"t{len(RAN)}", "x"], actor="job")


@pytest.fixture(autouse=True)
def kinds(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Test kinds on top of the built-in ones, gone after the test."""
    monkeypatch.setattr(jobs, "KINDS", dict(jobs.KINDS))
    kb.register_job("test.ok", _record)
    kb.register_job("test.fail", _fail, max_attempts=3, backoff=dt.timedelta(seconds=60))
    kb.register_job("test.every", _record, every=dt.timedelta(minutes=10))
    RAN.clear()
    yield


def _enqueue(engine: sa.Engine, kind: str, payload: dict[str, Any] | None = None, **kw: Any) -> int:
    with kb.write_session(engine) as session:
        job_id = kb.enqueue_job(session, kind, payload, due_at=kw.pop("due_at", T0), **kw)
    assert job_id is not None
    return job_id


def _job(engine: sa.Engine, job_id: int) -> kb.Job:
    with kb.read_session(engine) as session:
        job = session.get(kb.Job, job_id)
    assert job is not None
    return job


def test_a_job_runs_once_in_its_own_transaction_and_is_done(engine: sa.Engine) -> None:
    job_id = _enqueue(engine, "test.ok", {"n": 1})
    assert kb.run_due_jobs(engine, worker="w1", now=T0 - dt.timedelta(seconds=1)) == 0  # not due yet
    assert kb.run_due_jobs(engine, worker="w1", now=T0) == 1
    assert kb.run_due_jobs(engine, worker="w1", now=T0) == 0
    job = _job(engine, job_id)
    assert (job.state, job.attempts, job.locked_by, job.last_error) == ("done", 1, "w1", None)
    assert job.finished_at is not None and job.finished_at.tzinfo is not None
    assert RAN == [{"n": 1}]
    with kb.read_session(engine) as session:
        assert [s.terms for s in kb.list_sets(session=session)] == [["t1", "x"]]


def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError), kb.write_session(engine) as session:
        kb.enqueue_job(session, "test.ok", {"n": 1})
        raise RuntimeError("the caller's write failed")
    with kb.read_session(engine) as session:
        assert session.exec(select(kb.Job)).all() == []
    assert kb.run_due_jobs(engine, worker="w1") == 0


def test_an_unknown_kind_is_refused_with_the_known_ones_named(engine: sa.Engine) -> None:
    with (
        pytest.raises(ValueError, match=r"unknown job kind 'nope'; known kinds: .*test\.ok"),
        kb.write_session(engine) as session,
    ):
        kb.enqueue_job(session, "nope")


def test_a_failing_job_is_retried_with_growing_backoff_then_failed(engine: sa.Engine) -> None:
    job_id = _enqueue(engine, "test.fail")
    now = T0
    for attempt, delay in ((1, 60), (2, 120)):
        assert kb.run_due_jobs(engine, worker="w1", now=now) == 1
        job = _job(engine, job_id)
        assert (job.state, job.attempts, job.locked_by) == ("queued", attempt, None)
        assert job.last_error == "RuntimeError: the far side said no"
        wait = (job.due_at - now).total_seconds()
        assert delay <= wait <= delay * 1.1  # exponential, with up to 10 % jitter
        assert kb.run_due_jobs(engine, worker="w1", now=job.due_at - dt.timedelta(seconds=1)) == 0
        now = job.due_at
    assert kb.run_due_jobs(engine, worker="w1", now=now) == 1
    job = _job(engine, job_id)
    assert (job.state, job.attempts) == ("failed", 3)
    assert job.finished_at is not None
    assert kb.run_due_jobs(engine, worker="w1", now=now + dt.timedelta(days=1)) == 0


def test_a_failed_attempt_leaves_none_of_its_writes(engine: sa.Engine) -> None:
    def half_done(session: Session, _payload: dict[str, Any]) -> None:
        kb.create_set(session=session, locale="en", terms=["a", "b"], actor="job")
        raise RuntimeError("stopped half way")

    kb.register_job("test.half", half_done)
    _enqueue(engine, "test.half")
    kb.run_due_jobs(engine, worker="w1", now=T0)
    with kb.read_session(engine) as session:
        assert kb.list_sets(session=session) == []
        assert kb.events_after(session) == []


def test_a_job_whose_runner_died_runs_again_once_its_lease_expires(engine: sa.Engine) -> None:
    job_id = _enqueue(engine, "test.ok", {"n": 1})
    [claim] = jobs._claim(engine, worker="dead", limit=10, now=T0)  # claimed, then the runner died
    lease = jobs.KINDS["test.ok"].lease
    assert _job(engine, job_id).state == "running"
    assert kb.run_due_jobs(engine, worker="w2", now=T0 + lease - dt.timedelta(seconds=1)) == 0  # still leased
    assert kb.run_due_jobs(engine, worker="w2", now=T0 + lease + dt.timedelta(seconds=1)) == 1
    job = _job(engine, job_id)
    assert (job.state, job.attempts, job.locked_by) == ("done", 2, "w2")
    assert job.last_error is not None and "dead" in job.last_error and "lease expired" in job.last_error
    # The first runner was only stalled, and finishes late: its writes are rolled back.
    jobs._run(engine, claim, worker="dead", now=None)
    assert RAN == [{"n": 1}, {"n": 1}]
    with kb.read_session(engine) as session:
        assert len(kb.list_sets(session=session)) == 1
    assert _job(engine, job_id).locked_by == "w2"


def test_a_job_that_kills_every_runner_fails_after_its_attempts(engine: sa.Engine) -> None:
    job_id = _enqueue(engine, "test.fail")  # max_attempts 3
    lease = jobs.KINDS["test.fail"].lease
    now = T0
    for _ in range(3):
        assert len(jobs._claim(engine, worker="doomed", limit=10, now=now)) == 1
        now += lease + dt.timedelta(seconds=1)
    assert jobs._claim(engine, worker="doomed", limit=10, now=now) == []
    job = _job(engine, job_id)
    assert (job.state, job.attempts) == ("failed", 3)
    assert job.last_error is not None and "lease expired" in job.last_error


def test_a_stopping_runner_hands_back_the_jobs_it_has_not_started(engine: sa.Engine) -> None:
    ids = [_enqueue(engine, "test.ok", {"n": n}) for n in range(3)]
    stop = jobs.threading.Event()
    stop.set()
    assert kb.run_due_jobs(engine, worker="w1", now=T0, stop=stop) == 0
    assert [(_job(engine, i).state, _job(engine, i).attempts) for i in ids] == [("queued", 0)] * 3
    assert kb.run_due_jobs(engine, worker="w1", now=T0) == 3


def test_a_dedupe_key_is_held_by_one_pending_job(engine: sa.Engine) -> None:
    first = _enqueue(engine, "test.ok", {"n": 1}, dedupe="only-one")
    with kb.write_session(engine) as session:
        assert kb.enqueue_job(session, "test.ok", {"n": 2}, dedupe="only-one") is None
    kb.run_due_jobs(engine, worker="w1", now=T0)
    assert _job(engine, first).dedupe is None  # done: the key is free again
    assert _enqueue(engine, "test.ok", {"n": 3}, dedupe="only-one") != first


def test_a_recurring_job_schedules_its_next_run(engine: sa.Engine) -> None:
    jobs.schedule_recurring(engine)
    jobs.schedule_recurring(engine)  # a second process starting: still one pending run per kind
    with kb.read_session(engine) as session:
        pending = session.exec(select(kb.Job).where(kb.Job.state == "queued")).all()
    assert sorted(j.kind for j in pending) == sorted(k.name for k in jobs.KINDS.values() if k.every)
    before = kb.utcnow()
    kb.run_due_jobs(engine, worker="w1", limit=50)
    with kb.read_session(engine) as session:
        every = session.exec(select(kb.Job).where(kb.Job.kind == "test.every").order_by(col(kb.Job.id))).all()
    assert [j.state for j in every] == ["done", "queued"]
    assert every[1].dedupe == "every:test.every"
    assert dt.timedelta(minutes=10) <= every[1].due_at - before <= dt.timedelta(minutes=11)


def test_health_counts_the_queue_and_how_late_it_is(engine: sa.Engine) -> None:
    _enqueue(engine, "test.ok", due_at=T0)
    _enqueue(engine, "test.ok", due_at=T0 + dt.timedelta(hours=1))
    _enqueue(engine, "test.fail", due_at=T0)
    assert kb.jobs_health(engine, now=T0 - dt.timedelta(seconds=5)) == kb.JobsHealth(
        queued=3, running=0, failed=0, due=0, lag_seconds=0.0
    )
    late = kb.jobs_health(engine, now=T0 + dt.timedelta(seconds=90))
    assert (late.queued, late.due, late.lag_seconds, late.late) == (3, 2, 90.0, True)
    kb.run_due_jobs(engine, worker="w1", now=T0)
    state = kb.jobs_health(engine, now=T0)
    assert (state.queued, state.due, state.late) == (2, 0, False)


def test_the_runner_thread_runs_due_jobs_and_stops_promptly(engine: sa.Engine) -> None:
    job_id = _enqueue(engine, "test.ok", {"n": 1}, due_at=kb.utcnow())
    runner = kb.JobRunner(engine, poll=0.05)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while _job(engine, job_id).state != "done" and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        started = time.monotonic()
        runner.stop()
    assert time.monotonic() - started < 1
    assert _job(engine, job_id).state == "done"


def test_the_runner_is_off_with_istok_jobs_0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISTOK_JOBS", "0")
    assert not kb.JobRunner.enabled()
    monkeypatch.setenv("ISTOK_JOBS", "1")
    monkeypatch.setenv("ISTOK_JOBS_POLL", "0.25")
    assert kb.JobRunner.enabled()
    assert kb.JobRunner(sa.create_engine("sqlite://")).poll == 0.25


def test_retention_deletes_expired_user_sessions(engine: sa.Engine) -> None:
    now = kb.utcnow()
    with kb.write_session(engine) as session:
        user = kb.User(username="ann", display_name="Ann", role="editor", password_hash="-")
        session.add(user)
        session.flush()
        for name, expires in (("old", now - dt.timedelta(minutes=1)), ("live", now + dt.timedelta(hours=1))):
            session.add(kb.UserSession(id=name, user_id=user.id or 0, expires_at=expires))
        kb.enqueue_job(session, "retention.user_sessions")
    kb.run_due_jobs(engine, worker="w1")
    with kb.read_session(engine) as session:
        assert [s.id for s in session.exec(select(kb.UserSession))] == ["live"]


def test_retention_prunes_old_events_and_finished_jobs(engine: sa.Engine) -> None:
    long_ago = kb.utcnow() - dt.timedelta(days=40)
    with kb.write_session(engine) as session:
        kb.create_set(session=session, locale="en", terms=["a", "b"], actor="ann")
        kb.create_set(session=session, locale="en", terms=["c", "d"], actor="ann")
    with kb.write_session(engine) as session:
        first = kb.events_after(session)[0]
        first.at = long_ago
        session.add(kb.Job(kind="test.ok", state="done", finished_at=long_ago))
        session.add(kb.Job(kind="test.ok", state="failed", finished_at=kb.utcnow() - dt.timedelta(days=8)))
        kb.enqueue_job(session, "retention.outbox")
        kb.enqueue_job(session, "retention.jobs")
    kb.run_due_jobs(engine, worker="w1")
    with kb.read_session(engine) as session:
        assert [e.detail["terms"] for e in kb.events_after(session)] == [["c", "d"]]
        kept = session.exec(select(kb.Job).where(kb.Job.kind == "test.ok")).all()
    assert [j.state for j in kept] == ["failed"]  # a failed job stays visible longer than a done one

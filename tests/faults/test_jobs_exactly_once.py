"""Istok's own jobs run once across three processes on PostgreSQL, and resume after one is killed (-9).

Three runner processes (tests/faults/jobs_worker.py: the runner every `istok serve` worker
starts, with every job kind a server registers) share one database holding: a webhook
subscription to a receiver on 127.0.0.1 (tests/webhook_receiver.py, which verifies every
signature), outbox events from publishes, interactions of past days for the insights roll-up
and expired sign-in sessions for retention. The receiver answers slowly enough that runners
are mid-delivery at any moment, and one runner is killed with SIGKILL while it holds claimed
jobs. Then:

* every publish became one delivery, delivered and recorded once (one attempt); the receiver
  accepted each `webhook-id`, and got one twice only where a runner lost the job's lease after
  sending (killed, or stalled past the lease on a loaded machine): at least once, with the same
  id, by design, and the job says its lease was lost;
* every job is done, none running or failed, and the killed runner's are done by another;
* the hourly roll-up and each retention job ran once (one done run each), not once per process;
* the work was shared among the runners.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

import contacts
import kb
from tests.bulkstore import alive
from tests.conftest import ROOT, fresh_pg_database
from tests.helpers import article
from tests.webhook_receiver import Receiver, receiver

pytestmark = pytest.mark.postgres
TIME_LIMIT = 150
RUNNERS = 3
#: Articles published: each publish is one event a subscriber is sent (saving a draft is none).
PUBLISHES = 60
#: Seconds the receiver takes to answer each delivery.
RECEIVER_DELAY = 0.03
LEASE = 5.0
#: How long the survivors may take to finish every job after the kill.
FINISH_WITHIN = 60.0
#: Recurring kinds due once in a test's seconds (hourly or rarer): each must have run exactly once.
ONCE_KINDS = (
    "insights.rollup",
    "retention.user_sessions",
    "retention.outbox",
    "retention.jobs",
    "retention.webhook_deliveries",
)


@pytest.fixture
def shared_db() -> Iterator[str]:
    with fresh_pg_database("istok_faults_jobs") as url:
        yield url


def _seed(engine: sa.Engine, hook: Receiver) -> None:
    """A subscription to `hook`, PUBLISHES publishes, past interactions and expired sessions."""
    with kb.write_session(engine) as session:
        _subscription, hook.secret = kb.create_subscription(
            session=session, url=hook.url, events=["*"], public=False, actor="test"
        )
        now = kb.utcnow()
        for day in range(1, 6):
            for n in range(3):
                session.add(
                    contacts.Interaction(
                        contact_id=None, channel="chat", at=now - dt.timedelta(days=day, minutes=n), outcome="answered"
                    )
                )
        user = kb.User(username="ann", display_name="Ann", role="editor", password_hash="-")
        session.add(user)
        session.flush()
        for n in range(3):
            session.add(kb.UserSession(id=f"expired-{n}", user_id=user.id or 0, expires_at=now - dt.timedelta(hours=1)))
    for n in range(PUBLISHES):
        with kb.write_session(engine) as session:
            saved = kb.save_draft(session=session, source=article(key=f"job-{n:02}"), base_revision=None, actor="t")
            kb.publish(session=session, article=saved.article, revision=1, actor="t")


def _runners(url: str, folder: Path) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "ISTOK_WEBHOOKS_ALLOW_PRIVATE": "1",
        "ISTOK_WEBHOOKS_POLL": "0.2",
        "ISTOK_TEST_LEASE": str(LEASE),
    }
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.faults.jobs_worker", url, str(folder)], cwd=ROOT, env=env)
        for _ in range(RUNNERS)
    ]
    deadline = time.monotonic() + 30
    while len(list(folder.glob("ready-*"))) < RUNNERS and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(list(folder.glob("ready-*"))) == RUNNERS, "the runners did not start"
    (folder / "go").touch()
    return procs


def _claimed_by(engine: sa.Engine, pid: int, kind: str | None = None) -> list[int]:
    """Ids of the jobs (of `kind`, or any) runner `pid` holds now (its `locked_by` is host:pid:tail)."""
    with kb.read_session(engine) as session:
        running = session.exec(select(kb.Job).where(col(kb.Job.state) == "running")).all()
    return [j.id or 0 for j in running if (j.locked_by or "").split(":")[1] == str(pid) and kind in (None, j.kind)]


def _kill_one_mid_job(engine: sa.Engine, procs: list[subprocess.Popen[bytes]]) -> tuple[int, list[int]]:
    """SIGKILL the first runner seen holding a delivery; its pid and the jobs it held when it died."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for proc in procs:
            if _claimed_by(engine, proc.pid, "webhooks.deliver"):
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
                # what it held when it died (it may have claimed more since the look above); read
                # well within the lease, before a survivor claims them again
                return proc.pid, _claimed_by(engine, proc.pid)
        time.sleep(0.005)
    pytest.fail("no runner was ever seen holding a delivery")


def _unsettled(engine: sa.Engine) -> str:
    """What is still to do: publishes not fanned out, deliveries pending, one-off jobs not done ("" if none)."""
    with kb.read_session(engine) as session:
        made = session.execute(sa.select(sa.func.count()).select_from(kb.WebhookDelivery)).scalar_one()
        pending = session.execute(
            sa.select(sa.func.count()).where(col(kb.WebhookDelivery.state) == "pending")
        ).scalar_one()
        open_jobs = Counter(
            f"{kind} {state}"
            for kind, state, dedupe in session.execute(
                sa.select(col(kb.Job.kind), col(kb.Job.state), col(kb.Job.dedupe))
            )
            if state == "running" or (state == "queued" and dedupe is None)
        )
    if made == PUBLISHES and not pending and not open_jobs:
        return ""
    return f"{made} deliveries, {pending} pending, open jobs {dict(open_jobs)}"


def test_three_processes_run_deliveries_roll_ups_and_retention_once_and_survive_a_kill_9(
    shared_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISTOK_WEBHOOKS_ALLOW_PRIVATE", "1")  # the receiver is on 127.0.0.1
    engine = kb.make_engine(shared_db)
    with receiver() as hook:
        hook.delay = RECEIVER_DELAY
        _seed(engine, hook)
        procs = _runners(shared_db, tmp_path)
        try:
            killed, held = _kill_one_mid_job(engine, procs)
            deadline = time.monotonic() + FINISH_WITHIN
            while _unsettled(engine) and time.monotonic() < deadline:
                time.sleep(0.1)
            left = _unsettled(engine)
            assert not left, f"not finished {FINISH_WITHIN} s after the kill: {left}"
        finally:
            (tmp_path / "stop").touch()
            survivors = [p for p in procs if p.pid != killed]
            codes = [p.wait(timeout=30) for p in survivors]
            for proc in procs:
                if alive(proc.pid):
                    proc.kill()
        assert codes == [0] * (RUNNERS - 1)
        requests = Counter(r.headers["webhook-id"] for r in hook.requests if r.verified)
        accepted = set(hook.accepted)

    with kb.read_session(engine) as session:
        deliveries = session.exec(select(kb.WebhookDelivery)).all()
        jobs = session.exec(select(kb.Job)).all()
        sessions_left = session.exec(select(kb.UserSession)).all()
    engine.dispose()

    # deliveries: one per event, each delivered, each id accepted; repeats only of the killed runner's claims
    assert len(deliveries) == PUBLISHES
    assert len({(d.subscription_id, d.event_id) for d in deliveries}) == len(deliveries)  # fanned out once
    assert {d.state for d in deliveries} == {"delivered"}
    assert accepted == {d.msg_id for d in deliveries}
    by_job = {j.id: j for j in jobs}
    job_of = {int(j.payload["delivery"]): j for j in jobs if j.kind == "webhooks.deliver"}
    assert all(d.attempts == 1 for d in deliveries), "a delivery was recorded more than once"
    # A receiver may get one twice, with the same webhook-id: a runner killed (or stalled past its
    # lease) after sending and before committing; the job that then ran it says the lease was lost.
    for delivery in deliveries:
        sent, job = requests[delivery.msg_id], job_of[delivery.id or 0]
        assert sent <= job.attempts, f"delivery {delivery.id} sent {sent} times in {job.attempts} attempts"
        if sent > 1:
            assert "lease expired" in (job.last_error or ""), (delivery, job)
    repeated = {m for m, n in requests.items() if n > 1}

    # jobs: all finished (the queued ones are recurring kinds' next runs), the killed runner's by another
    assert {j.state for j in jobs} <= {"done", "queued"}, Counter(j.state for j in jobs)
    assert all(j.dedupe for j in jobs if j.state == "queued")
    for job_id in held:
        job = by_job[job_id]
        assert job.state == "done", job
        if str(killed) not in (job.locked_by or ""):  # not finished in the instant before the kill
            assert job.attempts == 2, job  # the killed attempt counted, then one more that finished it
    done = Counter(j.kind for j in jobs if j.state == "done")
    for kind in ONCE_KINDS:
        assert done[kind] == 1, f"{kind} ran {done[kind]} times across {RUNNERS} processes"
    assert sessions_left == []
    workers = {(j.locked_by or ":").split(":")[1] for j in jobs if j.kind == "webhooks.deliver"}
    assert len(workers) >= 2, "one runner did every delivery"
    print(
        f"\n{len(deliveries)} deliveries by {len(workers)} runners; killed {killed} holding {len(held)} jobs;"
        f" {len(repeated)} sent twice; done per kind {dict(done)}"
    )

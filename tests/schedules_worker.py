"""A job-runner process for tests/test_schedules_processes.py: `python -m tests.schedules_worker URL DIR`.

Like tests/jobs_worker.py: it announces itself in DIR/ready-<pid>, waits for DIR/go so all the
runners start together, then runs a `kb.JobRunner` (whose kinds include `schedules.run`, registered
by importing kb) until no schedule is pending and no schedule's job is left, and exits. A job can
outlive its schedule: a run takes the article's earlier schedules along with it, and their own jobs,
claimed later, find them done.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import col, select

import kb

SECONDS = 60


def _pending(engine: sa.Engine) -> bool:
    unfinished = [kb.JobState.QUEUED.value, kb.JobState.RUNNING.value]
    with kb.read_session(engine) as session:
        schedule = session.exec(select(kb.Schedule.id).where(kb.Schedule.state == "pending").limit(1)).first()
        job = session.exec(
            select(kb.Job.id).where(kb.Job.kind == "schedules.run", col(kb.Job.state).in_(unfinished)).limit(1)
        ).first()
    return schedule is not None or job is not None


def main(url: str, folder: Path) -> None:
    engine = kb.make_engine(url)
    (folder / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + SECONDS
    while not (folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    runner = kb.JobRunner(engine, poll=0.05)
    runner.start()
    while time.monotonic() < deadline and _pending(engine):
        time.sleep(0.05)
    runner.stop()
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))

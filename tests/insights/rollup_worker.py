"""A replica's job runner for test_rollup_processes.py: `python -m tests.insights.rollup_worker URL DIR`.

Importing `insights` registers the hourly roll-up on kb's job runner, as the app does. The
process announces itself in DIR/ready-<pid>, waits for DIR/go so all replicas start together,
runs a `kb.JobRunner` until the roll-up was queued (by whichever replica) and no job is due or
running, and exits.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import select

import insights
import kb


def _scheduled(engine: sa.Engine) -> bool:
    with kb.read_session(engine) as session:
        return session.exec(select(kb.Job).where(kb.Job.kind == insights.JOB)).first() is not None


def main(url: str, folder: Path) -> None:
    assert insights.JOB  # imported for its job handler
    engine = kb.make_engine(url)
    (folder / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 60
    while not (folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    runner = kb.JobRunner(engine, poll=0.05)
    runner.start()
    while not _scheduled(engine) and time.monotonic() < deadline:  # some replica queued the roll-up
        time.sleep(0.05)
    while time.monotonic() < deadline:
        state = kb.jobs_health(engine)
        if state.due == 0 and state.running == 0:
            break
        time.sleep(0.05)
    runner.stop()
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))

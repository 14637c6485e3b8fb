"""A job-runner process for tests/test_jobs_processes.py: `python -m tests.jobs_worker URL DIR`.

It registers `test.record`, whose handler writes one row to `job_runs` (made by the test) per
run, announces itself in DIR/ready-<pid>, waits for DIR/go so all the runners start together,
runs a `kb.JobRunner` until no job is due or running, and exits. With ISTOK_TEST_CRASH=1 the
handler kills its process in the middle of a job that asks for it, before the job can commit.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

import kb

KIND = "test.record"
RUNS_TABLE = "CREATE TABLE job_runs (n INTEGER NOT NULL, pid INTEGER NOT NULL)"


@kb.job_handler(KIND, lease=dt.timedelta(seconds=2))
def record_run(session: Session, payload: dict[str, Any]) -> None:
    """One row per execution; a short random pause so the runners interleave."""
    session.execute(sa.text("INSERT INTO job_runs (n, pid) VALUES (:n, :pid)"), {"n": payload["n"], "pid": os.getpid()})
    if payload.get("crash") and os.environ.get("ISTOK_TEST_CRASH") == "1":
        os._exit(3)  # killed mid-job: the row above is never committed
    time.sleep(random.uniform(0, 0.003))


def main(url: str, folder: Path) -> None:
    engine = kb.make_engine(url)
    (folder / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 30
    while not (folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    runner = kb.JobRunner(engine, poll=0.05)
    runner.start()
    while time.monotonic() < deadline:
        state = kb.jobs_health(engine)
        if state.due == 0 and state.running == 0:
            break
        time.sleep(0.05)
    runner.stop()
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))

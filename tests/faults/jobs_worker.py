"""A job-runner process with Istok's own jobs, for tests/faults/test_jobs_exactly_once.py.

`python -m tests.faults.jobs_worker URL DIR`: the runner `istok serve` starts in each worker
(kb.JobRunner) with every job kind a server registers (webhook fan-out and deliveries, the
insights roll-up, retention), over URL. It announces itself in DIR/ready-<pid>, waits for
DIR/go so the runners start together, and runs until DIR/stop appears.

Only the leases differ from a server's: ISTOK_TEST_LEASE seconds (the kinds' own are minutes),
so that the jobs of a runner killed with -9 are claimed again within a test's seconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
import time
from pathlib import Path

import insights  # noqa: F401  (registers insights.rollup, as the app's import does)
import kb

#: Seconds the worker waits for DIR/go, and then at most runs.
WAIT_FOR_GO, RUN_AT_MOST = 30.0, 120.0


def shorten_leases(seconds: float) -> None:
    for name, kind in list(kb.JOB_KINDS.items()):
        kb.JOB_KINDS[name] = dataclasses.replace(kind, lease=dt.timedelta(seconds=seconds))


def main(url: str, folder: Path) -> None:
    shorten_leases(float(os.environ.get("ISTOK_TEST_LEASE", "3")))
    engine = kb.make_engine(url)
    (folder / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + WAIT_FOR_GO
    while not (folder / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    runner = kb.JobRunner(engine, poll=0.05)
    runner.start()
    deadline = time.monotonic() + RUN_AT_MOST
    while not (folder / "stop").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.stop()
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))

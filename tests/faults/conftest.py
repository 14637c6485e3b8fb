"""Fixtures of the fault tests (`make test-faults`): a time limit per test, a PostgreSQL cluster of
their own, and servers they may stop, kill and starve.

Every test here is bounded: past its limit (`TIME_LIMIT` seconds, or a module's own
`TIME_LIMIT`) it fails with a traceback of where it stood, rather than hanging the run. The
limit is an alarm in the main thread, so it interrupts a test blocked in a wait or a request.
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
import sqlalchemy as sa

import kb
from tests.api.conftest import free_port
from tests.conftest import CONTENT
from tests.faults.cluster import Cluster, pg_bin

#: Seconds a fault test may take, set-up included, unless its module says otherwise.
TIME_LIMIT = 180


@pytest.fixture(autouse=True)
def _time_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    seconds = int(getattr(request.module, "TIME_LIMIT", TIME_LIMIT))

    def _expired(_signum: int, _frame: FrameType | None) -> None:
        pytest.fail(f"{request.node.nodeid} ran past its time limit of {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL server of this module's own on a free port of 127.0.0.1, removed afterwards.

    Its folder is under /tmp, not under pytest's temporary root: the server runs as the
    `postgres` user, which must be able to reach it.
    """
    folder = Path(tempfile.mkdtemp(prefix="istok-faults-pg-"))
    server = Cluster(folder=folder / "cluster", port=free_port(), bin=pg_bin())
    server.init()
    server.start()
    try:
        yield server
    finally:
        if server.running():
            server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


def cluster_database(cluster: Cluster, *, content: bool = True) -> str:
    """A migrated database on `cluster` (the sample content imported and published); its URL."""
    name = f"istok_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{cluster.url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = f"{cluster.url}/{name}"
    engine = kb.make_engine(url)
    kb.upgrade(engine)
    if content:
        kb.import_paths([CONTENT], engine=engine, publish=True)
    engine.dispose()
    return url

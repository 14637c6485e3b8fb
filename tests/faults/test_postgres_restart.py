"""PostgreSQL restarted under load: the service says 503 while it is away and carries on once it is back.

A throw-away cluster of this module's own (tests/faults/cluster.py), never the shared server.
One `uvicorn` serves Istok over it while readers ask and search and writers save and publish;
the cluster is stopped in fast mode (every session ended at once, as a restart does), kept
down a few seconds and started again. While it is down every answer is either served from
what the process holds (search reads the index) or a 503 problem+json with Retry-After; no
request goes past its client timeout and none is a 500. Once it is back, the same process
answers, searches and publishes again, and its LISTEN connection (kb/notify.py) is back too: a
publish made by another process reaches it as a notification.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import kb
from tests.api.conftest import make_keys, start_server
from tests.faults.cluster import Cluster
from tests.faults.conftest import cluster_database
from tests.faults.store import check_acknowledged
from tests.faults.traffic import Outcome, Traffic

TIME_LIMIT = 150
#: Seconds of traffic before the stop, with the server down, and after the start.
BEFORE, DOWN, AFTER = 2.0, 4.0, 3.0
#: How long the service may take to answer normally again once PostgreSQL is back.
RECOVERY = 15.0
CLIENT_TIMEOUT = 10.0


@dataclass
class Served:
    base: str
    db_url: str
    keys: dict[str, str]
    log: Path


@pytest.fixture(scope="module")
def served(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    db_url = cluster_database(cluster)
    data = tmp_path_factory.mktemp("pg-restart")
    proc, base = start_server(
        db_url, data, ISTOK_SEMANTIC="0", ISTOK_RATE_LIMIT="100000", ISTOK_JOBS_POLL="0.2", ISTOK_INDEX_POLL="0.5"
    )
    try:
        yield Served(base, db_url, make_keys(db_url), next(data.glob("server-*.log")))
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _is_503_problem(o: Outcome) -> bool:
    return o.status == 503 and o.media_type == "application/problem+json" and o.retry_after is not None


def _recovered(served: Served) -> float:
    """Seconds until an answer, a search and a publish all succeed again (fails past RECOVERY)."""
    started = time.monotonic()
    bot = {"Authorization": f"Bearer {served.keys['bot']}"}
    editor = {"Authorization": f"Bearer {served.keys['editor']}"}
    last = ""
    with httpx.Client(base_url=served.base, timeout=CLIENT_TIMEOUT) as client:
        while time.monotonic() - started < RECOVERY:
            answer = client.get(
                "/api/v1/answer",
                params={"q": "How do I check my balance?", "locale": "en", "channel": "bot"},
                headers=bot,
            )
            found = client.get("/api/v1/search", params={"q": "balance", "locale": "en"}, headers=bot)
            published = client.post("/api/v1/articles/en/check-balance/unpublish", headers=editor)
            if published.status_code == 200:
                published = client.post("/api/v1/articles/en/check-balance/publish", json={}, headers=editor)
            if (answer.status_code, found.status_code, published.status_code) == (200, 200, 200):
                assert answer.json()["status"] == "answered"
                return time.monotonic() - started
            last = f"answer {answer.status_code}, search {found.status_code}, publish {published.status_code}"
            time.sleep(0.2)
    pytest.fail(f"not recovered {RECOVERY} s after PostgreSQL came back: {last}")


def test_requests_during_a_postgres_restart_get_503_and_the_service_recovers_by_itself(
    served: Served, cluster: Cluster
) -> None:
    traffic = Traffic(
        [served.base], served.keys["bot"], served.keys["editor"], timeout=CLIENT_TIMEOUT, tag="pg"
    ).start()
    try:
        time.sleep(BEFORE)
        cluster.stop("fast")  # returns once the server is down
        down_at = time.monotonic()
        time.sleep(DOWN)
        # pg_ctl start returns a little after the server accepts connections, so a request
        # can be answered before start() returns: the outage is down_at .. starting_at.
        starting_at = time.monotonic()
        cluster.start()
        up_at = time.monotonic()
        took = _recovered(served)
        time.sleep(AFTER)
    finally:
        traffic.stop()
    everything = traffic.outcomes
    during = [o for o in traffic.outcomes if o.started >= down_at and o.ended <= starting_at]
    print(
        f"\n{len(everything)} requests: {dict(Counter(o.status for o in everything))};"
        f" during the outage {dict(Counter((o.kind, o.status) for o in during))}; recovered in {took:.2f} s"
    )
    assert not [o for o in everything if o.timed_out], "requests went past their client timeout"
    unanswered = [o for o in everything if o.status is None]
    assert not unanswered, f"{len(unanswered)} requests got no answer at all: {unanswered[:3]}"
    errors = [o for o in everything if o.status is not None and o.status >= 500 and not _is_503_problem(o)]
    assert errors == [], f"server errors other than 503 problem+json with Retry-After: {errors[:5]}"
    assert any(_is_503_problem(o) for o in during), "no request saw the outage as a 503"
    writes = [o for o in during if o.kind in ("put", "publish")]
    assert writes and all(_is_503_problem(o) for o in writes), "a write went through with no database"
    late = [o for o in everything if o.started > up_at + took and o.status not in (200, 201)]
    assert late == [], f"requests failed after the service had recovered: {late[:5]}"
    check_acknowledged(served.db_url, traffic)
    _listens_again(served)


def _listens_again(served: Served) -> None:
    """The LISTEN connection is back: a publish by another process reaches the server as a notification."""
    with httpx.Client(base_url=served.base, timeout=CLIENT_TIMEOUT) as client:
        deadline = time.monotonic() + RECOVERY
        listener = client.get("/healthz").json()["listener"]
        while not (listener["connected"] and listener["reconnects"] >= 1) and time.monotonic() < deadline:
            time.sleep(0.2)
            listener = client.get("/healthz").json()["listener"]
        assert listener["connected"] is True and listener["reconnects"] >= 1, listener
        engine = kb.make_engine(served.db_url)
        with kb.write_session(engine) as session:
            article = kb.get_article(session=session, key="check-balance", locale="en")
            kb.unpublish(session=session, article=article, actor="another-process")
        engine.dispose()
        while client.get("/healthz").json()["listener"]["notifications"] == listener["notifications"]:
            assert time.monotonic() < deadline, "no notification reached the server after the restart"
            time.sleep(0.1)
        assert client.get("/readyz").status_code == 200

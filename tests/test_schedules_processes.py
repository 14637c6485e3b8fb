"""Scheduled publishing across processes: three runners over one database run every schedule exactly
once, in order per article, however they share the work (tests/schedules_worker.py)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, select

import kb
from tests.api.conftest import migrated_database
from tests.conftest import ROOT
from tests.helpers import article

ARTICLES = 40
PROMOTIONS = 10  # of them also go off again, a little after going live


@pytest.fixture(params=["postgres", "sqlite"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    with migrated_database(request.param, tmp_path, sqlite_template, prefix="istok_schedules") as url:
        yield url


def _workers(url: str, folder: Path, count: int) -> list[subprocess.Popen[bytes]]:
    """Start `count` runner processes and let them go together once all are ready."""
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.schedules_worker", url, str(folder)], cwd=ROOT, env=os.environ)
        for _ in range(count)
    ]
    deadline = time.monotonic() + 30
    while len(list(folder.glob("ready-*"))) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    (folder / "go").touch()
    return procs


def test_three_runner_processes_run_every_schedule_exactly_once(shared_db: str, tmp_path: Path) -> None:
    engine = kb.make_engine(shared_db)
    keys = [f"promo-{n:02}" for n in range(ARTICLES)]
    with kb.write_session(engine) as session:
        for key in keys:
            first = kb.save_draft(session=session, source=article(key=key, body="Old."), base_revision=None, actor="t")
            kb.save_draft(session=session, source=article(key=key, body="New."), base_revision=1, actor="t")
            kb.publish(session=session, article=first.article, revision=1, actor="setup")
    due = kb.utcnow() + dt.timedelta(seconds=2)
    with kb.write_session(engine) as session:
        for n, key in enumerate(keys):
            a = kb.get_article(session=session, key=key, locale="en")
            kb.schedule_publish(session=session, article=a, revision=2, at=due, actor="ann")
            if n < PROMOTIONS:
                kb.schedule_unpublish(session=session, article=a, at=due + dt.timedelta(seconds=0.5), actor="ann")
    procs = _workers(shared_db, tmp_path, 3)
    assert [p.wait(timeout=90) for p in procs] == [0, 0, 0]
    with kb.read_session(engine) as session:
        schedules = session.exec(select(kb.Schedule)).all()
        log = session.exec(select(kb.LogEntry).where(kb.LogEntry.actor == "ann").order_by(col(kb.LogEntry.seq))).all()
        runs = session.exec(select(kb.AuditEntry).where(kb.AuditEntry.action == "schedule.run")).all()
        jobs = session.exec(select(kb.Job).where(kb.Job.kind == "schedules.run")).all()
        live = {a.key: a.published_revision for a in kb.list_articles(session=session)}
    assert {s.state for s in schedules} == {"done"}
    assert all(s.finished_at is not None and s.finished_at >= s.due_at for s in schedules)
    assert len(runs) == len(schedules) == ARTICLES + PROMOTIONS  # each ran once, none twice
    per_article = Counter((e.key, e.kind) for e in log)
    assert per_article == Counter({(k, "publish"): 1 for k in keys} | {(k, "unpublish"): 1 for k in keys[:PROMOTIONS]})
    for key in keys[:PROMOTIONS]:  # live first, then off: in the order they were due
        assert [e.kind for e in log if e.key == key] == ["publish", "unpublish"]
    assert live == {k: (None if n < PROMOTIONS else 2) for n, k in enumerate(keys)}
    assert {j.state for j in jobs} == {"done"} and all(j.attempts == 1 for j in jobs)
    if shared_db.startswith("postgresql"):  # SKIP LOCKED shares the work; SQLite's one writer may not
        assert len({(j.locked_by or "").split(":")[1] for j in jobs}) >= 2
    engine.dispose()

"""Roll-ups across replicas: three runner processes over one database build the roll-up exactly once."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

import contacts
import insights
import kb
from tests.api.conftest import migrated_database
from tests.conftest import ROOT


@pytest.fixture(params=["sqlite", "postgres"])
def shared_db(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    with migrated_database(request.param, tmp_path, sqlite_template, prefix="istok_rollup") as url:
        yield url


def _replicas(url: str, folder: Path, count: int) -> list[subprocess.Popen[bytes]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.insights.rollup_worker", url, str(folder)], cwd=ROOT, env=os.environ
        )
        for _ in range(count)
    ]
    deadline = time.monotonic() + 60
    while len(list(folder.glob("ready-*"))) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    (folder / "go").touch()
    return procs


def test_three_replicas_roll_up_once_and_the_table_agrees_with_a_live_count(shared_db: str, tmp_path: Path) -> None:
    engine = kb.make_engine(shared_db)
    now = kb.utcnow()
    with kb.write_session(engine) as s:
        who = contacts.create_contact(session=s)
        for days, outcome in ((5, "answered"), (3, "handoff"), (3, "answered"), (2, "resolved")):
            contacts.record_interaction(
                session=s,
                contact=who,
                channel="chat",
                outcome=outcome,
                topic="billing",
                at=now - dt.timedelta(days=days),
            )
    procs = _replicas(shared_db, tmp_path, 3)
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    with kb.read_session(engine) as s:
        runs = s.exec(select(kb.Job).where(kb.Job.kind == insights.JOB)).all()
        span = insights.parse_range("7d")
        built = insights.built_days(s, span.first, span.last)
        rolled = insights.summary(s, span).totals
        live = insights.figures_of(insights.live_counters(s, span.first, span.last))
        coarse = s.exec(select(insights.CoarseRollup).where(insights.CoarseRollup.metric == "asked")).all()
    asked: dict[str, float] = {}
    for row in coarse:
        asked[row.level] = asked.get(row.level, 0.0) + row.value
    assert asked == {"channel_locale": 4.0, "channel_category": 4.0, "article": 4.0}  # every level written once
    assert sorted(j.state for j in runs) == ["done", "queued"], [(j.state, j.attempts, j.last_error) for j in runs]
    [done] = [j for j in runs if j.state == "done"]
    assert done.attempts == 1
    today = insights.company_day(now, kb.editor_zone())
    assert {today - dt.timedelta(days=n) for n in range(1, 6)} <= built and today not in built
    assert rolled == live and (rolled.questions, rolled.cases_opened, rolled.cases_resolved) == (4, 1, 1)
    engine.dispose()

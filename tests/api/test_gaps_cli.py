"""`istok gaps`, `gaps --dismissed`, `gaps dismiss ID`, `gaps restore ID` and `gaps merge ID ID…`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import kb
from api import runtime
from api.cli import app
from tests.helpers import CliRunner


@pytest.fixture
def cli(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("ISTOK_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ISTOK_DATA_DIR", str(tmp_path))
    runtime.engine.cache_clear()
    engine = kb.make_engine(sqlite_url)
    index = kb.SearchIndex(engine, data_dir=tmp_path / "gaps-index", use_semantic=False)
    index.open()
    answerer = kb.Answerer(index)  # an empty store: every question is handed off and logged as a gap
    for question, times in (("where is the office", 3), ("office address", 2), ("lottery results", 1)):
        for _ in range(times):
            assert answerer.answer(question, "en", "web").status == "handoff"
    index.gaps.flush()
    index.close()
    engine.dispose()
    yield CliRunner()
    runtime.engine.cache_clear()


def _listed(cli: CliRunner, *args: str) -> dict[str, dict[str, object]]:
    result = cli.invoke(app, ["gaps", "--json", *args])
    assert result.exit_code == 0, result.output
    return {r["question"]: r for r in json.loads(result.output)}


def test_gaps_are_dismissed_restored_and_merged_from_the_command_line(cli: CliRunner) -> None:
    ids = {q: int(r["id"]) for q, r in _listed(cli).items()}  # type: ignore[call-overload]
    done = cli.invoke(app, ["gaps", "dismiss", str(ids["lottery results"])])
    assert done.exit_code == 0 and "dismissed" in done.output
    assert "lottery results" not in _listed(cli)
    assert list(_listed(cli, "--dismissed")) == ["lottery results"]
    again = cli.invoke(app, ["gaps", "dismiss", str(ids["lottery results"])])
    assert again.exit_code == 1 and "dismissed already" in again.output
    assert cli.invoke(app, ["gaps", "restore", str(ids["lottery results"])]).exit_code == 0
    merged = cli.invoke(app, ["gaps", "merge", str(ids["where is the office"]), str(ids["office address"])])
    assert merged.exit_code == 0, merged.output
    rows = _listed(cli)
    assert set(rows) == {"where is the office", "lottery results"}
    assert (rows["where is the office"]["count"], rows["where is the office"]["examples"]) == (5, ["office address"])
    text = cli.invoke(app, ["gaps"]).output
    assert "where is the office [+1 merged]" in text and str(ids["where is the office"]) in text
    missing = cli.invoke(app, ["gaps", "dismiss", "999999"])
    assert missing.exit_code == 1 and "no content gap 999999" in missing.output
    with kb.read_session(runtime.engine()) as session:
        actions = [e.action for e in kb.audit_entries(session=session, limit=10)]
        actors = {e.actor for e in kb.audit_entries(session=session, limit=10)}
    assert actions == ["gap.merge", "gap.restore", "gap.dismiss"]
    assert all(a.startswith("cli:") for a in actors)

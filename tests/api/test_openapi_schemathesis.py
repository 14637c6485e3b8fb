"""Schemathesis against the app's own OpenAPI: no server errors, every response as documented."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

import kb
from tests.api.conftest import make_keys, start_server
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def editor_server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[str, str]]:
    data_dir = tmp_path_factory.mktemp("schemathesis")
    shutil.copy(sqlite_template, data_dir / "istok.db")
    db_url = f"sqlite:///{data_dir / 'istok.db'}"
    engine = kb.make_engine(db_url)
    kb.import_paths([ROOT / "content"], engine=engine, publish=True)
    engine.dispose()
    proc, base = start_server(db_url, data_dir, ISTOK_RATE_LIMIT="100000")
    try:
        yield base, make_keys(db_url)["editor"]
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _without_long_poll(case: Any) -> Any:
    """Long-polls wait up to 30 s for news that never comes here; their waiting has its own test."""
    if isinstance(case.query, dict) and "wait" in case.query:
        case.query["wait"] = 0
    return case


def test_every_operation_conforms(editor_server: tuple[str, str]) -> None:
    """Every operation, with an editor's key: no 5xx, and each response matches its schema."""
    base, key = editor_server
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy().map(_without_long_poll))
        def exercise(case: Any) -> None:
            case.call_and_validate(
                base_url=base,
                headers={"Authorization": f"Bearer {key}"},
                # A source can be valid JSON and still a broken article (no front matter, an
                # unclosed block): that 422 is content validation JSON Schema cannot express.
                excluded_checks=[checks.positive_data_acceptance],
            )

        try:
            exercise()
        except Exception as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 15
    assert not failures, "\n\n".join(failures)

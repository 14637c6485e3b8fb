"""One `GET /api/v1/answer` traced over real HTTP: one use-case, the engine once, no return into the route.

`bench/answer_path.py` serves the app in its own process with a trace hook on every thread
and asks the same question twice for a known client; these are the figures it reports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def path() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "answer_path.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_an_uncached_answer_runs_the_engine_once_renders_once_and_records_once(path: dict[str, Any]) -> None:
    first = path["uncached"]
    assert first["status"] == "answered"
    assert (first["engine"], first["render"], first["timeline"]) == (1, 1, 1)


def test_a_kept_answer_runs_neither_the_engine_nor_a_renderer_but_is_still_on_the_timeline(
    path: dict[str, Any],
) -> None:
    again = path["cached"]
    assert again["status"] == "answered"
    assert (again["engine"], again["render"], again["timeline"]) == (0, 0, 1)


@pytest.mark.parametrize("which", ["uncached", "cached"])
def test_no_route_runs_between_the_engine_and_the_timeline(path: dict[str, Any], which: str) -> None:
    """The route hands the question to `api/answering.py` and gets it back answered, rendered and recorded."""
    assert path[which]["routes_entered_mid_answer"] == []
    assert "api/answering.py" in path[which]["modules"]
    assert not [m for m in path[which]["modules"] if m.startswith("api/routes/") and m != "api/routes/answers.py"]

"""The service as a newcomer meets it: the installed `istok` in a subprocess and the app over real HTTP.

The commands' walks through a store below run the same app in-process (tests/api/commands.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.commands import istok as run_istok
from tests.bulkstore import free_port, serve
from tests.conftest import CONTENT, ROOT
from tests.helpers import article

ISTOK = str(Path(sys.executable).parent / "istok")


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ISTOK_DATABASE_URL", None)
    env.update({"ISTOK_DATA_DIR": str(data_dir), **extra})
    return env


def istok(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ISTOK, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def in_process(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_istok(args, env)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`istok serve` on a free port over a store holding the sample content."""
    env = _env(tmp_path_factory.mktemp("served"))
    assert istok("db", "upgrade", env=env).returncode == 0
    imported = istok("import", str(CONTENT), "--publish", env=env)
    assert imported.returncode == 0, imported.stderr
    served = serve(env, within=30)
    yield served.base
    served.stop()


def test_healthz_reports_published_articles_per_locale(server: str) -> None:
    resp = httpx.get(f"{server}/healthz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok" and body["database"] == "sqlite"
    assert set(body["articles"]) == {"en", "ru", "uk"}
    assert body["published_total"] >= 45
    assert body["last_seq"] >= 45


def test_unknown_path_is_problem_json(server: str) -> None:
    resp = httpx.get(f"{server}/no/such/page")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["type"].endswith("/not-found")


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = istok("serve", "--port", str(free_port()), env=_env(tmp_path))
    assert result.returncode == 1
    assert "run `istok db upgrade`" in result.stderr


def test_articles_list_json(tmp_path: Path) -> None:
    env = _env(tmp_path)
    in_process("db", "upgrade", env=env)
    in_process("import", str(CONTENT), "--publish", env=env)
    rows = json.loads(in_process("articles", "list", "--json", env=env).stdout)
    assert len(rows) >= 45
    assert {"key", "locale", "title", "draft_revision", "published_revision"} <= set(rows[0])
    assert all(r["published_revision"] == 1 for r in rows)


def test_import_of_a_broken_folder_fails_with_file_and_line(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    in_process("db", "upgrade", env=env)
    folder = tmp_path / "content" / "en"
    folder.mkdir(parents=True)
    (folder / "good.md").write_text(article(key="good"), encoding="utf-8")
    (folder / "bad.md").write_text(article(key="bad", body="::: ivr\nnever closed"), encoding="utf-8")
    result = in_process("import", str(tmp_path / "content"), env=env)
    assert result.returncode == 1
    assert f"{folder / 'bad.md'}:6: '::: ivr' is never closed" in result.stderr
    assert "nothing was changed" in result.stderr
    assert json.loads(in_process("articles", "list", "--json", env=env).stdout) == []


def test_history_diff_show_and_tree(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    in_process("db", "upgrade", env=env)
    src = tmp_path / "c" / "a.md"
    src.parent.mkdir()
    src.write_text(article(body="First."), encoding="utf-8")
    in_process("import", str(src.parent), env=env)
    src.write_text(article(body="Second."), encoding="utf-8")
    in_process("import", str(src.parent), env=env)
    assert in_process("publish", "en", "check-balance", "--revision", "1", env=env).returncode == 0
    history = json.loads(in_process("articles", "history", "en", "check-balance", "--json", env=env).stdout)
    assert [(h["number"], h["published"]) for h in history] == [(1, True), (2, False)]
    diff = in_process("articles", "diff", "en", "check-balance", "1", "2", env=env).stdout
    assert "-First." in diff and "+Second." in diff
    assert "First." in in_process("articles", "show", "en", "check-balance", env=env).stdout
    tree = in_process("tree", "en", "check-balance", env=env).stdout
    assert "paragraph" in tree and "Second." in tree
    missing = in_process("publish", "en", "nope", env=env)
    assert missing.returncode == 1 and "no article 'nope'" in missing.stderr

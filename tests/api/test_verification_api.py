"""Article verification over HTTP (through the typed client) and the CLI, against one live server.

The sample content's `review_by` dates are in 2027, so nothing of it is due; each test makes its
own article whose `review_by` has passed, which puts it in the queue at once.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from istok_client import Client, Forbidden, InvalidRequest, NotFound
from tests.api.commands import istok as run_istok
from tests.api.conftest import Live, start_server
from tests.helpers import article


def _due_article(live: Live, key: str, owner: str = "verify-team", *, publish: bool = True) -> None:
    source = article(key=key, title=f"Question {key}", category="billing", owner=owner, review_by="2026-01-15")
    with live.client("editor") as c:
        url = f"/api/v1/articles/en/{key}"
        assert c.put(url, json={"source": source}, headers={"If-None-Match": "*"}).is_success
        if publish:
            assert c.post(f"{url}/publish", json={"revision": 1}).is_success


def _client(live: Live, role: str = "editor") -> Client:
    return Client(live.base, api_key=live.keys[role])


def _cli(live: Live, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ISTOK_DATABASE_URL": live.db_url, "ISTOK_DATA_DIR": str(live.data_dir)}
    return run_istok(args, env)


def test_one_verification_takes_the_article_out_of_the_queue_without_a_revision(live: Live) -> None:
    _due_article(live, "verify-api")
    with _client(live) as istok:
        queue = istok.due_for_verification(owner="VERIFY-TEAM")
        assert [(d["locale"], d["key"]) for d in queue] == [("en", "verify-api")]
        (due,) = queue
        assert due["owner"] == "verify-team" and due["live_revision"] == 1
        assert [r["kind"] for r in due["reasons"]] == ["review_by"]
        assert due["since"].startswith("2026-01-15") and due["last_verification"] is None
        before = istok.get_article("en", "verify-api")
        made = istok.verify_article("en", "verify-api", note="checked with billing")
        assert (made["revision"], made["verified_by"], made["note"]) == (1, "test-editor", "checked with billing")
        assert made["content_hash"] == before["content_hash"]
        assert istok.due_for_verification(owner="verify-team") == []
        after = istok.get_article("en", "verify-api")
        assert (after["draft_revision"], after["published_revision"]) == (1, 1)
        assert after["etag"] == before["etag"]
        assert len(istok.list_revisions("en", "verify-api")) == 1
    with live.client("admin") as c:
        audit = c.get("/api/v1/audit", params={"action": "article.verify"}).json()
    assert any(e["target"] == "en/verify-api" and e["actor"] == "test-editor" for e in audit["items"])


def test_verify_without_a_body_and_the_refusals(live: Live) -> None:
    _due_article(live, "verify-draft", publish=False)
    _due_article(live, "verify-nobody")
    with live.client("editor") as c:
        r = c.post("/api/v1/articles/en/verify-nobody/verify")
        assert r.status_code == 201 and r.json()["note"] == ""
        r = c.post("/api/v1/articles/en/verify-draft/verify", json={})
        assert r.status_code == 422 and "not live" in r.json()["detail"]
        assert r.headers["content-type"].startswith("application/problem+json")
        r = c.post("/api/v1/articles/en/verify-draft/verify", json={"note": "x" * 2001})
        assert r.status_code == 422
    with _client(live) as istok, pytest.raises(NotFound):
        istok.verify_article("en", "no-such-article")
    with _client(live, "bot") as bot:
        with pytest.raises(Forbidden):
            bot.verify_article("en", "verify-nobody")
        with pytest.raises(Forbidden):
            bot.due_for_verification()
    assert httpx.get(f"{live.base}/api/v1/verification/due").status_code == 401
    with _client(live) as istok, pytest.raises(InvalidRequest):
        istok.due_for_verification(locale="nope!")
    with _client(live) as istok:
        assert "verify-draft" not in {d["key"] for d in istok.due_for_verification()}  # never live: never due


def test_the_cli_lists_the_queue_and_verifies(live: Live) -> None:
    _due_article(live, "verify-cli", owner="cli-team")
    listed = _cli(live, "due", "--owner", "cli-team", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["key"] == "verify-cli" and row["reasons"][0]["kind"] == "review_by"
    text = _cli(live, "due", "--owner", "cli-team")
    assert "en/verify-cli" in text.stdout and "review_by 2026-01-15" in text.stdout
    done = _cli(live, "verify", "en", "verify-cli", "--note", "still true")
    assert done.returncode == 0, done.stderr
    assert "verified en/verify-cli revision 1 by cli:" in done.stdout
    assert json.loads(_cli(live, "due", "--owner", "cli-team", "--json").stdout) == []
    assert _cli(live, "due", "--owner", "cli-team").stdout.strip() == "nothing is due for verification"
    missing = _cli(live, "verify", "en", "no-such-article")
    assert missing.returncode == 1 and "no article" in (missing.stderr + missing.stdout)


def test_a_broken_rules_file_is_a_problem_naming_file_and_line(live_sqlite: Live, tmp_path: Path) -> None:
    """Over SQLite only: reading the rules file is the same whichever database is behind it."""
    live = live_sqlite
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "verification.yaml").write_text("default:\n  every: 90\n", encoding="utf-8")
    proc, base = start_server(live.db_url, tmp_path / "data", ISTOK_VERIFICATION_RULES=str(rules))
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {live.keys['editor']}"}) as c:
            r = c.get("/api/v1/verification/due")
            assert r.status_code == 422
            assert f"{rules / 'verification.yaml'}:2:" in r.json()["detail"]
            (rules / "verification.yaml").write_text("default:\n  every: 90d\n", encoding="utf-8")
            os.utime(rules / "verification.yaml", (1, 1))
            assert c.get("/api/v1/verification/due").status_code == 200  # re-read, no restart
    finally:
        proc.terminate()
        proc.wait(timeout=15)

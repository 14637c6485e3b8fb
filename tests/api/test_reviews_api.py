"""Review and approval over HTTP (the typed client) and the CLI, against one server whose workflows
ask billing articles for one editor's approval: refused publish, submit, request changes, edit,
submit, approve, publish; the author cannot approve; the emergency path is for admins and audited."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from istok_client import Client, Conflict, Forbidden, InvalidRequest
from tests.api.commands import istok as run_istok
from tests.api.conftest import Live, reviewed_server
from tests.helpers import article

RULES = "default:\n  approvals: 0\nbilling:\n  approvals: 1\n  reviewers: [editor]\n  direct_publish: [admin]\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    yield from reviewed_server(tmp_path_factory.mktemp("reviews"), sqlite_template, RULES)


def _client(server: Live, role: str) -> Client:
    return Client(server.base, api_key=server.keys[role])


def _draft(client: Client, key: str, body: str, *, base: str | None = None) -> int:
    source = article(key=key, body=body, category="billing")
    saved = client.save_article("en", key, source, base=base) if base else client.create_article("en", key, source)
    return int(saved["source_revision"])


def _istok(server: Live, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ISTOK_DATABASE_URL": server.db_url,
        "ISTOK_DATA_DIR": str(server.data_dir),
        "ISTOK_WORKFLOWS": server.keys["rules"],
    }
    return run_istok(args, env)


def test_submit_request_changes_edit_approve_publish(server: Live) -> None:
    with _client(server, "editor") as author, _client(server, "reviewer") as rita:
        first = _draft(author, "review-topup", "Top up at any kiosk.")
        with pytest.raises(Conflict, match="needs 1 approval"):
            author.publish_article("en", "review-topup")
        submitted = author.submit_review("en", "review-topup", first, comment="New article")
        assert (submitted["state"], submitted["needed"], submitted["ready"]) == ("pending", 1, False)
        assert [r["key"] for r in rita.list_reviews()] == ["review-topup"]
        assert author.list_reviews() == []  # nobody reviews their own
        with pytest.raises(Forbidden, match="someone else"):
            author.approve_revision("en", "review-topup", first)
        with pytest.raises(InvalidRequest):
            rita.request_changes("en", "review-topup", first, comment="   ")
        sent_back = rita.request_changes("en", "review-topup", first, comment="Name the fee")
        assert sent_back["state"] == "changes_requested"
        assert [(s["kind"], s["comment"]) for s in sent_back["steps"]] == [
            ("submitted", "New article"),
            ("changes_requested", "Name the fee"),
        ]
        with pytest.raises(Conflict, match="not waiting"):
            rita.approve_revision("en", "review-topup", first)
        second = _draft(author, "review-topup", "Top up at any kiosk; no fee.", base="*")
        assert author.get_review("en", "review-topup", second)["state"] == "none"
        author.submit_review("en", "review-topup", second)
        approved = rita.approve_revision("en", "review-topup", second, comment="Good")
        assert (approved["state"], approved["approved_by"], approved["ready"]) == ("approved", ["rita"], True)
        assert rita.list_reviews() == []
        published = author.publish_article("en", "review-topup")
        assert published["published_revision"] == second
    with _client(server, "admin") as admin:
        actions = [e["action"] for e in admin.list_audit(limit=50)["items"] if e["target"] == "en/review-topup"]
    assert actions[:4] == ["article.publish", "review.approve", "review.submit", "article.save"]
    assert "review.request_changes" in actions


def test_emergency_publish_is_for_admins_and_audited(server: Live) -> None:
    with _client(server, "editor") as author:
        _draft(author, "review-urgent", "Payments are down; use the kiosk.")
        with pytest.raises(Forbidden, match="without review"):
            author.publish_article("en", "review-urgent", emergency=True)
    with _client(server, "admin") as admin:
        assert admin.publish_article("en", "review-urgent", emergency=True)["changed"] is True
        [entry] = [e for e in admin.list_audit(limit=50)["items"] if e["target"] == "en/review-urgent"][:1]
    assert (entry["action"], entry["detail"]) == ("article.publish", {"emergency": True})


def test_the_cli_takes_the_same_steps(server: Live) -> None:
    with _client(server, "editor") as author:
        number = _draft(author, "review-cli", "Autopay runs on the 1st.")
    refused = _istok(server, "publish", "en", "review-cli")
    assert refused.returncode != 0 and "needs 1 approval" in refused.stderr
    assert _istok(server, "review", "submit", "en", "review-cli").returncode == 0
    listed = _istok(server, "review", "list")
    assert "en/review-cli" in listed.stdout and f"r{number}" in listed.stdout
    no_comment = _istok(server, "review", "request-changes", "en", "review-cli", "-m", " ")
    assert no_comment.returncode != 0 and "comment is required" in no_comment.stderr
    approved = _istok(server, "review", "approve", "en", "review-cli", "--json")
    assert approved.returncode == 0, approved.stderr
    assert '"state": "approved"' in approved.stdout
    assert _istok(server, "publish", "en", "review-cli").returncode == 0
    with _client(server, "editor") as author:
        _draft(author, "review-cli-urgent", "Autopay is paused today.")
    assert _istok(server, "publish", "en", "review-cli-urgent").returncode != 0
    urgent = _istok(server, "publish", "en", "review-cli-urgent", "--emergency")
    assert urgent.returncode == 0, urgent.stderr
    with _client(server, "admin") as admin:
        [entry] = [e for e in admin.list_audit(limit=50)["items"] if e["target"] == "en/review-cli-urgent"][:1]
    assert (entry["action"], entry["detail"], entry["actor"].startswith("cli:")) == (
        "article.publish",
        {"emergency": True},
        True,
    )

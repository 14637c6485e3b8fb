"""Fact changes under a `facts` workflow over HTTP: a PUT answers 202 with a proposal that is not live;
the proposer cannot approve (403); apply before approval and after the fact moved are 409; the emergency
query is for admins and audited; a rollback to never-approved text is 409 unless an emergency."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from istok_client import Client, Conflict, Forbidden
from tests.api.commands import istok as run_istok
from tests.api.conftest import Live, reviewed_server
from tests.helpers import article

RULES = (
    "facts:\n  approvals: 1\n  reviewers: [editor]\n  direct_publish: [admin]\n"
    "billing:\n  approvals: 1\n  reviewers: [editor]\n  direct_publish: [admin]\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    yield from reviewed_server(tmp_path_factory.mktemp("fact-reviews"), sqlite_template, RULES)


def _put(http: httpx.Client, key: str, value: str, etag: str, **params: str) -> httpx.Response:
    headers = {"If-None-Match": "*"} if etag == "*new" else {"If-Match": etag}
    return http.put(f"/api/v1/facts/{key}", json={"type": "text", "value": value}, headers=headers, params=params)


def _seed(server: Live, key: str) -> None:
    with server.client("admin") as admin:
        assert _put(admin, key, "first", "*new", emergency="true").status_code == 201


def test_put_proposes_and_the_proposal_goes_live_only_when_applied(server: Live) -> None:
    _seed(server, "hours_api")
    with server.client("editor") as ann, server.client("reviewer") as rita:
        proposed = _put(ann, "hours_api", "second", '"v1"')
        assert proposed.status_code == 202, proposed.text
        body = proposed.json()
        assert (body["state"], body["value"], body["base_version"], body["ready"]) == ("pending", "second", 1, False)
        pid = body["id"]
        assert ann.get("/api/v1/facts/hours_api").json()["value"] == "first"
        assert ann.post(f"/api/v1/fact-proposals/{pid}/apply").status_code == 409
        own = ann.post(f"/api/v1/fact-proposals/{pid}/approve", json={"comment": "mine"})
        assert own.status_code == 403 and own.headers["content-type"].startswith("application/problem+json")
        assert [p["id"] for p in rita.get("/api/v1/fact-proposals").json()] == [pid]
        approved = rita.post(f"/api/v1/fact-proposals/{pid}/approve", json={"comment": "ok"})
        assert approved.status_code == 200 and approved.json()["approved_by"] == ["rita"]
        applied = ann.post(f"/api/v1/fact-proposals/{pid}/apply")
        assert applied.status_code == 200 and applied.json()["state"] == "applied"
        assert ann.get("/api/v1/facts/hours_api").json()["value"] == "second"
    with Client(server.base, api_key=server.keys["admin"]) as admin:
        actions = [e["action"] for e in admin.list_audit(limit=50)["items"] if e["target"] == "hours_api"]
        assert {"fact_review.submitted", "fact_review.approved", "fact_review.applied"} <= set(actions)
        typed = admin.list_fact_proposals(state="applied")
        assert any(p["key"] == "hours_api" for p in typed)
        urgent = admin.update_fact("hours_api", type="text", value="third", base="*", emergency=True)
        assert (urgent["value"], urgent["version"]) == ("third", 3)


def test_request_changes_and_conflict_and_emergency(server: Live) -> None:
    _seed(server, "fee_api")
    with server.client("editor") as ann, server.client("reviewer") as rita, server.client("admin") as admin:
        pid = _put(ann, "fee_api", "proposed", '"v1"').json()["id"]
        assert rita.post(f"/api/v1/fact-proposals/{pid}/request-changes", json={"comment": ""}).status_code == 422
        back = rita.post(f"/api/v1/fact-proposals/{pid}/request-changes", json={"comment": "too vague"})
        assert back.status_code == 200 and back.json()["state"] == "changes_requested"
        assert rita.post(f"/api/v1/fact-proposals/{pid}/approve").status_code == 409
        second = _put(ann, "fee_api", "again", '"v1"').json()["id"]
        assert rita.post(f"/api/v1/fact-proposals/{second}/approve").status_code == 200
        assert _put(ann, "fee_api", "urgent", '"v1"', emergency="true").status_code == 403
        urgent = _put(admin, "fee_api", "urgent", '"v1"', emergency="true")
        assert urgent.status_code == 200 and urgent.json()["version"] == 2
        conflict = ann.post(f"/api/v1/fact-proposals/{second}/apply")
        assert conflict.status_code == 409, conflict.text
        assert ann.get("/api/v1/facts/fee_api").json()["value"] == "urgent"
        assert admin.get("/api/v1/fact-proposals/999999").status_code == 404
    with Client(server.base, api_key=server.keys["admin"]) as typed:
        sets = [
            e for e in typed.list_audit(limit=50)["items"] if e["target"] == "fee_api" and e["action"] == "fact.set"
        ]
        assert sets[0]["detail"]["emergency"] is True


def test_rollback_to_never_approved_text_needs_the_emergency_path(server: Live) -> None:
    key = "rollback-fee"
    with (
        Client(server.base, api_key=server.keys["editor"]) as ann,
        Client(server.base, api_key=server.keys["reviewer"]) as rita,
        Client(server.base, api_key=server.keys["admin"]) as admin,
    ):
        ann.create_article("en", key, article(key=key, body="Old fee, never reviewed.", category="billing"))
        ann.save_article("en", key, article(key=key, body="No fee.", category="billing"), base="*")
        ann.submit_review("en", key, 2)
        rita.approve_revision("en", key, 2)
        ann.publish_article("en", key)
        with pytest.raises(Conflict, match="needs 1 approval"):
            ann.rollback_article("en", key, 1, base="*")
        with pytest.raises(Forbidden):
            ann.rollback_article("en", key, 1, base="*", emergency=True)
        assert admin.rollback_article("en", key, 1, base="*", emergency=True)["published_revision"] == 3
        assert ann.rollback_article("en", key, 2, base="*")["published_revision"] == 4  # approved text
        assert ann.rollback_article("en", key, 1, base="*")["published_revision"] == 5  # live as an emergency
        rows = [e for e in admin.list_audit(limit=50)["items"] if e["action"] == "article.rollback"]
        assert [r["detail"].get("emergency") for r in rows if r["target"] == f"en/{key}"][-1] is True


def test_the_cli_lists_approves_and_applies(server: Live) -> None:
    _seed(server, "cli_fee")
    with server.client("editor") as ann:
        pid = _put(ann, "cli_fee", "from the cli", '"v1"').json()["id"]
    env = {**os.environ, "ISTOK_DATABASE_URL": server.db_url, "ISTOK_DATA_DIR": str(server.data_dir)}
    env["ISTOK_WORKFLOWS"] = str(server.keys["rules"])

    def istok(*args: str) -> subprocess.CompletedProcess[str]:
        return run_istok(["review", *args], env)

    listed = istok("facts")
    assert listed.returncode == 0 and f"#{pid}" in listed.stdout and "cli_fee" in listed.stdout
    early = istok("fact-apply", str(pid))
    assert early.returncode != 0 and "needs 1 approval" in early.stderr
    assert istok("fact-approve", str(pid), "-m", "fine").returncode == 0
    applied = istok("fact-apply", str(pid), "--json")
    assert applied.returncode == 0, applied.stderr
    assert '"state": "applied"' in applied.stdout
    with server.client("editor") as ann:
        assert ann.get("/api/v1/facts/cli_fee").json()["value"] == "from the cli"

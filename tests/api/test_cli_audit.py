"""The CLI's changes (publication, import, keys, accounts) are audited like the API's, as `cli:<os user>`."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
from pathlib import Path

from sqlmodel import col, select

import kb
from tests.api.commands import istok
from tests.api.conftest import Live
from tests.helpers import article


def _istok(live: Live, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ISTOK_DATABASE_URL": live.db_url, "ISTOK_DATA_DIR": str(live.data_dir)}
    return istok(args, env)


def test_cli_publication_commands_write_audit_rows(live: Live) -> None:
    engine = live.engine()
    with kb.write_session(engine) as session:
        kb.save_draft(session=session, source=article(key="cli-audit", body="First."), base_revision=None, actor="t")
        kb.save_draft(session=session, source=article(key="cli-audit", body="Second."), base_revision=1, actor="t")
    engine.dispose()
    for args in (["publish", "en", "cli-audit"], ["unpublish", "en", "cli-audit"], ["rollback", "en", "cli-audit"]):
        extra = ["--to", "1"] if args[0] == "rollback" else []
        done = _istok(live, *args, *extra)
        assert done.returncode == 0, done.stderr
    with live.client("admin") as c:
        items = c.get("/api/v1/audit", params={"limit": 100}).json()["items"]
    mine = [
        (i["action"], i["actor"], i["role"], i["base_revision"], i["new_revision"])
        for i in reversed(items)
        if i["target"] == "en/cli-audit" and i["action"] != "article.save"
    ]
    who = f"cli:{getpass.getuser()}"
    assert mine == [
        ("article.publish", who, "admin", None, 2),
        ("article.unpublish", who, "admin", 2, None),
        ("article.rollback", who, "admin", None, 3),
    ]


def _audit_after(live: Live, after_id: int) -> list[kb.AuditEntry]:
    engine = live.engine()
    try:
        with kb.read_session(engine) as session:
            found = session.exec(
                select(kb.AuditEntry).where(col(kb.AuditEntry.id) > after_id).order_by(col(kb.AuditEntry.id))
            )
            return list(found)
    finally:
        engine.dispose()


def _last_id(live: Live) -> int:
    rows = _audit_after(live, 0)
    return rows[-1].id or 0 if rows else 0


def test_every_key_and_user_command_leaves_exactly_its_audit_rows(live: Live) -> None:
    """One row per change, naming the CLI actor as every other command does; no secret in any."""
    who = f"cli:{getpass.getuser()}"
    secrets: list[str] = []

    def run(*args: str) -> list[tuple[str, str, str, str]]:
        before = _last_id(live)
        done = _istok(live, *args)
        assert done.returncode == 0, done.stderr
        secrets.append(done.stdout)
        return [(e.actor, e.role, e.action, e.target) for e in _audit_after(live, before)]

    created = run("keys", "create", "--role", "bot", "--name", "cli-audit-bot", "--json")
    key = json.loads(secrets[-1])
    assert created == [(who, "admin", "key.create", f"key {key['id']}")]
    assert run("keys", "revoke", str(key["id"])) == [(who, "admin", "key.revoke", f"key {key['id']}")]
    demo_keys = run("keys", "demo")
    assert [(a, r, action) for a, r, action, _ in demo_keys] == [(who, "admin", "key.create")] * 4
    password = "cli-audit-password-1"
    assert run("users", "create", "cli-ann", "--role", "editor", "--password", password) == [
        (who, "admin", "user.create", "cli-ann")
    ]
    assert run("users", "password", "cli-ann", "--password", "cli-audit-password-2") == [
        (who, "admin", "user.password", "cli-ann")
    ]
    assert run("users", "disable", "cli-ann") == [(who, "admin", "user.disable", "cli-ann")]
    demo_users = run("users", "demo")
    assert sorted(demo_users) == [(who, "admin", "user.create", f"demo-{r}") for r in ("admin", "editor", "operator")]
    everything = repr([(e.target, e.detail) for e in _audit_after(live, 0)])
    assert key["key"] not in everything and password not in everything and "cli-audit-password-2" not in everything
    for secret in json.loads((live.data_dir / "demo-keys.json").read_text(encoding="utf-8")).values():
        assert secret not in everything


def test_import_and_publish_all_are_audited_as_the_cli_actor(live: Live, tmp_path: Path) -> None:
    who = f"cli:{getpass.getuser()}"
    (tmp_path / "a.md").write_text(article(key="cli-import-a", status="published"), encoding="utf-8")
    (tmp_path / "b.md").write_text(article(key="cli-import-b"), encoding="utf-8")
    before = _last_id(live)
    done = _istok(live, "import", str(tmp_path), "--publish")
    assert done.returncode == 0, done.stderr
    imported = {(e.actor, e.role, e.action, e.target) for e in _audit_after(live, before)}
    assert imported == {
        (who, "admin", "article.save", "en/cli-import-a"),
        (who, "admin", "article.save", "en/cli-import-b"),
        (who, "admin", "article.publish", "en/cli-import-a"),
    }
    before = _last_id(live)
    done = _istok(live, "publish", "en", "--all")
    assert done.returncode == 0, done.stderr
    published = [(e.actor, e.role, e.action, e.target, e.new_revision) for e in _audit_after(live, before)]
    assert (who, "admin", "article.publish", "en/cli-import-b", 1) in published
    assert all(row[:3] == (who, "admin", "article.publish") for row in published)

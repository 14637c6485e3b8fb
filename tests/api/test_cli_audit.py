"""`istok publish`, `unpublish` and `rollback` are audited like the API's, as `cli:<os user>`."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import kb
from tests.api.conftest import Live
from tests.conftest import ROOT
from tests.helpers import article

ISTOK = str(Path(sys.executable).parent / "istok")


def _istok(live: Live, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ISTOK_DATABASE_URL": live.db_url, "ISTOK_DATA_DIR": str(live.data_dir)}
    return subprocess.run([ISTOK, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


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

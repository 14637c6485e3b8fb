"""Scheduled publishing end to end: the API (through the typed client), the server's own job runner,
the CLI against the same store, and the admin's pages in the editors' zone (ISTOK_TIMEZONE)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import kb
from istok_client import Client, Conflict, InvalidRequest, NotFound
from tests.api.commands import istok as run_istok
from tests.api.conftest import Live, sample_server
from tests.helpers import article

ZONE = "Europe/Kyiv"
PASSWORD = "editor-password-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    env = {"ISTOK_RATE_LIMIT": "100000", "ISTOK_JOBS_POLL": "0.1", "ISTOK_TIMEZONE": ZONE}
    for live in sample_server(tmp_path_factory.mktemp("schedules"), sqlite_template, **env):
        engine = live.engine()
        with kb.write_session(engine) as session:
            kb.create_user(session=session, username="ed", password=PASSWORD, role="editor", actor="test")
        engine.dispose()
        yield live


def _article(server: Live, key: str, revisions: int = 2) -> None:
    """An article with `revisions` revisions, the first one live."""
    with server.client("editor") as c:
        url = f"/api/v1/articles/en/{key}"
        assert c.put(url, json={"source": article(key=key, body="One.")}, headers={"If-None-Match": "*"}).is_success
        for n in range(2, revisions + 1):
            body = {"source": article(key=key, body=f"Text {n}.")}
            assert c.put(url, json=body, headers={"If-Match": f'"r{n - 1}"'}).is_success
        assert c.post(f"{url}/publish", json={"revision": 1}).is_success


def _client(server: Live, role: str = "editor") -> Client:
    return Client(server.base, api_key=server.keys[role])


def _wait(what: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"still waiting after {seconds} s")


def _state(client: Client, schedule_id: int) -> dict[str, Any]:
    [found] = [s for s in client.list_schedules(limit=500) if s["id"] == schedule_id]
    return dict(found)


def test_the_servers_runner_publishes_when_due_as_the_editor_who_set_it(server: Live) -> None:
    _article(server, "sched-on-time")
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1.5)
    with _client(server) as client:
        made = client.schedule_publish("en", "sched-on-time", revision=2, at=at)
        assert (made["state"], made["live_revision_at_set"], made["created_by"]) == ("pending", 1, "test-editor")
        assert dt.datetime.fromisoformat(made["due_at"]) == at
        assert made["id"] in [s["id"] for s in client.list_schedules(state="pending")]
        assert client.get_article("en", "sched-on-time")["published_revision"] == 1  # not before
        done = _wait(lambda: (s := _state(client, made["id"]))["state"] != "pending" and s)
        assert (done["state"], done["outcome"]) == ("done", "revision 2 made live")
        assert dt.datetime.fromisoformat(done["finished_at"]) >= at
        assert client.get_article("en", "sched-on-time")["published_revision"] == 2
    with server.client("editor") as c:  # every channel serves it, from the job runner's publish
        _wait(lambda: "Text 2." in c.get("/api/v1/articles/en/sched-on-time/render/web").text, seconds=5)
    with _client(server, "admin") as admin:
        audit = admin.list_audit(action="article.publish", limit=5)["items"]
    [row] = [e for e in audit if e["target"] == "en/sched-on-time" and e["new_revision"] == 2]
    assert (row["actor"], row["role"]) == ("test-editor", "schedule")


def test_a_publish_by_hand_before_it_is_due_skips_an_unpublish_and_the_list_says_who(server: Live) -> None:
    _article(server, "sched-skip", revisions=3)
    at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    with _client(server) as client:
        made = client.schedule_unpublish("en", "sched-skip", at=at)
        with server.client("admin") as admin:
            assert admin.post("/api/v1/articles/en/sched-skip/publish", json={"revision": 3}).is_success
        skipped = _wait(lambda: (s := _state(client, made["id"]))["state"] != "pending" and s)
        assert skipped["state"] == "skipped"
        assert "test-admin made revision 3 live" in skipped["outcome"]
        assert client.get_article("en", "sched-skip")["published_revision"] == 3  # not undone
        assert made["id"] in [s["id"] for s in client.list_schedules(state="skipped")]


def test_bad_schedules_are_problems_with_the_reason(server: Live) -> None:
    _article(server, "sched-bad")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with _client(server) as client:
        with pytest.raises(InvalidRequest, match="in the past"):
            client.schedule_publish("en", "sched-bad", revision=2, at=soon - dt.timedelta(days=1))
        with pytest.raises(NotFound, match="has no revision 7"):
            client.schedule_publish("en", "sched-bad", revision=7, at=soon)
        with pytest.raises(NotFound, match="no article"):
            client.schedule_publish("en", "no-such-article", revision=1, at=soon)
        made = client.schedule_publish("en", "sched-bad", revision=2, at=soon)
        with pytest.raises(Conflict, match="already due at"):
            client.schedule_unpublish("en", "sched-bad", at=soon)
        assert client.cancel_schedule(made["id"])["state"] == "cancelled"
        with pytest.raises(Conflict, match="is cancelled, not pending"):
            client.cancel_schedule(made["id"])
    with server.client("editor") as c:
        url = "/api/v1/articles/en/sched-bad/schedule"
        naive = c.post(url, json={"action": "publish", "revision": 2, "at": "2030-01-01T09:00:00"})
        assert naive.status_code == 422 and naive.headers["content-type"].startswith("application/problem+json")
        assert c.post(url, json={"action": "publish", "at": soon.isoformat()}).status_code == 422
        assert c.delete("/api/v1/schedules/999999").status_code == 404
    with server.client("operator") as c:
        assert c.get("/api/v1/schedules").status_code == 403


def _cli(server: Live, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ISTOK_DATABASE_URL": server.db_url, "ISTOK_DATA_DIR": str(server.data_dir)}
    env["ISTOK_TIMEZONE"] = ZONE
    return run_istok(args, env)


def test_the_cli_schedules_in_the_editors_zone_lists_and_cancels(server: Live) -> None:
    _article(server, "sched-cli")
    made = _cli(
        server, "schedule", "publish", "en", "sched-cli", "--revision", "2", "--at", "2030-07-01T09:00", "--json"
    )
    assert made.returncode == 0, made.stderr
    row = json.loads(made.stdout)
    assert dt.datetime.fromisoformat(row["due_at"]) == dt.datetime(2030, 7, 1, 6, 0, tzinfo=dt.UTC)  # 09:00 EEST
    listed = _cli(server, "schedule", "list", "--state", "pending")
    assert listed.returncode == 0 and re.search(rf"{row['id']}\s+2030-07-01 09:00 {ZONE}", listed.stdout)
    assert _cli(server, "schedule", "cancel", str(row["id"])).returncode == 0
    again = _cli(server, "schedule", "cancel", str(row["id"]))
    assert again.returncode == 1 and "not pending" in again.stderr
    unknown = _cli(server, "schedule", "unpublish", "en", "sched-cli", "--at", "yesterday")
    assert unknown.returncode == 1 and "not a date and time" in unknown.stderr
    [cancelled] = [r for r in json.loads(_cli(server, "schedule", "list", "--json").stdout) if r["id"] == row["id"]]
    assert cancelled["state"] == "cancelled"


def _signed_in(server: Live) -> httpx.Client:
    http = httpx.Client(base_url=server.base, timeout=30)
    token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text)
    assert token is not None
    form = {"username": "ed", "password": PASSWORD, "csrf": token.group(1), "next": "/admin"}
    assert http.post("/login", data=form).status_code == 303
    return http


def test_the_admin_schedules_from_the_editor_in_the_zone_and_cancels_with_csrf(server: Live) -> None:
    _article(server, "sched-admin")
    http = _signed_in(server)
    try:
        editor = http.get("/admin/articles/en/sched-admin").text
        assert 'id="schedule-form"' in editor and ZONE in editor
        csrf = re.search(r'name="csrf" value="([^"]+)"', editor)
        assert csrf is not None
        form = {"csrf": csrf.group(1), "locale": "en", "key": "sched-admin", "action": "publish", "revision": "2"}
        sent = http.post("/admin/schedules", data={**form, "at": "2031-01-15T10:30"}, follow_redirects=True)
        assert "Publish of revision 2 scheduled for Jan 15, 2031 10:30 (Europe/Kyiv)" in sent.text
        with kb.read_session(kb.make_engine(server.db_url)) as session:
            [made] = kb.list_schedules(session=session, key="sched-admin")
        assert made.due_at == dt.datetime(2031, 1, 15, 8, 30, tzinfo=dt.UTC)  # 10:30 EET
        assert made.created_by == "ed"
        refused = http.post("/admin/schedules", data={**form, "at": "2020-01-01T10:00"}, follow_redirects=True)
        assert "is in the past" in refused.text
        listing = http.get("/admin/schedules").text
        assert f'id="schedule-{made.id}"' in listing and "Jan 15, 2031 10:30" in listing
        assert 'href="/admin/schedules"' in listing  # in the navigation
        forged = http.post(f"/admin/schedules/{made.id}/cancel", data={"csrf": "forged"})
        assert forged.status_code == 403
        cancelled = http.post(f"/admin/schedules/{made.id}/cancel", data={"csrf": csrf.group(1)}, follow_redirects=True)
        assert f"Schedule {made.id} is cancelled" in cancelled.text
        assert "cancelled by ed" in http.get("/admin/schedules?state=cancelled").text
    finally:
        http.close()

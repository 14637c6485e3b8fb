"""Ending sessions: logout, a password change and `istok users disable`, on every replica at once.

Two real servers share one database (SQLite and PostgreSQL), as replicas behind a load
balancer do; a browser's cookie is kept by hand (an attacker's copy, a second tab) after
it should have stopped working.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import kb
from tests.api.conftest import migrated_database, start_server
from tests.conftest import ROOT

SECRET = "test-secret-key-for-sessions"
PASSWORD = "session-password-1"


@dataclass
class Replicas:
    """Two servers over one database."""

    bases: tuple[str, str]
    db_url: str
    data_dir: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "ISTOK_DATABASE_URL": self.db_url, "ISTOK_DATA_DIR": str(self.data_dir)}
        return subprocess.run(
            [sys.executable, "-m", "api.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def replicas(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Replicas]:
    data_dir = tmp_path_factory.mktemp("replicas")
    env = {"ISTOK_SECRET_KEY": SECRET, "ISTOK_RATE_LIMIT": "100000", "ISTOK_LOGIN_ATTEMPTS": "100"}
    with migrated_database(request.param, data_dir, sqlite_template, prefix="istok_sessions") as db_url:
        first, base_a = start_server(db_url, data_dir / "a", **env)
        second, base_b = start_server(db_url, data_dir / "b", **env)
        try:
            yield Replicas(bases=(base_a, base_b), db_url=db_url, data_dir=data_dir / "a")
        finally:
            for proc in (first, second):
                proc.terminate()
                proc.wait(timeout=15)


def _account(replicas: Replicas) -> str:
    """A fresh admin (who may use both /admin and /panel), so tests do not end each other's sessions."""
    username = f"admin-{uuid.uuid4().hex[:8]}"
    engine = kb.make_engine(replicas.db_url)
    with kb.write_session(engine) as session:
        kb.create_user(session=session, username=username, password=PASSWORD, role="admin", actor="test")
    engine.dispose()
    return username


def _sign_in(base: str, username: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text)
    assert token is not None
    done = http.post("/login", data={"username": username, "password": PASSWORD, "csrf": token.group(1)})
    assert done.status_code == 303, done.text
    return http


def _kept(base: str, cookie: str) -> httpx.Client:
    """Another client holding a copy of the session cookie."""
    return httpx.Client(base_url=base, timeout=30, follow_redirects=False, cookies={"istok_session": cookie})


def _csrf(http: httpx.Client) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', http.get("/admin").text)
    assert found is not None
    return found.group(1)


def _refused(http: httpx.Client, path: str) -> bool:
    got = http.get(path)
    return got.status_code == 303 and got.headers["location"].startswith("/login")


def test_a_kept_cookie_is_refused_after_logout_and_other_sessions_stay(replicas: Replicas) -> None:
    base, _ = replicas.bases
    username = _account(replicas)
    http, phone = _sign_in(base, username), _sign_in(base, username)
    kept = _kept(base, http.cookies["istok_session"])
    assert kept.get("/admin").status_code == 200 and kept.get("/panel").status_code == 200
    out = http.post("/logout", data={"csrf": _csrf(http)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert _refused(kept, "/admin") and _refused(kept, "/panel")
    assert kept.get("/panel/search", params={"q": "card"}).status_code == 401
    assert phone.get("/admin").status_code == 200  # logout ends this browser's session, not the person's others


def test_a_logout_on_one_replica_is_refused_on_the_other_at_once(replicas: Replicas) -> None:
    base_a, base_b = replicas.bases
    http = _sign_in(base_a, _account(replicas))
    on_b = _kept(base_b, http.cookies["istok_session"])
    assert on_b.get("/admin").status_code == 200  # a replica caches the account: warm it
    http.post("/logout", data={"csrf": _csrf(http)})
    assert _refused(on_b, "/admin") and _refused(on_b, "/panel")


@pytest.mark.parametrize("command", ["password", "disable"])
def test_password_change_and_disable_end_every_session(replicas: Replicas, command: str) -> None:
    base_a, base_b = replicas.bases
    username = _account(replicas)
    first, second = _sign_in(base_a, username), _sign_in(base_b, username)
    kept = [_kept(b, c.cookies["istok_session"]) for b in (base_a, base_b) for c in (first, second)]
    assert all(k.get("/admin").status_code == 200 for k in kept)
    args = ["users", "password", username, "--password", "a-new-password-2"] if command == "password" else []
    done = replicas.cli(*(args or ["users", "disable", username]))
    assert done.returncode == 0, done.stderr
    for k in kept:
        assert _refused(k, "/admin") and _refused(k, "/panel")
    if command == "password":  # the new password opens a new session
        http = httpx.Client(base_url=base_b, timeout=30, follow_redirects=False)
        token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text)
        assert token is not None
        login = {"username": username, "password": "a-new-password-2", "csrf": token.group(1)}
        assert http.post("/login", data=login).status_code == 303
        assert http.get("/admin").status_code == 200


def test_sessions_are_kept_as_hashes_only(replicas: Replicas) -> None:
    base, _ = replicas.bases
    http = _sign_in(base, _account(replicas))
    cookie = http.cookies["istok_session"]
    engine = kb.make_engine(replicas.db_url)
    with engine.connect() as conn:
        ids = [str(r[0]) for r in conn.exec_driver_sql("SELECT id FROM user_sessions")]
    engine.dispose()
    assert ids and all(len(i) == 64 and i not in cookie for i in ids)

"""A store holding one unparseable live article (as older Istok imported them) still starts,
serves everything else, and names the bad unit in /healthz, the admin and the CLI."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

import kb
from tests.api.test_cli_and_health import ISTOK, _env, _free_port, istok
from tests.conftest import CONTENT, ROOT
from tests.helpers import article
from tests.kb.search.test_quarantine import corrupt_live_revision

DEEP = article(key="roaming-prices", locale="en", title="Roaming prices", body="- " * 300 + "x")


def test_serve_starts_and_quarantines_the_one_bad_unit(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert istok("db", "upgrade", env=env).returncode == 0
    assert istok("import", str(CONTENT), "--publish", env=env).returncode == 0
    engine = kb.make_engine(f"sqlite:///{tmp_path / 'istok.db'}")
    revision = corrupt_live_revision(engine, key="roaming-prices", locale="en", source=DEEP)
    with kb.write_session(engine) as session:
        _, key = kb.create_key(session=session, name="bot", role="bot")
        kb.create_user(session=session, username="ed", password="quarantine-pass-1", role="editor")
    engine.dispose()

    port = _free_port()
    proc = subprocess.Popen(
        [ISTOK, "serve", "--port", str(port), "--no-access-log"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        health = _wait_for_health(base, proc)
        assert health["status"] == "degraded"
        (bad,) = health["quarantined"]
        assert (bad["key"], bad["locale"], bad["revision"]) == ("roaming-prices", "en", revision)
        assert "at most 20 levels" in bad["reason"]

        bot = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10)
        answer = bot.get("/api/v1/answer", params={"q": "How do I check my balance?", "locale": "en", "channel": "bot"})
        assert answer.status_code == 200 and answer.json()["provenance"]["key"] == "check-balance"
        assert bot.get("/api/v1/articles/en/check-balance/render/web").status_code == 200
        refused = bot.get("/api/v1/articles/en/roaming-prices/render/web")
        assert refused.status_code == 422 and "at most 20 levels" in refused.json()["detail"]
        assert httpx.get(f"{base}/help/en/check-your-balance", timeout=10).status_code == 200
        assert httpx.get(f"{base}/help/en/roaming-prices", timeout=10).status_code < 500
        admin = _signed_in(base, "ed", "quarantine-pass-1").get("/admin")
        assert admin.status_code == 200
        assert "en/roaming-prices</a> revision" in admin.text and "at most 20 levels" in admin.text
    finally:
        proc.terminate()
        out = proc.communicate(timeout=15)[0]
    assert "en/roaming-prices revision" in out and "quarantined" in out

    rendered = istok("render", "en", "roaming-prices", "web", env=env)
    assert rendered.returncode != 0
    assert "at most 20 levels" in rendered.stderr and "Traceback" not in rendered.stderr
    assert istok("render", "en", "check-balance", "sms", env=env).returncode == 0


def _signed_in(base: str, username: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=10)
    token = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text)
    assert token is not None
    done = http.post(
        "/login", data={"username": username, "password": password, "csrf": token.group(1), "next": "/admin"}
    )
    assert done.status_code == 303, done.text
    return http


def _wait_for_health(base: str, proc: subprocess.Popen[str]) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"istok serve exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            response = httpx.get(f"{base}/healthz", timeout=1)
            if response.status_code == 200:
                data: dict[str, object] = response.json()
                return data
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail("istok serve did not answer /healthz in 30 s")

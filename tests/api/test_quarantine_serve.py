"""A store holding one unparseable live article (as older Istok imported them) still starts,
serves everything else, and names the bad unit in /healthz, the admin and the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

import kb
from tests.api.test_cli_and_health import _env, istok
from tests.bulkstore import serve
from tests.conftest import CONTENT
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
        _, key = kb.create_key(session=session, name="bot", role="bot", actor="test")
        kb.create_user(session=session, username="ed", password="quarantine-pass-1", role="editor", actor="test")
    engine.dispose()

    served = serve(env, within=30)
    base = served.base
    try:
        health = httpx.get(f"{base}/healthz", timeout=10).json()
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
        served.stop()
    assert "en/roaming-prices revision" in served.output.text() and "quarantined" in served.output.text()

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

"""Issue #12: a forged `Host` is refused (ISTOK_ALLOWED_HOSTS); /metrics can require a token.

Real servers over HTTP: one with the defaults (no public URL, no token) and one configured
with both settings.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

import kb
from tests.api.conftest import Live, make_keys, start_server
from tests.conftest import ROOT

TOKEN = "metrics-token-for-tests"
PUBLIC_PATHS = ["/help/en/", "/sitemap.xml"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """One SQLite file with the sample content published, copied for each server."""
    path = tmp_path_factory.mktemp("hosts-seed") / "istok.db"
    shutil.copy(sqlite_template, path)
    engine = kb.make_engine(f"sqlite:///{path}")
    kb.import_paths([ROOT / "content"], engine=engine, publish=True)
    engine.dispose()
    return path


def _serve(tmp_path_factory: pytest.TempPathFactory, seeded: Path, **env: str) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp("hosts")
    shutil.copy(seeded, data_dir / "istok.db")
    db_url = f"sqlite:///{data_dir / 'istok.db'}"
    proc, base = start_server(db_url, data_dir, ISTOK_RATE_LIMIT="100000", **env)
    try:
        yield Live(base=base, db_url=db_url, data_dir=data_dir, keys=make_keys(db_url))
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory, seeded: Path) -> Iterator[Live]:
    """The defaults: no ISTOK_PUBLIC_URL, no ISTOK_ALLOWED_HOSTS, no ISTOK_METRICS_TOKEN."""
    yield from _serve(tmp_path_factory, seeded, ISTOK_PUBLIC_URL="", ISTOK_ALLOWED_HOSTS="", ISTOK_METRICS_TOKEN="")


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory, seeded: Path) -> Iterator[Live]:
    yield from _serve(
        tmp_path_factory, seeded, ISTOK_ALLOWED_HOSTS="*.sfera.example, 127.0.0.1", ISTOK_METRICS_TOKEN=TOKEN
    )


def _port(live: Live) -> int:
    return int(urlsplit(live.base).port or 0)


def _get(live: Live, path: str, host: str, role: str | None = None) -> httpx.Response:
    return live.client(role, Host=host).get(path)


@pytest.mark.parametrize("path", [*PUBLIC_PATHS, "/api/v1/facts"])
def test_a_forged_host_gets_400(plain: Live, path: str) -> None:
    r = _get(plain, path, "evil.example", role="bot")
    assert r.status_code == 400, r.text
    assert "//evil.example" not in r.text  # no link built from the forged name
    if path.startswith("/api/"):
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith("/invalid-host")


def test_the_local_names_are_allowed_by_default_and_decide_the_links(plain: Live) -> None:
    for host in (f"127.0.0.1:{_port(plain)}", f"localhost:{_port(plain)}", f"[::1]:{_port(plain)}", "LOCALHOST"):
        for path in PUBLIC_PATHS:
            r = _get(plain, path, host)
            assert r.status_code == 200, (host, path, r.status_code)
    sitemap = _get(plain, "/sitemap.xml", f"localhost:{_port(plain)}").text
    assert f"http://localhost:{_port(plain)}/help/" in sitemap
    assert _get(plain, "/help/en/", f"localhost.evil.example:{_port(plain)}").status_code == 400


def test_allowed_hosts_replace_the_default_and_take_wildcards(configured: Live) -> None:
    sitemap = _get(configured, "/sitemap.xml", "help.sfera.example")
    assert sitemap.status_code == 200 and "http://help.sfera.example/help/" in sitemap.text
    assert _get(configured, "/api/v1/facts", "a.b.sfera.example", role="bot").status_code == 200
    for host in ("sfera.example", "evilsfera.example", "localhost", "sfera.example.evil"):
        assert _get(configured, "/help/en/", host).status_code == 400, host
    assert _get(configured, "/healthz", f"127.0.0.1:{_port(configured)}").status_code == 200


def test_metrics_need_the_token_only_when_one_is_set(plain: Live, configured: Live) -> None:
    assert httpx.get(f"{plain.base}/metrics").status_code == 200
    url = f"{configured.base}/metrics"
    missing = httpx.get(url)
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.headers["content-type"].startswith("application/problem+json")
    for wrong in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", TOKEN, f"Basic {TOKEN}", "Bearer"):
        assert httpx.get(url, headers={"Authorization": wrong}).status_code == 401, wrong
    scraped = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200 and "istok_http_requests_total" in scraped.text
    assert httpx.get(url, headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ("127.0.0.1", "localhost", "::1")),
        ({"ISTOK_PUBLIC_URL": "https://Help.Sfera.example/"}, ("127.0.0.1", "localhost", "::1", "help.sfera.example")),
        ({"ISTOK_HOST": "10.0.0.7"}, ("127.0.0.1", "localhost", "::1", "10.0.0.7")),
        ({"ISTOK_HOST": "0.0.0.0"}, ("127.0.0.1", "localhost", "::1")),
        ({"ISTOK_HOST": "::"}, ("127.0.0.1", "localhost", "::1")),
        (
            {"ISTOK_ALLOWED_HOSTS": "kb.example, *.cdn.example", "ISTOK_HOST": "10.0.0.7"},
            ("kb.example", "*.cdn.example"),
        ),
    ],
)
def test_the_default_allowed_hosts(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: tuple[str, ...]
) -> None:
    for name in ("ISTOK_PUBLIC_URL", "ISTOK_HOST", "ISTOK_ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert kb.load_settings().allowed_hosts == expected

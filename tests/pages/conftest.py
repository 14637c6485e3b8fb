"""Browser fixtures: one real Chromium per session, one Istok server with the sample content.

Chromium is Debian's (`/usr/bin/chromium`, installed by `.ci/run`); nothing downloads a
browser. Without it these tests skip on a developer's machine and fail under CI=true.
The server holds the sample content, one account per role, and an article made of XSS
payloads; a second, plain HTTP server on another port plays the website that embeds the
widget. Screenshots go to ISTOK_SCREENSHOTS (`make screenshots` points it at
docs/screenshots) or to a temporary folder.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, sync_playwright
from sqlmodel import Session

import kb
from tests.api.conftest import free_port, start_server
from tests.conftest import ROOT, missing_tool

CHROMIUM = os.environ.get("ISTOK_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
XSS_SOURCE = (Path(__file__).parent / "xss_corpus.md").read_text(encoding="utf-8")
XSS_FACT = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORDS = {"admin": "admin-password-1", "editor": "editor-password-1", "operator": "operator-password-1"}


@dataclass
class Site:
    """The Istok server, the foreign website embedding the widget, and where screenshots go."""

    base: str
    db_url: str
    host_base: str  # another origin: the website that embeds /widget.js
    shots: Path

    def engine(self) -> sa.Engine:
        return kb.make_engine(self.db_url)


def _seed(db_url: str) -> None:
    engine = kb.make_engine(db_url)
    kb.import_paths([ROOT / "content"], engine=engine, publish=True)
    with kb.write_session(engine) as session:
        for role, password in PASSWORDS.items():
            kb.create_user(session=session, username=f"{role}1", password=password, role=role, actor="test")
        kb.set_fact(session=session, key="xss_fact", type="text", value=XSS_FACT, base_version=None, actor="test")
    with kb.write_session(engine) as session:
        saved = kb.save_draft(session=session, source=XSS_SOURCE, base_revision=None, actor="test")
        kb.publish(session=session, article=saved.article, actor="test")
    engine.dispose()


def serve_reviewed_site(
    data_dir: Path, sqlite_template: Path, rules: str, seed: Callable[[Session], None] | None = None, **env: str
) -> Iterator[Site]:
    """A server of its own under the review workflows `rules`, with an admin1 and an editor1 signing in.

    Over an empty store: the tests make the articles and facts they review. `seed` adds more in
    the same transaction before the server starts.
    """
    shutil.copy(sqlite_template, data_dir / "istok.db")
    db_url = f"sqlite:///{data_dir / 'istok.db'}"
    workflows = data_dir / "workflows.yaml"
    workflows.write_text(rules, encoding="utf-8")
    engine = kb.make_engine(db_url)
    with kb.write_session(engine) as session:
        for role in ("admin", "editor"):
            kb.create_user(session=session, username=f"{role}1", password=PASSWORDS[role], role=role, actor="test")
        if seed is not None:
            seed(session)
    engine.dispose()
    settings = {"ISTOK_RATE_LIMIT": "100000", "ISTOK_SECRET_KEY": "test-secret-reviewed", **env}
    proc, base = start_server(db_url, data_dir, ISTOK_WORKFLOWS=str(workflows), **settings)
    try:
        yield Site(base=base, db_url=db_url, host_base=base, shots=data_dir)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


class _HostPage(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("pages")
    shutil.copy(sqlite_template, data_dir / "istok.db")
    db_url = f"sqlite:///{data_dir / 'istok.db'}"
    _seed(db_url)
    host_dir = tmp_path_factory.mktemp("host")
    host_port = free_port()
    host_base = f"http://localhost:{host_port}"  # another host name as well as another port
    proc, base = start_server(
        db_url,
        data_dir,
        ISTOK_RATE_LIMIT="100000",
        ISTOK_SECRET_KEY="test-secret-key-for-pages",
        ISTOK_WIDGET_ORIGINS=host_base,
        ISTOK_CONTACT_URL="https://example.com/contact",
        ISTOK_LOGIN_ATTEMPTS="3",
        ISTOK_FRAME_ANCESTORS="'self' https://desk.example",
    )
    (host_dir / "index.html").write_text(
        "<!doctype html><html lang='en'><head><title>Someone's shop</title><style>"
        "*{color:#f0f !important;font-size:31px !important;font-family:serif !important}"
        "button{display:none !important}div{border:5px solid lime !important}</style></head>"
        "<body><h1>Acme shop</h1><p>We sell things.</p>"
        f"<script src='{base}/widget.js' data-locale='en' async></script></body></html>",
        encoding="utf-8",
    )
    handler = partial(_HostPage, directory=str(host_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", host_port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    shots = Path(os.environ.get("ISTOK_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    shots.mkdir(parents=True, exist_ok=True)
    try:
        yield Site(base=base, db_url=db_url, host_base=host_base, shots=shots)
    finally:
        server.shutdown()
        proc.terminate()
        proc.wait(timeout=15)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test worker, each test in a fresh context of its own.

    Playwright's sync API keeps its event loop running in the worker's thread while the browser
    is open, so tests that need a loop of their own run it in another thread (`run_in_own_loop`).
    """
    if not Path(CHROMIUM).exists():
        missing_tool(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, site: Site):
    """A fresh browser context (no cookies) and page; any script alert fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base)
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield pg
    context.close()
    assert not dialogs, f"a page opened a dialog: {dialogs}"


def login(pg: Page, site: Site, role: str, next_path: str = "/admin") -> None:
    pg.goto(f"{site.base}/login?next={quote(next_path)}")
    pg.fill("#username", f"{role}1")
    pg.fill("#password", PASSWORDS[role])
    pg.click("form.stack button[type=submit]")


def client(site: Site) -> httpx.Client:
    return httpx.Client(base_url=site.base, timeout=30, follow_redirects=False)


def http_login(site: Site, role: str) -> httpx.Client:
    """An HTTP client signed in as `role`, the way a browser does it (login form, CSRF cookie)."""
    http = client(site)
    form = http.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token is not None
    done = http.post(
        "/login", data={"username": f"{role}1", "password": PASSWORDS[role], "csrf": token.group(1), "next": "/admin"}
    )
    assert done.status_code == 303, done.text
    return http


def csrf_of(http: httpx.Client, path: str = "/admin") -> str:
    """The session's CSRF token, as the staff pages embed it."""
    found = re.search(r'name="csrf" value="([^"]+)"', http.get(path).text)
    assert found is not None
    return found.group(1)

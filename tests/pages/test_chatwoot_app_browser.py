"""The Chatwoot Dashboard App in a real Chromium: framed by another site, told who the client is
by `postMessage`, signed in inside the frame with a partitioned cookie.

"Chatwoot" is a plain HTTP server on localhost (another site than Istok's 127.0.0.1) whose page
frames /panel/chatwoot and answers `chatwoot-dashboard-app:fetch-info` with an `appContext`
JSON string shaped as https://www.chatwoot.com/docs/product/others/dashboard-apps shows. A
second page of that server, loaded by its other name (127.0.0.1), plays a foreign frame that
posts a context of its own: the app must not look that client up.
"""

from __future__ import annotations

import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Frame, Page, Response

import contacts
import kb
from tests.api.conftest import free_port, start_server
from tests.conftest import ROOT
from tests.pages.conftest import PASSWORDS, Site

CHATWOOT_ACCOUNT = 3


@dataclass
class Desk:
    istok: str  # Istok's origin: http://127.0.0.1:port
    chatwoot: str  # the Chatwoot page's origin: http://localhost:port
    foreign: str  # the same server by another name: another origin
    db_url: str
    people: dict[str, int]  # name → Istok contact id


def _context(contact: dict[str, object], conversation_id: int) -> str:
    """The appContext Chatwoot posts: a JSON string, as its documentation shows."""
    conversation = {"id": conversation_id, "account_id": CHATWOOT_ACCOUNT, "inbox_id": 1, "status": "open"}
    conversation["meta"] = {"sender": contact, "channel": "Channel::WebWidget"}
    return json.dumps({"event": "appContext", "data": {"conversation": conversation, "contact": contact}})


def _seed(db_url: str) -> dict[str, int]:
    engine = kb.make_engine(db_url)
    kb.import_paths([ROOT / "content"], engine=engine, publish=True)
    people: dict[str, int] = {}
    with kb.write_session(engine) as session:
        kb.create_user(
            session=session, username="operator1", password=PASSWORDS["operator"], role="operator", actor="t"
        )
        for name, identity in (
            ("Anna Ozola", contacts.normalise("phone", "+371 29 123 456")),
            ("Boris Berzins", contacts.normalise("crm", f"chatwoot-{CHATWOOT_ACCOUNT}-77")),
            ("Eve Intruder", contacts.normalise("email", "eve@example.com")),
        ):
            person = contacts.create_contact(session=session, name=name, locale="en", identities=[identity])
            contacts.record_interaction(
                session=session, contact=person, channel="chatwoot", outcome="handoff", question=f"{name} asks"
            )
            people[name] = person.id or 0
    engine.dispose()
    return people


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Desk]:
    data_dir = tmp_path_factory.mktemp("chatwoot-app")
    shutil.copy(sqlite_template, data_dir / "istok.db")
    db_url = f"sqlite:///{data_dir / 'istok.db'}"
    people = _seed(db_url)
    port = free_port()
    chatwoot, foreign = f"http://localhost:{port}", f"http://127.0.0.1:{port}"
    proc, istok = start_server(
        db_url,
        data_dir,
        ISTOK_RATE_LIMIT="100000",
        ISTOK_SECRET_KEY="test-secret-key-for-chatwoot",
        ISTOK_SESSION_SAMESITE="none",
        ISTOK_CHATWOOT_ORIGIN=chatwoot,
    )
    anna = {"id": 41, "name": "Anna", "phone_number": "+371 29 123 456", "email": None, "identifier": None}
    eve = {"id": 66, "name": "Eve", "phone_number": None, "email": "eve@example.com", "identifier": None}
    boris = {"id": 77, "name": "Boris", "phone_number": None, "email": "boris@example.com", "identifier": None}
    site = tmp_path_factory.mktemp("chatwoot-site")
    (site / "index.html").write_text(
        "<!doctype html><html lang='en'><head><title>Chatwoot</title></head><body><h1>Conversation #7</h1>"
        f"<iframe id='app' name='istok' src='{istok}/panel/chatwoot' width='400' height='600'></iframe>"
        "<script>"
        f"var ISTOK = {json.dumps(istok)}, ANNA = {json.dumps(_context(anna, 7))};"
        f"var BORIS = {json.dumps(_context(boris, 8))};"
        "window.asked = 0; window.foreignSent = false;"
        "window.addEventListener('message', function (e) {"
        "  var app = document.getElementById('app').contentWindow;"
        "  if (e.source === app && e.data === 'chatwoot-dashboard-app:fetch-info') {"
        "    window.asked++; app.postMessage(ANNA, ISTOK); }"
        "  if (e.data === 'foreign-sent') { window.foreignSent = true; }"
        "});"
        "window.switchToBoris = function () {"
        "  document.getElementById('app').contentWindow.postMessage(BORIS, ISTOK); };"
        "</script></body></html>",
        encoding="utf-8",
    )
    (site / "foreign.html").write_text(
        "<!doctype html><html lang='en'><head><title>Foreign</title></head><body><script>"
        f"window.parent.frames['istok'].postMessage({json.dumps(_context(eve, 9))}, '*');"
        "window.parent.postMessage('foreign-sent', '*');"
        "</script></body></html>",
        encoding="utf-8",
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Desk(istok=istok, chatwoot=chatwoot, foreign=foreign, db_url=db_url, people=people)
    finally:
        server.shutdown()
        proc.terminate()
        proc.wait(timeout=15)


@pytest.fixture
def desk_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 800}, locale="en-US")
    pg = context.new_page()
    yield pg
    context.close()


def _app(pg: Page) -> Frame:
    frame = pg.frame(name="istok")
    assert frame is not None
    return frame


def _context_reads(desk: Desk, person: str) -> int:
    engine = kb.make_engine(desk.db_url)
    with engine.connect() as conn:
        count = conn.execute(
            sa.text("SELECT count(*) FROM audit_log WHERE action = 'contact.context' AND target = :t"),
            {"t": f"contact {desk.people[person]}"},
        ).scalar_one()
    engine.dispose()
    return int(count)


def test_the_app_signs_in_inside_chatwoot_and_shows_the_client(desk_page: Page, desk: Desk) -> None:
    responses: list[httpx.Headers] = []

    def keep(response: Response) -> None:
        if response.url.startswith(desk.istok + "/panel/chatwoot"):
            responses.append(httpx.Headers([(h["name"], h["value"]) for h in response.headers_array()]))

    desk_page.on("response", keep)
    desk_page.goto(f"{desk.chatwoot}/index.html")
    app = _app(desk_page)
    app.wait_for_selector("#username")  # not signed in: the sign-in form, inside the frame
    app.fill("#username", "operator1")
    app.fill("#password", PASSWORDS["operator"])
    app.click("form.stack button[type=submit]")
    slot = app.locator("#contact-context")
    slot.locator(".p-contact-name").filter(has_text="Anna Ozola").wait_for()
    assert "Anna Ozola asks" in slot.inner_text()  # the context: her handed-off question, an open case
    assert slot.locator(".p-case").count() == 1
    assert desk_page.evaluate("window.asked") >= 1  # the app asked Chatwoot with fetch-info
    framed = [h for h in responses if "content-security-policy" in h]
    assert framed and all(f"frame-ancestors {desk.chatwoot}" in h["content-security-policy"] for h in framed)
    cookies = [c for h in responses for c in h.get_list("set-cookie") if c.startswith("istok_session=")]
    assert cookies, "no session cookie was set"
    attributes = {part.strip().lower() for part in cookies[-1].split(";")[1:]}
    assert {"samesite=none", "secure", "partitioned", "httponly"} <= attributes

    # A frame of another origin posts a context of its own: nothing is looked up for it.
    desk_page.evaluate(
        "url => { var f = document.createElement('iframe'); f.src = url; document.body.appendChild(f); }",
        f"{desk.foreign}/foreign.html",
    )
    desk_page.wait_for_function("window.foreignSent === true")
    desk_page.evaluate("window.switchToBoris()")  # Chatwoot itself: the agent opened another conversation
    slot.locator(".p-contact-name").filter(has_text="Boris Berzins").wait_for()
    assert _context_reads(desk, "Eve Intruder") == 0
    assert "Eve" not in slot.inner_text()


def test_the_app_is_not_served_to_be_framed_by_anyone_else(desk: Desk) -> None:
    page = httpx.get(f"{desk.istok}/panel/chatwoot")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert f"frame-ancestors {desk.chatwoot}" in csp and "*" not in csp.split("frame-ancestors")[1]
    assert 'action="/panel/chatwoot/login"' in page.text
    assert httpx.get(f"{desk.istok}/panel/chatwoot/context", params={"phone": "+37129123456"}).status_code == 401


def test_a_wrong_password_is_answered_inside_the_frame(desk: Desk) -> None:
    with httpx.Client(base_url=desk.istok, timeout=30) as http:
        form = http.get("/panel/chatwoot")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        # The login cookie is Secure (SameSite=None): httpx keeps it off plain http, a browser on
        # 127.0.0.1 does not, so it is sent by hand here.
        http.headers["Cookie"] = form.headers["set-cookie"].split(";", 1)[0]
        wrong = http.post(
            "/panel/chatwoot/login", data={"username": "operator1", "password": "nope", "csrf": token.group(1)}
        )
        assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
        assert f"frame-ancestors {desk.chatwoot}" in wrong.headers["content-security-policy"]  # still shown
        right = http.post(
            "/panel/chatwoot/login",
            data={"username": "operator1", "password": PASSWORDS["operator"], "csrf": token.group(1)},
        )
        assert right.status_code == 303 and right.headers["location"] == "/panel/chatwoot"


def test_without_the_chatwoot_origin_there_is_no_app(site: Site) -> None:
    missing = httpx.get(f"{site.base}/panel/chatwoot")
    assert missing.status_code == 404 and "ISTOK_CHATWOOT_ORIGIN" in missing.text

"""Two-step sign-in over HTTP: enrolment at /account, then a code after the password, taken once,
counted by the sign-in attempt limits, with recovery codes for a lost phone."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest
from sqlmodel import select

import kb
from tests.api.conftest import start_server

PASSWORD = "a-long-password-2"
ATTEMPTS = 3  # ISTOK_LOGIN_ATTEMPTS of this server


@dataclass
class Server:
    base: str
    db_url: str

    def secret_of(self, username: str) -> str:
        engine = kb.make_engine(self.db_url)
        try:
            with kb.read_session(engine) as session:
                user = kb.find_user(session=session, username=username)
                assert user is not None and user.totp_secret is not None
                return user.totp_secret
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("totp")
    shutil.copy(sqlite_template, data_dir / "istok.db")
    db_url = f"sqlite:///{data_dir / 'istok.db'}"
    engine = kb.make_engine(db_url)
    with kb.write_session(engine) as session:
        for name in ("maria", "petro", "halyna", "taras"):
            kb.create_user(session=session, username=name, password=PASSWORD, role="editor", actor="test")
    engine.dispose()
    env = {"ISTOK_SEMANTIC": "0", "ISTOK_SECRET_KEY": "test-secret-key-totp", "ISTOK_LOGIN_ATTEMPTS": str(ATTEMPTS)}
    proc, base = start_server(db_url, data_dir, **env)
    try:
        yield Server(base=base, db_url=db_url)
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _token(page: str, name: str = "csrf") -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def _password(http: httpx.Client, username: str) -> httpx.Response:
    csrf = _token(http.get("/login").text)
    return http.post("/login", data={"username": username, "password": PASSWORD, "csrf": csrf, "next": "/admin"})


def _code(http: httpx.Client, code: str) -> httpx.Response:
    return http.post("/login/code", data={"code": code, "csrf": http.cookies["istok_login"], "next": "/admin"})


def _enrol(server: Server, username: str) -> list[str]:
    """Set the factor up through /account as the person would; returns the recovery codes shown."""
    with httpx.Client(base_url=server.base, timeout=30) as http:
        assert _password(http, username).status_code == 303
        page = http.get("/account").text
        assert "Set up two-step sign-in" in page
        http.post("/account/second-factor/start", data={"csrf": _token(page)})
        page = http.get("/account").text
        secret = server.secret_of(username)
        assert f'<code id="totp-secret">{secret}</code>' in page and "<svg" in page
        uri = re.search(r'<a href="([^"]+)" id="otpauth-uri"', page)
        assert uri is not None and html.unescape(uri.group(1)).startswith("otpauth://totp/")
        assert f"secret={secret}" in html.unescape(uri.group(1))
        wrong = http.post("/account/second-factor/confirm", data={"code": "000000", "csrf": _token(page)})
        assert wrong.status_code == 422 and "not right" in wrong.text
        earlier = pyotp.TOTP(secret).at(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30))  # leaves now's free
        done = http.post("/account/second-factor/confirm", data={"code": earlier, "csrf": _token(page)})
        assert done.status_code == 200 and 'id="recovery-codes"' in done.text
        codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", done.text)
        assert len(codes) == 10
        assert "Two-step sign-in is on" in http.get("/account").text  # the codes are not shown again
        assert not re.search(codes[0], http.get("/account").text)
    return codes


def test_after_enrolment_the_password_alone_opens_no_session(server: Server) -> None:
    _enrol(server, "maria")
    with httpx.Client(base_url=server.base, timeout=30) as http:
        asked = _password(http, "maria")
        assert asked.status_code == 200 and 'action="/login/code"' in asked.text
        assert "istok_session" not in http.cookies
        assert http.get("/admin").status_code == 303  # to the login page
        signed = _code(http, pyotp.TOTP(server.secret_of("maria")).now())
        assert signed.status_code == 303 and signed.headers["location"] == "/admin"
        assert http.get("/admin").status_code == 200
    engine = kb.make_engine(server.db_url)
    with kb.read_session(engine) as session:
        logins = session.exec(select(kb.AuditEntry).where(kb.AuditEntry.action == "user.login")).all()
        assert [e.detail.get("second_factor") for e in logins if e.actor == "maria"] == [None, "totp"]
    engine.dispose()


def test_a_code_used_once_is_refused_the_second_time(server: Server) -> None:
    _enrol(server, "petro")
    code = pyotp.TOTP(server.secret_of("petro")).now()
    with httpx.Client(base_url=server.base, timeout=30) as first:
        _password(first, "petro")
        assert _code(first, code).status_code == 303
    with httpx.Client(base_url=server.base, timeout=30) as second:
        _password(second, "petro")
        replayed = _code(second, code)
        assert replayed.status_code == 401 and "used already" in html.unescape(replayed.text)
        assert "istok_session" not in second.cookies


def test_wrong_codes_count_against_the_sign_in_limit(server: Server) -> None:
    _enrol(server, "halyna")
    with httpx.Client(base_url=server.base, timeout=30) as http:
        _password(http, "halyna")
        for _ in range(ATTEMPTS):
            assert _code(http, "000001").status_code == 401
        limited = _code(http, pyotp.TOTP(server.secret_of("halyna")).now())
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        assert "istok_session" not in http.cookies
        refused = _password(http, "halyna")  # the password form shares the same count
        assert refused.status_code == 429


def test_a_recovery_code_signs_in_once(server: Server) -> None:
    codes = _enrol(server, "taras")
    with httpx.Client(base_url=server.base, timeout=30) as http:
        _password(http, "taras")
        assert _code(http, codes[0]).status_code == 303
    with httpx.Client(base_url=server.base, timeout=30) as http:
        _password(http, "taras")
        assert _code(http, codes[0]).status_code == 401
        assert _code(http, codes[1]).status_code == 303
        assert "8 recovery codes left." in http.get("/account").text


def test_a_code_without_a_password_step_is_refused(server: Server) -> None:
    with httpx.Client(base_url=server.base, timeout=30) as http:
        http.get("/login")
        refused = _code(http, "123456")
        assert refused.status_code == 400 and "took too long" in refused.text
        assert "istok_session" not in http.cookies

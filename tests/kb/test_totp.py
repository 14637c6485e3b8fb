"""The second factor of password accounts: TOTP codes taken once, recovery codes, enrolment."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pyotp
import pytest
import sqlalchemy as sa
from sqlmodel import select

import kb


def _user(engine: sa.Engine, name: str = "maria") -> None:
    with kb.write_session(engine) as session:
        kb.create_user(session=session, username=name, password="a-long-password", role="editor", actor="test")


def _enrol(engine: sa.Engine, name: str = "maria") -> tuple[str, list[str]]:
    """Set up and confirm the factor; returns the secret and the recovery codes."""
    with kb.write_session(engine) as session:
        user = kb.find_user(session=session, username=name)
        assert user is not None
        secret = kb.start_enrolment(session=session, user=user)
    with kb.write_session(engine) as session:
        user = kb.find_user(session=session, username=name)
        assert user is not None
        # the code of the step before now: a later step stays free for the tests' sign-ins
        code = pyotp.TOTP(secret).at(dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30))
        codes = kb.confirm_enrolment(session=session, user=user, code=code, actor="maria")
    return secret, codes


def _verify(engine: sa.Engine, code: str, *, at: dt.datetime | None = None, name: str = "maria") -> str | None:
    with kb.write_session(engine) as session:
        user = kb.find_user(session=session, username=name)
        assert user is not None
        return kb.verify_second_factor(session=session, user=user, code=code, now=at)


def test_a_new_secret_is_off_until_a_code_from_it_is_confirmed(engine: sa.Engine) -> None:
    _user(engine)
    with kb.write_session(engine) as session:
        user = kb.find_user(session=session, username="maria")
        assert user is not None
        secret = kb.start_enrolment(session=session, user=user)
        uri = kb.otpauth_uri(user, issuer="Sfera Istok")
        assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "issuer=Sfera%20Istok" in uri
        assert not kb.has_second_factor(user)
        with pytest.raises(kb.InvalidChange, match="not right"):
            kb.confirm_enrolment(session=session, user=user, code="000000", actor="maria")
    with kb.read_session(engine) as session:
        user = kb.find_user(session=session, username="maria")
        assert user is not None and not kb.has_second_factor(user)


def test_a_code_is_taken_once_within_its_window(engine: sa.Engine) -> None:
    _user(engine)
    secret, _codes = _enrol(engine)
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    code = pyotp.TOTP(secret).at(now)
    assert _verify(engine, code, at=now) == "totp"
    assert _verify(engine, code, at=now) is None  # replayed inside its 30 seconds
    assert _verify(engine, code, at=now + dt.timedelta(seconds=20)) is None  # and still inside the drift window


def test_a_code_of_a_step_before_one_already_taken_is_refused(engine: sa.Engine) -> None:
    _user(engine)
    secret, _codes = _enrol(engine)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    assert _verify(engine, pyotp.TOTP(secret).at(later), at=later) == "totp"
    earlier = later - dt.timedelta(seconds=30)
    assert _verify(engine, pyotp.TOTP(secret).at(earlier), at=later) is None


def test_codes_far_from_now_and_wrong_codes_are_refused(engine: sa.Engine) -> None:
    _user(engine)
    secret, _codes = _enrol(engine)
    now = dt.datetime.now(dt.UTC)
    assert _verify(engine, pyotp.TOTP(secret).at(now + dt.timedelta(minutes=5)), at=now) is None
    assert _verify(engine, "123456" if pyotp.TOTP(secret).at(now) != "123456" else "654321", at=now) is None


def test_a_recovery_code_signs_in_once_and_is_kept_only_as_a_hash(engine: sa.Engine) -> None:
    _user(engine)
    _secret, codes = _enrol(engine)
    assert len(codes) == 10 and len(set(codes)) == 10
    with kb.read_session(engine) as session:
        hashes = [r.code_hash for r in session.exec(select(kb.RecoveryCode))]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any(code in h for h in hashes for code in codes)
    assert _verify(engine, codes[3].upper()) == "recovery"
    assert _verify(engine, codes[3]) is None
    with kb.read_session(engine) as session:
        user = kb.find_user(session=session, username="maria")
        assert user is not None and kb.recovery_codes_left(session=session, user=user) == 9
    assert _verify(engine, "aaaaa-bbbbb") is None


def test_an_account_without_the_factor_takes_no_code(engine: sa.Engine) -> None:
    _user(engine)
    assert _verify(engine, "123456") is None


def test_a_second_enrolment_is_refused_and_an_admin_removes_the_factor(engine: sa.Engine) -> None:
    _user(engine)
    _enrol(engine)
    with kb.write_session(engine) as session, pytest.raises(kb.Conflict):
        user = kb.find_user(session=session, username="maria")
        assert user is not None
        kb.start_enrolment(session=session, user=user)
    with kb.write_session(engine) as session:
        kb.remove_second_factor(session=session, username="maria", actor="cli:root")
    with kb.read_session(engine) as session:
        user = kb.find_user(session=session, username="maria")
        assert user is not None and not kb.has_second_factor(user) and user.totp_secret is None
        assert session.exec(select(kb.RecoveryCode)).first() is None
        rows = session.exec(select(kb.AuditEntry).where(kb.AuditEntry.action == "user.second-factor"))
        actions = [e.detail["enabled"] for e in rows]
    assert actions == [True, False]


def test_the_same_code_sent_twice_at_once_signs_in_once(engine: sa.Engine) -> None:
    _user(engine)
    secret, _codes = _enrol(engine)
    now = dt.datetime.now(dt.UTC)
    code = pyotp.TOTP(secret).at(now)
    start = threading.Barrier(2)

    def attempt() -> str | None:
        start.wait()
        return _verify(engine, code, at=now)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: attempt(), range(2)))
    assert sorted(map(str, results)) == ["None", "totp"]

"""A second factor for password accounts: TOTP codes (RFC 6238, pyotp) and one-time recovery codes.

Enrolment keeps a new secret unconfirmed until the person types a code from their authenticator,
so a mistyped secret never locks anyone out; confirming it turns the factor on and hands out the
recovery codes, shown once and kept only as argon2 hashes, like passwords.

A code is taken once: the account remembers the 30-second step of the last code it accepted, and
the UPDATE that moves it names the old value, so a code seen over a shoulder, or sent twice at
once, is refused the second time. A code of the step before or after now is accepted (clocks
drift), which is why the step and not the time is what is remembered.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from kb.audit import Actor, record_action
from kb.errors import Conflict, InvalidChange, NotFound
from kb.models import RecoveryCode, User, utcnow

RECOVERY_CODES = 10
DRIFT_STEPS = 1  # codes of one step either side of now are accepted
# argon2id, lighter than the passwords' settings: a recovery code is 50 random bits, not a word a person
# chose, so it needs no memory-hard cost against a dictionary, and a sign-in checks up to ten of them.
_hasher = PasswordHasher(time_cost=1, memory_cost=16384, parallelism=1)
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o or 1/l/i to misread


def has_second_factor(user: User) -> bool:
    return user.totp_secret is not None and user.totp_confirmed_at is not None


def start_enrolment(*, session: Session, user: User) -> str:
    """A new, unconfirmed secret for the person's authenticator; returns it (base32).

    Refused while a confirmed factor is on: replacing it goes through `remove_second_factor`
    (an admin's `istok users second-factor --off`), so a stolen session cannot swap the device.
    """
    if has_second_factor(user):
        raise Conflict(f"{user.username} already has a second factor; an admin must remove it first")
    user.totp_secret = pyotp.random_base32()
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.add(user)
    session.flush()
    return user.totp_secret


def otpauth_uri(user: User, *, issuer: str) -> str:
    """The `otpauth://totp/…` address an authenticator app reads (as text or as a QR code)."""
    if user.totp_secret is None:
        raise InvalidChange(f"{user.username} has no second factor being set up")
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=issuer)


def confirm_enrolment(*, session: Session, user: User, code: str, actor: Actor | str) -> list[str]:
    """Turn the factor on once a code from the new secret is right; returns the recovery codes.

    Audited as `user.second-factor` (`enabled: true`); a wrong code changes nothing.
    """
    if user.totp_secret is None or has_second_factor(user):
        raise InvalidChange(f"{user.username} has no second factor being set up")
    if not _take_totp(session, user, code):
        raise InvalidChange("that code is not right: type the six digits your authenticator shows now")
    user.totp_confirmed_at = utcnow()
    session.add(user)
    codes = _new_recovery_codes(session, user)
    record_action(session, actor, action="user.second-factor", target=user.username, enabled=True)
    return codes


def verify_second_factor(*, session: Session, user: User, code: str, now: dt.datetime | None = None) -> str | None:
    """Which factor `code` is ("totp" or "recovery"), taking it so it cannot be used again; None if wrong."""
    if not has_second_factor(user):
        return None
    cleaned = code.strip().lower().replace(" ", "")
    if cleaned.isdigit():
        return "totp" if _take_totp(session, user, cleaned, now=now) else None
    return "recovery" if _take_recovery_code(session, user, cleaned) else None


def remove_second_factor(*, session: Session, username: str, actor: Actor | str) -> User:
    """Turn the factor off and drop its recovery codes (a lost phone); audited as `user.second-factor`."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise NotFound(f"no user {username!r}")
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    session.add(user)
    session.execute(sa.delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    session.flush()
    record_action(session, actor, action="user.second-factor", target=user.username, enabled=False)
    return user


def recovery_codes_left(*, session: Session, user: User) -> int:
    rows = session.exec(select(sa.func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == user.id))
    return int(rows.one())


def _take_totp(session: Session, user: User, code: str, *, now: dt.datetime | None = None) -> bool:
    """Accept `code` if it is of a step near now that is later than the last one taken."""
    if user.totp_secret is None or not code.isdigit():
        return False
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now or utcnow())
    step = next(
        (s for s in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1) if _same(totp.generate_otp(s), code)),
        None,
    )
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    newer = sa.or_(col(User.totp_last_step).is_(None), col(User.totp_last_step) < step)
    moved = session.execute(
        sa.update(User)
        .where(col(User.id) == user.id, newer)
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False  # another request took this step first
    session.refresh(user)
    return True


def _same(expected: str, code: str) -> bool:
    return hmac.compare_digest(expected.encode(), code.encode())


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(sa.delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    codes = [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2)) for _ in range(RECOVERY_CODES)
    ]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id or 0, code_hash=_hasher.hash(code)))
    session.flush()
    return codes


def _take_recovery_code(session: Session, user: User, code: str) -> bool:
    """Accept one of the person's unused recovery codes, deleting it; two requests with it: one wins."""
    if len(code) > 20:
        return False
    rows = session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    for row in rows:
        if _matches(row.code_hash, code):
            gone = session.execute(
                sa.delete(RecoveryCode)
                .where(col(RecoveryCode.id) == row.id)
                .execution_options(synchronize_session=False)
            )
            return int(gone.rowcount or 0) == 1  # type: ignore[attr-defined]
    return False


def _matches(code_hash: str, code: str) -> bool:
    try:
        return _hasher.verify(code_hash, code)
    except (VerificationError, InvalidHashError):
        return False

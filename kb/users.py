"""People who sign in to the admin and the operator panel: accounts with a role and a password.

Passwords are kept only as argon2id hashes (argon2-cffi's defaults, re-hashed on login when
those defaults grow), unlike API keys, whose 32 random bytes make a fast hash enough.
A failed check costs the same time whether or not the user exists, so a login form does not
tell an attacker which names are real.

A signed-in browser is a row of `user_sessions` (only a SHA-256 of its cookie's secret), read
on every request by its primary key: a signed cookie alone could not be taken back, while a
deleted row is refused by every process at once. Logout deletes that browser's row; a new
password and disabling the account delete all of the person's rows.

Creating an account, a new password, disabling and signing in are kb actions: each writes its
own audit row (never a password) in the caller's transaction, whoever calls.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from kb.audit import Actor, record_action
from kb.errors import Conflict, InvalidChange, NotFound
from kb.keys import parse_role
from kb.models import User, UserSession, utcnow
from kb.rights import Rights, make_rights
from kb.types import LOCALES

MIN_PASSWORD = 10
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,199}$")

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user is unknown (same work as a real check); made on
    first use, since hashing costs a tenth of a second that every `istok` command would pay."""
    return _hasher.hash("istok: a password nobody has")


def _check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise InvalidChange(f"user name {username!r} must be 2-200 lowercase letters, digits, '.', '_', '@' or '-'")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidChange(f"a password needs at least {MIN_PASSWORD} characters")


def create_user(
    *, session: Session, username: str, password: str, role: str, actor: Actor | str, display_name: str = ""
) -> User:
    """A new account, audited as `user.create`; a taken name raises Conflict."""
    name = _check_username(username)
    _check_password(password)
    if find_user(session=session, username=name) is not None:
        raise Conflict(f"user {name!r} already exists")
    user = User(
        username=name,
        display_name=display_name.strip() or name,
        role=parse_role(role).value,
        password_hash=_hasher.hash(password),
    )
    session.add(user)
    session.flush()
    record_action(session, actor, action="user.create", target=user.username, granted=user.role)
    return user


def find_user(*, session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.id))))


def authenticate(*, session: Session, username: str, password: str, client: str | None = None) -> User | None:
    """The active user with this name and password, or None; records the login time.

    A success is audited as `user.login` by the person themself, from `client` (their address).
    For an account with a second factor the password is half the sign-in: use `check_password`,
    then `record_login` once the code is right (kb/second_factor.py).
    """
    user = check_password(session=session, username=username, password=password)
    if user is not None:
        record_login(session=session, user=user, client=client)
    return user


def check_password(*, session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None; nothing is recorded but a re-hash."""
    user = find_user(session=session, username=username)
    if user is None or user.disabled_at is not None:
        _verify(_dummy_hash(), password)  # the same work as a real check
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.add(user)
    return user


def record_login(*, session: Session, user: User, client: str | None, detail: dict[str, Any] | None = None) -> None:
    """A completed sign-in: the login time, and the `user.login` audit row by the person themself
    (`detail`: how, e.g. `{"method": "oidc"}` or `{"second_factor": "totp"}`)."""
    user.last_login_at = utcnow()
    session.add(user)
    session.flush()
    who = Actor(name=user.username, role=user.role, client=client)
    record_action(session, who, action="user.login", target=user.username, **(detail or {}))


def rights_of(user: User) -> Rights:
    """The categories and locales the person may change content in (kb/rights.py)."""
    return Rights(categories=frozenset(user.rights_categories), locales=frozenset(user.rights_locales))


def set_rights(
    *, session: Session, username: str, categories: Iterable[str], locales: Iterable[str], actor: Actor | str
) -> User:
    """Limit (or, with nothing named, free) where the person may change content; audited as `user.rights`.

    Sessions stay open: every request reads the account with its session, so new rights hold
    from the person's next request on.
    """
    user = find_user(session=session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    rights = make_rights(categories=categories, locales=locales)
    user.rights_categories = sorted(rights.categories)
    user.rights_locales = sorted(rights.locales)
    session.add(user)
    session.flush()
    cats, locs = user.rights_categories, user.rights_locales
    record_action(session, actor, action="user.rights", target=user.username, categories=cats, locales=locs)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(*, session: Session, username: str, password: str, actor: Actor | str) -> User:
    """A new password, audited as `user.password`; every session of the person ends."""
    user = find_user(session=session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    session.add(user)
    session.flush()
    ended = end_user_sessions(session=session, user_id=user.id or 0)  # whoever knew the old password is out
    record_action(session, actor, action="user.password", target=user.username, sessions_ended=ended)
    return user


def disable_user(*, session: Session, username: str, actor: Actor | str) -> User:
    """Sign-ins stop at once, and every open session ends (its next request is refused); audited
    as `user.disable`, already disabled or not."""
    user = find_user(session=session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    if user.disabled_at is None:
        user.disabled_at = utcnow()
        session.add(user)
        session.flush()
    ended = end_user_sessions(session=session, user_id=user.id or 0)
    record_action(session, actor, action="user.disable", target=user.username, sessions_ended=ended)
    return user


def set_user_locale(*, session: Session, username: str, locale: str | None, actor: Actor | str) -> User:
    """The language of the person's staff interface (one of `LOCALES`), or None for their browser's;
    audited as `user.locale`. Their sessions stay: it is a preference, not a credential."""
    user = find_user(session=session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    if locale is not None and locale not in LOCALES:
        raise InvalidChange(f"the staff interface speaks {', '.join(LOCALES)}, not {locale!r}")
    user.locale = locale
    session.add(user)
    session.flush()
    record_action(session, actor, action="user.locale", target=user.username, locale=locale or "browser")
    return user


def _session_id(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_user_session(*, session: Session, user: User, lifetime: dt.timedelta) -> str:
    """A new session for `user`; returns the secret for the cookie (kept here only as its hash).

    The user's expired sessions are deleted on the way, so the table holds live sessions only.
    """
    now = utcnow()
    session.execute(
        sa.delete(UserSession)
        .where(col(UserSession.user_id) == user.id, col(UserSession.expires_at) <= now)
        .execution_options(synchronize_session=False)
    )
    secret = secrets.token_urlsafe(32)
    session.add(UserSession(id=_session_id(secret), user_id=user.id or 0, created_at=now, expires_at=now + lifetime))
    session.flush()
    return secret


def session_user(*, session: Session, secret: str) -> User | None:
    """The active user whose live session this secret opens, or None: one look-up by primary key."""
    stmt = (
        select(User)
        .join(UserSession, col(UserSession.user_id) == col(User.id))
        .where(UserSession.id == _session_id(secret), col(UserSession.expires_at) > utcnow())
        .where(col(User.disabled_at).is_(None))
    )
    return session.exec(stmt).first()


def end_user_session(*, session: Session, secret: str) -> None:
    """Logout: this session is refused from now on, by every process."""
    session.execute(
        sa.delete(UserSession)
        .where(col(UserSession.id) == _session_id(secret))
        .execution_options(synchronize_session=False)
    )


def end_user_sessions(*, session: Session, user_id: int) -> int:
    """End every session of the user (a new password, a disabled account); returns how many."""
    result = session.execute(
        sa.delete(UserSession).where(col(UserSession.user_id) == user_id).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

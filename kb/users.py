"""People who sign in to the admin and the operator panel: accounts with a role and a password.

Passwords are kept only as argon2id hashes (argon2-cffi's defaults, re-hashed on login when
those defaults grow), unlike API keys, whose 32 random bytes make a fast hash enough.
A failed check costs the same time whether or not the user exists, so a login form does not
tell an attacker which names are real.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from kb.errors import Conflict, InvalidChange, NotFound
from kb.keys import parse_role
from kb.models import User, utcnow

MIN_PASSWORD = 10
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,199}$")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("istok: a password nobody has")


def _check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        raise InvalidChange(f"user name {username!r} must be 2-200 lowercase letters, digits, '.', '_', '@' or '-'")
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidChange(f"a password needs at least {MIN_PASSWORD} characters")


def create_user(*, session: Session, username: str, password: str, role: str, display_name: str = "") -> User:
    """A new account; a taken name raises Conflict."""
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


def authenticate(*, session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None; records the login time."""
    user = find_user(session=session, username=username)
    if user is None or user.disabled_at is not None:
        _verify(_DUMMY_HASH, password)  # the same work as a real check
        return None
    if not _verify(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    session.add(user)
    session.flush()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(*, session: Session, username: str, password: str) -> User:
    user = find_user(session=session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    session.add(user)
    session.flush()
    return user


def disable_user(*, session: Session, username: str) -> User:
    """Sign-ins stop at once; sessions already open end at their next request."""
    user = find_user(session=session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    if user.disabled_at is None:
        user.disabled_at = utcnow()
        session.add(user)
        session.flush()
    return user

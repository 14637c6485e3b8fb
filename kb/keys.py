"""API keys for machines: created with a role, stored as a hash, revocable.

Keys are 32 random bytes, so a plain SHA-256 is a safe and fast way to keep them
(the slow, salted hash argon2 is for the passwords people choose); a request is
checked with one indexed lookup. Creating and revoking a key are kb actions: each writes
its own audit row (never the secret) in the caller's transaction, whoever calls.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kb.audit import Actor, record_action
from kb.errors import InvalidChange, NotFound
from kb.models import ApiKey, utcnow
from kb.rights import EVERYTHING, Rights

KEY_PREFIX = "istok_"
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_used_at is written at most this often


class Role(StrEnum):
    """What a key or a person may do; `admin` may do everything."""

    ADMIN = "admin"
    EDITOR = "editor"
    OPERATOR = "operator"
    BOT = "bot"


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_role(name: str) -> Role:
    try:
        return Role(name)
    except ValueError:
        raise InvalidChange(f"unknown role {name!r} (roles: {', '.join(r.value for r in Role)})") from None


def create_key(
    *, session: Session, name: str, role: str, actor: Actor | str, rights: Rights = EVERYTHING
) -> tuple[ApiKey, str]:
    """A new key and its secret; the secret is returned only here, never stored nor audited.

    `rights` limit where it may change content (kb/rights.py), as a person's do."""
    if not name.strip():
        raise InvalidChange("a key needs a name saying who uses it")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name.strip(), role=parse_role(role).value, key_hash=hash_key(secret), prefix=secret[:12])
    key.rights_categories, key.rights_locales = sorted(rights.categories), sorted(rights.locales)
    session.add(key)
    session.flush()
    limits: dict[str, Any] = (
        {"categories": key.rights_categories, "locales": key.rights_locales} if rights.limited else {}
    )
    record_action(
        session, actor, action="key.create", target=f"key {key.id}", name=key.name, granted=key.role, **limits
    )
    return key, secret


def key_rights(key: ApiKey) -> Rights:
    """Where the key may change content."""
    return Rights(categories=frozenset(key.rights_categories), locales=frozenset(key.rights_locales))


def find_active_key(*, session: Session, secret: str) -> ApiKey | None:
    """The unrevoked key with this secret, or None."""
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(secret))).first()
    if key is None or key.revoked_at is not None:
        return None
    return key


def needs_touch(key: ApiKey, now: dt.datetime | None = None) -> bool:
    """Whether last_used_at is old enough to be written again (checked before opening a write)."""
    return key.last_used_at is None or (now or utcnow()) - key.last_used_at >= TOUCH_EVERY


def touch_key(*, session: Session, key: ApiKey, now: dt.datetime | None = None) -> bool:
    """Record use, at most once a minute per key, so busy keys don't write on every request."""
    now = now or utcnow()
    if not needs_touch(key, now):
        return False
    session.execute(
        sa.update(ApiKey)
        .where(col(ApiKey.id) == key.id)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return True


def revoke_key(*, session: Session, key_id: int, actor: Actor | str) -> ApiKey:
    """Requests with the key are refused from now on; audited as `key.revoke`, already revoked or not."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        session.flush()
    record_action(session, actor, action="key.revoke", target=f"key {key_id}", name=key.name)
    return key


def list_keys(*, session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))))

"""Request dependencies: database sessions, the caller's identity and role checks.

Route signatures read like prose: `who: EditorKey`; bodies open `with writing() as session:`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

import kb
from api import runtime
from api.http.ratelimit import check_rate_async

bearer = HTTPBearer(auto_error=False, description="An API key printed once by `istok keys create`.")


class Unauthorized(kb.IstokError):
    status = 401
    slug = "unauthorized"


class Forbidden(kb.IstokError):
    status = 403
    slug = "forbidden"


class PreconditionRequired(kb.IstokError):
    status = 428
    slug = "precondition-required"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's name and role, or a signed-in person's with their rights (kb/rights.py)."""

    name: str
    role: kb.Role
    key_id: int | None = None
    rights: kb.Rights = kb.ALL_RIGHTS

    def may(self, *roles: kb.Role) -> bool:
        return self.role is kb.Role.ADMIN or self.role in roles


def reading() -> AbstractContextManager[Session]:
    """A read session, opened and closed inside the handler's own thread.

    Sessions are not FastAPI dependencies on purpose: the exit of a dependency runs in
    another threadpool slot, and a transaction waiting for one while every slot waits
    for its lock deadlocks the server under concurrent writes.
    """
    return kb.read_session(runtime.engine())


@contextmanager
def writing() -> Iterator[Session]:
    """A write transaction that commits when the `with` block ends without an error.

    After the commit the search index applies what the write published, so a publish
    is searchable in this process at once (other processes see it on their next poll).
    """
    with kb.write_session(runtime.engine()) as session:
        yield session
    runtime.published()


KEY_CACHE_SECONDS = 2.0
_known_keys: dict[str, tuple[float, Principal]] = {}


def _look_up_key(secret: str) -> Principal | None:
    engine = runtime.engine()
    with kb.read_session(engine) as session:
        key = kb.find_active_key(session=session, secret=secret)
    if key is None:
        return None
    if kb.needs_touch(key):
        with kb.write_session(engine) as session:
            kb.touch_key(session=session, key=key)
    return Principal(name=key.name, role=kb.Role(key.role), key_id=key.id, rights=kb.key_rights(key))


async def current_principal(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Principal:
    """The caller of a key-protected route; 401 for a missing, unknown or revoked key.

    A key found valid is trusted for KEY_CACHE_SECONDS without asking the database
    again, so a revocation takes effect everywhere within two seconds and a busy
    chatbot costs no query per question.
    """
    if credentials is None or not credentials.credentials:
        raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
    digest = kb.hash_key(credentials.credentials)
    now = time.monotonic()
    known = _known_keys.get(digest)
    if known is not None and known[0] > now:
        return known[1]
    principal = await run_in_threadpool(_look_up_key, credentials.credentials)
    if principal is None:
        _known_keys.pop(digest, None)
        raise Unauthorized("the API key is unknown or has been revoked")
    if len(_known_keys) > 10_000:
        _known_keys.clear()
    _known_keys[digest] = (now + KEY_CACHE_SECONDS, principal)
    return principal


def require(*roles: kb.Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting the given roles (and admin); 403 for anyone else."""
    allowed = ", ".join(sorted({"admin", *(r.value for r in roles)}))

    async def dependency(who: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not who.may(*roles):
            raise Forbidden(f"role {who.role.value!r} may not do this (allowed: {allowed})")
        return who

    return dependency


def rate_limited(*roles: kb.Role) -> Callable[..., Awaitable[Principal]]:
    """Like `require`, plus the per-key and per-address limits of the answer and search routes."""
    inner = require(*roles)

    async def dependency(request: Request, who: Principal = Depends(inner)) -> Principal:  # noqa: B008 - a local
        client = request.client.host if request.client else "unknown"
        await check_rate_async(f"key:{who.key_id}", f"addr:{client}")
        return who

    return dependency


EditorKey = Annotated[Principal, Depends(require(kb.Role.EDITOR))]
ReaderKey = Annotated[Principal, Depends(require(kb.Role.EDITOR, kb.Role.OPERATOR))]
AnyKey = Annotated[Principal, Depends(require(kb.Role.EDITOR, kb.Role.OPERATOR, kb.Role.BOT))]
FeedKey = Annotated[Principal, Depends(require(kb.Role.EDITOR, kb.Role.BOT))]
AdminKey = Annotated[Principal, Depends(require())]
AskerKey = Annotated[Principal, Depends(rate_limited(kb.Role.OPERATOR, kb.Role.BOT))]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def actor_of(who: Principal, request: Request) -> kb.Actor:
    """The caller as plain data for a kb action, which writes its own audit row."""
    return kb.Actor(name=who.name, role=who.role.value, client=client_address(request), rights=who.rights)

"""Signing in people: a signed session cookie, CSRF tokens, and a login rate limit.

The cookie holds only the user id, a CSRF token and the time of sign-in, signed with
ISTOK_SECRET_KEY (itsdangerous); the account is re-read (cached two seconds) on each
request, so disabling a user or changing a role takes effect at once. Forms carry the
session's CSRF token; scripts send it as `X-CSRF-Token`.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

import kb
from api import runtime
from api.deps import Principal
from api.pages.settings import page_settings

COOKIE = "istok_session"
LOGIN_COOKIE = "istok_login"  # the CSRF token of the login form, before anyone is signed in
USER_CACHE_SECONDS = 2.0


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(page_settings().secret_key, salt=salt)


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded == "https"


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    s = page_settings()
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite=s.session_samesite,  # type: ignore[arg-type]
        secure=_secure(request) or s.session_samesite == "none",
        path="/",
    )


def start_session(response: Response, request: Request, user: kb.User) -> None:
    data = {"u": user.id, "c": secrets.token_urlsafe(24), "t": int(time.time())}
    token = _serializer("session").dumps(data)
    _set_cookie(response, request, COOKIE, token, page_settings().session_hours * 3600)


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def _session_data(request: Request) -> dict[str, Any] | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        data = _serializer("session").loads(token, max_age=page_settings().session_hours * 3600)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


_users: dict[int, tuple[float, Principal | None]] = {}
_users_lock = threading.Lock()


def _principal_of(user_id: int) -> Principal | None:
    now = time.monotonic()
    with _users_lock:
        known = _users.get(user_id)
    if known is not None and known[0] > now:
        return known[1]
    with kb.read_session(runtime.engine()) as session:
        user = session.get(kb.User, user_id)
        found = None
        if user is not None and user.disabled_at is None:
            found = Principal(name=user.username, role=kb.Role(user.role))
    with _users_lock:
        if len(_users) > 10_000:
            _users.clear()
        _users[user_id] = (now + USER_CACHE_SECONDS, found)
    return found


def signed_in(request: Request) -> Principal | None:
    """The person this request's session cookie names, if the cookie is valid and the account active."""
    data = _session_data(request)
    if data is None or not isinstance(data.get("u"), int):
        return None
    return _principal_of(data["u"])


def csrf_token(request: Request) -> str:
    data = _session_data(request)
    return str(data.get("c", "")) if data else ""


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = csrf_token(request)
    return bool(expected) and sent is not None and hmac.compare_digest(expected, sent)


def login_token(request: Request) -> str:
    """The login form's token: the one in its cookie, or a new one."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


def keep_login_token(response: Response, request: Request, token: str) -> None:
    """Set the login form's token cookie, which the form echoes back (double submit)."""
    _set_cookie(response, request, LOGIN_COOKIE, token, 3600)


def login_csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.cookies.get(LOGIN_COOKIE)
    return bool(expected) and sent is not None and hmac.compare_digest(expected or "", sent)


class LoginLimiter:
    """Failed sign-ins per address and per user name in the last minute; over the limit, wait."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, *names: str) -> int:
        """Seconds until any of `names` may try again (0: now)."""
        limit, now = page_settings().login_attempts, time.monotonic()
        wait = 0.0
        with self._lock:
            for name in names:
                recent = self._failures.get(name)
                if not recent:
                    continue
                while recent and recent[0] < now - 60:
                    recent.popleft()
                # An address may hold several people (an office behind one NAT): it gets more tries.
                allowed = limit * 4 if name.startswith("login-addr:") else limit
                if len(recent) >= allowed:
                    wait = max(wait, recent[0] + 60 - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, *names: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._failures) > 100_000:
                self._failures.clear()
            for name in names:
                self._failures.setdefault(name, deque()).append(now)


login_limiter = LoginLimiter()

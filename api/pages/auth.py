"""Signing in people: a session cookie naming a session row, CSRF tokens, and a login rate limit.

The cookie holds the session's secret, a CSRF token and the time of sign-in, signed with
ISTOK_SECRET_KEY (itsdangerous). The secret names a row of `user_sessions` (kept as a hash,
see `kb.users`), which every request looks up with its account by primary key, uncached:
logout, a new password or a disabled account is refused by every process from the next
request on. Forms carry the session's CSRF token; scripts send it as `X-CSRF-Token`.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import time
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, RateLimitItemPerMinute
from sqlmodel import Session

import kb
from api import runtime
from api.deps import Principal
from api.http.limitstore import store as limit_store
from api.pages.settings import page_settings

COOKIE = "istok_session"
LOGIN_COOKIE = "istok_login"  # the CSRF token of the login form, before anyone is signed in


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(page_settings().secret_key, salt=salt)


def _secure(request: Request) -> bool:
    """https as uvicorn saw it: it takes `X-Forwarded-Proto` only from a trusted proxy (FORWARDED_ALLOW_IPS)."""
    return request.url.scheme == "https"


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
    if s.session_samesite == "none":
        # A third-party frame (the Chatwoot app) keeps the cookie in the embedding site's own jar
        # (CHIPS), which browsers blocking third-party cookies still allow. Starlette's
        # `partitioned=` needs Python 3.14's http.cookies, so the attribute is added here.
        header, cookie = response.raw_headers[-1]
        response.raw_headers[-1] = (header, cookie + b"; Partitioned")


def session_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=page_settings().session_hours)


def open_session(session: Session, user: kb.User) -> str:
    """A new session row for `user` (in the caller's transaction); returns its secret for `start_session`."""
    return kb.create_user_session(session=session, user=user, lifetime=session_lifetime())


def start_session(response: Response, request: Request, secret: str) -> None:
    """Give the browser the cookie of the session `open_session` made."""
    data = {"s": secret, "c": secrets.token_urlsafe(24), "t": int(time.time())}
    token = _serializer("session").dumps(data)
    _set_cookie(response, request, COOKIE, token, page_settings().session_hours * 3600)


def end_session(response: Response, request: Request) -> None:
    """Logout: delete this browser's session row (every process refuses it at once) and its cookie."""
    secret = _secret(request)
    if secret is not None:
        with kb.write_session(runtime.engine()) as session:
            kb.end_user_session(session=session, secret=secret)
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


def _secret(request: Request) -> str | None:
    data = _session_data(request)
    secret = data.get("s") if data else None
    return secret if isinstance(secret, str) and secret else None


def signed_in(request: Request) -> Principal | None:
    """The person this request's session names, if the session is live and the account active.

    Looked up once per request (kept on `request.state`): one query by primary key.
    """
    if hasattr(request.state, "signed_in"):
        found: Principal | None = request.state.signed_in
        return found
    secret = _secret(request)
    found = None
    if secret is not None:
        with kb.read_session(runtime.engine()) as session:
            user = kb.session_user(session=session, secret=secret)
            if user is not None:
                found = Principal(name=user.username, role=kb.Role(user.role), rights=kb.rights_of(user))
                request.state.ui_choice = user.locale  # their staff language (api.pages.i18n)
    request.state.signed_in = found
    return found


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
    """Failed sign-ins per address and per user name in the last minute; over the limit, wait.

    The counts are the rate limits' (`api.http.limitstore`): shared by every replica through
    Redis when ISTOK_REDIS_URL is set, so a guesser gains nothing by spreading over them.
    """

    def blocked(self, *names: str) -> int:
        """Seconds until any of `names` may try again (0: now)."""
        now = time.time()
        windows = {name: self._window(name) for name in names}
        free = [limit_store.free_at(w, name) for name, w in windows.items() if not limit_store.allows(w, name)]
        wait = max(free, default=now) - now
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, *names: str) -> None:
        for name in names:
            limit_store.hit(self._window(name), name)

    @staticmethod
    def _window(name: str) -> RateLimitItem:
        limit = page_settings().login_attempts
        # An address may hold several people (an office behind one NAT): it gets more tries.
        return RateLimitItemPerMinute(limit * 4 if name.startswith("login-addr:") else limit)


login_limiter = LoginLimiter()

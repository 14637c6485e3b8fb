"""Signing in and out, for the admin and the operator panel alike.

A password sign-in is one step, or two for an account with a second factor: the password,
then a code (kb/second_factor.py). Between them the browser holds only a signed, five-minute
cookie naming the account, and no session exists yet. Failed passwords and failed codes count
alike against the attempt limits per address and per user name (ISTOK_LOGIN_ATTEMPTS a minute),
so a guesser who has the password gains nothing by guessing codes instead. The login form has its
own CSRF token, since no session exists yet. Sign-in through the company's OpenID provider is
api/pages/oidc.py.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

import kb
from api.deps import Principal, client_address, writing
from api.pages.auth import (
    csrf_ok,
    end_session,
    keep_login_token,
    login_csrf_ok,
    login_limiter,
    login_token,
    open_session,
    signed_in,
    start_session,
)
from api.pages.oidc_client import oidc_settings
from api.pages.settings import page_settings
from api.pages.templating import page

router = APIRouter(include_in_schema=False)

STEP_COOKIE = "istok_login_step"  # the account whose password was right, until its code is typed
STEP_SECONDS = 300


def safe_next(target: str | None, default: str = "/admin") -> str:
    """Only a path on this site: never `//evil.example` or `https://…`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def gate(request: Request, *roles: kb.Role) -> Principal | Response:
    """The signed-in person if their role may use this page; else the login page (or 403)."""
    who = signed_in(request)
    if who is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
    if not who.may(*roles):
        ctx = {"error": "forbidden", "who": who, "next": "/", "login_csrf": ""}
        return page(request, "login.html", ctx, status=403)
    return who


def _quote(text: str) -> str:
    return quote(text, safe="/")


@router.get("/login")
def login_form(request: Request, next: str = "/admin") -> Response:
    return render_login(request, next=next, error=None, status=200)


def render_login(
    request: Request, *, next: str, error: str | None, status: int, detail: str = "", step: str = "password"
) -> Response:
    """The login page: the password form (with the provider's button when configured) or the code form."""
    token = login_token(request)
    oidc = oidc_settings()
    ctx = {
        "next": safe_next(next),
        "error": error,
        "detail": detail,
        "step": step,
        "who": signed_in(request),
        "login_csrf": token,
        "oidc_name": oidc.display_name if oidc else "",
    }
    resp = page(request, "login.html", ctx, status=status, headers={"Cache-Control": "no-store"})
    keep_login_token(resp, request, token)
    return resp


def _limit_names(request: Request, username: str) -> tuple[str, str]:
    return f"login-addr:{client_address(request) or 'unknown'}", f"login-user:{username.strip().lower()}"


def _refused(request: Request, next: str, error: str, *, step: str = "password") -> Response:
    status = 429 if error == "limited" else 400 if error in ("csrf", "expired") else 401
    resp = render_login(request, next=next, error=error, status=status, step=step)
    if error == "limited":
        resp.headers["Retry-After"] = str(getattr(request.state, "retry_after", 60))
    return resp


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/admin",
) -> Response:
    """Check the password (argon2); start a session, or ask for the second factor's code."""
    names = _limit_names(request, username)
    if not login_csrf_ok(request, csrf):
        return _refused(request, next, "csrf")
    if (wait := await run_in_threadpool(login_limiter.blocked, *names)) > 0:  # Redis, maybe
        request.state.retry_after = wait
        return _refused(request, next, "limited")
    result = await run_in_threadpool(_authenticate, username, password, client_address(request))
    if result is None:
        await run_in_threadpool(login_limiter.failed, *names)
        return _refused(request, next, "bad")
    if isinstance(result, int):  # the password was right; the code comes next
        resp = render_login(request, next=next, error=None, status=200, step="code")
        data = {"u": result, "n": username.strip().lower()}
        resp.set_cookie(
            STEP_COOKIE,
            _step_serializer().dumps(data),
            max_age=STEP_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return resp
    resp = RedirectResponse(safe_next(next), status_code=303)
    start_session(resp, request, result[1])
    return resp


def _authenticate(username: str, password: str, client: str | None) -> tuple[kb.User, str] | int | None:
    """The user and the secret of the session opened for them, in the transaction that checked the
    password (and wrote the `user.login` audit row); the user's id alone when a code must follow."""
    with writing() as session:
        user = kb.check_password(session=session, username=username, password=password)
        if user is None:
            return None
        if kb.has_second_factor(user):
            return user.id or 0
        kb.record_login(session=session, user=user, client=client)
        secret = open_session(session, user)
        session.expunge(user)
        return user, secret


def _step_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(page_settings().secret_key, salt="second-factor")


@router.post("/login/code")
async def login_code(
    request: Request,
    code: Annotated[str, Form(max_length=40)],
    csrf: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/admin",
) -> Response:
    """The second step: a TOTP code (taken once) or a recovery code; failures count like passwords."""
    try:
        step = _step_serializer().loads(request.cookies.get(STEP_COOKIE, ""), max_age=STEP_SECONDS)
    except BadSignature:
        return _refused(request, next, "expired")
    if not login_csrf_ok(request, csrf):
        return _refused(request, next, "csrf", step="code")
    names = _limit_names(request, str(step["n"]))
    if (wait := await run_in_threadpool(login_limiter.blocked, *names)) > 0:
        request.state.retry_after = wait
        return _refused(request, next, "limited", step="code")
    secret = await run_in_threadpool(_check_code, int(step["u"]), code, client_address(request))
    if secret is None:
        await run_in_threadpool(login_limiter.failed, *names)
        return _refused(request, next, "bad-code", step="code")
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.delete_cookie(STEP_COOKIE, path="/")
    start_session(resp, request, secret)
    return resp


def _check_code(user_id: int, code: str, client: str | None) -> str | None:
    with writing() as session:
        user = session.get(kb.User, user_id)
        if user is None or user.disabled_at is not None:
            return None
        factor = kb.verify_second_factor(session=session, user=user, code=code)
        if factor is None:
            return None
        kb.record_login(session=session, user=user, client=client, detail={"second_factor": factor})
        return open_session(session, user)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """End this browser's session on every process (the person's other sessions stay)."""
    resp = RedirectResponse("/login", status_code=303)
    if csrf_ok(request, csrf):
        end_session(resp, request)
    return resp

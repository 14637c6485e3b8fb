"""Signing in and out, for the admin and the operator panel alike.

Failed attempts are limited per address and per user name (ISTOK_LOGIN_ATTEMPTS a
minute); the login form has its own CSRF token, since no session exists yet.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
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
from api.pages.templating import page

router = APIRouter(include_in_schema=False)


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
    return _form(request, next=next, error=None, status=200)


def _form(request: Request, *, next: str, error: str | None, status: int) -> Response:
    token = login_token(request)
    ctx = {"next": safe_next(next), "error": error, "who": signed_in(request), "login_csrf": token}
    resp = page(request, "login.html", ctx, status=status, headers={"Cache-Control": "no-store"})
    keep_login_token(resp, request, token)
    return resp


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/admin",
) -> Response:
    """Check the password (argon2) and start a session; failures are counted and slowed."""
    address = f"login-addr:{client_address(request) or 'unknown'}"
    account = f"login-user:{username.strip().lower()}"
    error = None
    user = None
    if not login_csrf_ok(request, csrf):
        error = "csrf"
    elif (wait := await run_in_threadpool(login_limiter.blocked, address, account)) > 0:  # Redis, maybe
        error = "limited"
        request.state.retry_after = wait
    else:
        user = await run_in_threadpool(_authenticate, username, password, client_address(request))
        if user is None:
            await run_in_threadpool(login_limiter.failed, address, account)
            error = "bad"
    if user is None:
        status = 429 if error == "limited" else 400 if error == "csrf" else 401
        resp = _form(request, next=next, error=error, status=status)
        if error == "limited":
            resp.headers["Retry-After"] = str(getattr(request.state, "retry_after", 60))
        return resp
    resp = RedirectResponse(safe_next(next), status_code=303)
    start_session(resp, request, user[1])
    return resp


def _authenticate(username: str, password: str, client: str | None) -> tuple[kb.User, str] | None:
    """The user and the secret of the session opened for them, in the transaction that checked the
    password (and wrote the `user.login` audit row)."""
    with writing() as session:
        user = kb.authenticate(session=session, username=username, password=password, client=client)
        if user is None:
            return None
        secret = open_session(session, user)
        session.expunge(user)
        return user, secret


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """End this browser's session on every process (the person's other sessions stay)."""
    resp = RedirectResponse("/login", status_code=303)
    if csrf_ok(request, csrf):
        end_session(resp, request)
    return resp

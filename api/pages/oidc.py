"""Sign-in through the company's OpenID provider: `/login/oidc` out, `/login/oidc/callback` back.

The state, nonce and PKCE verifier of one attempt live in a signed cookie of this browser for ten
minutes (api/pages/oidc_client.py says what is checked on the way back). What the provider vouches
for becomes an Istok session exactly as a password sign-in does (`kb.sign_in_with_identity`, the
`user.login` audit row with `method: oidc`); a person it gives no role, or nobody is linked to, sees
the login page saying why.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

import kb
from api.deps import client_address, writing
from api.pages.auth import open_session, start_session
from api.pages.login import render_login, safe_next
from api.pages.oidc_client import OidcFailed, Pending, new_pending, oidc_settings, provider
from api.pages.settings import base_url, page_settings

router = APIRouter(include_in_schema=False)

COOKIE = "istok_oidc"
PENDING_SECONDS = 600
CALLBACK = "/login/oidc/callback"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(page_settings().secret_key, salt="oidc")


def _redirect_uri(request: Request) -> str:
    return base_url(request) + CALLBACK


@router.get("/login/oidc")
async def start(request: Request, next: str = "/admin") -> Response:
    """Send the browser to the provider with a fresh state, nonce and PKCE challenge."""
    client = provider()
    if client is None:
        return render_login(request, next=next, error="oidc-off", status=404)
    pending = new_pending(safe_next(next))
    try:
        target = await run_in_threadpool(client.authorization_url, pending, _redirect_uri(request))
    except OidcFailed as exc:
        return render_login(request, next=next, error="oidc-failed", status=502, detail=exc.detail)
    resp = RedirectResponse(target, status_code=303)
    token = _serializer().dumps([pending.state, pending.nonce, pending.verifier, pending.next])
    resp.set_cookie(
        COOKIE, token, max_age=PENDING_SECONDS, httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _pending(request: Request) -> Pending | None:
    try:
        data = _serializer().loads(request.cookies.get(COOKIE, ""), max_age=PENDING_SECONDS)
    except BadSignature:
        return None
    if not (isinstance(data, list) and len(data) == 4 and all(isinstance(v, str) for v in data)):
        return None
    return Pending(state=data[0], nonce=data[1], verifier=data[2], next=data[3])


@router.get(CALLBACK)
async def callback(request: Request, state: str = "", code: str = "", error: str = "") -> Response:
    """Check the state, trade the code (with the PKCE verifier) for a verified id token, sign in."""
    pending = _pending(request)
    if pending is None or not state or not hmac.compare_digest(pending.state, state):
        return _failed(request, "/admin", "oidc-state", 400)
    if error or not code:
        return _failed(request, pending.next, "oidc-failed", 400, f"the provider said: {error or 'no code'}")
    client = provider()
    settings = oidc_settings()
    if client is None or settings is None:
        return _failed(request, pending.next, "oidc-off", 404)
    try:
        claims = await run_in_threadpool(client.exchange, code, pending, _redirect_uri(request))
        secret = await run_in_threadpool(_sign_in, claims, client_address(request))
    except OidcFailed as exc:
        return _failed(request, pending.next, "oidc-failed", 400, exc.detail)
    except kb.SignInRefused as exc:
        return _failed(request, pending.next, "oidc-refused", 403, exc.detail)
    resp = RedirectResponse(pending.next, status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    start_session(resp, request, secret)
    return resp


def _sign_in(claims: dict[str, Any], client: str | None) -> str:
    settings = oidc_settings()
    assert settings is not None
    who = kb.Claims(
        issuer=settings.issuer,
        subject=str(claims["sub"]),
        username=str(claims.get(settings.username_claim) or claims.get("email") or ""),
        display_name=str(claims.get("name") or ""),
        role=settings.role_for(claims),
    )
    with writing() as session:
        user = kb.sign_in_with_identity(session=session, claims=who, create=settings.create_users, client=client)
        return open_session(session, user)


def _failed(request: Request, next_path: str, error: str, status: int, detail: str = "") -> Response:
    resp = render_login(request, next=next_path, error=error, status=status, detail=detail)
    resp.delete_cookie(COOKIE, path="/")
    return resp

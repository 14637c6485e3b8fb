"""A signed-in person's own sign-in settings: turning on the second factor (TOTP) for a password account.

Enrolment is two posts: "set up" makes an unconfirmed secret, shown as an `otpauth://` address,
as text and as a QR code (segno, drawn as inline SVG, no image request that could leak the
secret); "confirm" takes a code from the authenticator, turns the factor on and shows the
recovery codes once. Accounts that sign in through the company's provider leave the second factor
to it. Turning a factor off is an admin's `istok users second-factor USER --off` (a lost phone).
"""

from __future__ import annotations

from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup

import kb
from api.deps import Principal, actor_of, reading, writing
from api.pages.auth import csrf_ok, csrf_token, signed_in
from api.pages.settings import page_settings
from api.pages.templating import page

router = APIRouter(include_in_schema=False)
PATH = "/account"


def _page(request: Request, who: Principal, ctx: dict[str, Any], *, status: int = 200) -> Response:
    full = {"who": who, "csrf": csrf_token(request), "section": "account", **ctx}
    resp = page(request, "account.html", full, status=status)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _qr(uri: str) -> Markup:
    """The otpauth address as an inline SVG QR code (segno escapes nothing of ours into it but the URI)."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title="QR code"))


def _state(session: Any, user: kb.User) -> dict[str, Any]:
    pending = user.totp_secret is not None and not kb.has_second_factor(user)
    uri = kb.otpauth_uri(user, issuer=f"{page_settings().brand} Istok") if pending else ""
    return {
        "has_password": kb.has_password(user),
        "enabled": kb.has_second_factor(user),
        "pending": pending,
        "secret": user.totp_secret if pending else "",
        "uri": uri,
        "qr": _qr(uri) if uri else "",
        "codes_left": kb.recovery_codes_left(session=session, user=user) if kb.has_second_factor(user) else 0,
        "rights": kb.rights_of(user),
        "recovery_codes": [],
        "error": "",
    }


def _who(request: Request) -> Principal | Response:
    who = signed_in(request)
    if who is None:
        return RedirectResponse(f"/login?next={PATH}", status_code=303)
    return who


@router.get(PATH)
def account(request: Request) -> Response:
    who = _who(request)
    if isinstance(who, Response):
        return who
    with reading() as session:
        user = kb.find_user(session=session, username=who.name)
        if user is None:
            return RedirectResponse(f"/login?next={PATH}", status_code=303)
        return _page(request, who, _state(session, user))


@router.post(f"{PATH}/second-factor/start")
def start(request: Request, csrf: Annotated[str, Form(max_length=200)]) -> Response:
    """A new secret to scan; the factor is off until a code from it is confirmed."""
    who = _who(request)
    if isinstance(who, Response):
        return who
    if not csrf_ok(request, csrf):
        return RedirectResponse(PATH, status_code=303)
    try:
        with writing() as session:
            user = kb.find_user(session=session, username=who.name)
            if user is None or not kb.has_password(user):
                return RedirectResponse(PATH, status_code=303)
            kb.start_enrolment(session=session, user=user)
    except kb.Conflict:
        pass  # already on: the page says so
    return RedirectResponse(PATH, status_code=303)


@router.post(f"{PATH}/second-factor/confirm")
def confirm(
    request: Request, code: Annotated[str, Form(max_length=20)], csrf: Annotated[str, Form(max_length=200)]
) -> Response:
    """Turn the factor on with a right code, and show the recovery codes this once."""
    who = _who(request)
    if isinstance(who, Response):
        return who
    if not csrf_ok(request, csrf):
        return RedirectResponse(PATH, status_code=303)
    codes: list[str] = []
    error = ""
    try:
        with writing() as session:
            user = kb.find_user(session=session, username=who.name)
            if user is None:
                return RedirectResponse(PATH, status_code=303)
            codes = kb.confirm_enrolment(session=session, user=user, code=code, actor=actor_of(who, request))
    except kb.InvalidChange as exc:
        error = exc.detail
    with reading() as session:
        user = kb.find_user(session=session, username=who.name)
        assert user is not None
        ctx = _state(session, user) | {"recovery_codes": codes, "error": error}
    return _page(request, who, ctx, status=422 if error else 200)

"""The Chatwoot Dashboard App: the client's Istok context in a tab of the Chatwoot conversation.

Chatwoot shows a Dashboard App as an iframe and tells it about the open conversation by
`postMessage`: a JSON *string* `{"event": "appContext", "data": {"conversation", "contact"}}`,
sent on load and again when the app posts `chatwoot-dashboard-app:fetch-info` to its parent
(https://www.chatwoot.com/docs/product/others/dashboard-apps). The page's script takes such
messages only from ISTOK_CHATWOOT_ORIGIN and asks this module for that contact's context.

Chatwoot is another site, so this is a third-party frame: the page allows only that origin as
its frame ancestor, and a sign-in made inside the frame needs the session cookie to be
`SameSite=None; Secure; Partitioned` (ISTOK_SESSION_SAMESITE=none; the cookie then lives in
Chatwoot's partition only, and works where browsers block third-party cookies). The sign-in form
is this page's own, posting to `/panel/chatwoot/login`, because `/login` may not be framed.
The context is the one the operator panel shows, looked up and audited the same way.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse

import contacts
import kb
from api.contact_access import load_context
from api.deps import Forbidden, Principal, Unauthorized, client_address
from api.pages import login as sign_in
from api.pages.auth import keep_login_token, login_token, signed_in
from api.pages.i18n import ui_text
from api.pages.panel import ClientView
from api.pages.templating import env, page

router = APIRouter(include_in_schema=False)
PATH = "/panel/chatwoot"
_ORIGIN_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")
ERRORS = {400: "csrf", 401: "bad", 429: "limited"}


@functools.cache
def chatwoot_origin() -> str:
    """ISTOK_CHATWOOT_ORIGIN: Chatwoot's own origin (scheme, host, port), e.g. https://chatwoot.example.com.

    Without it the page is not served: an app that trusts any framing site is no app to offer.
    """
    origin = os.environ.get("ISTOK_CHATWOOT_ORIGIN", "").strip().rstrip("/")
    if origin and not _ORIGIN_RE.match(origin):
        raise ValueError(f"ISTOK_CHATWOOT_ORIGIN must be an origin like https://chatwoot.example.com, not {origin!r}")
    return origin


def _not_configured() -> Response:
    text = "The Chatwoot app is not set up here: ISTOK_CHATWOOT_ORIGIN names the Chatwoot it may be shown in."
    return HTMLResponse(text, status_code=404, media_type="text/plain")


def _page(request: Request, origin: str, *, who: Principal | None, error: str | None, status: int) -> Response:
    """The app page: the sign-in form, a note that the role does not fit, or the context slot."""
    token = login_token(request)
    ctx = {
        "title": "Istok for Chatwoot",
        "who": who,
        "operator": who is not None and who.may(kb.Role.OPERATOR),
        "error": error,
        "login_csrf": token,
        "origin": origin,
    }
    headers = {"Cache-Control": "no-store"}
    resp = page(request, "chatwoot_app.html", ctx, status=status, headers=headers, frame_ancestors=origin)
    if who is None:
        keep_login_token(resp, request, token)
    return resp


@router.get(PATH)
def chatwoot_app(request: Request) -> Response:
    """The page Chatwoot frames; its script asks Chatwoot who the client is."""
    origin = chatwoot_origin()
    if not origin:
        return _not_configured()
    return _page(request, origin, who=signed_in(request), error=None, status=200)


@router.post(PATH + "/login")
async def chatwoot_login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)],
) -> Response:
    """The sign-in of /login (same checks, limits and audit), answered inside the frame."""
    origin = chatwoot_origin()
    if not origin:
        return _not_configured()
    done = await sign_in.login(request, username=username, password=password, csrf=csrf, next=PATH)
    if done.status_code == 303:
        return done
    resp = _page(request, origin, who=None, error=ERRORS.get(done.status_code, "bad"), status=done.status_code)
    if "retry-after" in done.headers:
        resp.headers["Retry-After"] = done.headers["retry-after"]
    return resp


@router.get(PATH + "/context")
def chatwoot_context(
    request: Request,
    account: Annotated[int | None, Query(ge=1, lt=2**31)] = None,
    contact: Annotated[int | None, Query(ge=1, lt=2**31)] = None,
    phone: Annotated[str | None, Query(max_length=64)] = None,
    email: Annotated[str | None, Query(max_length=254)] = None,
    identifier: Annotated[str | None, Query(max_length=128)] = None,
    locale: Annotated[str, Query(pattern=r"^[a-z]{2,3}$")] = "en",
) -> Response:
    """The contact slot (HTML) for a Chatwoot contact: found by the identity the agent bot gives it
    (`crm:chatwoot-<account>-<id>`), else by phone, e-mail or Chatwoot's `identifier` (a CRM id)."""
    who = signed_in(request)
    if who is None:
        raise Unauthorized("sign in first")
    if not who.may(kb.Role.OPERATOR):
        raise Forbidden("operators only")
    tries: list[tuple[str, str]] = []  # (identity | phone | email, the value)
    if account is not None and contact is not None:
        tries.append(("identity", f"crm:chatwoot-{account}-{contact}"))
    if phone:
        tries.append(("phone", phone))
    if email:
        tries.append(("email", email))
    if identifier:
        tries.append(("identity", f"crm:{identifier}"))
    view = _find(who, request, tries)
    lang = locale if locale in kb.LOCALES else kb.default_locale()
    body = env.get_template("chatwoot_context.html").render(client=view, locale=lang, request=request)
    return HTMLResponse(body, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def _find(who: Principal, request: Request, tries: list[tuple[str, str]]) -> ClientView:
    """The first of the contact's addresses Istok knows, as the panel's slot shows it."""
    _ = ui_text(request).gettext
    if not tries:
        return ClientView(problem=_("Chatwoot gave no id, phone or e-mail for this contact."), asked="")
    problem = _("No client is known by this yet: a new client.")
    for kind, value in tries:
        try:
            found = load_context(
                who,
                client_address(request),
                identity=value if kind == "identity" else None,
                phone=value if kind == "phone" else None,
                email=value if kind == "email" else None,
            )
        except contacts.ContactNotFound:
            continue
        except contacts.ContactGone:
            problem = _("This client's data was erased.")
            continue
        except (contacts.InvalidIdentity, kb.InvalidChange):
            continue  # an address Istok cannot read (a malformed phone): the next one may do
        return ClientView(context=found, asked=value)
    return ClientView(problem=problem, asked=", ".join(value for _, value in tries))

"""The staff language switch: a person's choice of interface language, kept on their account.

Stored on the user record (not a cookie), so it follows the person to another browser or
desk, and `istok users language` sets the same field. Choosing "browser" clears it: the
pages then follow Accept-Language again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

import kb
from api.deps import actor_of, writing
from api.pages.auth import csrf_ok, signed_in
from api.pages.i18n import UI_LOCALES, ui_text
from api.pages.login import safe_next

router = APIRouter(include_in_schema=False)


@router.post("/account/language")
def choose_language(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)],
    locale: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/admin",
) -> Response:
    """Store the signed-in person's interface language and go back to the page they were on."""
    who = signed_in(request)
    if who is None:
        return RedirectResponse(f"/login?next={safe_next(next)}", status_code=303)
    if not csrf_ok(request, csrf) or (locale and locale not in UI_LOCALES):
        problem = ui_text(request).gettext("This form expired or names no language we have; go back and try again.")
        return Response(problem, status_code=400, media_type="text/plain")
    with writing() as session:
        kb.set_user_locale(session=session, username=who.name, locale=locale or None, actor=actor_of(who, request))
    return RedirectResponse(safe_next(next), status_code=303)

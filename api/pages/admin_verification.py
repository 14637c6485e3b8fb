"""The owners' queue, `/admin/due`: live articles due for verification, each one click from "still true".

An owner opens it and sees their own articles first: the default filter is the signed-in
person's name when some live article names them as its `owner`, else every owner. The button
posts (with the CSRF token) to the same kb action as `POST /api/v1/articles/{locale}/{key}/verify`
under the signed-in editor's name, and comes back to where it was sent from (the queue or the
article's editor). Why each article is due is kb's (kb/verification_rules.py).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

import kb
from api.deps import actor_of, reading, writing
from api.pages.admin import editor_gate, staff_page
from api.pages.i18n import ui_text

router = APIRouter(include_in_schema=False)


def editor_state(session: Session, article: kb.Article) -> dict[str, Any]:
    """What the article's editor shows: the last verification and why it is due (if it is).

    A broken `verification.yaml` shows as a problem here rather than taking the editor down.
    """
    try:
        due = kb.due_for_verification(session, article=article)
        problem = ""
    except kb.ContentError as exc:
        due, problem = [], exc.detail
    return {
        "verification": kb.last_verification(session, article),
        "verification_due": due,
        "verification_problem": problem,
    }


@router.get("/admin/due")
def due_queue(
    request: Request,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    locale: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The queue, most overdue first; `owner=` (empty for everyone) overrides the signed-in default."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    chosen_locale = locale if locale in kb.LOCALES else ""
    with reading() as session:
        try:
            everyone = kb.due_for_verification(session, locale=chosen_locale or None)
        except kb.ContentError as exc:  # a broken verification.yaml: say where, keep the page
            return staff_page(
                request, who, "admin_due.html", {**_empty(chosen_locale), "problem": exc.detail}, status=500
            )
        owners = sorted({d.owner for d in everyone if d.owner})
        if owner is None:
            mine = who.name.strip().casefold()
            owner = next((o for o in owners if o.casefold() == mine), "")
        wanted = owner.strip().casefold()
        rows = [d for d in everyone if not wanted or d.owner.casefold() == wanted]
        for d in rows:
            session.expunge(d.article)
            if d.last_verification is not None:
                session.expunge(d.last_verification)
    ctx = {
        "title": "Due for verification",
        "section": "due",
        "rows": rows,
        "owner": owner,
        "owners": owners,
        "locale": chosen_locale,
        "locales": kb.LOCALES,
        "total": len(everyone),
    }
    return staff_page(request, who, "admin_due.html", ctx)


def _empty(locale: str) -> dict[str, Any]:
    return {
        "title": "Due for verification",
        "section": "due",
        "rows": [],
        "owner": "",
        "owners": [],
        "locale": locale,
        "locales": kb.LOCALES,
        "total": 0,
    }


@router.post("/admin/due/verify")
def verify(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)],
    locale: Annotated[str, Form(max_length=16)],
    key: Annotated[str, Form(max_length=200)],
    note: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=500)] = "/admin/due",
) -> Response:
    """Record "verified — still true" for the live revision; no new revision is made."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    where = next if next.startswith("/admin") and not next.startswith("//") else "/admin/due"
    try:
        with writing() as session:
            article = kb.get_article(session=session, key=key, locale=locale)
            made = kb.verify_article(session, article, actor_of(who, request), note)
            done = ui_text(request).gettext("{locale}/{key}: revision {number} verified by {who}")
            done = done.format(locale=locale, key=key, number=made.revision, who=made.verified_by)
    except (kb.InvalidChange, kb.NotFound) as exc:
        return _back(where, exc.detail, "error")
    return _back(where, done)


def _back(where: str, flash: str, kind: str = "ok") -> RedirectResponse:
    """Like admin's `back`, to a path that may carry its own query (the queue's filters)."""
    joiner = "&" if "?" in where else "?"
    return RedirectResponse(f"{where}{joiner}{urlencode({'flash': flash, 'kind': kind})}", status_code=303)

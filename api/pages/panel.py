"""The operator's side panel: search as you type and the operator card, in 360 px.

The page and its two JSON endpoints are for a signed-in operator (session cookie; no
API key ever reaches the browser). The card is the operator renderer's own output, so
the replies an operator copies are exactly what the chat, SMS and email channels send.
ISTOK_FRAME_ANCESTORS says which agent desks may show the panel in an iframe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

import contacts
import kb
from api import announcing, live, rendering, runtime
from api.contact_access import load_context
from api.deps import Forbidden, Principal, Unauthorized, client_address
from api.pages import search_opens
from api.pages.auth import csrf_token, signed_in
from api.pages.i18n import ui_text
from api.pages.login import gate
from api.pages.phrases import category_name
from api.pages.settings import base_url, page_settings
from api.pages.templating import page, snippet_html
from api.schemas import ContextOut

router = APIRouter(include_in_schema=False)
DEFAULT_LOCALE = kb.default_locale()  # the required locale, else the first (ISTOK_REQUIRED_LOCALE, read at start)
LocaleQ = Annotated[str, Query(pattern=r"^[a-z]{2,3}$")]


@router.get("/panel")
def panel(
    request: Request,
    q: Annotated[str, Query(max_length=500)] = "",
    locale: str | None = None,
    # Checked by _client_context, so a desk app's bad link shows a reason in the page, not a JSON error.
    contact: Annotated[str | None, Query(max_length=300)] = None,
    phone: Annotated[str | None, Query(max_length=300)] = None,
    identity: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """The panel page; a desk app deep-links the client's question (`?q=&locale=`) and who
    is on the line (`?contact=ID`, `?phone=` or `?identity=channel:address`), so the operator
    sees the open cases and what was already answered before saying hello."""
    who = gate(request, kb.Role.OPERATOR)
    if isinstance(who, Response):
        return who
    client = _client_context(who, request, contact_id=contact, phone=phone, identity=identity)
    ctx = {
        "title": ui_text(request).gettext("Operator panel"),
        "who": who,
        "csrf": csrf_token(request),
        "q": q,
        "locale": _content_locale(locale, client),
        "locales": kb.LOCALES,
        "client": client,
    }
    headers = {"Cache-Control": "no-store"}
    return page(request, "panel.html", ctx, headers=headers, frame_ancestors=page_settings().frame_ancestors)


def _content_locale(asked: str | None, client: ClientView | None) -> str:
    """The locale of what the panel shows: the desk link's, else the client's own, else the default.

    The content follows the client (a Ukrainian caller's topics, titles and answers in Ukrainian);
    the operator can still switch it in the panel.
    """
    if asked in kb.LOCALES:
        return str(asked)
    own = client.context.contact.locale if client is not None and client.context is not None else None
    return own if own in kb.LOCALES else kb.default_locale()


@dataclass(frozen=True)
class ClientView:
    """What the panel's contact slot shows: the context, or why there is none."""

    context: ContextOut | None = None
    problem: str | None = None
    asked: str = ""

    def title_of(self, locale: str, key: str) -> str:
        entry = live.current().by_key.get((locale, key))
        return entry.title if entry else f"{locale}/{key}"

    def topic(self, category: str | None, locale: str) -> str:
        return category_name(category, locale)


def _client_context(
    who: Principal, request: Request, *, contact_id: str | None, phone: str | None, identity: str | None
) -> ClientView | None:
    """The contact's context for the slot (audited like the API's), or a plain reason."""
    if not contact_id and not phone and not identity:
        return None
    _ = ui_text(request).gettext
    asked = f"#{contact_id}" if contact_id else (phone or identity or "")
    if contact_id and not (contact_id.isdigit() and 1 <= int(contact_id) < 2**31):
        return ClientView(problem=_("a contact id is a whole number from 1"), asked=asked)
    if phone and len(phone) > 64:
        return ClientView(problem=_("too long for a phone number"), asked=asked[:64] + "…")
    try:
        if contact_id:
            found = load_context(who, client_address(request), contact_id=int(contact_id))
        else:
            found = load_context(who, client_address(request), phone=phone or None, identity=identity or None)
    except contacts.ContactNotFound:
        return ClientView(problem=_("No client is known by this yet: a new caller."), asked=asked)
    except contacts.ContactGone:
        return ClientView(problem=_("This client's data was erased."), asked=asked)
    except (contacts.InvalidIdentity, kb.InvalidChange) as exc:
        return ClientView(problem=str(exc), asked=asked)
    return ClientView(context=found, asked=asked)


def _operator(request: Request) -> None:
    """The panel's JSON is for a signed-in operator: else 401 or 403, as problem+json."""
    who = signed_in(request)
    if who is None:
        raise Unauthorized("sign in first")
    if not who.may(kb.Role.OPERATOR):
        raise Forbidden("operators only")


@router.get("/panel/search")
async def panel_search(
    request: Request, q: Annotated[str, Query(max_length=500)] = "", locale: LocaleQ = DEFAULT_LOCALE
) -> Response:
    """Hits for the operator: public and internal snippets, each with its article key."""
    _operator(request)
    if not q.strip():
        return JSONResponse({"query": q, "hits": []})
    found = await run_in_threadpool(_search, q, locale)
    if found["hits"]:
        await run_in_threadpool(search_opens.count, "panel", locale, q)
    return JSONResponse(found, headers={"Cache-Control": "no-store"})


def _search(q: str, locale: str) -> dict[str, Any]:
    try:
        found = kb.search_articles(q, locale, "operator", per_page=8, index=runtime.index())
    except kb.InvalidQuery:
        return {"query": q, "hits": []}
    hits = [
        {
            "key": h.key,
            "locale": h.locale,
            "title": h.title,
            "category": category_name(h.category, locale),
            "snippet": str(snippet_html(h.snippet)),
            "internal": str(snippet_html(h.internal_snippet)) if h.internal_snippet else "",
        }
        for h in found.hits
    ]
    return {"query": q, "corrected": found.corrected, "hits": hits}


@router.get("/panel/card/{locale}/{key}")
async def panel_card(
    request: Request,
    locale: Annotated[str, Path(pattern=r"^[a-z]{2,3}$")],
    key: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,127}$")],
    q: Annotated[str, Query(max_length=500)] = "",
    contact: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    """The operator card of the live revision: answer with internal notes marked, facts, replies.

    `q`, the search the card was opened from, counts as a result opened (insights). The card
    opens with the announcements of now (`announcements`), for the client on the line
    (`contact`) when the panel knows them, else those meant for everyone."""
    _operator(request)
    snap = live.current()
    entry = snap.by_key.get((locale, key))
    if entry is None:
        raise kb.NotFound(f"{locale}/{key} is not published")
    if q.strip():
        await run_in_threadpool(search_opens.count, "panel", locale, q, opened=True)
    card = await run_in_threadpool(_card, entry, snap, base_url(request))
    found = await run_in_threadpool(announcing.notices_for_contact, locale, contact, base_url=base_url(request))
    card["announcements"] = [n.as_dict() for n in found]
    return JSONResponse(card, headers={"Cache-Control": "no-store"})


def _card(entry: live.Entry, snap: live.Snapshot, base: str) -> dict[str, Any]:
    locale, key, revision = entry.locale, entry.key, entry.revision
    out = rendering.render_revision(
        "operator", locale=locale, key=key, revision=revision, snapshot=snap, format="json", base_url=base
    )
    card: dict[str, Any] = json.loads(out.body)
    return {
        "key": key,
        "locale": locale,
        "title": card["title"],
        "summary": card["summary"],
        "html": card["body_html"],  # sanitised by the renderer; internal blocks marked as such
        "internal_count": len(card["internal"]),
        "facts": card["facts"],
        "revision": revision,
        "content_hash": card["content_hash"],
        "url": f"/help/{locale}/{entry.slug}",
        "replies": {
            "chat": card["replies"]["chat"],
            "sms": card["replies"]["sms"]["text"],
            "sms_meta": f"{card['replies']['sms']['segments']} × {card['replies']['sms']['encoding']}",
            "email": card["replies"]["email"]["text"],
            "email_subject": card["replies"]["email"]["subject"],
        },
        "warnings": list(out.warnings),
    }

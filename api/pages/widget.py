"""The embeddable widget: `/widget.js` (one tag on any site) and the public answer it asks.

The script carries its labels and settings inline, so embedding costs one request; the
answer endpoint is public like the help pages, rate-limited per address, and answers
cross-origin only to the sites in ISTOK_WIDGET_ORIGINS (CORS). A 380 px panel is a chat,
not a page: answers are the compact form the bots get (the bot block, else the summary and
the steps, never a table or the whole article), as the bot channel's sanitised HTML
format, with a link to the full article; links are absolute so they work on the host site.
"""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

import kb
from api import announcing, answering, live
from api.deps import Forbidden, client_address
from api.http.ratelimit import check_rate_async
from api.pages.phrases import phrases
from api.pages.settings import base_url, page_settings
from api.pages.templating import STATIC

router = APIRouter(include_in_schema=False)
#: The widget answers as a chat does: the bot channel's compact form, as HTML.
CHANNEL, FORMAT = "bot", "html"
WIDGET_KEYS = (
    "widget_title",
    "widget_intro",
    "read_more",
    "also",
    "handoff",
    "contact_us",
    "close",
    "send",
    "searching",
    "search_placeholder",
    "ask",
    "help_center",
)


@functools.cache
def _script() -> str:
    s = page_settings()
    config = {
        "phrases": {loc: {k: phrases(loc)[k] for k in WIDGET_KEYS} for loc in kb.LOCALES},
        "colour": s.theme_colour,
        "brand": s.brand,
    }
    text = (STATIC / "widget.js").read_text(encoding="utf-8")
    return text.replace("__ISTOK_CONFIG__", json.dumps(config, ensure_ascii=False).replace("<", "\\u003c"))


@router.get("/widget.js")
def widget_js() -> Response:
    """The widget: a help button and panel in a Shadow DOM, for `<script src=".../widget.js" async>`."""
    return Response(
        _script(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def _cors(request: Request, response: Response) -> Response:
    origin = request.headers.get("origin")
    response.headers["Vary"] = "Origin"
    if origin and page_settings().widget_allows(origin.rstrip("/")):
        response.headers["Access-Control-Allow-Origin"] = origin
    return response


@router.get("/widget/answer")
async def widget_answer(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    locale: Annotated[str, Query(pattern=r"^[a-z]{2,3}$")] = kb.default_locale(),
) -> Response:
    """The answer engine for the widget (a chat: the bot channel): `answered` with the compact answer, or `handoff`."""
    origin = request.headers.get("origin")
    if origin and not page_settings().widget_allows(origin.rstrip("/")):
        raise Forbidden("this site may not embed the widget")
    if locale not in kb.LOCALES:
        locale = kb.default_locale()
    await check_rate_async(f"addr:{client_address(request) or 'unknown'}")
    base = base_url(request)
    contact = page_settings().contact_url or f"{base}/help/{locale}/contact"  # our form: a person answers
    try:
        reply = await answering.ask(q, locale, CHANNEL, format=FORMAT, base_url=base)
    except kb.InvalidQuery:  # nothing searchable in it: a person helps
        return _cors(request, JSONResponse(_handoff(contact), headers=NO_STORE))
    data = reply.presented.get("widget")
    if data is None:  # the first time this reply is served: later repeats reuse it
        data = reply.presented["widget"] = _widget_shape(reply, base, contact)
    return _cors(request, JSONResponse(data, headers=NO_STORE))


NO_STORE = {"Cache-Control": "no-store"}


@router.get("/widget/announcements")
async def widget_announcements(
    request: Request, locale: Annotated[str, Query(pattern=r"^[a-z]{2,3}$")] = kb.default_locale()
) -> Response:
    """The notices of now (outages, planned works) the widget shows first: those meant for everyone."""
    origin = request.headers.get("origin")
    if origin and not page_settings().widget_allows(origin.rstrip("/")):
        raise Forbidden("this site may not embed the widget")
    if locale not in kb.LOCALES:
        locale = kb.default_locale()
    base = base_url(request)
    found = await run_in_threadpool(lambda: announcing.notices(locale, base_url=base))
    data = {"announcements": [{"title": n.title, "text": n.text, "url": n.url, "key": n.key} for n in found]}
    return _cors(request, JSONResponse(data, headers={"Cache-Control": "public, max-age=30"}))


def _handoff(contact: str) -> dict[str, Any]:
    return {"status": "handoff", "contact_url": contact, "alternatives": []}


def _widget_shape(reply: answering.Reply, base: str, contact: str) -> dict[str, Any]:
    """The reply as the widget shows it: links absolute, so they work on the host site."""
    found, rendered = reply.answer, reply.rendered
    snap = live.at(found.seq)
    locale = found.locale
    out = _handoff(contact)
    for alt in found.alternatives:
        entry = snap.by_key.get((locale, alt.key))
        if entry is not None:
            out["alternatives"].append({"title": alt.title, "url": f"{base}/help/{locale}/{entry.slug}"})
    out["status"] = found.status.value
    if rendered is None or found.key is None:
        return out
    entry = snap.by_key.get((locale, found.key))
    out.update(
        title=found.title,
        html=rendered.body,
        summary=rendered.meta.get("summary", ""),
        url=f"{base}/help/{locale}/{entry.slug}" if entry else f"{base}/help/{locale}/",
        key=found.key,
        revision=found.revision,
        confidence=round(found.confidence, 3),
    )
    return out

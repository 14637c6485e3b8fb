"""The embeddable widget: `/widget.js` (one tag on any site) and the public answer it asks.

The script carries its labels and settings inline, so embedding costs one request; the
answer endpoint is public like the help pages, rate-limited per address, and answers
cross-origin only to the sites in ISTOK_WIDGET_ORIGINS (CORS). Answers are the web
channel's rendering (sanitised HTML, no internal blocks) with links made absolute so
they work on the host site.
"""

from __future__ import annotations

import functools
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

import kb
import renderers
from api import rendering, runtime
from api.deps import client_address
from api.http.ratelimit import check_rate
from api.pages.catalogue import catalogue
from api.pages.help import base_url
from api.pages.phrases import phrases
from api.pages.settings import page_settings
from api.pages.templating import STATIC

router = APIRouter(include_in_schema=False)
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
    locale: Annotated[str, Query(pattern=r"^[a-z]{2,3}$")] = "ru",
) -> Response:
    """The answer engine for the widget (web channel): `answered` with the article, or `handoff`."""
    origin = request.headers.get("origin")
    if origin and not page_settings().widget_allows(origin.rstrip("/")):
        return _cors(request, JSONResponse({"detail": "this site may not embed the widget"}, status_code=403))
    if locale not in kb.LOCALES:
        locale = kb.LOCALES[0]
    check_rate(f"addr:{client_address(request) or 'unknown'}")
    data = await run_in_threadpool(_answer, q, locale, base_url(request))
    return _cors(request, JSONResponse(data, headers={"Cache-Control": "no-store"}))


def _answer(q: str, locale: str, base: str) -> dict[str, Any]:
    try:
        found = kb.answer(q, locale, "web", index=runtime.index())
    except kb.InvalidQuery:
        found = None
    cat = catalogue()
    contact = page_settings().contact_url or f"{base}/help/{locale}/"
    out: dict[str, Any] = {"status": "handoff", "contact_url": contact, "alternatives": []}
    if found is None:
        return out
    for alt in found.alternatives:
        entry = cat.by_key.get((locale, alt.key))
        if entry is not None:
            out["alternatives"].append({"title": alt.title, "url": f"{base}/help/{locale}/{entry.slug}"})
    out["status"] = found.status.value
    if not found.answered or found.key is None or found.revision is None:
        return out
    ctx = rendering.context(found.seq)
    options = renderers.RenderOptions(base_url=base, articles=ctx.slugs.get(locale, {}), revision=found.revision)
    unit = rendering.unit(locale, found.key, found.revision)
    rendered = renderers.render("web", unit=unit, facts=ctx.facts, locale=locale, options=options)
    entry = cat.by_key.get((locale, found.key))
    out.update(
        title=found.title,
        html=rendered.body,
        summary=rendered.meta.get("description", ""),
        url=f"{base}/help/{locale}/{entry.slug}" if entry else f"{base}/help/{locale}/",
        key=found.key,
        revision=found.revision,
        confidence=round(found.confidence, 3),
    )
    return out

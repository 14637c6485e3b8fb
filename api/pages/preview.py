"""The editor's live preview: an unsaved source in every channel's form at once, and IVR audio.

Nothing is stored: the source is parsed and rendered as it would be if published now,
with today's facts and live links. What the editor sees is exactly what each channel
receives: the same render path, options and base URL (`base_url`: ISTOK_PUBLIC_URL when
set, not the host the editor's browser happens to use) as `/api/v1/…/render/{channel}`,
each of the bot's formats as the text a messenger gets, SMS with its parts and encoding,
IVR as SSML. Beside that raw text each channel also comes as the person at the other end
sees it (`shown`): the Telegram HTML as a chat bubble draws it, the IVR as the words spoken,
the email's HTML part; markup in `shown` passes nh3 here, so the page inserts nothing raw.
Problems come back as messages, never as errors, so the preview keeps up while the editor
is mid-word; they include what a save would refuse (unknown facts, images without alt text).
Audio is the IVR's own, from `api/speech.py`, as a caller hears it.

The toolbar's pickers read the article list and the facts here, through the same kb
functions as the API's `/api/v1/articles` and `/api/v1/facts`, with the editor's session
instead of an API key.
"""

from __future__ import annotations

import html
import re
from typing import Annotated, Any

import nh3
from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

import kb
import renderers
from api import live, rendering, speech
from api.deps import Forbidden, Unauthorized, reading
from api.pages.auth import csrf_ok, signed_in
from api.pages.settings import base_url
from api.pages.templating import STATIC, env, static_url

router = APIRouter(include_in_schema=False)
MAX_SOURCE = 1024 * 1024
#: The format the editor sees first where a channel has several; the bot shows all of its own.
PREVIEW_FORMATS = {"ivr": "ssml", "operator": "html"}
#: Channels whose every format is previewed (each messenger gets different text).
ALL_FORMATS = frozenset({"bot"})
#: What Telegram's HTML parse mode draws (core.telegram.org/bots/api#html-style); the rest is text.
TELEGRAM_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote", "tg-spoiler"}
)
#: A web chat's HTML, drawn in its bubble.
CHAT_HTML_TAGS = frozenset({"p", "br", "ul", "ol", "li"})
LINK_SCHEMES = frozenset({"http", "https", "tel", "mailto"})
#: The email's HTML part as a mail client shows it: its body, no document head.
EMAIL_TAGS = TELEGRAM_TAGS | CHAT_HTML_TAGS | {"h1", "h2", "h3", "h4", "img"}
PICKER_LIMIT = 20
EDITOR_BUNDLE = "editor.bundle.js"


def editor_bundle_url() -> str | None:
    """The CodeMirror bundle's URL when `make install` built it; without it the editor is the textarea."""
    return static_url(EDITOR_BUNDLE) if (STATIC / EDITOR_BUNDLE).is_file() else None


env.globals.update(editor_bundle_url=editor_bundle_url, editor_blocks=kb.BLOCK_CHANNELS)


def _editor(request: Request) -> None:
    """The preview is for a signed-in editor, with the page's CSRF token: else 401 or 403."""
    who = signed_in(request)
    if who is None:
        raise Unauthorized("sign in first")
    if not who.may(kb.Role.EDITOR):
        raise Forbidden("editors only")
    if not csrf_ok(request, request.headers.get("x-csrf-token")):
        raise Forbidden("missing or stale CSRF token; reload the page")


def telegram_bubble(html: str) -> str:
    """Telegram-format text as the messenger draws it: its few tags kept, newlines kept, nothing else."""
    return nh3.clean(html, tags=set(TELEGRAM_TAGS), attributes={"a": {"href"}}, url_schemes=set(LINK_SCHEMES))


def email_body(html: str) -> str:
    """The email's HTML part without its document head, cleaned for insertion into the editor page."""
    return nh3.clean(
        html,
        tags=set(EMAIL_TAGS),
        attributes={"a": {"href"}, "img": {"src", "alt", "width", "height"}, "th": {"scope"}},
        url_schemes=set(LINK_SCHEMES),
        clean_content_tags={"script", "style", "title"},
    ).strip()


def whatsapp_bubble(text: str) -> str:
    """WhatsApp markup as the app draws it: *bold*, _italic_, ~struck~, ```monospace```, as escaped HTML."""
    out = html.escape(text, quote=False)
    out = re.sub(r"```(.+?)```", r"<code>\1</code>", out, flags=re.DOTALL)
    out = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)\*(?![\w*])", r"<b>\1</b>", out)
    out = re.sub(r"(?<![\w_])_(?=\S)([^_\n]+?)_(?![\w_])", r"<i>\1</i>", out)
    out = re.sub(r"(?<![\w~])~(?=\S)([^~\n]+?)~(?![\w~])", r"<s>\1</s>", out)
    return nh3.clean(out, tags={"b", "i", "s", "code"}, attributes={})


def bot_bubbles(formats: dict[str, str]) -> dict[str, str]:
    """Each bot format as its messenger shows it: Telegram's and the web chat's HTML drawn, the rest as text."""
    shown: dict[str, str] = {}
    for name, text in formats.items():
        if name == "telegram":
            shown[name] = telegram_bubble(text)
        elif name == "html":
            tags = set(TELEGRAM_TAGS | CHAT_HTML_TAGS)
            shown[name] = nh3.clean(text, tags=tags, attributes={"a": {"href"}}, url_schemes=set(LINK_SCHEMES))
        elif name == "whatsapp":
            shown[name] = whatsapp_bubble(text)
        else:
            shown[name] = html.escape(text, quote=False)
    return shown


def _save_problems(unit: kb.Unit, source: str, facts: set[str]) -> list[str]:
    """What a save of this source would refuse: unknown facts, images without alt text or upload."""
    problems = kb.unknown_facts(source, facts, file="editor")
    known: dict[str, tuple[int, int]] = {}
    if unit.assets:
        with reading() as session:
            known = kb.asset_sizes(session=session, ids=unit.assets)
    problems += kb.image_problems(unit, source, known, file="editor")
    return [str(p) for p in problems]


def _shown(channel: str, rendered: renderers.Rendered, unit: kb.Unit, snap: live.Snapshot, base: str) -> str:
    """The channel's output as its audience meets it, as sanitised HTML or plain text (IVR)."""
    if channel == "ivr":
        return rendering.render(channel, unit, snapshot=snap, format="plain", base_url=base).body
    if channel == "email":
        return email_body(str(rendered.meta.get("html", "")))
    return rendered.body


def render_all(source: str, base: str) -> dict[str, Any]:
    """Every channel's output for `source`, or the problems that stop it from parsing."""
    try:
        unit = kb.parse_source(source, file="editor")
    except kb.ContentError as exc:
        return {"ok": False, "problems": [str(p) for p in exc.problems]}
    snap = live.current()
    out: dict[str, Any] = {"ok": True, "problems": _save_problems(unit, source, set(snap.facts)), "channels": {}}
    for channel in renderers.RENDERERS:
        fmt = PREVIEW_FORMATS.get(channel)
        rendered = rendering.render(channel, unit, snapshot=snap, format=fmt, base_url=base)
        meta = rendered.meta
        out["channels"][channel] = {
            "body": rendered.body,
            "shown": _shown(channel, rendered, unit, snap, base),
            "format": rendered.format,
            "warnings": list(rendered.warnings),
            "segments": meta.get("segments"),
            "encoding": meta.get("encoding"),
            "length": meta.get("length"),
            "per_segment": meta.get("per_segment"),
            "duration": meta.get("duration_s"),
            "subject": meta.get("subject"),
        }
        if channel in ALL_FORMATS:
            formats = {
                f: rendering.render(channel, unit, snapshot=snap, format=f, base_url=base).body
                for f in renderers.FORMATS[channel]
            }
            out["channels"][channel]["formats"] = formats
            out["channels"][channel]["bubbles"] = bot_bubbles(formats)
    return out


@router.post("/admin/preview")
async def preview(request: Request, source: str = Body(embed=True, max_length=MAX_SOURCE)) -> Response:
    """Every channel at once for the editor's unsaved text."""
    _editor(request)
    data = await run_in_threadpool(render_all, source, base_url(request))
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@router.post("/admin/listen")
async def listen(request: Request, source: str = Body(embed=True, max_length=MAX_SOURCE)) -> Response:
    """The IVR rendering as a caller will hear it: the same 8 kHz speech a phone switch is served."""
    _editor(request)
    data = await run_in_threadpool(render_all, source, base_url(request))
    if not data["ok"]:
        raise kb.InvalidChange("; ".join(data["problems"]))
    locale = kb.parse_source(source, file="editor").locale
    return await speech.wav_response(request, data["channels"]["ivr"]["body"], locale, cache="no-store")


def _matches(query: str, *texts: str) -> bool:
    words = query.casefold().split()
    haystack = " ".join(texts).casefold()
    return all(w in haystack for w in words)


def pick_articles(query: str, locale: str | None) -> list[dict[str, Any]]:
    """Articles whose title or key holds every word of `query`, the locale's first, at most PICKER_LIMIT."""
    with reading() as session:
        rows = kb.list_articles(session=session)
    found = [a for a in rows if _matches(query, a.title, a.key)]
    found.sort(key=lambda a: (a.locale != locale, a.published_revision is None, a.title.casefold()))
    return [
        {"key": a.key, "locale": a.locale, "title": a.title, "live": a.published_revision is not None}
        for a in found[:PICKER_LIMIT]
    ]


def pick_facts(query: str) -> list[dict[str, Any]]:
    """Facts whose key or value holds every word of `query`, with the reference that inserts them."""
    with reading() as session:
        rows = kb.list_facts(session=session)
    found = [f for f in rows if _matches(query, f.key, str(f.value))]
    return [
        {"key": f.key, "type": f.type, "value": str(f.value), "reference": f"{{{{ {f.key} }}}}"}
        for f in found[:PICKER_LIMIT]
    ]


@router.get("/admin/editor/articles")
async def articles(
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    locale: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """The link picker's choices: `[text](kb:key)` links to what these name."""
    _editor(request)
    items = await run_in_threadpool(pick_articles, q, locale)
    return JSONResponse({"items": items}, headers={"Cache-Control": "no-store"})


@router.get("/admin/editor/facts")
async def facts(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """The fact picker's choices, each with its `{{ key }}` reference."""
    _editor(request)
    items = await run_in_threadpool(pick_facts, q)
    return JSONResponse({"items": items}, headers={"Cache-Control": "no-store"})

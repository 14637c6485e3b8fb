"""The editor's live preview: an unsaved source in every channel's form at once, and IVR audio.

Nothing is stored: the source is parsed and rendered as it would be if published now,
with today's facts and live links. What the editor sees is exactly what each channel
receives: the same render path, options and base URL (`base_url`: ISTOK_PUBLIC_URL when
set, not the host the editor's browser happens to use) as `/api/v1/…/render/{channel}`,
each of the bot's formats as the text a messenger gets, SMS with its parts and encoding,
IVR as SSML. Problems come back as messages, never as errors, so the preview keeps up while
the editor is mid-word. Audio is the IVR's own, from `api/speech.py`, as a caller hears it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

import kb
import renderers
from api import live, rendering, speech
from api.deps import Forbidden, Unauthorized
from api.pages.auth import csrf_ok, signed_in
from api.pages.settings import base_url

router = APIRouter(include_in_schema=False)
MAX_SOURCE = 1024 * 1024
#: The format the editor sees first where a channel has several; the bot shows all of its own.
PREVIEW_FORMATS = {"ivr": "ssml", "operator": "html"}
#: Channels whose every format is previewed (each messenger gets different text).
ALL_FORMATS = frozenset({"bot"})


def _editor(request: Request) -> None:
    """The preview is for a signed-in editor, with the page's CSRF token: else 401 or 403."""
    who = signed_in(request)
    if who is None:
        raise Unauthorized("sign in first")
    if not who.may(kb.Role.EDITOR):
        raise Forbidden("editors only")
    if not csrf_ok(request, request.headers.get("x-csrf-token")):
        raise Forbidden("missing or stale CSRF token; reload the page")


def render_all(source: str, base: str) -> dict[str, Any]:
    """Every channel's output for `source`, or the problems that stop it from parsing."""
    try:
        unit = kb.parse_source(source, file="editor")
    except kb.ContentError as exc:
        return {"ok": False, "problems": [str(p) for p in exc.problems]}
    snap = live.current()
    unknown = [str(p) for p in kb.unknown_facts(source, set(snap.facts), file="editor")]
    out: dict[str, Any] = {"ok": True, "problems": unknown, "channels": {}}
    for channel in renderers.RENDERERS:
        fmt = PREVIEW_FORMATS.get(channel)
        rendered = rendering.render(channel, unit, snapshot=snap, format=fmt, base_url=base)
        meta = rendered.meta
        out["channels"][channel] = {
            "body": rendered.body,
            "format": rendered.format,
            "warnings": list(rendered.warnings),
            "segments": meta.get("segments"),
            "encoding": meta.get("encoding"),
            "duration": meta.get("duration_s"),
            "subject": meta.get("subject"),
        }
        if channel in ALL_FORMATS:
            out["channels"][channel]["formats"] = {
                f: rendering.render(channel, unit, snapshot=snap, format=f, base_url=base).body
                for f in renderers.FORMATS[channel]
            }
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

"""The editor's live preview: an unsaved source in every channel's form at once, and IVR audio.

Nothing is stored: the source is parsed and rendered as it would be if published now,
with today's facts and live links. Problems come back as messages, never as errors, so
the preview keeps up while the editor is mid-word. Audio comes from espeak-ng on the
server, when installed.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

import kb
import renderers
from api import rendering
from api.pages.auth import csrf_ok, signed_in
from api.pages.catalogue import catalogue
from api.pages.help import base_url

router = APIRouter(include_in_schema=False)
MAX_SOURCE = 1024 * 1024
#: (channel, format) shown side by side in the editor, in this order.
CHANNELS = (("web", None), ("bot", "telegram"), ("sms", None), ("ivr", "ssml"), ("operator", "html"), ("email", None))
VOICES = {"ru": "ru", "uk": "uk", "en": "en-us"}


def _editor(request: Request) -> Response | None:
    who = signed_in(request)
    if who is None:
        return JSONResponse({"detail": "sign in first"}, status_code=401)
    if not who.may(kb.Role.EDITOR):
        return JSONResponse({"detail": "editors only"}, status_code=403)
    if not csrf_ok(request, request.headers.get("x-csrf-token")):
        return JSONResponse({"detail": "missing or stale CSRF token; reload the page"}, status_code=403)
    return None


def render_all(source: str, base: str) -> dict[str, Any]:
    """Every channel's output for `source`, or the problems that stop it from parsing."""
    try:
        unit = kb.parse_source(source, file="editor")
    except kb.ContentError as exc:
        return {"ok": False, "problems": [str(p) for p in exc.problems]}
    ctx = rendering.context(catalogue().seq)
    unknown = [str(p) for p in kb.unknown_facts(source, set(ctx.facts), file="editor")]
    options = renderers.RenderOptions(base_url=base, articles=ctx.slugs.get(unit.locale, {}))
    out: dict[str, Any] = {"ok": True, "problems": unknown, "channels": {}}
    for channel, fmt in CHANNELS:
        rendered = renderers.render(
            channel, unit=unit, facts=ctx.facts, locale=unit.locale, options=_with(options, fmt)
        )
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
    return out


def _with(options: renderers.RenderOptions, fmt: str | None) -> renderers.RenderOptions:
    return renderers.RenderOptions(format=fmt, base_url=options.base_url, articles=options.articles)


@router.post("/admin/preview")
async def preview(request: Request, source: str = Body(embed=True, max_length=MAX_SOURCE)) -> Response:
    """Every channel at once for the editor's unsaved text."""
    if (refused := _editor(request)) is not None:
        return refused
    data = await run_in_threadpool(render_all, source, base_url(request))
    return JSONResponse(data, headers={"Cache-Control": "no-store"})


@router.post("/admin/listen")
async def listen(request: Request, source: str = Body(embed=True, max_length=MAX_SOURCE)) -> Response:
    """The IVR rendering spoken by espeak-ng, as WAV; 501 when the server has no espeak-ng."""
    if (refused := _editor(request)) is not None:
        return refused
    engine = shutil.which("espeak-ng")
    if engine is None:
        return JSONResponse({"detail": "espeak-ng is not installed on the server"}, status_code=501)
    data = await run_in_threadpool(render_all, source, base_url(request))
    if not data["ok"]:
        return JSONResponse({"detail": "; ".join(data["problems"])}, status_code=422)
    locale = kb.parse_source(source, file="editor").locale
    done = await run_in_threadpool(
        subprocess.run,
        [engine, "-m", "-v", VOICES.get(locale, "en-us"), "--stdout", "--stdin"],
        input=data["channels"]["ivr"]["body"].encode("utf-8"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        return JSONResponse({"detail": done.stderr.decode(errors="replace")[:500]}, status_code=500)
    return Response(done.stdout, media_type="audio/wav", headers={"Cache-Control": "no-store"})

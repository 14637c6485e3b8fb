"""The editor's image upload: a pasted or picked image becomes `![…](asset:…)` in the source.

The editor's script posts the image here (multipart, the session's CSRF token in the
`X-CSRF-Token` header or the `csrf` form field) and inserts the Markdown it gets back at the
cursor. The same `kb.store_image` as the API stores it, under the signed-in person's name.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

import kb
from api.deps import actor_of, writing
from api.pages.admin import editor_gate
from api.pages.auth import csrf_ok
from api.routes.assets import asset_out, upload_bytes

router = APIRouter(include_in_schema=False)


@router.post("/admin/assets")
async def upload(request: Request) -> Response:
    """Store the image; JSON back (id, markdown, width, height), or a problem the editor shows."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    sent = request.headers.get("x-csrf-token")
    if not csrf_ok(request, sent):
        return JSONResponse({"detail": "the page's session expired; reload it"}, status_code=403)
    try:
        data = await upload_bytes(request)
        with writing() as session:
            stored = kb.store_image(session, data, actor_of(who, request))
    except (kb.ImageTooLarge, kb.UnsupportedImage) as exc:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)
    body = asset_out(stored).model_dump()
    body["markdown"] = stored.markdown("describe the image")
    return JSONResponse(body, status_code=201, headers={"Cache-Control": "no-store"})

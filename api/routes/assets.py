"""Images: uploaded by editors (the API and the admin's editor), served to everyone.

`GET /assets/{id}` is public, since the help pages and messengers show the images; an id is the
hash of the bytes, so a response never changes and is cached for a year, `immutable`. The upload
takes the image as the raw body (`Content-Type: image/png`, …) or as the `file` field of a
multipart form, and answers with the Markdown to put in an article.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

import kb
from api.deps import EditorKey, actor_of, reading, writing
from api.http.errors_doc import responses
from api.schemas.assets import AssetOut

router = APIRouter(tags=["assets"])
AssetId = Annotated[str, Path(min_length=1, max_length=64)]
IMMUTABLE = "public, max-age=31536000, immutable"
_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": f"a PNG, JPEG, WebP or GIF image of at most {kb.MAX_IMAGE_BYTES} bytes (SVG is refused)",
        "content": {
            **{t: {"schema": {"type": "string", "format": "binary"}} for t in _TYPES},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


class BadUpload(kb.IstokError):
    """A multipart upload whose form cannot be read (too many parts, broken boundaries)."""

    status = 422
    slug = "bad-upload"


async def upload_bytes(request: Request) -> bytes:
    """The image of a request: its `file` form field for multipart, else the raw body."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        try:
            form = await request.form(max_files=1, max_fields=4, max_part_size=kb.MAX_IMAGE_BYTES + 1)
        except HTTPException as exc:
            raise BadUpload(
                f"the form could not be read ({exc.detail}); send the image as its one `file` field"
            ) from None
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise kb.UnsupportedImage("the form has no `file` field holding the image")
        return await upload.read()
    return await request.body()


def asset_out(stored: kb.StoredImage) -> AssetOut:
    return AssetOut(
        id=stored.id,
        url=f"/assets/{stored.id}",
        markdown=stored.markdown(),
        media_type=stored.media_type,
        width=stored.width,
        height=stored.height,
        bytes=stored.size,
        created=stored.created,
    )


@router.post(
    "/api/v1/assets",
    response_model=AssetOut,
    status_code=201,
    summary="Upload an image",
    description=(
        "Re-encodes the image (EXIF orientation applied, metadata stripped, at most 2000 px on the long "
        "side) and stores it by the sha256 of the result; the same image twice is one asset. Put the "
        "answer's `markdown` in an article and write its alt text, which is required."
    ),
    responses=responses(401, 403, 413, 415, 422),
    openapi_extra=_UPLOAD_BODY,
)
async def upload(request: Request, who: EditorKey) -> AssetOut:
    data = await upload_bytes(request)
    with writing() as session:
        return asset_out(kb.store_image(session, data, actor_of(who, request)))


_EXTENSIONS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}


@router.get(
    "/assets/{asset_id}.{extension}",
    include_in_schema=False,
    response_class=Response,
)
def serve_named(asset_id: AssetId, extension: str, request: Request) -> Response:
    """The same image under a name ending in its type, for services that judge a link by it (Viber)."""
    response = serve(asset_id, request)
    if response.status_code == 200 and response.media_type != _EXTENSIONS.get(extension.lower()):
        raise kb.AssetNotFound(f"{asset_id}.{extension}")
    return response


@router.get(
    "/assets/{asset_id}",
    include_in_schema=False,
    response_class=Response,
)
def serve(asset_id: AssetId, request: Request) -> Response:
    """The image's bytes; an `If-None-Match` naming it gets 304 (it never changes)."""
    headers = {"ETag": f'"{asset_id}"', "Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    with reading() as session:
        asset = kb.get_asset(session=session, asset_id=asset_id)
        if request.headers.get("if-none-match", "").strip() in (f'"{asset_id}"', f'W/"{asset_id}"', "*"):
            return Response(status_code=304, headers=headers)
        headers["Content-Disposition"] = "inline"
        return Response(content=asset.data, media_type=asset.media_type, headers=headers)

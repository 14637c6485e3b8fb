"""One article in one channel's form over HTTP: what an IVR platform or a bot fetches."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

import kb
import renderers
from api import live, rendering
from api.deps import AnyKey, Forbidden, reading
from api.http.errors_doc import responses
from api.pages.settings import base_url
from api.schemas.fields import CHANNEL_NAMES, FORMAT_NAMES, one_of

router = APIRouter(prefix="/api/v1/articles", tags=["render"], responses=responses(401, 403, 404, 422))

MEDIA_TYPES = ("text/html", "text/plain", "application/ssml+xml", "application/json", "message/rfc822")
_BODY: dict[str, Any] = {"schema": {"type": "string"}}
_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The channel's output; `X-Istok-*` headers carry provenance and metadata",
        "content": {media: _BODY for media in MEDIA_TYPES},
        "headers": {
            "X-Istok-Revision": {"schema": {"type": "integer"}, "description": "The revision rendered"},
            "X-Istok-Content-Hash": {"schema": {"type": "string"}, "description": "Its sha256"},
            "X-Istok-Meta": {"schema": {"type": "string"}, "description": "Metadata as JSON (segments, duration …)"},
        },
    }
}


@router.get(
    "/{locale}/{key}/render/{channel}",
    summary="The live unit in a channel's form",
    response_class=Response,
    responses=_OK,
)
def render(
    locale: Annotated[str, Path(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")],
    key: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,127}$")],
    channel: Annotated[str, Path(pattern=r"^[a-z]{1,32}$", examples=["ivr"], json_schema_extra=one_of(CHANNEL_NAMES))],
    who: AnyKey,
    request: Request,
    format: Annotated[
        str | None, Query(max_length=32, examples=["plain"], json_schema_extra=one_of(FORMAT_NAMES))
    ] = None,
    revision: Annotated[int | None, Query(ge=1, le=10**9, description="A draft preview: editors, operators")] = None,
) -> Response:
    """Bots get the published revision of public channels; the operator card and drafts need more."""
    if not kb.check_channel(channel).public and not who.may(kb.Role.OPERATOR, kb.Role.EDITOR):
        raise Forbidden("the operator card shows internal notes: editors and operators only")
    if revision is not None and not who.may(kb.Role.OPERATOR, kb.Role.EDITOR):
        raise Forbidden("previewing a revision is for editors and operators")
    if format is not None and format not in renderers.FORMATS[channel]:
        raise renderers.UnknownFormat(channel, format, renderers.FORMATS[channel])
    with reading() as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        number = revision or article.published_revision
        if number is None:
            raise kb.NotFound(f"{locale}/{key} is not published")
        rev = kb.get_revision(session=session, article=article, number=number)
        seq = kb.last_seq(session)
    out = rendering.render_revision(
        channel,
        locale=locale,
        key=key,
        revision=number,
        snapshot=live.at(seq),
        format=format,
        base_url=base_url(request),
    )
    meta = {**out.as_dict()["meta"], "warnings": list(out.warnings)}
    headers = {
        "X-Istok-Revision": str(number),
        "X-Istok-Content-Hash": rev.content_hash,
        "X-Istok-Meta": json.dumps(meta, ensure_ascii=True, default=str, separators=(",", ":")),
    }
    return Response(content=out.body, media_type=out.media_type, headers=headers)

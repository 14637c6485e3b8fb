"""The error responses each route declares in OpenAPI, all as problem details."""

from __future__ import annotations

from typing import Any

from api.schemas import Problem

_MEANING = {
    401: "No API key, or an unknown or revoked one",
    403: "The key's role may not do this",
    404: "No such resource",
    409: "The change conflicts with the current state",
    412: "If-Match does not match the current ETag (or If-None-Match: * and it exists); nothing was changed",
    413: "The request body is over 1 MiB",
    415: "The body is not of a media type this operation accepts (an image upload: not PNG, JPEG, WebP or GIF)",
    422: "The request or its content is invalid; `detail` (and `problems`) say where",
    428: "If-Match (or If-None-Match: * to create) is required",
    429: "Too many requests; see Retry-After",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI response entries for `codes`, each a problem+json body."""
    return {
        code: {
            "model": Problem,
            "description": _MEANING[code],
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }

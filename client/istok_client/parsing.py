"""Reading a successful response into the result an operation promises.

Each parser names the model it produces (`model`, `many`), so that the drift test can hold the
model against the response schema in `/openapi.json`, and the keys it adds from headers (`extra`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, cast

import httpx

from istok_client.models import RenderedUnit

M = TypeVar("M")


def etag(headers: httpx.Headers) -> str | None:
    """The `ETag` to send back as `If-Match` when changing what was read."""
    value = headers.get("etag")
    return str(value) if value is not None else None


def replayed(headers: httpx.Headers) -> bool:
    """Whether Istok had answered this outside message before and recorded nothing new."""
    return str(headers.get("x-istok-replayed", "")).lower() == "true"


class Json(Generic[M]):
    """The body as one `model` (a TypedDict), plus keys the client takes from response headers.

    `extra` maps a key to the function reading it from the headers (`etag`, `replayed`); a
    function answering None adds nothing.
    """

    many = False

    def __init__(self, model: type[M], *, extra: Mapping[str, Callable[[httpx.Headers], object]] | None = None) -> None:
        self.model = model
        self.extra = dict(extra or {})

    def __call__(self, response: httpx.Response) -> M:
        body = response.json()
        for key, read in self.extra.items():
            value = read(response.headers)
            if value is not None:
                body[key] = value
        return cast(M, body)


TAGGED = {"etag": etag}  # results a change is based on: send them back as `base=`
REPLAYABLE = {"replayed": replayed}


class JsonList(Generic[M]):
    """The body as a list of `model`."""

    many = True

    def __init__(self, model: type[M]) -> None:
        self.model = model

    def __call__(self, response: httpx.Response) -> list[M]:
        return cast(list[M], response.json())


class JsonObject:
    """A body whose schema is a free-form object (an export, an erasure's counts)."""

    model = None
    many = False

    def __call__(self, response: httpx.Response) -> dict[str, Any]:
        return cast(dict[str, Any], response.json())


class NoContent:
    """A 204: nothing to read."""

    model = None
    many = False

    def __call__(self, response: httpx.Response) -> None:
        return None


class NoContentOr(Generic[M]):
    """A 204 (done: None), or a body as one `model` when the server did something else instead
    (a 202 with the proposal a change under review became)."""

    many = False

    def __init__(self, model: type[M]) -> None:
        self.model = model

    def __call__(self, response: httpx.Response) -> M | None:
        return None if response.status_code == 204 or not response.content else cast(M, response.json())


class RenderedBody:
    """A channel's output as served: the body, its media type and the `X-Istok-*` provenance."""

    model = None
    many = False

    def __call__(self, response: httpx.Response) -> RenderedUnit:
        meta = response.headers.get("x-istok-meta")
        return {
            "body": response.text,
            "content_type": response.headers.get("content-type", ""),
            "revision": int(response.headers.get("x-istok-revision", "0")),
            "content_hash": response.headers.get("x-istok-content-hash", ""),
            "meta": json.loads(meta) if meta else {},
        }


class Bytes:
    """A binary body as served (a WAV): its bytes, untouched."""

    model = None
    many = False

    def __call__(self, response: httpx.Response) -> bytes:
        return response.content

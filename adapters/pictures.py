"""The images of an answer, as messengers take them: the uploaded image's bytes, or a public link.

A bot render lists the images of what it says in `meta["images"]` (`url`, `alt`, `asset`, size).
An uploaded image (`asset` set) is fetched from Istok itself at `/assets/{id}`, public and
never changing, so a messenger that takes uploads gets the bytes even where the help centre's
public address is unreachable from the adapter's host; an image linked from elsewhere is only
known by its address, which the messenger fetches. An image's id is the hash of its bytes, so
whatever a messenger hands back for it (Telegram's `file_id`, a WhatsApp media id) may be kept
and sent again instead of the bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

logger = logging.getLogger("istok.adapter.pictures")

#: The file extension of each type Istok serves images as (`/assets/{id}.{extension}` serves it too).
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}
#: What an image's alt text becomes when the messenger's caption limit is shorter.
ELLIPSIS = "…"


@dataclass(frozen=True)
class Picture:
    """One image of an answer: where it is seen publicly, its alt text and, if uploaded, its id."""

    url: str
    alt: str
    asset: str | None

    @property
    def public(self) -> bool:
        """Whether a messenger's servers could fetch `url` themselves (an absolute http(s) address)."""
        return self.url.startswith(("https://", "http://"))


@dataclass(frozen=True)
class Upload:
    """An uploaded image's bytes as Istok serves them."""

    data: bytes
    media_type: str
    filename: str


def pictures(meta: Mapping[str, Any] | None) -> list[Picture]:
    """The images a render lists, in the order the answer names them."""
    out: list[Picture] = []
    for image in (meta or {}).get("images") or []:
        if isinstance(image, Mapping) and isinstance(image.get("url"), str):
            asset = image.get("asset")
            out.append(Picture(url=image["url"], alt=str(image.get("alt") or ""), asset=asset or None))
    return out


def caption(alt: str, limit: int, *, length: Callable[[str], int] = len) -> str:
    """The alt text as a caption of at most `limit`, cut at a word where one is near.

    `length` is how the messenger counts: characters, or Telegram's UTF-16 code units, in which
    an emoji or a rare CJK character counts twice.
    """
    alt = " ".join(alt.split())
    if length(alt) <= limit:
        return alt
    budget = limit - length(ELLIPSIS)
    cut = alt[:budget]  # every character counts at least one, so this is never too short
    while length(cut) > budget:
        cut = cut[:-1]
    space = cut.rfind(" ")
    return (cut[:space] if space >= len(cut) // 2 else cut).rstrip(" ,.;:") + ELLIPSIS


class Assets:
    """Istok's `/assets/{id}`: the bytes of uploaded images, for messengers that take uploads."""

    def __init__(self, istok_url: str, *, timeout: float = 30.0) -> None:
        self._http = httpx.AsyncClient(base_url=istok_url.rstrip("/"), timeout=timeout)

    async def fetch(self, asset: str) -> Upload:
        """The image `asset`; httpx.HTTPError when Istok cannot give it."""
        response = await self._http.get(f"/assets/{asset}")
        response.raise_for_status()
        media_type = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        extension = EXTENSIONS.get(media_type, "bin")
        return Upload(data=response.content, media_type=media_type, filename=f"{asset[:16]}.{extension}")

    async def describe(self, asset: str) -> tuple[str, int]:
        """The image's media type and size in bytes, without its bytes (a HEAD); httpx.HTTPError otherwise."""
        response = await self._http.head(f"/assets/{asset}")
        response.raise_for_status()
        media_type = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
        return media_type, int(response.headers.get("content-length") or 0)

    async def aclose(self) -> None:
        await self._http.aclose()

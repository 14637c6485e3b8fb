"""What the messenger fakes do alike with an image they are sent: read it as the service would.

A service that takes a link fetches it from the Internet; here the help centre's public origin
(`https://help.sfera.example`) does not resolve, so each fake is told which local server stands
for it (`hosts`), as DNS would send the service there. The bytes are then decoded with Pillow,
as the service's own image pipeline would, so a fake refuses what the service refuses: something
that is not a picture, a format it does not take, a file over its size limit.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from PIL import Image, UnidentifiedImageError


class MediaRefused(ValueError):
    """The image cannot be taken; the message says why, in the fake's own words for its error."""


@dataclass(frozen=True)
class Picture:
    """An image as a service received it."""

    data: bytes
    format: str  # Pillow's name: PNG, JPEG, GIF, WEBP
    width: int
    height: int
    media_type: str  # the Content-Type it was served or uploaded with


def fetch(url: str, hosts: Mapping[str, str], *, max_bytes: int) -> tuple[bytes, str]:
    """The bytes at `url` and their Content-Type, fetched as the service fetches a link; MediaRefused otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise MediaRefused(f"not an http(s) URL: {url!r}")
    origin = f"{parts.scheme}://{parts.netloc}"
    local = hosts.get(origin)
    if local is None:
        raise MediaRefused(f"{parts.netloc} does not resolve")
    target = local.rstrip("/") + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        response = httpx.get(target, timeout=10)
    except httpx.HTTPError as err:
        raise MediaRefused(f"cannot fetch {url}: {err}") from err
    if response.status_code != 200:
        raise MediaRefused(f"{url} answered HTTP {response.status_code}")
    if len(response.content) > max_bytes:
        raise MediaRefused(f"{url} is {len(response.content)} bytes, over {max_bytes}")
    return response.content, response.headers.get("content-type", "").split(";")[0].strip()


def picture(data: bytes, media_type: str, *, formats: Collection[str], max_bytes: int) -> Picture:
    """`data` decoded as a picture of one of `formats`; MediaRefused otherwise."""
    if not data:
        raise MediaRefused("the file is empty")
    if len(data) > max_bytes:
        raise MediaRefused(f"the file is {len(data)} bytes, over {max_bytes}")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            kind = opened.format or "?"
            opened.load()
            width, height = opened.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise MediaRefused(f"not a picture ({err})") from err
    if kind not in formats:
        raise MediaRefused(f"{kind} is not taken (only {', '.join(sorted(formats))})")
    return Picture(data=data, format=kind, width=width, height=height, media_type=media_type)

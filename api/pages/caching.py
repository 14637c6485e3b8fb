"""Conditional GET for public pages: ETag and Last-Modified, 304 answers, CDN-friendly headers.

A page's validator is the publication sequence it was built at plus what it shows, so
any publish anywhere changes it; a CDN or browser holding a page revalidates cheaply.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request, Response

#: Browsers and CDNs may keep a page a minute, then serve it stale while revalidating.
PUBLIC_CACHE = "public, max-age=60, s-maxage=300, stale-while-revalidate=600"


def validators(*parts: object, changed: dt.datetime) -> dict[str, str]:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:20]
    return {
        "ETag": f'W/"{digest}"',
        "Last-Modified": format_datetime(changed.astimezone(dt.UTC).replace(microsecond=0), usegmt=True),
        "Cache-Control": PUBLIC_CACHE,
        "Vary": "Accept-Encoding",
    }


def not_modified(request: Request, headers: dict[str, str]) -> Response | None:
    """A 304 when the client's copy is current (If-None-Match wins over If-Modified-Since)."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        if "*" in tags or headers["ETag"].removeprefix("W/") in tags:
            return Response(status_code=304, headers=headers)
        return None
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return None
        if since.tzinfo is not None and parsedate_to_datetime(headers["Last-Modified"]) <= since:
            return Response(status_code=304, headers=headers)
    return None

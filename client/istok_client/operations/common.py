"""What several operations share: the precondition a change is based on, identities, JSON bodies."""

from __future__ import annotations

from typing import Any

from istok_client import models

Base = str | models.Article | models.Fact | models.SynonymSet  # what a change is based on


def if_match(base: Base) -> dict[str, str]:
    """The `If-Match` header for a change based on `base` (a read result or an ETag)."""
    if isinstance(base, str):
        return {"If-Match": base}
    etag = base.get("etag")
    if not etag:
        raise ValueError("this result carries no ETag: read the one item (get_…) and pass that, or its ETag")
    return {"If-Match": str(etag)}


def identity_param(identity: models.Identity | str | None) -> str | None:
    if identity is None or isinstance(identity, str):
        return identity
    return f"{identity['channel']}:{identity['address']}"


def present(**fields: Any) -> dict[str, Any]:
    """A JSON body of the fields given (None: left to the server's default)."""
    return {k: v for k, v in fields.items() if v is not None}

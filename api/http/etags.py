"""ETags and the If-Match rules that turn optimistic concurrency into HTTP 412 and 428."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request

import kb
from api.deps import PreconditionRequired

_TAG_RE = re.compile(r'^(?:W/)?"([^"]*)"$')


class PreconditionFailed(kb.IstokError):
    """A conditional header that cannot hold for the thing as it is now (RFC 9110 section 13.1)."""

    status = 412
    slug = "precondition-failed"


_IF_MATCH = "The `ETag` of the version this change is based on (GET it first), or `*` for whatever is current"
_IF_NONE_MATCH = "`*` to create: refused with 412 if it exists already"


def conditional(*, creates: bool) -> dict[str, Any]:
    """The `openapi_extra` of a route whose change `base_version` guards: its conditional headers.

    They are declared here rather than as FastAPI parameters because `base_version` reads them
    and answers 428 when they are missing (RFC 6585), where FastAPI would answer 422. A change
    to something that must exist requires `If-Match`; one that may create (`creates`) takes
    `If-Match` to change or `If-None-Match: *` to create, and 428 without either.
    """
    if_match = {"name": "If-Match", "in": "header", "required": not creates, "schema": {"type": "string"}}
    if not creates:
        return {"parameters": [{**if_match, "description": _IF_MATCH}]}
    either = " (this or `If-None-Match: *` is required)"
    return {
        "parameters": [
            {**if_match, "description": _IF_MATCH + either},
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
                "description": _IF_NONE_MATCH,
            },
        ]
    }


def etag(prefix: str, version: int) -> str:
    return f'"{prefix}{version}"'


def base_version(request: Request, *, prefix: str, current: int | None, what: str) -> int | None:
    """The version the client's change is based on, from If-Match (or None to create).

    `current` is the version as it is now, None when the thing does not exist. Changing
    something that exists needs `If-Match` with its ETag (428 without) or `*` (based on the
    current version); creating needs `If-None-Match: *`, so that two clients creating the
    same thing cannot both succeed. A header that cannot match gets 412 naming the current
    version; a well-formed tag that is not current raises RevisionConflict (412) in kb.
    """
    if_match = request.headers.get("if-match")
    if_none = request.headers.get("if-none-match")
    if current is None:
        if if_match is not None:
            raise PreconditionFailed(
                f"{what} does not exist, so 'If-Match: {if_match}' matches nothing; "
                "send 'If-None-Match: *' to create it"
            )
        if if_none is not None and if_none.strip() == "*":
            return None
        raise PreconditionRequired(f"{what} does not exist yet: send 'If-None-Match: *' to create it")
    latest = f"the latest is revision {current} (ETag {etag(prefix, current)})"
    if if_none is not None and if_none.strip() == "*":
        raise PreconditionFailed(f"{what} exists already ({latest}): send 'If-Match' with its ETag to change it")
    if if_match is None:
        raise PreconditionRequired(f"send 'If-Match' with the ETag of {what} you changed (GET it first)")
    if if_match.strip() == "*":
        return current
    tags = [_parse(tag, prefix) for tag in if_match.split(",")]
    versions = [v for v in tags if v is not None]
    if not versions:
        raise PreconditionFailed(f"'If-Match: {if_match}' is not an ETag of {what}; {latest}")
    return current if current in versions else versions[0]


def _parse(header: str, prefix: str) -> int | None:
    m = _TAG_RE.match(header.strip())
    if m is None or not m.group(1).startswith(prefix):
        return None
    number = m.group(1)[len(prefix) :]
    return int(number) if number.isdigit() else None

"""ETags and the If-Match rules that turn optimistic concurrency into HTTP 412 and 428."""

from __future__ import annotations

import re

from fastapi import Request

import kb
from api.deps import PreconditionRequired

_TAG_RE = re.compile(r'^(?:W/)?"([^"]*)"$')


def etag(prefix: str, version: int) -> str:
    return f'"{prefix}{version}"'


def base_version(request: Request, *, prefix: str, exists: bool, what: str) -> int | None:
    """The version the client's change is based on, from If-Match (or None to create).

    Changing something that exists needs `If-Match` with its ETag (428 without);
    creating needs `If-None-Match: *`, so that two clients creating the same thing
    cannot both succeed. A tag that is not current raises RevisionConflict (412).
    """
    if_match = request.headers.get("if-match")
    if_none = request.headers.get("if-none-match")
    if not exists:
        if if_none is not None and if_none.strip() == "*":
            return None
        if if_match is not None:
            raise kb.RevisionConflict(what, base=_parse(if_match, prefix), current=None)
        raise PreconditionRequired(f"{what} does not exist yet: send 'If-None-Match: *' to create it")
    if if_none is not None and if_none.strip() == "*":
        raise kb.RevisionConflict(what, base=None, current=None)
    if if_match is None:
        raise PreconditionRequired(f"send 'If-Match' with the ETag of {what} you changed (GET it first)")
    parsed = _parse(if_match, prefix)
    if parsed is None:
        raise kb.RevisionConflict(what, base=None, current=None)
    return parsed


def _parse(header: str, prefix: str) -> int | None:
    m = _TAG_RE.match(header.strip())
    if m is None or not m.group(1).startswith(prefix):
        return None
    number = m.group(1)[len(prefix) :]
    return int(number) if number.isdigit() else None

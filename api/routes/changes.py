"""The changes feed: the publication log, for caches, CDNs and bots that keep copies in sync."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

import kb
from api import runtime
from api.deps import FeedKey
from api.http.errors_doc import responses
from api.schemas import MAX_INT32, ChangeOut, ChangesPage

router = APIRouter(prefix="/api/v1/changes", tags=["changes"], responses=responses(401, 403, 422))
POLL_SECONDS = 0.25


def _read(since: int, limit: int) -> ChangesPage:
    with kb.read_session(runtime.engine()) as session:
        rows = kb.changes_since(session, since=since, limit=limit)
        last = kb.last_seq(session)
    items = [
        ChangeOut(
            seq=e.seq,
            kind=e.kind,
            key=e.key,
            locale=e.locale,
            revision=e.revision,
            content_hash=e.content_hash,
            fact_key=e.fact_key,
            at=e.at,
        )
        for e in rows
    ]
    return ChangesPage(items=items, last_seq=last, next=items[-1].seq if items else since)


@router.get("", response_model=ChangesPage, summary="Publication log entries after a sequence number")
async def changes(
    _who: FeedKey,
    since: Annotated[int, Query(ge=0, le=MAX_INT32)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    wait: Annotated[float, Query(ge=0, le=30, description="Long-poll: seconds to wait for a change")] = 0,
) -> ChangesPage:
    """Oldest first; with `wait`, answers as soon as something is published (or when it runs out)."""
    deadline = time.monotonic() + wait
    page = await run_in_threadpool(_read, since, limit)
    while not page.items and time.monotonic() < deadline:
        await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        page = await run_in_threadpool(_read, since, limit)
    return page

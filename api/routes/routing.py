"""Routing suggestions over HTTP: the queue a message should reach, why, and what to read first."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

import contacts
import kb
from api import runtime
from api.deps import AskerKey
from api.http.errors_doc import responses
from api.schemas import RouteArticle, RouteIn, RouteOut

router = APIRouter(prefix="/api/v1/route", tags=["contacts"], responses=responses(401, 403, 413, 422, 429))


@router.post("", response_model=RouteOut, summary="Suggest a queue for a message")
async def suggest_route(body: RouteIn, _who: AskerKey) -> RouteOut:
    """Keyword rules in `content/routing.yaml` first, then the best article's category → queue."""

    def run() -> RouteOut:
        locale = body.locale if body.locale in kb.LOCALES else contacts.detect_locale(body.message)
        try:
            hits = kb.search_articles(body.message, locale, "public", per_page=3, index=runtime.index()).hits
        except kb.InvalidQuery:
            hits = []
        found = contacts.suggest_route(body.message, rules=contacts.routing_rules(), hits=hits)
        return RouteOut(
            queue=found.queue,
            queue_name=found.queue_name,
            reason=found.reason,
            topic=found.topic,
            locale=locale,
            articles=[
                RouteArticle(key=h.key, locale=h.locale, title=h.title, category=h.category, revision=h.revision)
                for h in hits
            ],
        )

    return await run_in_threadpool(run)

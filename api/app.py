"""The FastAPI application: the composition root that serves every door of Istok."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import kb
from api import runtime
from api.http.encoding import WellFormedText
from api.http.hosts import AllowedHosts
from api.http.limits import BodyLimit
from api.http.methods import HeadAsGet
from api.http.metrics import install_metrics
from api.http.problems import install_problem_handlers
from api.pages import admin_schedules, admin_webhooks, chatwoot_app
from api.pages import install as install_pages
from api.routes import (
    answers,
    articles,
    assets,
    audit,
    cases,
    changes,
    contacts,
    facts,
    health,
    insights,
    interactions,
    ivr,
    policy,
    render,
    reviews,
    routing,
    schedules,
    speech,
    synonyms,
    translations,
    verification,
    webhooks,
)

DESCRIPTION = """
Istok keeps every customer-support answer once and serves it on every channel.

Authenticate with an API key (`istok keys create --role R --name N`) as
`Authorization: Bearer <key>`. Roles: `admin` may do everything; `editor` writes and
publishes; `operator` reads everything, internal notes included; `bot` reads published
public content, answers and search.

Changes name the version they are based on: send the `ETag` you read as `If-Match`
(`If-None-Match: *` to create). A stale tag gets 412 and changes nothing; a missing one 428.
Errors are `application/problem+json` (RFC 9457).
"""

logger = logging.getLogger(__name__)


def _require_secret_key() -> None:
    """Refuse to start without a secret key, saying why in one line before the traceback.

    Every answer's links go through the page settings, which sign with the key, so a server
    started without one would fail every answer while `/healthz` says ok; a deployment
    notices a refusal at once. There is no stand-in (`kb.config.SecretKeyUnavailable`).
    """
    try:
        kb.secret_key()
    except kb.IstokError as exc:
        logger.error("istok cannot start: %s", exc.detail)
        raise


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    kb.limit_math_threads()  # the workers are the parallelism (kb/search/serving.py says why)
    runtime.engine()  # refuses an unmigrated database before the first request
    _require_secret_key()  # a read-only data folder cannot take the `secret-key` file (kb/config.py)
    runtime.index()  # opens the search index, rebuilding it if missing, stale or corrupt
    runtime.listen()  # publishes made by other processes wake the index at once (PostgreSQL; kb/notify.py)
    kb.settle_heap()
    # Every worker runs a job runner: the database's locks make each job run once (kb/jobs.py).
    runner = kb.JobRunner(runtime.engine()) if kb.JobRunner.enabled() else None
    if runner is not None:
        runner.start()
    try:
        yield
    finally:
        if runner is not None:
            runner.stop()
        runtime.stop_listening()


def _index_lag() -> int:
    engine = runtime.engine()
    with kb.read_session(engine) as session:
        head = kb.last_seq(session)
    return max(0, head - runtime.index().seq)


def create_app() -> FastAPI:
    app = FastAPI(
        title="Istok",
        summary="One source of truth for customer support: write once, serve every channel.",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=_lifespan,
    )
    install_problem_handlers(app)
    app.add_middleware(HeadAsGet)  # innermost: the metrics and the limits see the request as HEAD
    install_metrics(app, index_lag=_index_lag)
    app.add_middleware(WellFormedText)  # inside BodyLimit: it reads bodies only up to the limit
    app.add_middleware(BodyLimit)
    app.add_middleware(AllowedHosts, hosts=kb.load_settings().allowed_hosts)  # outermost: before anything
    for module in (health, articles, render, answers, facts, synonyms, changes, audit):
        app.include_router(module.router)
    for module in (contacts, policy, interactions, cases, ivr, routing):  # contact context (issue #8)
        app.include_router(module.router)
    app.include_router(speech.router)  # the IVR's words as 8 kHz WAV for a phone switch
    app.include_router(webhooks.router)  # outbound webhooks (issue #13): the API and the admin's page
    app.include_router(admin_webhooks.router)
    app.include_router(translations.router)  # translations that know they are stale (issue #16)
    app.include_router(schedules.router)  # scheduled publishing (issue #16): the API and the admin's page
    app.include_router(admin_schedules.router)
    app.include_router(reviews.router)  # review and approval per workflow (issue #16)
    app.include_router(verification.router)  # article verification and the owners' queue (issue #16)
    app.include_router(chatwoot_app.router)  # the Chatwoot Dashboard App: /panel/chatwoot, framed by Chatwoot
    app.include_router(insights.router)  # insights for support leads (issue #18): summary and daily figures
    app.include_router(assets.router)  # images in articles (issue #16): upload, and /assets/{id} for everyone
    install_pages(app)
    return app


app = create_app()

"""The FastAPI application: the composition root that serves every door of Istok."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import runtime
from api.problems import install_problem_handlers
from api.routes import health


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    runtime.engine()  # refuses an unmigrated database before the first request
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        title="Istok",
        summary="One source of truth for customer support: write once, serve every channel.",
        version="0.1.0",
        lifespan=_lifespan,
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    return app


app = create_app()

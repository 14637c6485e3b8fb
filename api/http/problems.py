"""Errors as RFC 9457 problem details (`application/problem+json`), for every route."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import kb
from api.http.methods import allowed_methods

PROBLEM_BASE = "https://istok.dev/problems/"
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("istok.api")
#: Seconds a client is asked to wait when the database is away (a restart takes a few).
DATABASE_RETRY_AFTER = 5
#: What SQLAlchemy raises when the database cannot be reached or the connection was lost (a
#: restart, a failover, a full disk on SQLite) or when no pooled connection came free in time.
_UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError, sa.exc.TimeoutError)


def problem(status: int, slug: str, title: str, detail: str, **extra: object) -> JSONResponse:
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(kb.IstokError)
    async def _istok(_request: Request, exc: kb.IstokError) -> JSONResponse:
        extra: dict[str, object] = {}
        if isinstance(exc, kb.ContentError):
            extra["problems"] = [{"file": p.file, "line": p.line, "message": p.message} for p in exc.problems]
        elif isinstance(exc, kb.UnknownChannel):  # the names a client may use instead, as data
            extra["channels"] = list(exc.known)
        elif isinstance(exc, kb.OutsideRights):  # where the caller's rights end, as data
            extra["category"], extra["locale"] = exc.category, exc.locale
        response = problem(exc.status, exc.slug, type(exc).__name__, exc.detail, **extra)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="istok"'
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, f"http-{exc.status_code}")
        response = problem(exc.status_code, slug, str(exc.detail), str(exc.detail))
        if exc.status_code == 405:  # every route at the path, not only the first one the router tried
            response.headers["Allow"] = ", ".join(allowed_methods(request.app.router.routes, request.scope))
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
        return problem(422, "invalid-request", "Invalid request", detail, errors=errors)

    async def _database(_request: Request, exc: Exception) -> JSONResponse:
        if not database_unavailable(exc):
            raise exc  # any other database error is a bug: the last handler, below, says 500
        return unavailable(exc)

    # Handled here, inside the app, so the connection stays open: the last handler (below) answers
    # too, but the server then drops the connection, and the client's next request on it with it.
    for error in (sa.exc.DBAPIError, sa.exc.DisconnectionError, sa.exc.TimeoutError):
        app.add_exception_handler(error, _database)

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        # a middleware's query reaches only this last handler
        if database_unavailable(exc):
            return unavailable(exc)
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "internal-error", "Internal server error", "the server failed; the error is logged")


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc`, or an error it was raised from, says the database is out of reach."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, _UNAVAILABLE) or (isinstance(seen, sa.exc.DBAPIError) and seen.connection_invalidated):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def unavailable(exc: BaseException) -> JSONResponse:
    """503 with Retry-After: the request may succeed once the database is back (the pool reconnects)."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    log.warning("database unavailable: %s", reason[0] if reason else type(exc).__name__)
    response = problem(
        503,
        "database-unavailable",
        "Database unavailable",
        "the database cannot be reached just now; try again shortly",
    )
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    return response

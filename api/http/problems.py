"""Errors as RFC 9457 problem details (`application/problem+json`), for every route."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

import kb
from api.http.methods import allowed_methods

PROBLEM_BASE = "https://istok.dev/problems/"
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("istok.api")


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

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "internal-error", "Internal server error", "the server failed; the error is logged")

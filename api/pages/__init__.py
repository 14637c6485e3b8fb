"""The browser faces of Istok: help center, embeddable widget, operator panel, editors' admin.

Server-rendered Jinja2 pages with small own scripts and no build step. `install(app)`
adds their routers and the static files to the FastAPI app; nothing here is part of the
JSON API's schema.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from api.pages import (
    account,
    admin,
    admin_assets,
    admin_content,
    admin_gaps,
    admin_insights,
    admin_reviews,
    admin_translations,
    admin_verification,
    help,
    language,
    login,
    oidc,
    panel,
    preview,
    seo,
    widget,
)
from api.pages.templating import STATIC


class _Static(StaticFiles):
    """Static files named by content hash (`?v=`), so they can be cached for a year."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_cache(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"cache-control", b"public, max-age=31536000, immutable"))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, send_with_cache)


def install(app: FastAPI) -> None:
    """Add the faces' routes and `/static` to the app."""
    for module in (
        seo,
        widget,
        login,
        oidc,  # sign-in through the company's OpenID provider (issue #16)
        account,  # a person's own sign-in: the second factor (issue #16)
        language,
        panel,
        admin_assets,
        admin_content,
        admin_gaps,
        admin_insights,
        admin_reviews,
        admin_translations,
        admin_verification,
        preview,
        admin,
        help,
    ):
        app.include_router(module.router)
    app.mount("/static", _Static(directory=STATIC), name="static")


__all__ = ["install"]

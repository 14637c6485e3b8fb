"""Settings of the browser faces, read from the environment like `kb.config`.

They are read once per process (`page_settings()` is cached); tests start a server with
the environment they need. The signing key, when not given, is created once in the data
folder so that every worker of one host signs sessions alike; several hosts need
ISTOK_SECRET_KEY set to the same value.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

from starlette.requests import Request

import kb

_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class PageSettings:
    secret_key: str
    public_url: str  # "" means: the address the request came to
    brand: str
    theme_colour: str
    logo_url: str
    contact_url: str
    widget_origins: tuple[str, ...]  # ("*",) allows any site to embed the widget
    frame_ancestors: str
    session_samesite: str
    session_hours: int
    login_attempts: int  # per minute, per address and per user name

    def widget_allows(self, origin: str) -> bool:
        return "*" in self.widget_origins or origin in self.widget_origins


def _colour(value: str) -> str:
    if not _COLOUR_RE.match(value):
        raise ValueError(f"ISTOK_THEME_COLOR must look like #1a73e8, not {value!r}")
    return value.lower()


@functools.cache
def page_settings() -> PageSettings:
    """The faces' settings for this process."""
    env = os.environ.get
    samesite = env("ISTOK_SESSION_SAMESITE", "lax").lower()
    if samesite not in ("lax", "strict", "none"):
        raise ValueError(f"ISTOK_SESSION_SAMESITE must be lax, strict or none, not {samesite!r}")
    origins = tuple(o.strip().rstrip("/") for o in env("ISTOK_WIDGET_ORIGINS", "*").split(",") if o.strip())
    return PageSettings(
        secret_key=kb.secret_key(),
        public_url=env("ISTOK_PUBLIC_URL", "").rstrip("/"),
        brand=env("ISTOK_BRAND_NAME", "Sfera"),
        theme_colour=_colour(env("ISTOK_THEME_COLOR", "#4338ca")),
        logo_url=env("ISTOK_LOGO_URL", ""),
        contact_url=env("ISTOK_CONTACT_URL", ""),
        widget_origins=origins,
        frame_ancestors=env("ISTOK_FRAME_ANCESTORS", "'self'"),
        session_samesite=samesite,
        session_hours=int(env("ISTOK_SESSION_HOURS", "12")),
        login_attempts=int(env("ISTOK_LOGIN_ATTEMPTS", "5")),
    )


def base_url(request: Request | None = None) -> str:
    """The origin every link a channel or page gives out starts with: absolute, never a bare path.

    ISTOK_PUBLIC_URL when set; else the address the request came to (its host already
    checked against the allowed hosts); else, outside a request (the CLI), "" for paths.
    A bot, a messenger or an email cannot follow `/help/…`: in Telegram it even reads as
    a command.
    """
    public = page_settings().public_url
    if public or request is None:
        return public
    return str(request.base_url).rstrip("/")

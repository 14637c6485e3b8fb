"""Jinja2 for the faces: autoescaped templates, security headers, and cache-busted static URLs.

Only our own templates are ever compiled; user content reaches them as data (escaped),
or as the web renderer's HTML already sanitised by nh3 and marked safe in one place
(`trusted_html`), so grep finds every spot where markup passes through.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import nh3
from babel.support import Translations
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from api.pages.i18n import FALLBACK, format_day, format_number, format_when, translations, ui_locale
from api.pages.phrases import LOCALE_NAMES, category_name, phrases
from api.pages.settings import page_settings

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)


def _ui(context: Context) -> str:
    """The language a template's own words are in: the page's `ui_locale`, else the request's person's."""
    given, request = context.get("ui_locale"), context.get("request")
    if given:
        return str(given)
    return ui_locale(request) if isinstance(request, Request) else FALLBACK


def _catalog(context: Context) -> Translations:
    return translations(_ui(context))


@pass_context
def _gettext(context: Context, message: str) -> str:
    return _catalog(context).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _catalog(context).ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, msgctxt: str, message: str) -> str:
    return str(_catalog(context).pgettext(msgctxt, message))


@pass_context
def _npgettext(context: Context, msgctxt: str, singular: str, plural: str, n: int) -> str:
    return str(_catalog(context).npgettext(msgctxt, singular, plural, n))


# Per request, without a shared mutable env: each call asks the rendering context whose words these are.
env.install_gettext_callables(  # type: ignore[attr-defined]
    _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
)


@pass_context
def _when(context: Context, value: Any, format: str = "minute") -> str:
    return format_when(value, _ui(context), format=format)


@pass_context
def _day(context: Context, value: Any) -> str:
    return format_day(value, _ui(context))


@pass_context
def _number(context: Context, value: Any, pattern: str | None = None) -> str:
    return format_number(value, _ui(context), pattern)


@pass_context
def _ui_lang(context: Context) -> str:
    return _ui(context)


@cache
def static_url(name: str) -> str:
    """`/static/<name>?v=<hash>`: cached for a year, renamed by content on every change."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


def trusted_html(html: str) -> Markup:
    """HTML a renderer already sanitised (nh3); the one door markup takes into a page."""
    return Markup(html)


def snippet_html(snippet: str) -> Markup:
    """A search snippet, re-cleaned to text and `<mark>` only, whatever the index returned."""
    return Markup(nh3.clean(snippet, tags={"mark"}, attributes={}))


def json_script(data: Any) -> Markup:
    """JSON safe inside a `<script type="application/ld+json">` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


env.globals.update(
    static_url=static_url,
    phrases=phrases,
    category_name=category_name,
    locale_names=LOCALE_NAMES,
    settings=page_settings,
    ui_lang=_ui_lang,
)
env.filters["snippet"] = snippet_html
env.filters["when"] = _when  # a moment in the person's language and the editors' zone
env.filters["day"] = _day  # a date (no time) in the person's language
env.filters["number"] = _number
env.filters["jsonld"] = json_script

HELP_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; manifest-src 'self'; frame-ancestors 'self'"
)


def security_headers(*, frame_ancestors: str = "'self'", media: bool = False) -> dict[str, str]:
    """CSP that lets only our own files run, plus the usual hardening headers."""
    csp = HELP_CSP.replace("frame-ancestors 'self'", f"frame-ancestors {frame_ancestors}")
    if media:
        csp += "; media-src 'self' blob:"
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    frame_ancestors: str = "'self'",
    media: bool = False,
) -> HTMLResponse:
    """Render one of our templates into a response with the security headers."""
    body = env.get_template(template).render(request=request, **context)
    all_headers = {**security_headers(frame_ancestors=frame_ancestors, media=media), **(headers or {})}
    return HTMLResponse(body, status_code=status, headers=all_headers)

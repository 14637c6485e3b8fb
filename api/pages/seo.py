"""What crawlers and the theme need: `/sitemap.xml` with hreflang alternates, `/robots.txt`, `/theme.css`.

The sitemap lists live articles only (drafts, internal notes and announcements outside their
time box are never in it), each
with its translations as `xhtml:link rel="alternate"`, so search engines show readers the
page in their own language.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from fastapi import APIRouter, Request, Response

import kb
from api import live
from api.pages.caching import not_modified, validators
from api.pages.settings import base_url, page_settings

router = APIRouter(include_in_schema=False)


@router.get("/sitemap.xml")
def sitemap(request: Request) -> Response:
    """Every live help page, with its language alternates."""
    cat = live.listed()
    base = base_url(request)
    headers = validators("sitemap", cat.seq, base, sorted(cat.hidden), changed=cat.changed)
    cached = not_modified(request, headers)
    if cached is not None:
        return cached
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n',
    ]
    homes = [loc for loc in kb.LOCALES if loc in cat.locales]
    for loc in homes:
        links = "".join(_alt(other, f"{base}/help/{other}/") for other in homes)
        parts.append(f"<url><loc>{_esc(f'{base}/help/{loc}/')}</loc>{links}</url>\n")
    for loc in homes:
        for entry in cat.locales[loc]:
            translations = cat.translations(entry.key)
            links = "".join(_alt(t.locale, f"{base}/help/{t.locale}/{t.slug}") for t in translations)
            parts.append(
                f"<url><loc>{_esc(f'{base}/help/{loc}/{entry.slug}')}</loc>"
                f"<lastmod>{entry.updated.date().isoformat()}</lastmod>{links}</url>\n"
            )
    parts.append("</urlset>\n")
    return Response("".join(parts), media_type="application/xml", headers=headers)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _alt(locale: str, href: str) -> str:
    return f'<xhtml:link rel="alternate" hreflang={quoteattr(locale)} href={quoteattr(href)}/>'


@router.get("/robots.txt")
def robots(request: Request) -> Response:
    text = f"User-agent: *\nDisallow: /admin\nDisallow: /panel\nSitemap: {base_url(request)}/sitemap.xml\n"
    return Response(text, media_type="text/plain", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/theme.css")
def theme() -> Response:
    """The configured brand colour as CSS variables (a file, so the pages' CSP needs no inline styles)."""
    colour = page_settings().theme_colour
    css = f":root{{--brand:{colour};--brand-ink:#fff}}\n"
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=300"})

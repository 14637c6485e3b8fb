"""The help page: a sanitised HTML fragment of the article body, with schema.org JSON-LD.

The fragment is the body only; the page around it shows `meta["title"]` as its
heading, so a page layout can put the title, breadcrumbs and search where it likes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kb import FactValue, Locale, Unit, tree
from renderers.base import Rendered, RenderOptions, pick_format
from renderers.context import Context
from renderers.htmlmarkup import blocks_html, sanitize
from renderers.textmarkup import PLAIN, blocks_text, inline_text, one_line

FORMATS = ("html",)


def render_web(
    *,
    unit: Unit,
    facts: Mapping[str, FactValue],
    locale: Locale,
    options: RenderOptions,
) -> Rendered:
    """The article as a help-page fragment: headings anchored, facts formatted, links resolved."""
    fmt = pick_format("web", options.format, FORMATS)
    ctx = Context(channel="web", unit=unit, facts=facts, locale=locale, options=options)
    blocks, source = ctx.public_content()
    body = sanitize(blocks_html(blocks, ctx))
    description = _description(ctx)
    meta: dict[str, Any] = {
        "title": unit.title,
        "description": description,
        "url": ctx.own_url(),
        "lang": locale,
        "source": source,
        "headings": [
            {"level": b.level, "anchor": b.anchor, "text": inline_text(b.children, PLAIN, ctx)}
            for b in blocks
            if isinstance(b, tree.Heading)
        ],
        "jsonld": _jsonld(ctx, description),
        "length": len(body),
    }
    return ctx.rendered(format=fmt, body=body, media_type="text/html; charset=utf-8", meta=meta)


def _description(ctx: Context) -> str:
    """The short answer as plain text: search engines' snippet and the JSON-LD answer."""
    return one_line(blocks_text(ctx.summary(), PLAIN, ctx))


def _jsonld(ctx: Context, description: str) -> dict[str, Any]:
    """A FAQPage when the article is a question with a short answer, else an Article."""
    unit = ctx.unit
    if unit.summary:
        return {
            "@context": "https://schema.org",
            "@type": "FAQPage",
            "inLanguage": ctx.locale,
            "url": ctx.own_url(),
            "mainEntity": [
                {
                    "@type": "Question",
                    "name": unit.title,
                    "acceptedAnswer": {"@type": "Answer", "text": description},
                }
            ],
        }
    return {
        "@context": "https://schema.org",
        "@type": "Article",
        "inLanguage": ctx.locale,
        "url": ctx.own_url(),
        "headline": unit.title,
        "description": description,
        "keywords": ", ".join(unit.tags),
    }

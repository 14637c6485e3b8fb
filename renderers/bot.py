"""Chatbots and messengers: a short answer, a link to the full article, related quick replies.

The answer is the bot block, else the summary, else the first paragraph; the first
that fits the length cap wins (Telegram refuses a message over 4096 characters, so
a cut message would never arrive at all). Quick replies are data in `meta`, since each
messenger draws its own buttons.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kb import FactValue, Locale, Unit, tree
from renderers.base import Rendered, RenderOptions, pick_format
from renderers.context import Context, Source
from renderers.phrases import phrase
from renderers.textmarkup import (
    MARKDOWN,
    PLAIN,
    TELEGRAM,
    WHATSAPP,
    TextStyle,
    blocks_text,
    tg_escape,
)

FORMATS = ("plain", "markdown", "telegram", "whatsapp")
QUICK_REPLIES = 3

_STYLES: dict[str, TextStyle] = {
    "plain": PLAIN,
    "markdown": MARKDOWN,
    "telegram": TELEGRAM,
    "whatsapp": WHATSAPP,
}
_MEDIA_TYPES = {
    "plain": "text/plain; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "telegram": "text/html; charset=utf-8",
    "whatsapp": "text/plain; charset=utf-8",
}


def render_bot(
    *,
    unit: Unit,
    facts: Mapping[str, FactValue],
    locale: Locale,
    options: RenderOptions,
) -> Rendered:
    """The unit as a chatbot answer in plain text, Markdown, Telegram HTML or WhatsApp markup."""
    fmt = pick_format("bot", options.format, FORMATS)
    ctx = Context(channel="bot", unit=unit, facts=facts, locale=locale, options=options)
    style = _STYLES[fmt]
    more = _more_line(fmt, ctx)
    cap = options.bot_max_chars
    body, source = more, "title"
    for blocks, candidate in _candidates(ctx):
        answer = blocks_text(blocks, style, ctx)
        if not answer.strip():
            continue
        text = f"{answer}\n\n{more}"
        if message_length(text) <= cap:
            body, source = text, candidate
            break
        ctx.warn(f"the bot answer from the {candidate} is {message_length(text)} characters, over the cap of {cap}")
    if message_length(body) > cap:
        ctx.warn(f"even the link to the article is over the bot length cap of {cap}")
    meta: dict[str, Any] = {
        "url": ctx.own_url(),
        "source": source,
        "quick_replies": _quick_replies(ctx),
        "length": message_length(body),
        "max_length": cap,
    }
    return ctx.rendered(format=fmt, body=body, media_type=_MEDIA_TYPES[fmt], meta=meta)


def message_length(text: str) -> int:
    """Length as messengers count it: UTF-16 units, so an emoji counts twice."""
    return len(text.encode("utf-16-le")) // 2


def _candidates(ctx: Context) -> list[tuple[tuple[tree.Block, ...], Source]]:
    unit = ctx.unit
    out: list[tuple[tuple[tree.Block, ...], Source]] = []
    block = unit.block_for("bot", ctx.options.segment)
    if block is not None:
        out.append((block.children, "block"))
    if unit.summary:
        out.append(((tree.Paragraph(unit.summary),), "summary"))
    first = unit.first_paragraph()
    if first is not None:
        out.append(((first,), "paragraph"))
    out.append(((tree.Paragraph((tree.Text(unit.title),)),), "title"))
    return out


def _more_line(fmt: str, ctx: Context) -> str:
    label, url = phrase(ctx.locale, "more"), ctx.own_url()
    if fmt == "markdown":
        return f"[{label}]({url})"
    if fmt == "telegram":
        if re.match(r"^https?://", url):
            return f'<a href="{tg_escape(url).replace(chr(34), "&quot;")}">{tg_escape(label)}</a>'
        return tg_escape(f"{label}: {url}")
    return f"{label}: {url}"


def _quick_replies(ctx: Context) -> list[dict[str, str]]:
    """Up to three related questions, each with the article it opens."""
    replies: list[dict[str, str]] = []
    for title, key in ctx.options.related:
        if key == ctx.unit.key or any(r["key"] == key for r in replies):
            continue
        slug = ctx.options.articles.get(key, key)
        replies.append({"title": title, "key": key, "url": ctx.help_url(slug)})
        if len(replies) == QUICK_REPLIES:
            break
    return replies

"""Chatbots, messengers and the widget: the compact answer, a link to the full article, quick replies.

The answer is the compact form (`renderers/compact.py`): the bot block, else the summary
and the unit's numbered steps, never its tables or its whole body. The first form that fits
the length cap wins: the block, then summary and steps, then the summary, then the title
(Telegram refuses a message over 4096 characters, so a cut message would never arrive at
all). Quick replies are data in `meta`, since each messenger draws its own buttons.

Formats: plain text; CommonMark; Telegram's HTML subset (b, i, code, pre, blockquote and
`a href` only, newlines for paragraphs and "1." for steps: the Bot API refuses <p>, <br>
and lists, https://core.telegram.org/bots/api#html-style); WhatsApp's markup (*bold*,
_italic_, bare URLs, which WhatsApp links itself,
https://faq.whatsapp.com/539178204879377); and a sanitised HTML fragment for a web chat
such as the widget.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html import escape
from typing import Any

from kb import FactValue, Locale, Unit, tree
from renderers.base import Rendered, RenderOptions, pick_format
from renderers.compact import compact_content
from renderers.context import Context, Source
from renderers.htmlmarkup import blocks_html, sanitize
from renderers.phrases import phrase
from renderers.textmarkup import (
    MARKDOWN,
    PLAIN,
    TELEGRAM,
    WHATSAPP,
    TextStyle,
    blocks_text,
    one_line,
    tg_escape,
)

FORMATS = ("plain", "markdown", "telegram", "whatsapp", "html")
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
    "html": "text/html; charset=utf-8",
}


def render_bot(
    *,
    unit: Unit,
    facts: Mapping[str, FactValue],
    locale: Locale,
    options: RenderOptions,
) -> Rendered:
    """The unit as a compact chat answer in plain text, Markdown, Telegram HTML, WhatsApp or HTML."""
    fmt = pick_format("bot", options.format, FORMATS)
    ctx = Context(channel="bot", unit=unit, facts=facts, locale=locale, options=options)
    more = _more_line(fmt, ctx)
    cap = options.bot_max_chars
    body, source = more, "title"
    shown: tuple[tree.Block, ...] = ()
    for blocks, candidate in _candidates(ctx):
        answer = _write(blocks, fmt, ctx)
        if not answer.strip():
            continue
        text = f"{answer}\n\n{more}" if fmt != "html" else f"{answer}\n{more}"
        if message_length(text) <= cap:
            body, source, shown = text, candidate, blocks
            break
        ctx.warn(f"the bot answer from the {candidate} is {message_length(text)} characters, over the cap of {cap}")
    if message_length(body) > cap:
        ctx.warn(f"even the link to the article is over the bot length cap of {cap}")
    if fmt == "html":
        body = sanitize(body)
    meta: dict[str, Any] = {
        "url": ctx.own_url(),
        "source": source,
        "summary": one_line(blocks_text(ctx.summary(), PLAIN, ctx)),
        "quick_replies": _quick_replies(ctx),
        "length": message_length(body),
        "max_length": cap,
        "images": ctx.images_in(shown),  # Telegram, WhatsApp and Viber adapters send these as photos
    }
    return ctx.rendered(format=fmt, body=body, media_type=_MEDIA_TYPES[fmt], meta=meta)


def message_length(text: str) -> int:
    """Length as messengers count it: UTF-16 units, so an emoji counts twice."""
    return len(text.encode("utf-16-le")) // 2


def _candidates(ctx: Context) -> list[tuple[tuple[tree.Block, ...], Source]]:
    """The compact answer, then ever shorter forms of it, for the length cap to choose from."""
    out: list[tuple[tuple[tree.Block, ...], Source]] = []
    own = compact_content(ctx, block="bot")
    if own.source == "block":
        out.append((own.blocks(), "block"))
    derived = compact_content(ctx, block=None)
    out.append((derived.blocks(), derived.source))
    if derived.steps is not None:
        out.append((derived.blocks(with_steps=False), derived.source))
    out.append(((tree.Paragraph((tree.Text(ctx.unit.title),)),), "title"))
    return out


def _write(blocks: tuple[tree.Block, ...], fmt: str, ctx: Context) -> str:
    if fmt == "html":
        return blocks_html(blocks, ctx)
    return blocks_text(blocks, _STYLES[fmt], ctx)


def _more_line(fmt: str, ctx: Context) -> str:
    label, url = phrase(ctx.locale, "more"), ctx.own_url()
    if fmt == "markdown":
        return f"[{label}]({url})"
    if fmt == "html":
        return f'<p class="more"><a class="more" href="{escape(url)}">{escape(label)}</a></p>'
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

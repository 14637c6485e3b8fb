"""The operator's card: the answer, staff-only notes, facts, version, and ready replies.

This is the one channel that shows `internal` and `operator` blocks, each marked as
staff-only. The ready replies are the public renderers' own output (chat, SMS, email),
so what an operator copies is exactly what those channels would send, internal
notes excluded.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from html import escape
from typing import Any

from kb import STAFF_BLOCK_CHANNELS, FactValue, Locale, Unit, tree
from renderers.base import Rendered, RenderOptions, pick_format
from renderers.bot import render_bot
from renderers.context import Context
from renderers.email import render_email
from renderers.htmlmarkup import blocks_html, sanitize
from renderers.phrases import phrase
from renderers.sms import render_sms
from renderers.textmarkup import PLAIN, blocks_text, one_line

FORMATS = ("html", "json")
#: The blocks only staff read, from kb's channel table.
STAFF_ONLY = STAFF_BLOCK_CHANNELS


def render_operator(
    *,
    unit: Unit,
    facts: Mapping[str, FactValue],
    locale: Locale,
    options: RenderOptions,
) -> Rendered:
    """The card as HTML (default) or JSON, for the operator's side panel."""
    fmt = pick_format("operator", options.format, FORMATS)
    ctx = Context(channel="operator", unit=unit, facts=facts, locale=locale, options=options)
    card = _card(ctx, facts)
    if fmt == "json":
        body = json.dumps(card, ensure_ascii=False, indent=2)
        media_type = "application/json"
    else:
        body = sanitize(_card_html(card, ctx))
        media_type = "text/html; charset=utf-8"
    meta = {k: card[k] for k in ("revision", "content_hash", "facts", "replies", "url")}
    meta["internal_blocks"] = len(card["internal"])
    return ctx.rendered(format=fmt, body=body, media_type=media_type, meta=meta)


def _card(ctx: Context, facts: Mapping[str, FactValue]) -> dict[str, Any]:
    unit = ctx.unit
    staff = [b for b in unit.body if isinstance(b, tree.ChannelBlock) and b.channel in STAFF_ONLY]
    return {
        "key": unit.key,
        "locale": ctx.locale,
        "title": unit.title,
        "summary": one_line(blocks_text(ctx.summary(), PLAIN, ctx)),
        "body_html": sanitize(blocks_html(unit.body, ctx, channel_block=_staff_block)),
        "internal": [
            {
                "channel": b.channel,
                "segment": b.segment,
                "text": blocks_text(b.children, PLAIN, ctx),
                "html": sanitize(blocks_html(b.children, ctx)),
            }
            for b in staff
        ],
        "facts": [_fact_row(key, ctx, facts) for key in sorted(unit.facts)],
        "revision": ctx.options.revision,
        "content_hash": unit.content_hash,
        "url": ctx.own_url(),
        "replies": _replies(ctx, facts),
    }


def _staff_block(block: tree.ChannelBlock, ctx: Context) -> str:
    """Staff-only blocks, marked; other channels' wording shows in the replies instead."""
    if block.channel not in STAFF_ONLY:
        return ""
    label = phrase(ctx.locale, "internal" if block.channel == "internal" else "operator_block")
    segment = f' data-segment="{escape(block.segment)}"' if block.segment else ""
    suffix = f" ({escape(block.segment)})" if block.segment else ""
    inner = blocks_html(block.children, ctx)
    return (
        f'<section class="istok-internal" data-channel="{block.channel}"{segment}>'
        f'<p class="istok-internal-label">{escape(label)}{suffix}</p>{inner}</section>'
    )


def _fact_row(key: str, ctx: Context, facts: Mapping[str, FactValue]) -> dict[str, Any]:
    shown = ctx.facts.get(key)
    fact = facts.get(key)
    return {
        "key": key,
        "type": shown.type.value if shown.type else None,
        "value": shown.text,
        "raw": shown.raw,
        "version": fact.version if fact is not None else None,
        "missing": shown.missing,
    }


def _replies(ctx: Context, facts: Mapping[str, FactValue]) -> dict[str, Any]:
    """Copy-ready answers made by the public channels themselves."""
    args: dict[str, Any] = {"unit": ctx.unit, "facts": facts, "locale": ctx.locale}
    chat = render_bot(**args, options=dataclasses.replace(ctx.options, format="plain"))
    sms = render_sms(**args, options=dataclasses.replace(ctx.options, format=None))
    email = render_email(**args, options=dataclasses.replace(ctx.options, format=None))
    for reply in (chat, sms, email):
        for warning in reply.warnings:
            ctx.warn(f"{reply.channel} reply: {warning}")
    return {
        "chat": chat.body,
        "sms": {
            "text": sms.body,
            "segments": sms.meta["segments"],
            "encoding": sms.meta["encoding"],
        },
        "email": {"subject": email.meta["subject"], "text": email.meta["text"]},
    }


def _card_html(card: dict[str, Any], ctx: Context) -> str:
    def say(name: str) -> str:
        return escape(phrase(ctx.locale, name))

    def section(css: str, title: str, inner: str) -> str:
        return f'<section class="istok-{css}"><h2>{say(title)}</h2>{inner}</section>'

    def reply(channel: str, title: str, text: str) -> str:
        block = f'<pre class="istok-reply" data-channel="{channel}">{escape(text)}</pre>'
        return f"<h3>{title}</h3>{block}"

    revision = card["revision"] if card["revision"] is not None else "—"
    facts = "".join(
        f"<tr><th>{escape(f['key'])}</th><td>{escape(f['value'])}</td><td>{escape(f['raw'])}</td>"
        f"<td>{f['version'] if f['version'] is not None else ''}</td></tr>"
        for f in card["facts"]
    )
    replies, sms = card["replies"], card["replies"]["sms"]
    version = (
        f'<p class="istok-card-version">{say("revision")} {escape(str(revision))} · '
        f"{say('content_hash')} <code>{escape(card['content_hash'][:12])}</code></p>"
    )
    return "".join(
        [
            f'<article class="istok-card" lang="{escape(ctx.locale)}">',
            f"<h1>{escape(card['title'])}</h1>",
            version,
            section("summary", "summary", f"<p>{escape(card['summary'])}</p>"),
            section("answer", "answer", card["body_html"]),
            section("facts", "facts", f"<table><tbody>{facts}</tbody></table>"),
            section(
                "replies",
                "replies",
                reply("bot", say("chat"), replies["chat"])
                + reply(
                    "sms",
                    f"{say('sms')} ({sms['segments']} × {escape(sms['encoding'])})",
                    sms["text"],
                )
                + reply("email", say("email"), replies["email"]["text"]),
            ),
            "</article>",
        ]
    )

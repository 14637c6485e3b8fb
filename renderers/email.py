"""Email: one message with a plain-text and an HTML part (multipart/alternative).

The body is the whole MIME message without addresses (the mailer adds From and To).
Its boundary is derived from the parts, not drawn at random, so the same unit and
facts give the same bytes and the render cache stays honest.
"""

from __future__ import annotations

import hashlib
import quopri
from collections.abc import Mapping
from email.header import Header
from html import escape
from typing import Any

from kb import FactValue, Locale, Unit
from renderers.base import Rendered, RenderOptions, pick_format
from renderers.context import Context
from renderers.htmlmarkup import blocks_html, sanitize
from renderers.phrases import phrase
from renderers.textmarkup import PLAIN, blocks_text

FORMATS = ("multipart",)
_MAX_8BIT_LINE = 998


def render_email(
    *,
    unit: Unit,
    facts: Mapping[str, FactValue],
    locale: Locale,
    options: RenderOptions,
) -> Rendered:
    """The unit as an email: subject, text part and HTML part."""
    fmt = pick_format("email", options.format, FORMATS)
    ctx = Context(channel="email", unit=unit, facts=facts, locale=locale, options=options)
    blocks, source = ctx.public_content()
    subject = " ".join(unit.title.split())
    url = ctx.own_url()
    label = phrase(locale, "full_answer")
    text = f"{subject}\n\n{blocks_text(blocks, PLAIN, ctx)}\n\n{label}: {url}\n"
    fragment = sanitize(f'{blocks_html(blocks, ctx)}\n<p><a href="{escape(url)}">{escape(label)}</a></p>')
    html = (
        f'<!DOCTYPE html>\n<html lang="{escape(locale)}">\n<head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>\n<body>\n<h1>{escape(subject)}</h1>\n{fragment}\n</body>\n</html>\n"
    )
    message = mime_message(subject=subject, locale=locale, text=text, html=html)
    meta: dict[str, Any] = {
        "subject": subject,
        "text": text,
        "html": html,
        "url": url,
        "source": source,
    }
    return ctx.rendered(format=fmt, body=message, media_type="message/rfc822", meta=meta)


def mime_message(*, subject: str, locale: Locale, text: str, html: str) -> str:
    """A multipart/alternative message: text first, HTML preferred by clients that can show it.

    Written out directly rather than through `email.message`, which costs a millisecond
    a message and would re-encode readable 8bit parts as base64.
    """
    digest = hashlib.sha256(f"{text}\x00{html}".encode()).hexdigest()[:32]
    boundary = f"istok-{digest}"
    head = (
        f"Subject: {_header_value(subject)}\n"
        f"Content-Language: {_header_value(locale)}\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\n'
    )
    return f"{head}\n--{boundary}\n{_part('plain', text)}\n--{boundary}\n{_part('html', html)}\n--{boundary}--\n"


def _part(subtype: str, content: str) -> str:
    """One text part; 8bit keeps it readable, quoted-printable only when a line is too long."""
    longest = max((len(line.encode()) for line in content.split("\n")), default=0)
    if longest <= _MAX_8BIT_LINE:
        cte, payload = "8bit", content
    else:
        cte = "quoted-printable"
        payload = quopri.encodestring(content.encode("utf-8")).decode("ascii")
    if not payload.endswith("\n"):
        payload += "\n"
    return f'Content-Type: text/{subtype}; charset="utf-8"\nContent-Transfer-Encoding: {cte}\n\n{payload}'


def _header_value(value: str) -> str:
    """A header value on one line, as RFC 2047 encoded words when it is not plain ASCII."""
    flat = " ".join(value.split())
    if flat.isascii():
        return flat
    return Header(flat, "utf-8").encode()

"""SMS: plain text that fits a segment cap, or the summary and a link to the full article.

The sms block wins; a unit without one derives its text from the general body. Text
over the cap (default 3 parts) falls back to the summary plus a link, then the title
plus a link, so a client never gets a message cut mid-sentence. A long general text
giving way to the summary is the design working; a channel block or a summary over
the cap is something for the editor to fix, and comes back as a warning. Typographic quotes
and dashes are folded to plain signs when that keeps an English text in GSM-7.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kb import FactValue, Locale, Unit
from renderers.base import Rendered, RenderOptions, pick_format
from renderers.context import Context
from renderers.gsm import SmsSize, fold_to_gsm, measure
from renderers.phrases import phrase
from renderers.textmarkup import SMS, blocks_text

FORMATS = ("plain",)


def render_sms(
    *,
    unit: Unit,
    facts: Mapping[str, FactValue],
    locale: Locale,
    options: RenderOptions,
) -> Rendered:
    """The unit as one SMS text within `options.sms_max_segments` parts."""
    fmt = pick_format("sms", options.format, FORMATS)
    ctx = Context(channel="sms", unit=unit, facts=facts, locale=locale, options=options)
    cap = options.sms_max_segments
    link = f"{phrase(locale, 'more')}: {ctx.own_url()}"
    blocks, source = ctx.public_content()
    candidates = [
        (sms_text(blocks_text(blocks, SMS, ctx)), source),
        (sms_text(f"{blocks_text(ctx.summary(), SMS, ctx)}\n{link}"), "summary"),
        (sms_text(f"{unit.title}\n{link}"), "title"),
        (sms_text(link), "link"),
    ]
    text, chosen, size = _first_within(candidates, cap, ctx)
    meta: dict[str, Any] = {
        "encoding": size.encoding,
        "segments": size.segments,
        "length": size.units,
        "per_segment": size.per_segment,
        "max_segments": cap,
        "source": chosen,
        "url": ctx.own_url(),
    }
    return ctx.rendered(format=fmt, body=text, media_type="text/plain; charset=utf-8", meta=meta)


def sms_text(text: str) -> str:
    """Compact SMS spelling: no blank lines, no runs of spaces, GSM-7 signs where they suffice."""
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))
    return fold_to_gsm("\n".join(line for line in lines if line))


def _first_within(candidates: list[tuple[str, str]], cap: int, ctx: Context) -> tuple[str, str, SmsSize]:
    for text, source in candidates:
        if not text:
            continue
        size = measure(text)
        if size.segments <= cap:
            return text, source, size
        if source != "general":  # a long general text is expected to give way to the summary
            ctx.warn(
                f"the sms text from the {source} takes {size.segments} segments ({size.encoding}), "
                f"over the cap of {cap}; sending a shorter form"
            )
    text, source = candidates[-1]
    size = measure(text)
    ctx.warn(f"even the link alone takes {size.segments} segments, over the cap of {cap}")
    return text, source, size

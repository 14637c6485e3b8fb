"""SMS: plain text in two parts, or an editor's sms block in up to three, always with whole words.

Almost every Cyrillic answer is UCS-2, 67 characters a part once concatenated (3GPP TS
23.038/23.040, counted by `renderers/gsm.py`), so the general text rarely fits. The sms
block wins and may take the whole cap (`sms_max_segments`, 3): an editor chose those words.
Without one, the general text is sent when it fits the short cap (`sms_short_segments`, 2);
else Istok derives the short form — the summary, the key step (the first of the unit's
numbered steps) and the link — and shortens it in a fixed order until it fits: drop the
step, drop the summary's last sentences, cut its first sentence after a whole word with
an ellipsis, then the title. The link is never cut: it is the way to the rest.
A block over the cap, or a summary that had to be cut mid-sentence, is something for the
editor to fix and comes back as a warning. Typographic quotes and dashes are folded to
plain signs when that keeps an English text in GSM-7.

The announcements of now (`options.notices`: an outage, planned works) open the text, a line
each, inside the same budget: each form above is tried with them before it, so the answer
gives way to a shorter form rather than the notice to the answer. Only when not even the
notices and the link fit are the notices cut after a whole word (with a warning).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from kb import FactValue, Locale, Unit
from renderers.base import Rendered, RenderOptions, pick_format
from renderers.compact import key_step
from renderers.context import Context
from renderers.gsm import SmsSize, fold_to_gsm, measure
from renderers.phrases import phrase
from renderers.textmarkup import SMS, blocks_text, one_line

FORMATS = ("plain",)
ELLIPSIS = "…"

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\S)")
_TRAILING_PUNCTUATION = " ,;:—–-(«\"'→>"


def render_sms(
    *,
    unit: Unit,
    facts: Mapping[str, FactValue],
    locale: Locale,
    options: RenderOptions,
) -> Rendered:
    """The unit as one SMS text: its sms block within `sms_max_segments`, else a short form."""
    fmt = pick_format("sms", options.format, FORMATS)
    ctx = Context(channel="sms", unit=unit, facts=facts, locale=locale, options=options)
    cap = options.sms_max_segments
    short = min(options.sms_short_segments, cap)
    lead = sms_text("\n".join(one_line(n) for n in options.notices))
    text, source, size = _choose(ctx, cap=cap, short=short, lead=lead)
    meta: dict[str, Any] = {
        "encoding": size.encoding,
        "segments": size.segments,
        "length": size.units,
        "per_segment": size.per_segment,
        "max_segments": cap,
        "short_segments": short,
        "source": source,
        "url": ctx.own_url(),
        "notices": len(options.notices),
    }
    return ctx.rendered(format=fmt, body=text, media_type="text/plain; charset=utf-8", meta=meta)


def sms_text(text: str) -> str:
    """Compact SMS spelling: no blank lines, no runs of spaces, GSM-7 signs where they suffice."""
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))
    return fold_to_gsm("\n".join(line for line in lines if line))


def _choose(ctx: Context, *, cap: int, short: int, lead: str = "") -> tuple[str, str, SmsSize]:
    """The first form that fits after `lead`: the block (whole cap), the general text, then the short forms."""
    with_lead = " with the announcements" if lead else ""
    block = ctx.unit.block_for("sms", ctx.options.segment)
    if block is not None:
        text = sms_text(blocks_text(block.children, SMS, ctx))
        whole = _after(lead, text)
        size = measure(whole)
        if text and size.segments <= cap:
            return whole, "block", size
        if text:
            ctx.warn(
                f"the sms text from the block{with_lead} takes {size.segments} segments ({size.encoding}), "
                f"over the cap of {cap}; sending a shorter form"
            )
    else:
        text = sms_text(blocks_text(ctx.unit.general(), SMS, ctx))
        whole = _after(lead, text)
        size = measure(whole)
        if text and size.segments <= short:
            return whole, "general", size  # a long general text giving way is the design working
    link = sms_text(f"{phrase(ctx.locale, 'more')}: {ctx.own_url()}")
    for text, source in _short_forms(ctx, link):
        whole = _after(lead, text)
        size = measure(whole)
        if size.segments <= short:
            if source in ("shortened", "title"):
                ctx.warn(
                    f"the sms summary does not fit {short} segments with the link{with_lead}; "
                    f"sending the {'summary cut after a whole word' if source == 'shortened' else 'title'} "
                    "(an ::: sms block would choose the words)"
                )
            return whole, source, size
    if lead:
        for cut in _cut_words(lead):
            whole = _after(cut, link)
            size = measure(whole)
            if size.segments <= short:
                ctx.warn(f"the announcements and the link do not fit {short} segments: the announcements were cut")
                return whole, "link", size
    size = measure(link)
    ctx.warn(f"even the link alone takes {size.segments} segments, over the cap of {short}")
    return link, "link", size


def _after(lead: str, text: str) -> str:
    """`text` with the announcements' lines before it."""
    return sms_text(f"{lead}\n{text}") if lead and text else text


def _cut_words(text: str) -> Iterator[str]:
    """`text` ever shorter, each cut after a whole word and marked with an ellipsis."""
    words = one_line(text).split(" ")
    for count in range(len(words) - 1, 0, -1):
        cut = " ".join(words[:count]).rstrip(_TRAILING_PUNCTUATION)
        if cut:
            yield f"{cut}{ELLIPSIS}"


def _short_forms(ctx: Context, link: str) -> Iterator[tuple[str, str]]:
    """Summary, key step and link, then ever shorter: each a whole SMS text, the link kept whole."""
    summary = one_line(blocks_text(ctx.summary(), SMS, ctx))
    step = one_line(blocks_text(key_step(ctx.unit), SMS, ctx))
    if summary and step:
        yield sms_text(f"{summary}\n{step}\n{link}"), "summary"
    if summary:
        yield sms_text(f"{summary}\n{link}"), "summary"
        sentences = _SENTENCE_END.split(summary)
        for count in range(len(sentences) - 1, 0, -1):
            yield sms_text(" ".join(sentences[:count]) + f"\n{link}"), "summary"
        words = sentences[0].split(" ")
        for count in range(len(words) - 1, 0, -1):
            cut = " ".join(words[:count]).rstrip(_TRAILING_PUNCTUATION)
            if cut:
                yield sms_text(f"{cut}{ELLIPSIS}\n{link}"), "shortened"
    yield sms_text(f"{one_line(ctx.unit.title)}\n{link}"), "title"
    yield link, "link"

"""The phone menu (IVR): the answer as SSML 1.1, or plain words for engines without SSML.

The ivr block wins over the general text. Whatever is chosen must be spoken within
the duration cap (default 45 s, a caller will not listen longer); if it runs over,
the summary is spoken instead (a warning only when it was the editor's ivr block
that ran over, or the summary itself does). Lists become numbered steps with pauses,
phones and numbers are marked for the engine, and addresses become "on our website".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kb import FactType, FactValue, Locale, Unit, tree
from renderers.base import Rendered, RenderOptions, pick_format
from renderers.context import Context
from renderers.facts import spoken_digits, spoken_step
from renderers.phrases import phrase
from renderers.speech import Speech, is_dial_code, voice_lang

FORMATS = ("ssml", "plain")
MEDIA_TYPES = {"ssml": "application/ssml+xml; charset=utf-8", "plain": "text/plain; charset=utf-8"}
PAUSE_AFTER_HEADING_MS = 300
PAUSE_BETWEEN_ITEMS_MS = 400
PAUSE_AFTER_STEP_MS = 200


def render_ivr(
    *,
    unit: Unit,
    facts: Mapping[str, FactValue],
    locale: Locale,
    options: RenderOptions,
) -> Rendered:
    """The unit spoken: SSML (default) or plain, within `options.ivr_max_seconds`."""
    fmt = pick_format("ivr", options.format, FORMATS)
    ctx = Context(channel="ivr", unit=unit, facts=facts, locale=locale, options=options)
    cap = options.ivr_max_seconds
    blocks, source = ctx.public_content()
    speech = speak(blocks, ctx)
    if speech.duration() > cap:
        if source == "block":  # the editor's own ivr wording does not fit: theirs to fix
            ctx.warn(f"the ivr block runs {speech.duration()} s, over the cap of {cap:g} s; speaking the summary")
        speech, source = speak(ctx.summary(), ctx), "summary"
        if speech.duration() > cap:
            ctx.warn(f"the summary still runs {speech.duration()} s, over the cap of {cap:g} s")
    body = speech.document() if fmt == "ssml" else speech.plain()
    meta: dict[str, Any] = {
        "duration_s": speech.duration(),
        "max_duration_s": cap,
        "source": source,
        "lang": voice_lang(locale),
    }
    return ctx.rendered(format=fmt, body=body, media_type=MEDIA_TYPES[fmt], meta=meta)


def speak(blocks: tuple[tree.Block, ...], ctx: Context) -> Speech:
    """Blocks as speech; channel blocks (internal ones included) are never spoken."""
    speech = Speech(ctx.locale)
    _blocks(blocks, speech, ctx, nested=False)
    return speech


def _blocks(blocks: tuple[tree.Block, ...], sp: Speech, ctx: Context, *, nested: bool) -> None:
    for block in blocks:
        if isinstance(block, (tree.Paragraph, tree.Heading)):
            _start(sp, nested)
            _inline(block.children, sp, ctx)
            _end(sp, nested)
            if isinstance(block, tree.Heading):
                sp.pause(PAUSE_AFTER_HEADING_MS)
        elif isinstance(block, tree.ListBlock):
            _start(sp, nested)
            for number, item in enumerate(block.items, start=block.start):
                if block.ordered:
                    sp.words(phrase(ctx.locale, "step", ordinal=spoken_step(number, ctx.locale)))
                    sp.pause(PAUSE_AFTER_STEP_MS)
                _blocks(item.children, sp, ctx, nested=True)
                sp.pause(PAUSE_BETWEEN_ITEMS_MS)
            _end(sp, nested)
        elif isinstance(block, tree.Table):
            _start(sp, nested)
            for row in block.rows:
                _row(block.header, row, sp, ctx)
            _end(sp, nested)
        elif isinstance(block, tree.CodeBlock):
            _start(sp, nested)
            sp.text(block.text)
            _end(sp, nested)
        elif isinstance(block, (tree.Quote, tree.Admonition)):
            if isinstance(block, tree.Admonition) and block.title:
                _start(sp, nested)
                sp.text(block.title)
                _end(sp, nested)
            _blocks(block.children, sp, ctx, nested=nested)
        elif isinstance(block, tree.Rule):
            sp.pause(PAUSE_BETWEEN_ITEMS_MS)


def _start(sp: Speech, nested: bool) -> None:
    if not nested:
        sp.open_paragraph()


def _end(sp: Speech, nested: bool) -> None:
    if nested:
        sp.end_sentence()
    else:
        sp.close_paragraph()


def _row(header: tuple[tree.TableCell, ...], row: tuple[tree.TableCell, ...], sp: Speech, ctx: Context) -> None:
    """A table row read out as "header: cell, header: cell."."""
    first = True
    for i, cell in enumerate(row):
        if not cell.children:
            continue
        if not first:
            sp.words(", ")
        if i < len(header) and header[i].children:
            _inline(header[i].children, sp, ctx)
            sp.words(": ")
        _inline(cell.children, sp, ctx)
        first = False
    sp.end_sentence()
    sp.pause(PAUSE_AFTER_HEADING_MS)


def _inline(nodes: tuple[tree.Inline, ...], sp: Speech, ctx: Context) -> None:
    running = ""  # text and counted facts read together, so «за {{ days }} суток» says «за трое суток»
    for node in nodes:
        if isinstance(node, tree.Text):
            running += node.text
            continue
        if isinstance(node, tree.Fact) and _counted(node.key, ctx):
            running += ctx.facts.get(node.key).raw
            continue
        if running:
            sp.text(running)
            running = ""
        if isinstance(node, tree.Fact):
            _fact(node.key, sp, ctx)
        elif isinstance(node, tree.Code) and is_dial_code(node.text):
            sp.words(spoken_digits(node.text, ctx.locale))
        elif isinstance(node, tree.Code):
            sp.text(node.text)
        elif isinstance(node, tree.LineBreak):
            sp.pause(PAUSE_AFTER_STEP_MS)
        elif isinstance(node, tree.Strong):
            sp.emphasis_start()
            _inline(node.children, sp, ctx)
            sp.emphasis_end()
        elif isinstance(node, (tree.Emphasis, tree.Link)):
            _inline(node.children, sp, ctx)  # a link is its words; the address is never read
        elif isinstance(node, tree.Image):
            pass  # a caller cannot see it, and "image: …" read aloud helps no one
    if running:
        sp.text(running)


def _counted(key: str, ctx: Context) -> bool:
    """A whole-number fact: spoken with the words around it, which it must agree with."""
    fact = ctx.facts.get(key)
    return not fact.missing and fact.type is FactType.NUMBER and fact.raw.lstrip("-").isdigit()


def _fact(key: str, sp: Speech, ctx: Context) -> None:
    fact = ctx.facts.get(key)
    if fact.missing:
        sp.words(fact.text)
    elif fact.type is FactType.PHONE:
        sp.say_as("telephone", fact.text, fact.spoken)
    elif fact.type is FactType.URL:
        sp.website()
    elif fact.type in (FactType.MONEY, FactType.DATE):
        sp.words(fact.spoken)
    elif is_dial_code(fact.text):
        sp.words(spoken_digits(fact.text, ctx.locale))
    else:
        sp.text(fact.text)

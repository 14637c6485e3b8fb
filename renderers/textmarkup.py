"""The tree as text for messengers and plain bodies: plain, Markdown, Telegram HTML, WhatsApp.

One walker, four styles. Each style says how to escape text and how to spell
emphasis, links and lists; the walker guarantees the rest (no channel block is ever
written, every fact is formatted, every marker it opens it closes).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kb import FactType, tree
from renderers.context import Context
from renderers.facts import FactText


def _identity(text: str) -> str:
    return text


def _wrap(left: str, right: str) -> Callable[[str], str]:
    """Markers around the words only: "** x **" would not be bold in any of these markups."""

    def wrap(inner: str) -> str:
        core = inner.strip()
        if not core:
            return inner
        lead = inner[: len(inner) - len(inner.lstrip())]
        trail = inner[len(inner.rstrip()) :]
        return f"{lead}{left}{core}{right}{trail}"

    return wrap


def _wrap_unless_inside(left: str, right: str) -> Callable[[str], str]:
    """Markers for a markup with no escaping (WhatsApp): words holding a marker stay plain.

    "*" around "*100#" would read as "**100#*"; plain words are better than broken markup.
    """
    wrap = _wrap(left, right)

    def guarded(inner: str) -> str:
        return inner if left in inner or right in inner else wrap(inner)

    return guarded


@dataclass(frozen=True)
class TextStyle:
    """How one markup spells each construct; `link` gets the label and the target."""

    name: str
    escape: Callable[[str], str]
    strong: Callable[[str], str]
    emphasis: Callable[[str], str]
    code: Callable[[str], str]
    link: Callable[[str, str], str]
    heading: Callable[[str], str]
    code_block: Callable[[str], str]
    quote: Callable[[str], str]
    bullet: str = "• "
    rule: str = ""
    fact_link: Callable[[FactText], str | None] = lambda fact: None
    paragraph: Callable[[str], str] = _identity


# ---- plain ------------------------------------------------------------------------


def _plain_link(label: str, href: str) -> str:
    if not label.strip() or label.strip() == href:
        return href
    return f"{label} ({href})"


PLAIN = TextStyle(
    name="plain",
    escape=_identity,
    strong=_identity,
    emphasis=_identity,
    code=_identity,
    link=_plain_link,
    heading=_identity,
    code_block=_identity,
    quote=_identity,
)

#: SMS: plain, and list items without a bullet (no Markdown look, no UCS-2 bullet sign).
SMS = TextStyle(
    name="sms",
    escape=_identity,
    strong=_identity,
    emphasis=_identity,
    code=_identity,
    link=_plain_link,
    heading=_identity,
    code_block=_identity,
    quote=_identity,
    bullet="",
)

# ---- Markdown (CommonMark) --------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md_escape(text: str) -> str:
    """Text that reads as itself in CommonMark, wherever it stands in a line."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_line_starts(paragraph: str) -> str:
    """A paragraph whose lines do not start a heading or a list by accident ("1. ", "- ", "# ")."""
    escaped = re.sub(r"^(\s*)([#+-])(?=\s|$)", r"\1\\\2", paragraph, flags=re.M)
    return re.sub(r"^(\s*\d+)([.)])(?=\s|$)", r"\1\\\2", escaped, flags=re.M)


def _md_code(text: str) -> str:
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _md_link(label: str, href: str) -> str:
    target = href.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return f"[{label or _md_escape(href)}]({target})"


def _md_fact(fact: FactText) -> str | None:
    if fact.missing:
        return None
    if fact.type is FactType.URL:
        return f"<{fact.raw}>"
    if fact.type is FactType.PHONE:
        return f"[{_md_escape(fact.text)}](tel:{fact.raw})"
    return None


MARKDOWN = TextStyle(
    name="markdown",
    escape=_md_escape,
    strong=_wrap("**", "**"),
    emphasis=_wrap("*", "*"),
    code=_md_code,
    link=_md_link,
    heading=lambda s: f"### {s}",
    code_block=lambda s: f"```\n{s.replace('```', '` ` `')}\n```",
    quote=lambda s: "\n".join(f"> {line}" for line in s.split("\n")),
    bullet="- ",
    rule="---",
    fact_link=_md_fact,
    paragraph=_md_line_starts,
)

# ---- Telegram Bot API HTML --------------------------------------------------------


def tg_escape(text: str) -> str:
    """Telegram's HTML escaping: only <, > and & (and " inside attributes)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _tg_link(label: str, href: str) -> str:
    if not re.match(r"^(https?|tg)://", href, re.I):  # Telegram refuses relative and tel: links
        return label or tg_escape(href)
    return f'<a href="{tg_escape(href).replace(chr(34), "&quot;")}">{label or tg_escape(href)}</a>'


TELEGRAM = TextStyle(
    name="telegram",
    escape=tg_escape,
    strong=lambda s: f"<b>{s}</b>" if s.strip() else s,
    emphasis=lambda s: f"<i>{s}</i>" if s.strip() else s,
    code=lambda s: f"<code>{tg_escape(s)}</code>",
    link=_tg_link,
    heading=lambda s: f"<b>{s}</b>" if s.strip() else s,
    code_block=lambda s: f"<pre>{tg_escape(s)}</pre>",
    quote=lambda s: f"<blockquote>{s}</blockquote>",
)

# ---- WhatsApp ---------------------------------------------------------------------

WHATSAPP = TextStyle(
    name="whatsapp",
    escape=_identity,
    strong=_wrap_unless_inside("*", "*"),
    emphasis=_wrap_unless_inside("_", "_"),
    code=_wrap_unless_inside("`", "`"),
    link=_plain_link,
    heading=_wrap_unless_inside("*", "*"),
    code_block=lambda s: f"```{s}```",
    quote=lambda s: "\n".join(f"> {line}" for line in s.split("\n")),
    bullet="- ",
)


# ---- the walker -------------------------------------------------------------------


def one_line(text: str) -> str:
    """Text on one line; no-break spaces (in "5,00 €", "2026 г.") are kept, they are typography."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def blocks_text(blocks: tuple[tree.Block, ...], style: TextStyle, ctx: Context) -> str:
    """Blocks as one text, blank lines between them; channel blocks are never written."""
    parts = (block_text(b, style, ctx) for b in blocks)
    return "\n\n".join(p for p in parts if p.strip())


def block_text(block: tree.Block, style: TextStyle, ctx: Context) -> str:
    """One block in `style`."""
    if isinstance(block, tree.Paragraph):
        return style.paragraph(inline_text(block.children, style, ctx).strip())
    if isinstance(block, tree.Heading):
        return style.heading(inline_text(block.children, style, ctx).strip())
    if isinstance(block, tree.ListBlock):
        return _list_text(block, style, ctx)
    if isinstance(block, tree.Table):
        return _table_text(block, style, ctx)
    if isinstance(block, tree.CodeBlock):
        return style.code_block(block.text.rstrip("\n"))
    if isinstance(block, tree.Quote):
        return style.quote(blocks_text(block.children, style, ctx))
    if isinstance(block, tree.Admonition):
        body = blocks_text(block.children, style, ctx)
        title = style.strong(style.escape(block.title)) if block.title else ""
        return "\n".join(p for p in (title, body) if p)
    if isinstance(block, tree.Rule):
        return style.rule
    return ""  # ChannelBlock: only the operator card shows another channel's block


def _list_text(block: tree.ListBlock, style: TextStyle, ctx: Context) -> str:
    lines: list[str] = []
    for number, item in enumerate(block.items, start=block.start):
        marker = f"{number}. " if block.ordered else style.bullet
        text = "\n".join(p for p in (block_text(b, style, ctx) for b in item.children) if p.strip())
        indent = " " * len(marker)
        lines.append(marker + text.replace("\n", "\n" + indent))
    return "\n".join(lines)


def _table_text(block: tree.Table, style: TextStyle, ctx: Context) -> str:
    """Rows as "header: cell; header: cell", the way a person reads a table out."""
    headers = [inline_text(c.children, style, ctx).strip() for c in block.header]
    lines: list[str] = []
    for row in block.rows:
        cells = [inline_text(c.children, style, ctx).strip() for c in row]
        pairs = [
            f"{headers[i]}: {cell}" if i < len(headers) and headers[i] else cell for i, cell in enumerate(cells) if cell
        ]
        lines.append("; ".join(pairs))
    return "\n".join(line for line in lines if line)


def inline_text(nodes: tuple[tree.Inline, ...], style: TextStyle, ctx: Context, *, in_link: bool = False) -> str:
    """Inline nodes in `style`; inside a link, facts are text so links never nest."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, tree.Text):
            out.append(style.escape(node.text))
        elif isinstance(node, tree.Fact):
            fact = ctx.facts.get(node.key)
            linked = None if in_link else style.fact_link(fact)
            out.append(linked if linked is not None else style.escape(fact.text))
        elif isinstance(node, tree.Code):
            out.append(style.code(node.text))
        elif isinstance(node, tree.LineBreak):
            out.append("\n")
        elif isinstance(node, tree.Strong):
            out.append(style.strong(inline_text(node.children, style, ctx, in_link=in_link)))
        elif isinstance(node, tree.Emphasis):
            out.append(style.emphasis(inline_text(node.children, style, ctx, in_link=in_link)))
        elif isinstance(node, tree.Link):
            label = inline_text(node.children, style, ctx, in_link=True)
            target = ctx.link_target(node)
            out.append(label if target is None or in_link else style.link(label, target))
        elif isinstance(node, tree.Image):
            out.append(_image_text(node, style, ctx, in_link=in_link))
    return "".join(out)


def _image_text(node: tree.Image, style: TextStyle, ctx: Context, *, in_link: bool) -> str:
    """An image in text: a link to it in plain and Markdown; its alt text in Telegram and
    WhatsApp, whose adapters send the picture itself (the render's `meta["images"]`);
    nothing in an SMS, which cannot show it and has no room to describe it."""
    if style.name == "sms":
        return ""
    url = ctx.image_url(node)
    if url is None or in_link or style.name not in ("plain", "markdown"):
        return style.escape(node.alt)
    return style.link(style.escape(node.alt), url)

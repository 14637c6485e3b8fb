"""The tree as an HTML fragment, for the help page, email and the operator's card.

Sources may not contain raw HTML, and every text is escaped here; the fragment is
still passed through nh3 with a closed list of tags, attributes and URL schemes, so
a bug in this writer cannot become a script on the help page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

import nh3

from kb import FactType, tree
from renderers.context import Context

_TAGS = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "pre",
        "code",
        "blockquote",
        "hr",
        "br",
        "em",
        "strong",
        "a",
        "img",
        "div",
        "section",
        "span",
        "article",
        "header",
    }
)
_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading", "decoding"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
    "*": {"class", "id", "lang", "data-channel", "data-segment"},
}
_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_CLASS_RE = re.compile(r"[^a-z0-9_-]+")


def sanitize(fragment: str) -> str:
    """The fragment with anything outside Istok's HTML vocabulary removed."""
    return nh3.clean(
        fragment,
        tags=set(_TAGS),
        attributes=_ATTRIBUTES,
        url_schemes=set(_SCHEMES),
        link_rel=None,
        filter_style_properties={"text-align"},
    )


#: Writes a channel block the public channels skip; only the operator card passes one.
ChannelBlockWriter = Callable[[tree.ChannelBlock, Context], str]


def blocks_html(
    blocks: tuple[tree.Block, ...],
    ctx: Context,
    *,
    channel_block: ChannelBlockWriter | None = None,
) -> str:
    """Blocks as HTML, one per line; channel blocks appear only through `channel_block`."""
    parts = (_block(b, ctx, channel_block) for b in blocks)
    return "\n".join(p for p in parts if p)


def _block(block: tree.Block, ctx: Context, channel_block: ChannelBlockWriter | None) -> str:
    if isinstance(block, tree.Paragraph):
        return f"<p>{inline_html(block.children, ctx)}</p>"
    if isinstance(block, tree.Heading):
        level = min(max(block.level, 1), 6)
        anchor = f' id="{escape(block.anchor)}"' if block.anchor else ""
        return f"<h{level}{anchor}>{inline_html(block.children, ctx)}</h{level}>"
    if isinstance(block, tree.ListBlock):
        items = "".join(f"<li>{_item(item, ctx, channel_block)}</li>" for item in block.items)
        if block.ordered:
            start = f' start="{block.start}"' if block.start != 1 else ""
            return f"<ol{start}>{items}</ol>"
        return f"<ul>{items}</ul>"
    if isinstance(block, tree.Table):
        return _table(block, ctx)
    if isinstance(block, tree.CodeBlock):
        lang = f' class="language-{_css(block.language)}"' if block.language else ""
        return f"<pre><code{lang}>{escape(block.text, quote=False)}</code></pre>"
    if isinstance(block, tree.Quote):
        inner = blocks_html(block.children, ctx, channel_block=channel_block)
        return f"<blockquote>{inner}</blockquote>"
    if isinstance(block, tree.Admonition):
        title = f'<p class="admonition-title">{escape(block.title, quote=False)}</p>' if block.title else ""
        inner = blocks_html(block.children, ctx, channel_block=channel_block)
        return f'<div class="admonition {_css(block.kind)}">{title}{inner}</div>'
    if isinstance(block, tree.Rule):
        return "<hr>"
    if isinstance(block, tree.ChannelBlock) and channel_block is not None:
        return channel_block(block, ctx)
    return ""


def _item(item: tree.ListItem, ctx: Context, channel_block: ChannelBlockWriter | None) -> str:
    """A tight item (one paragraph) without its <p>, as Markdown renders it."""
    if len(item.children) == 1 and isinstance(item.children[0], tree.Paragraph):
        return inline_html(item.children[0].children, ctx)
    return blocks_html(item.children, ctx, channel_block=channel_block)


def _table(block: tree.Table, ctx: Context) -> str:
    def cell(tag: str, c: tree.TableCell) -> str:
        style = f' style="text-align: {c.align}"' if c.align in ("left", "right", "center") else ""
        return f"<{tag}{style}>{inline_html(c.children, ctx)}</{tag}>"

    head = "".join(cell("th", c) for c in block.header)
    rows = "".join("<tr>" + "".join(cell("td", c) for c in row) + "</tr>" for row in block.rows)
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f"<table>{thead}<tbody>{rows}</tbody></table>"


def inline_html(nodes: tuple[tree.Inline, ...], ctx: Context, *, in_link: bool = False) -> str:
    """Inline nodes as HTML; facts become tel: and web links unless already inside a link."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, tree.Text):
            out.append(escape(node.text, quote=False))
        elif isinstance(node, tree.Fact):
            out.append(_fact(node.key, ctx, in_link=in_link))
        elif isinstance(node, tree.Code):
            out.append(f"<code>{escape(node.text, quote=False)}</code>")
        elif isinstance(node, tree.LineBreak):
            out.append("<br>")
        elif isinstance(node, tree.Strong):
            out.append(f"<strong>{inline_html(node.children, ctx, in_link=in_link)}</strong>")
        elif isinstance(node, tree.Emphasis):
            out.append(f"<em>{inline_html(node.children, ctx, in_link=in_link)}</em>")
        elif isinstance(node, tree.Link):
            label = inline_html(node.children, ctx, in_link=True)
            target = ctx.link_target(node)
            if target is None or in_link:
                out.append(label)
            else:
                title = f' title="{escape(node.title)}"' if node.title else ""
                out.append(f'<a href="{escape(target)}"{title}>{label}</a>')
        elif isinstance(node, tree.Image):
            out.append(_image(node, ctx))
    return "".join(out)


def _image(node: tree.Image, ctx: Context) -> str:
    """An image sized before it loads (no page jump) and fetched only when scrolled to."""
    src = ctx.image_url(node)
    if src is None:
        return escape(node.alt, quote=False)
    title = f' title="{escape(node.title)}"' if node.title else ""
    size = ctx.image_size(node)
    sized = f' width="{size[0]}" height="{size[1]}"' if size else ""
    return f'<img src="{escape(src)}" alt="{escape(node.alt)}"{title}{sized} loading="lazy" decoding="async">'


def _fact(key: str, ctx: Context, *, in_link: bool) -> str:
    fact = ctx.facts.get(key)
    text = escape(fact.text, quote=False)
    if fact.missing:
        return f'<span class="istok-missing-fact">{text}</span>'
    if in_link:
        return text
    if fact.type is FactType.PHONE:
        return f'<a href="tel:{escape(fact.raw)}">{text}</a>'
    if fact.type is FactType.URL:
        return f'<a href="{escape(fact.raw)}">{text}</a>'
    return text


def _css(name: str) -> str:
    return _CLASS_RE.sub("-", name.lower()).strip("-") or "note"

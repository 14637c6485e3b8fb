"""The parsed content tree: one per revision, walked by every channel renderer.

Nodes are frozen dataclasses so a parsed unit can be cached and shared between
threads and renderers without anyone changing it underneath the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, TypeAlias

from kb.types import ArticleKey, ChannelName, FactKey, Locale

# ---- inline nodes -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Fact:
    """A reference to a fact; each renderer formats the value for its channel."""

    key: FactKey


@dataclass(frozen=True, slots=True)
class Code:
    text: str


@dataclass(frozen=True, slots=True)
class LineBreak:
    pass


@dataclass(frozen=True, slots=True)
class Emphasis:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Strong:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class Link:
    """A link; `article_key` is set for links to other articles (`kb:key`)."""

    href: str
    children: tuple[Inline, ...]
    article_key: ArticleKey | None = None
    anchor: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Image:
    """A picture; `asset` is the id of an uploaded image (`asset:<sha256>`, kb/assets.py)."""

    src: str
    alt: str
    title: str | None = None
    asset: str | None = None


Inline: TypeAlias = Text | Fact | Code | LineBreak | Emphasis | Strong | Link | Image

# ---- block nodes ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    children: tuple[Inline, ...]
    anchor: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    children: tuple[Inline, ...]


@dataclass(frozen=True, slots=True)
class ListItem:
    children: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class ListBlock:
    ordered: bool
    items: tuple[ListItem, ...]
    start: int = 1


@dataclass(frozen=True, slots=True)
class TableCell:
    children: tuple[Inline, ...]
    align: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[TableCell, ...]
    rows: tuple[tuple[TableCell, ...], ...]


@dataclass(frozen=True, slots=True)
class CodeBlock:
    text: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    children: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Admonition:
    kind: str
    title: str
    children: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    pass


@dataclass(frozen=True, slots=True)
class ChannelBlock:
    """A channel's own wording (`::: ivr` … `:::`); `segment` limits it to an audience."""

    channel: ChannelName
    children: tuple[Block, ...]
    segment: str | None = None


Block: TypeAlias = Heading | Paragraph | ListBlock | Table | CodeBlock | Quote | Admonition | Rule | ChannelBlock
Node: TypeAlias = Inline | Block | ListItem | TableCell


# ---- the unit ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unit:
    """One revision of one article, parsed once: front matter plus the body tree."""

    key: ArticleKey
    locale: Locale
    title: str
    slug: str
    category: str | None
    tags: tuple[str, ...]
    questions: tuple[str, ...]
    summary: tuple[Inline, ...]
    segments: tuple[str, ...]
    owner: str | None
    review_by: dt.date | None
    body: tuple[Block, ...]
    content_hash: str
    facts: frozenset[FactKey] = field(default_factory=frozenset)
    links: frozenset[ArticleKey] = field(default_factory=frozenset)
    assets: frozenset[str] = field(default_factory=frozenset)

    def general(self) -> tuple[Block, ...]:
        """The body without channel blocks: what channels with no block of their own derive from."""
        return tuple(b for b in self.body if not isinstance(b, ChannelBlock))

    def block_for(self, channel: ChannelName, segment: str | None = None) -> ChannelBlock | None:
        """The channel's own block: the segment's variant first, then the unsegmented one."""
        blocks = [b for b in self.body if isinstance(b, ChannelBlock) and b.channel == channel]
        if segment is not None:
            for b in blocks:
                if b.segment == segment:
                    return b
        for b in blocks:
            if b.segment is None:
                return b
        return None

    def channel_blocks(self, channel: ChannelName) -> tuple[ChannelBlock, ...]:
        return tuple(b for b in self.body if isinstance(b, ChannelBlock) and b.channel == channel)

    def first_paragraph(self) -> Paragraph | None:
        for b in self.general():
            if isinstance(b, Paragraph):
                return b
        return None


# ---- walking and dumping ----------------------------------------------------------


def children_of(node: Node) -> tuple[Node, ...]:
    """Direct child nodes, whatever the node's kind."""
    if isinstance(node, ListBlock):
        return node.items
    if isinstance(node, Table):
        return node.header + tuple(c for row in node.rows for c in row)
    return tuple(getattr(node, "children", ()))


def walk(nodes: tuple[Node, ...]) -> Iterator[Node]:
    """Every node below `nodes`, depth first, in document order."""
    for node in nodes:
        yield node
        yield from walk(children_of(node))


def plain_text(
    nodes: tuple[Node, ...],
    fact_text: Callable[[FactKey], str] | None = None,
) -> str:
    """The words of `nodes` as one string; facts are filled by `fact_text` or left out.

    Search indexing and length estimates need the text without markup; blocks are
    separated by newlines so sentences do not run together.
    """
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, (Text, Code)):
            parts.append(node.text)
        elif isinstance(node, Fact):
            parts.append(fact_text(node.key) if fact_text else "")
        elif isinstance(node, LineBreak):
            parts.append("\n")
        elif isinstance(node, Image):
            parts.append(node.alt)
        elif isinstance(node, CodeBlock):
            parts.append(node.text + "\n")
        elif isinstance(node, Rule):
            parts.append("\n")
        else:
            inner = plain_text(children_of(node), fact_text)
            is_block = not isinstance(node, (Emphasis, Strong, Link, TableCell))
            parts.append(inner + ("\n" if is_block else " " if isinstance(node, TableCell) else ""))
    return "".join(parts)


def to_data(node: Any) -> Any:
    """A JSON-ready form of any node or unit, with the node kind named in `type`."""
    if is_dataclass(node) and not isinstance(node, type):
        data: dict[str, Any] = {"type": type(node).__name__.lower()}
        for f in fields(node):
            data[f.name] = to_data(getattr(node, f.name))
        return data
    if isinstance(node, (tuple, list)):
        return [to_data(n) for n in node]
    if isinstance(node, frozenset):
        return sorted(node)
    if isinstance(node, dt.date):
        return node.isoformat()
    return node


def dump(unit: Unit) -> str:
    """An indented outline of the tree, one node a line, for tests and `istok tree`."""
    lines = [f"unit {unit.key}/{unit.locale} {unit.title!r} hash={unit.content_hash[:12]}"]
    if unit.summary:
        lines.append("  summary")
        _dump_nodes(unit.summary, 2, lines)
    _dump_nodes(unit.body, 1, lines)
    return "\n".join(lines)


def _dump_nodes(nodes: tuple[Node, ...], depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    for node in nodes:
        name = type(node).__name__.lower()
        if isinstance(node, (Text, Code)):
            lines.append(f"{pad}{name} {node.text!r}")
            continue
        if isinstance(node, Fact):
            lines.append(f"{pad}fact {node.key}")
            continue
        detail = ""
        if isinstance(node, Heading):
            detail = f" h{node.level} #{node.anchor}"
        elif isinstance(node, ListBlock):
            detail = " ordered" if node.ordered else " bullet"
        elif isinstance(node, Link):
            detail = f" article={node.article_key}" if node.article_key else f" {node.href}"
        elif isinstance(node, ChannelBlock):
            detail = f" {node.channel}" + (f" segment={node.segment}" if node.segment else "")
        elif isinstance(node, CodeBlock):
            detail = f" {node.language or ''} {node.text!r}"
        elif isinstance(node, Image):
            detail = f" asset={node.asset} {node.alt!r}" if node.asset else f" {node.src} {node.alt!r}"
        elif isinstance(node, Admonition):
            detail = f" {node.kind} {node.title!r}"
        elif isinstance(node, TableCell) and node.align:
            detail = f" {node.align}"
        lines.append(f"{pad}{name}{detail}")
        _dump_nodes(children_of(node), depth + 1, lines)

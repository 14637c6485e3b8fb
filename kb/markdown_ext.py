"""Python-Markdown configured for Istok: facts as nodes, no raw HTML, the tree kept.

Python-Markdown builds an ElementTree; this module stops it there (before any
HTML is serialised) and converts the elements into `kb.tree` nodes, so no
renderer ever sees Markdown or HTML from a source.
"""

from __future__ import annotations

import html
import re
import threading
import xml.etree.ElementTree as etree
from typing import Any

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import HTML_PLACEHOLDER_RE

from kb import tree as t

#: Changes whenever the same source would parse to a different tree, so trees kept on disk
#: by an older parser (kb.unitfile) are parsed again. 2: code text unescaped once; no
#: parser state carried from one parse to the next.
PARSER_VERSION = f"2/{markdown.__version__}"

FACT_RE = r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}"
FACT_TAG = "istok-fact"
ARTICLE_SCHEME = "kb:"
#: An uploaded image: `![alt](asset:<sha256>)` (kb/assets.py).
ASSET_SCHEME = "asset:"

_FENCED_HTML_RE = re.compile(r'^<pre(?: [^>]*)?><code(?: class="language-([^"]+)")?>(.*)</code></pre>$', re.DOTALL)


class _FactProcessor(InlineProcessor):  # type: ignore[misc]
    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:
        el = etree.Element(FACT_TAG)
        el.set("key", m.group(1))
        return el, m.start(0), m.end(0)


class IstokExtension(Extension):  # type: ignore[misc]
    """Facts as inline nodes; raw HTML and entities are text, never markup."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        for name in ("html_block",):
            if name in md.preprocessors:
                md.preprocessors.deregister(name)
        for name in ("html", "entity", "automail"):
            if name in md.inlinePatterns:
                md.inlinePatterns.deregister(name)
        md.inlinePatterns.register(_FactProcessor(FACT_RE, md), "istok_fact", 175)


_local = threading.local()


def _markdown() -> markdown.Markdown:
    """One Markdown instance per thread: instances keep state and are not thread-safe."""
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(
            extensions=["tables", "fenced_code", "admonition", "sane_lists", IstokExtension()],
        )
        _local.md = md
    md.reset()
    # reset() leaves the block parser's nesting state alone: a parse that stopped half-way
    # (an exception deep inside a list) would make every later parse in this thread empty.
    del md.parser.state[:]
    return md


def parse_blocks(text: str) -> tuple[t.Block, ...]:
    """Markdown text to block nodes; a parse that fails leaves nothing behind for the next."""
    md = _markdown()
    try:
        return _parse(md, text)
    except BaseException:
        _local.md = None  # whatever state the failure left, the next parse starts from a new instance
        raise


def _parse(md: markdown.Markdown, text: str) -> tuple[t.Block, ...]:
    # Markdown.convert without its last steps: we want the tree, not serialised HTML.
    lines = text.split("\n")
    for prep in md.preprocessors:
        lines = prep.run(lines)
    root = md.parser.parseDocument(lines).getroot()
    for processor in md.treeprocessors:
        replaced = processor.run(root)
        if replaced is not None:
            root = replaced
    return _Converter(md).blocks(root)


def parse_inline(text: str) -> tuple[t.Inline, ...]:
    """One-paragraph Markdown (a summary) to inline nodes."""
    blocks = parse_blocks(text)
    out: list[t.Inline] = []
    for block in blocks:
        if isinstance(block, t.Paragraph):
            if out:
                out.append(t.Text(" "))
            out.extend(block.children)
        else:
            out.append(t.Text(t.plain_text((block,)).strip()))
    return tuple(out)


class _Converter:
    def __init__(self, md: markdown.Markdown) -> None:
        self.md = md

    # blocks -------------------------------------------------------------------
    def blocks(self, parent: etree.Element) -> tuple[t.Block, ...]:
        out: list[t.Block] = []
        loose: list[t.Inline] = []
        if parent.text and parent.text.strip() and parent.tag not in ("div",):
            loose.extend(self._text(parent.text))
        for el in parent:
            block = self.block(el)
            if block is None:
                loose.extend(self.inline_element(el))
            else:
                if loose:
                    out.append(t.Paragraph(_trim(loose)))
                    loose = []
                out.append(block)
            if el.tail and el.tail.strip():
                loose.extend(self._text(el.tail))
        if loose:
            out.append(t.Paragraph(_trim(loose)))
        return tuple(out)

    def block(self, el: etree.Element) -> t.Block | None:
        tag = el.tag
        if tag == "p":
            stashed = self._stashed_code(el)
            if stashed is not None:
                return stashed
            return t.Paragraph(_trim(self.inlines(el)))
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return t.Heading(level=int(tag[1]), children=_trim(self.inlines(el)), anchor="")
        if tag in ("ul", "ol"):
            items = tuple(t.ListItem(self.blocks(li)) for li in el if li.tag == "li")
            start = int(el.get("start", "1")) if el.get("start", "1").isdigit() else 1
            return t.ListBlock(ordered=tag == "ol", items=items, start=start)
        if tag == "pre":
            code = el.find("code")
            source = code if code is not None else el
            return t.CodeBlock(text=_code_text(source), language=None)
        if tag == "blockquote":
            return t.Quote(self.blocks(el))
        if tag == "hr":
            return t.Rule()
        if tag == "table":
            return self.table(el)
        if tag == "div" and "admonition" in (el.get("class") or "").split():
            return self.admonition(el)
        if tag == "div":
            return t.Quote(self.blocks(el))
        return None

    def table(self, el: etree.Element) -> t.Table:
        def cells(tr: etree.Element) -> tuple[t.TableCell, ...]:
            return tuple(
                t.TableCell(_trim(self.inlines(c)), _align(c.get("style") or c.get("align")))
                for c in tr
                if c.tag in ("td", "th")
            )

        header: tuple[t.TableCell, ...] = ()
        rows: list[tuple[t.TableCell, ...]] = []
        for section in el:
            for tr in section if section.tag in ("thead", "tbody") else [section]:
                if tr.tag != "tr":
                    continue
                if section.tag == "thead" and not header:
                    header = cells(tr)
                else:
                    rows.append(cells(tr))
        return t.Table(header=header, rows=tuple(rows))

    def admonition(self, el: etree.Element) -> t.Admonition:
        classes = [c for c in (el.get("class") or "").split() if c != "admonition"]
        title = ""
        body = etree.Element("div")
        for child in el:
            if child.tag == "p" and "admonition-title" in (child.get("class") or ""):
                title = "".join(child.itertext()).strip()
            else:
                body.append(child)
        return t.Admonition(kind=classes[0] if classes else "note", title=title, children=self.blocks(body))

    def _stashed_code(self, el: etree.Element) -> t.CodeBlock | None:
        """Fenced code is stashed as HTML by its extension; read it back as a node."""
        text = (el.text or "").strip()
        if len(el) or not text:
            return None
        m = HTML_PLACEHOLDER_RE.fullmatch(text)
        if m is None:
            return None
        raw = self.md.htmlStash.rawHtmlBlocks[int(m.group(1))]
        fenced = _FENCED_HTML_RE.match(str(raw).strip())
        if fenced is None:
            return t.CodeBlock(text=html.unescape(str(raw)))
        return t.CodeBlock(text=html.unescape(fenced.group(2)), language=fenced.group(1))

    # inlines ------------------------------------------------------------------
    def inlines(self, el: etree.Element) -> tuple[t.Inline, ...]:
        out: list[t.Inline] = []
        if el.text:
            out.extend(self._text(el.text))
        for child in el:
            out.extend(self.inline_element(child))
            if child.tail:
                out.extend(self._text(child.tail))
        return tuple(_merge_text(out))

    def inline_element(self, el: etree.Element) -> tuple[t.Inline, ...]:
        tag = el.tag
        if tag == FACT_TAG:
            return (t.Fact(el.get("key", "")),)
        if tag == "code":
            return (t.Code(_code_text(el)),)
        if tag == "br":
            return (t.LineBreak(),)
        if tag == "em":
            return (t.Emphasis(self.inlines(el)),)
        if tag == "strong":
            return (t.Strong(self.inlines(el)),)
        if tag == "a":
            return (self.link(el),)
        if tag == "img":
            src = el.get("src", "")
            asset = src[len(ASSET_SCHEME) :].strip().lower() if src.startswith(ASSET_SCHEME) else None
            return (t.Image(src=src, alt=el.get("alt", "").strip(), title=el.get("title"), asset=asset),)
        # Anything else (a block where an inline was expected) keeps only its words.
        return self._text("".join(el.itertext()))

    def link(self, el: etree.Element) -> t.Link:
        href = el.get("href", "")
        children = self.inlines(el)
        if href.startswith(ARTICLE_SCHEME):
            target, _, anchor = href[len(ARTICLE_SCHEME) :].partition("#")
            return t.Link(
                href=href,
                children=children,
                article_key=target.strip(),
                anchor=anchor or None,
                title=el.get("title"),
            )
        return t.Link(href=href, children=children, title=el.get("title"))

    def _text(self, text: str) -> tuple[t.Inline, ...]:
        return (t.Text(text),) if text else ()


def _code_text(el: etree.Element) -> str:
    """Code as its author wrote it: Python-Markdown escapes `&`, `<` and `>` in code for its own
    HTML output; the tree holds plain text, and each channel escapes once, for itself."""
    text = "".join(el.itertext())
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _merge_text(nodes: list[t.Inline]) -> list[t.Inline]:
    out: list[t.Inline] = []
    for node in nodes:
        if isinstance(node, t.Text) and out and isinstance(out[-1], t.Text):
            out[-1] = t.Text(out[-1].text + node.text)
        else:
            out.append(node)
    return out


def _trim(nodes: Any) -> tuple[t.Inline, ...]:
    """Strip the whitespace Markdown leaves at the edges of a paragraph."""
    items = _merge_text(list(nodes))
    if items and isinstance(items[0], t.Text):
        items[0] = t.Text(items[0].text.lstrip())
    if items and isinstance(items[-1], t.Text):
        items[-1] = t.Text(items[-1].text.rstrip())
    return tuple(n for n in items if not (isinstance(n, t.Text) and not n.text))


def _align(style: str | None) -> str | None:
    if not style:
        return None
    m = re.search(r"(left|right|center)", style)
    return m.group(1) if m else None

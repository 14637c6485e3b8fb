"""The limits a source keeps, so that parsing it and walking its tree stay bounded.

Python-Markdown and every walk over the tree (each renderer, the index, pickling) recurse
once per level of nesting, and Python-Markdown's link scan is quadratic in the number of
`[` in one paragraph. An article nested hundreds of levels deep, or a paragraph of a
hundred thousand brackets, would exhaust the stack or a worker's time; no article a
person writes comes near these limits.

Checking the real tree needs a parse (a millisecond or two), which a bulk import avoids.
`nesting_bound` is a cheap upper bound read from the lines: when it is within the limit,
the tree cannot be deeper, and only the rare source over it is parsed to decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb import tree as t

#: Lists, quotes, admonitions, emphasis and links inside one another.
MAX_NESTING = 20
#: `[` characters in one paragraph (each may open a link).
MAX_BRACKETS = 500

_CONTAINERS = (t.ListBlock, t.Quote, t.Admonition, t.ChannelBlock, t.Emphasis, t.Strong, t.Link)
_MARKER_RE = re.compile(r"(?:>|!!!|[-*+](?=\s|$)|\d{1,9}[.)](?=\s|$))")
#: First characters of a line that may open a block level: indentation and container markers.
_OPENERS = frozenset(" \t>!-*+0123456789")


def nesting_message(depth: int | None = None) -> str:
    """The one wording of the nesting limit, for the API, the admin and the importer."""
    found = f"nested {depth} levels deep" if depth is not None else "nested too deeply to parse"
    return (
        f"{found}: at most {MAX_NESTING} levels of lists, quotes, admonitions, emphasis and links "
        "inside one another are allowed"
    )


def brackets_message(count: int) -> str:
    return f"{count} '[' in one paragraph: at most {MAX_BRACKETS} are allowed"


@dataclass(frozen=True)
class Paragraph:
    """A run of non-blank lines outside fenced code, with what bounds its nesting."""

    first_line: int
    bound: int
    brackets: int


def paragraphs(text: str, *, first_line: int = 1) -> list[Paragraph]:
    """Cut `text` at blank lines and bound each run's nesting from its lines.

    Fenced code is counted like any text: a fence left open is not code to Python-Markdown,
    and counting code too only ever raises the bound.
    """
    runs: list[Paragraph] = []
    start, block_depth, delimiters, brackets = 0, 0, 0, 0
    open_run = False
    for offset, line in enumerate(text.split("\n")):
        if not line.strip():
            if open_run:
                runs.append(Paragraph(first_line + start, block_depth + delimiters, brackets))
                open_run = False
            continue
        if not open_run:
            start, block_depth, delimiters, brackets, open_run = offset, 0, 0, 0, True
        if line[0] in _OPENERS:  # most lines start with a letter: nothing to count
            block_depth = max(block_depth, _line_depth(line))
        opening = line.count("[")
        brackets += opening
        delimiters += line.count("*") + line.count("_") + opening
    if open_run:
        runs.append(Paragraph(first_line + start, block_depth + delimiters, brackets))
    return runs


def _line_depth(line: str) -> int:
    """Block levels a line can open: one per container marker, one per two columns of indent."""
    text = line.expandtabs(4)
    depth, spaces, pos = 0, 0, 0
    while True:
        stripped = text[pos:].lstrip(" ")
        spaces += len(text) - pos - len(stripped)
        pos = len(text) - len(stripped)
        m = _MARKER_RE.match(text, pos)
        if m is None:
            return depth + spaces // 2
        depth += 1
        pos = m.end()


def tree_nesting(nodes: tuple[t.Node, ...]) -> int:
    """The most container nodes on one path from the root, counted without recursion."""
    deepest = 0
    stack: list[tuple[t.Node, int]] = [(n, 0) for n in nodes]
    while stack:
        node, above = stack.pop()
        depth = above + (1 if isinstance(node, _CONTAINERS) else 0)
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in t.children_of(node))
    return deepest

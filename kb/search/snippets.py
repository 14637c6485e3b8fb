"""Highlighted snippets: the passage of an article that best shows why it matched.

The snippet is escaped HTML with the matching words in `<mark>`: the text comes from
articles and the words from clients, and neither may inject markup. Words are matched
by term, so "балансу" in the question marks "баланс" in the text. Only the texts the
caller passes are used, which is how internal notes stay out of public snippets.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from html import escape

from kb.search.analysis import analyse_word
from kb.search.text import fold
from kb.types import Locale

SNIPPET_CHARS = 220
_WORD_RE = re.compile(r"[^\W_]+(?:['’ʼ‘`][^\W_]+)*")
_LINE_RE = re.compile(r"[^\n]+")


def _matches(text: str, locale: Locale, terms: Collection[str]) -> list[tuple[int, int, str]]:
    found = []
    for m in _WORD_RE.finditer(text):
        term, _ = analyse_word(locale, fold(m.group()))
        if term in terms:
            found.append((m.start(), m.end(), term))
    return found


def snippet(texts: Sequence[str], terms: Collection[str], locale: Locale, *, size: int = SNIPPET_CHARS) -> str:
    """The best line of `texts` (most distinct matched terms), cut to `size`, as safe HTML."""
    best: tuple[int, int, str, list[tuple[int, int, str]]] | None = None
    order = 0
    for text in texts:
        for found in _LINE_RE.finditer(text):
            piece = found.group().strip()
            if not piece:
                continue
            hits = _matches(piece, locale, terms)
            score = len({t for _, _, t in hits})
            order += 1
            if best is None or score > best[0]:
                best = (score, order, piece, hits)
    if best is None:
        return ""
    _, _, line, hits = best
    start = 0
    if len(line) > size and hits:
        start = max(0, min(hits[0][0] - size // 4, len(line) - size))
        while start > 0 and not line[start - 1].isspace():
            start -= 1
    end = min(len(line), start + size)
    if end < len(line):
        while end > start + size // 2 and not line[end - 1].isspace():
            end -= 1
    parts: list[str] = ["…" if start > 0 else ""]
    at = start
    for s, e, _ in hits:
        if s < start or e > end:
            continue
        parts.append(escape(line[at:s]))
        parts.append(f"<mark>{escape(line[s:e])}</mark>")
        at = e
    parts.append(escape(line[at:end]).rstrip())
    if end < len(line):
        parts.append("…")
    return "".join(parts)

"""Highlighted snippets: the passage of an article that best shows why it matched.

The snippet is escaped HTML with the matching words in `<mark>`: the text comes from
articles and the words from clients, and neither may inject markup. Words are matched
by term, so "балансу" in the question marks "баланс" in the text. Only the texts the
caller passes are used, which is how internal notes stay out of public snippets.

Search shows snippets for every hit of a page as the operator types, so this runs
ten times per keystroke: each text is folded once (not word by word, which was most of
a search's time) and words are analysed through the cached `analyse_word`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from html import escape

from kb.search.analysis import analyse_word
from kb.search.text import WORD_RE, fold
from kb.types import Locale

SNIPPET_CHARS = 220
_WORD_RE = re.compile(r"[^\W_]+(?:['’ʼ‘`][^\W_]+)*")
_LINE_RE = re.compile(r"[^\n]+")

Match = tuple[int, int, str]  # start, end (in the line), term


def _lines(text: str, locale: Locale, terms: Collection[str]) -> list[tuple[str, list[Match]]]:
    """Every non-blank line of `text`, stripped, with its words whose term is one of `terms`.

    When folding changes the text's length (rare ligatures, "İ"), offsets in the folded
    text would not be offsets in the original, so such a text is folded word by word.
    """
    folded = fold(text)
    whole = len(folded) == len(text)
    out: list[tuple[str, list[Match]]] = []
    for found in _LINE_RE.finditer(text):
        piece = found.group()
        lead = len(piece) - len(piece.lstrip())
        piece = piece.strip()
        if not piece:
            continue
        start = found.start() + lead
        hits: list[Match] = []
        if whole:
            for m in WORD_RE.finditer(folded, start, start + len(piece)):
                term = analyse_word(locale, m.group())[0]
                if term in terms:
                    hits.append((m.start() - start, m.end() - start, term))
        else:
            for m in _WORD_RE.finditer(piece):
                term = analyse_word(locale, fold(m.group()))[0]
                if term in terms:
                    hits.append((m.start(), m.end(), term))
        out.append((piece, hits))
    return out


def snippet(texts: Sequence[str], terms: Collection[str], locale: Locale, *, size: int = SNIPPET_CHARS) -> str:
    """The best line of `texts` (most distinct matched terms), cut to `size`, as safe HTML."""
    best: tuple[int, str, list[Match]] | None = None
    for text in texts:
        for piece, hits in _lines(text, locale, terms):
            score = len({t for _, _, t in hits})
            if best is None or score > best[0]:
                best = (score, piece, hits)
    if best is None:
        return ""
    _, line, hits = best
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

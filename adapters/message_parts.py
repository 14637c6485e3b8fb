"""One long text as several messenger messages, cut where a reader expects a break.

Messengers refuse a text over their limit rather than cut it (Telegram's `sendMessage`: 1–4096
characters after entity parsing; WhatsApp's text `body`: 4096; Viber's `text`: 7000), and an
answer near the limit with an announcement put before it goes over. So the whole text goes, in
as few messages as it takes, each cut at the best break inside the limit: a paragraph, else a
line, a sentence, a word, and only as the last resort between two characters. A cut lands no
earlier than half the limit, so no message is a stub. The opening of the text (where the
announcements are) stays in the first message.

Lengths are counted as Telegram counts them, in UTF-16 code units (an emoji counts two), and, for
Telegram's HTML, after entity parsing: tags count nothing and `&amp;` counts one. Counting UTF-16
never counts fewer than the characters WhatsApp and Viber count, so one count serves all three.
An HTML text is never cut inside a tag or an entity, and every part is well formed on its own:
the elements open at a cut are closed at the end of the part and opened again (with the same
attributes) at the start of the next.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

#: Best break first: a blank line, a line break, the end of a sentence, a space (else anywhere).
PARAGRAPH, LINE, SENTENCE, WORD = range(4)

_HTML_TOKEN = re.compile(r"<[^>]*>|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")
_SENTENCE_END = ".!?…"


def units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts a message."""
    return len(text.encode("utf-16-le")) // 2


def visible_length(text: str, *, html: bool = False) -> int:
    """What the messenger counts of `text`: for HTML, the text after its tags and entities are parsed."""
    if not html:
        return units(text)
    return sum(atom.size for atom in _atoms(text, html=True))


def split_message(text: str, *, limit: int, html: bool = False) -> list[str]:
    """`text` as messages of at most `limit` (see the module docstring); a text that fits comes back whole."""
    if limit < 2:
        raise ValueError("a message limit below 2 UTF-16 units leaves no room for every character")
    atoms = _atoms(text, html=html)
    if sum(a.size for a in atoms) <= limit:
        return [text] if text.strip() else []
    parts: list[str] = []
    start, carried = 0, _Open()
    while start < len(atoms):
        end, resume, open_at_end = _cut(atoms, start, carried, limit)
        body = "".join(a.raw for a in atoms[start:end])
        shown = "".join(tag for _, tag in carried) + body + "".join(f"</{name}>" for name, _ in reversed(open_at_end))
        if "".join(a.raw for a in atoms[start:end] if a.tag is None).strip():
            parts.append(shown)
        start, carried = resume, open_at_end
    return parts


_Open = tuple[tuple[str, str], ...]  # (name, the opening tag as written), outermost first


@dataclass(frozen=True, slots=True)
class _Atom:
    """One character, entity or tag of the text: what may not be cut, with the units it shows."""

    raw: str
    size: int
    tag: str | None = None  # an element's name, for a tag
    closing: bool = False


def _atoms(text: str, *, html: bool) -> list[_Atom]:
    if not html:
        return [_Atom(c, units(c)) for c in text]
    out: list[_Atom] = []
    at = 0
    for match in _HTML_TOKEN.finditer(text):
        out.extend(_Atom(c, units(c)) for c in text[at : match.start()])
        token = match.group(0)
        if token.startswith("<"):
            name = _TAG_NAME.match(token)
            out.append(_Atom(token, 0, name.group(1).lower() if name else "", token.startswith("</")))
        else:
            out.append(_Atom(token, units(unescape(token))))
        at = match.end()
    out.extend(_Atom(c, units(c)) for c in text[at:])
    return out


def _cut(atoms: list[_Atom], start: int, carried: _Open, limit: int) -> tuple[int, int, _Open]:
    """Where the part from `start` ends, where the next begins, and the elements open at the cut.

    Whitespace at a cut is dropped: a break between messages replaces it.
    """
    used, opened = 0, list(carried)
    best: dict[int, tuple[int, int, _Open]] = {}  # break kind -> its latest cut at or past half the limit
    i = start
    while i < len(atoms):
        atom = atoms[i]
        if atom.tag is not None:
            _track(opened, atom)
            i += 1
        elif atom.raw.isspace() and used:
            j = i
            while j < len(atoms) and atoms[j].tag is None and atoms[j].raw.isspace():
                j += 1
            here = (i, j, tuple(opened))
            if used * 2 >= limit:
                best[_kind(atoms, start, i, j)] = here
            gap = sum(a.size for a in atoms[i:j])
            if used + gap > limit:
                return _best(best, here)
            used, i = used + gap, j
        elif used + atom.size > limit:
            return _best(best, (i, i, tuple(opened)))
        else:
            used += atom.size
            i += 1
    return len(atoms), len(atoms), tuple(opened)


def _best(found: dict[int, tuple[int, int, _Open]], otherwise: tuple[int, int, _Open]) -> tuple[int, int, _Open]:
    """The cut at the best kind of break found, else `otherwise` (the place the limit was reached)."""
    for kind in (PARAGRAPH, LINE, SENTENCE, WORD):
        if kind in found:
            return found[kind]
    return otherwise


def _kind(atoms: list[_Atom], start: int, i: int, j: int) -> int:
    """What break the whitespace `atoms[i:j]` is: by its newlines, else by what ends before it."""
    newlines = sum(a.raw.count("\n") for a in atoms[i:j])
    if newlines >= 2:
        return PARAGRAPH
    if newlines == 1:
        return LINE
    k = i - 1
    while k >= start and atoms[k].tag is not None:  # "…works.</b> Then": the sentence ends before the tag
        k -= 1
    if k >= start and unescape(atoms[k].raw)[-1:] in _SENTENCE_END:
        return SENTENCE
    return WORD


def _track(opened: list[tuple[str, str]], tag: _Atom) -> None:
    """The open elements after `tag`: an opening pushed, a closing popping its element."""
    name = tag.tag or ""
    if tag.closing:
        for k in range(len(opened) - 1, -1, -1):
            if opened[k][0] == name:
                del opened[k:]
                break
    elif not tag.raw.endswith("/>"):
        opened.append((name, tag.raw))

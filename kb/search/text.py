"""Folding and word splitting: what every later step of search analysis starts from.

Clients type in any case, with ё or е, curly or straight apostrophes, and sometimes with
Latin letters inside a Cyrillic word ("сiмка" with a Latin i). Folding makes those the
same text before any dictionary sees them, so the index and the question meet halfway.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

#: At most this many characters of a question are analysed; the rest cannot change the answer.
MAX_QUERY_CHARS = 1000

_FOLDS = {"ё": "е", "’": "'", "ʼ": "'", "‘": "'", "`": "'", "´": "'", "ʹ": "'"}
_FOLD_RE = re.compile(f"[{''.join(_FOLDS)}]")
#: A word: letters and digits, with apostrophes inside (Ukrainian "зв'язок", English "don't").
WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_CYRILLIC_RE = re.compile(r"[а-яіїєґўы]")
_LATIN_RE = re.compile(r"[a-z]")
_SPACES_RE = re.compile(r"\s+")

# Letters that look alike in the two scripts, for words typed with both.
_LAT_TO_CYR = str.maketrans("aceopxykmthbi", "асеорхукмтнві")
_CYR_TO_LAT = str.maketrans("асеорхукмтнві", "aceopxykmthbi")


@dataclass(frozen=True, slots=True)
class Word:
    """A folded word and where it stands in the folded text."""

    text: str
    start: int
    end: int


def fold(text: str) -> str:
    """Lower case, NFKC, ё as е, one kind of apostrophe: the form both sides are compared in.

    A regular expression replaces the few folded characters: `str.translate` with a
    table looks up every character of non-ASCII text, ten times slower on article bodies.
    """
    lowered = unicodedata.normalize("NFKC", text).lower()
    return _FOLD_RE.sub(_fold_char, lowered)


def _fold_char(m: re.Match[str]) -> str:
    return _FOLDS[m.group()]


def script_of(word: str) -> str:
    """`cyrillic`, `latin`, `mixed` or `other` (digits, other alphabets)."""
    cyr = bool(_CYRILLIC_RE.search(word))
    lat = bool(_LATIN_RE.search(word))
    if cyr and lat:
        return "mixed"
    return "cyrillic" if cyr else "latin" if lat else "other"


def unmix(word: str) -> str:
    """A word written in both scripts, in the script most of its letters are in."""
    cyr = len(_CYRILLIC_RE.findall(word))
    lat = len(_LATIN_RE.findall(word))
    return word.translate(_LAT_TO_CYR) if cyr >= lat else word.translate(_CYR_TO_LAT)


def words(folded: str) -> Iterator[Word]:
    """The words of already folded text, with their offsets (for highlighting)."""
    for m in WORD_RE.finditer(folded):
        yield Word(m.group(), m.start(), m.end())


def clean_question(text: str) -> str:
    """The question as editors read it in the gap list: folded, words only, single spaces."""
    folded = fold(text[:MAX_QUERY_CHARS])
    return " ".join(m.group() for m in WORD_RE.finditer(folded))[:500]


def squeeze(text: str) -> str:
    """Whitespace runs as one space, ends trimmed."""
    return _SPACES_RE.sub(" ", text).strip()

"""Text to index terms, the same way for articles and for questions.

One word becomes one `Token`: its folded surface form, its term (lemma or stem) and
whether it is a function word. Articles and questions must go through exactly this
function, or they would not meet; the question side adds repairs on top
(`kb.search.query`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from kb.search import morphology
from kb.search.stopwords import STOPWORDS
from kb.search.text import WORD_RE, fold, script_of, words
from kb.types import Locale

_EN_STOP = STOPWORDS["en"]
_CYR_STOP = STOPWORDS["ru"] | STOPWORDS["uk"]
_CACHES: dict[Locale, dict[str, tuple[str, bool]]] = {}
_CACHE_LIMIT = 1 << 19


@dataclass(frozen=True, slots=True)
class Token:
    """One analysed word: surface form as folded, index term, and whether it is a function word."""

    surface: str
    term: str
    stop: bool
    start: int = 0
    end: int = 0


@lru_cache(maxsize=1 << 18)
def analyse_word(locale: Locale, word: str) -> tuple[str, bool]:
    """(term, is function word) of one folded word; cached, since text repeats its words."""
    term = morphology.term(locale, word)
    script = script_of(word)
    if script == "latin":
        stop = word in _EN_STOP or word.replace("'", "") in _EN_STOP
    elif script in ("cyrillic", "mixed"):
        stop = word in _CYR_STOP or term in _CYR_STOP
    else:
        stop = False
    return term, stop


def tokens(text: str, locale: Locale) -> list[Token]:
    """Every word of `text` analysed for `locale`, with offsets into the folded text."""
    out: list[Token] = []
    for w in words(fold(text)):
        term, stop = analyse_word(locale, w.text)
        out.append(Token(w.text, term, stop, w.start, w.end))
    return out


def _word_cache(locale: Locale) -> dict[str, tuple[str, bool]]:
    """A plain per-locale dict in front of `analyse_word`: the indexing loop's hot path."""
    cache = _CACHES.get(locale)
    if cache is None or len(cache) > _CACHE_LIMIT:
        cache = _CACHES[locale] = {}
    return cache


def terms(text: str, locale: Locale, *, keep_stop: bool = True) -> list[str]:
    """The index terms of `text` in order; function words only if `keep_stop`."""
    cache = _word_cache(locale)
    result: list[str] = []
    for word in WORD_RE.findall(fold(text)):
        hit = cache.get(word)
        if hit is None:
            hit = cache[word] = analyse_word(locale, word)
        if keep_stop or not hit[1]:
            result.append(hit[0])
    return result


def counts(text: str, locale: Locale, *, keep_stop: bool) -> dict[str, int]:
    """How often each term occurs in `text` (the form the index stores)."""
    found: dict[str, int] = {}
    for term in terms(text, locale, keep_stop=keep_stop):
        found[term] = found.get(term, 0) + 1
    return found

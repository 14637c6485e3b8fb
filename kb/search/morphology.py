"""Words to index terms: Russian and Ukrainian by lemma (pymorphy3), English by stem.

Clients and editors inflect ("балансу", "сімку", "charges"), so both sides are reduced
to one form per word. pymorphy3 costs tens of microseconds per word, which adds up on
a 10,000-article rebuild and on every question, so every result is cached: real text
repeats its words, and the caches stay small.

A Cyrillic word goes to the Ukrainian dictionary when it has letters only Ukrainian
has (і ї є ґ), to the Russian one when it has letters only Russian has (ы э ъ), and
otherwise to the article's or question's own locale; Latin words are stemmed as
English in every locale, so "eSIM" or "roaming" in a Russian text meet the same terms.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import pymorphy3
from whoosh.lang.porter2 import stem as _porter2

from kb.search.text import script_of, unmix
from kb.types import Locale

_UK_ONLY = frozenset("іїєґ")
_RU_ONLY = frozenset("ыэъ")
_analyzers: dict[str, Any] = {}
_lock = threading.Lock()


def _analyzer(lang: str) -> Any:
    """The process's pymorphy3 analyzer for `ru` or `uk`, loaded once (≈0.1 s each)."""
    found = _analyzers.get(lang)
    if found is None:
        with _lock:
            found = _analyzers.get(lang)
            if found is None:
                found = pymorphy3.MorphAnalyzer(lang=lang)
                _analyzers[lang] = found
    return found


def dictionary_for(locale: Locale, word: str) -> str:
    """Which dictionary (`ru` or `uk`) a Cyrillic word is read with."""
    letters = set(word)
    if letters & _UK_ONLY:
        return "uk"
    if letters & _RU_ONLY:
        return "ru"
    return "uk" if locale == "uk" else "ru"


@lru_cache(maxsize=1 << 18)
def lemma(lang: str, word: str) -> str:
    """The dictionary form of a folded Cyrillic word, ё folded to е."""
    return str(_analyzer(lang).parse(word)[0].normal_form).replace("ё", "е")


@lru_cache(maxsize=1 << 17)
def is_known_word(lang: str, word: str) -> bool:
    """Whether the dictionary knows `word` as written (not just guesses its form)."""
    return bool(_analyzer(lang).word_is_known(word))


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """The English stem of a folded Latin word; short words and codes stay as they are."""
    if len(word) <= 3 or (not word.isalpha() and "'" not in word):
        return word.replace("'", "")
    return str(_porter2(word)).replace("'", "")


def term(locale: Locale, word: str) -> str:
    """The index term of one folded word in `locale`."""
    script = script_of(word)
    if script == "mixed":
        word = unmix(word)
        script = script_of(word)
    if script == "cyrillic":
        return lemma(dictionary_for(locale, word), word)
    if script == "latin":
        return stem(word)
    return word


def is_real_word(locale: Locale, word: str) -> bool:
    """Whether a folded Cyrillic word is in a dictionary; Latin words are judged elsewhere."""
    if script_of(word) != "cyrillic":
        return False
    return is_known_word(dictionary_for(locale, word), word)

"""Which of the knowledge base's languages a question is written in, wrong keyboard layout included.

A chatbot passes the locale of its page or its user's settings, but clients write in
the language they think in: «как проверить баланс» arrives with `locale=en`, an
English question comes from a Ukrainian page, a Russian one is typed on an English
layout («ghjdthbnm ,fkfyc»). The engine answers from the question's own language when
it is clear, and keeps the asked locale whenever it is not (short words such as
«баланс» are both Russian and Ukrainian, "roaming" is in every locale's text).

The evidence per locale is the share of the question's words it recognises: its
function words, its index terms, and for Russian and Ukrainian the dictionary
(pymorphy3); a Latin question is also read as typed on the Cyrillic layout and the
other way round. Letters only one language has (і ї є ґ, ы э ъ) decide between
Russian and Ukrainian. The question is switched only when another locale recognises
clearly more of it than the asked one.
"""

from __future__ import annotations

from collections.abc import Mapping

from kb.search import morphology
from kb.search.layout import swapped
from kb.search.memory import LocaleIndex
from kb.search.stopwords import STOPWORDS
from kb.search.text import fold, script_of, words
from kb.types import Locale

#: How much more of the question another locale must recognise, and how much at least, to switch.
MARGIN = 0.3
AT_LEAST = 0.5
_ONLY = {"uk": frozenset("іїєґ"), "ru": frozenset("ыэъ")}
_DICTIONARY = frozenset({"ru", "uk"})


def known_share(text: str, locale: Locale, index: LocaleIndex) -> float:
    """The share of the words of (folded) `text` that `locale` recognises."""
    found = [w.text for w in words(text)]
    if not found:
        return 0.0
    stop = STOPWORDS.get(locale, frozenset())
    other = next((o for lang, o in _ONLY.items() if lang != locale and locale in _DICTIONARY), frozenset())
    hits = 0.0
    for word in found:
        if other and any(c in other for c in word):
            continue  # «ы» is never Ukrainian, «ї» never Russian
        script = script_of(word)
        term = morphology.term(locale, word)
        if (locale in _DICTIONARY and script == "latin") or (locale == "en" and script == "cyrillic"):
            hits += index.df(term) > 0  # "eSIM" in a Russian article: known if this locale's articles use it
        elif word in stop or index.df(term) > 0 or _in_dictionary(locale, word, script):
            hits += 1
    return hits / len(found)


def _in_dictionary(locale: Locale, word: str, script: str) -> bool:
    return locale in _DICTIONARY and script == "cyrillic" and morphology.is_known_word(locale, word)


def _share(text: str, locale: Locale, index: LocaleIndex) -> float:
    """`known_share` of the question as typed, or as typed on the other layout if that is more."""
    best = known_share(text, locale, index)
    other = " ".join(alt if (alt := swapped(w, locale)) is not None else w for w in text.split())
    return max(best, known_share(other, locale, index)) if other != text else best


def detect(text: str, asked: Locale, indexes: Mapping[str, LocaleIndex]) -> Locale:
    """The locale to answer `text` from: `asked` unless another indexed locale clearly reads it better."""
    folded = fold(text)[:500]
    mine_index = indexes.get(asked)
    if mine_index is not None and mine_index.live > 0 and known_share(folded, asked, mine_index) > 1.0 - MARGIN:
        return asked  # no locale can read clearly more than that: most questions stop here
    shares = {loc: _share(folded, loc, idx) for loc, idx in indexes.items() if idx.live > 0}
    if not shares:
        return asked
    best = max(shares, key=lambda loc: (shares[loc], loc == asked))
    mine = shares.get(asked, 0.0)
    if best != asked and shares[best] >= AT_LEAST and shares[best] >= mine + MARGIN:
        return best
    return asked

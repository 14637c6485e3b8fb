"""Questions typed with the wrong keyboard layout: «ghjdthbnm ,fkfyc» is «проверить баланс».

A word is switched to the other layout only when that makes it a word we know (a
term of the knowledge base or a dictionary word) and it was not one before; words of
one or two letters («d», «yf») follow their neighbours, since alone they are too
short to judge. Punctuation keys count: «,fkfyc» has its «б» on the comma key.
"""

from __future__ import annotations

from collections.abc import Callable

from kb.types import Locale

_LATIN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_RU_KEYS = "йцукенгшщзхъфывапролджэячсмитьбюё"
_UK_KEYS = "йцукенгшщзхїфівапролджєячсмитьбю'"

_TO_RU = str.maketrans(_LATIN_KEYS, _RU_KEYS)
_TO_UK = str.maketrans(_LATIN_KEYS, _UK_KEYS)
_FROM_CYRILLIC = {**{ord(c): ord(k) for c, k in zip(_RU_KEYS, _LATIN_KEYS, strict=True)}}
_FROM_CYRILLIC.update({ord(c): ord(k) for c, k in zip(_UK_KEYS, _LATIN_KEYS, strict=True) if c != "'"})
_LATIN_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_CYRILLIC_LETTERS = frozenset(_RU_KEYS + _UK_KEYS + "ґ") - {"'"}
_SHORT = 2


def swapped(chunk: str, locale: Locale) -> str | None:
    """`chunk` as if typed in the other layout, or None when it is not one layout's keys."""
    letters = [c for c in chunk if c.isalpha()]
    if not letters:
        return None
    if all(c in _LATIN_LETTERS for c in letters):
        if locale not in ("ru", "uk"):
            return None  # Latin is what an English question is written in
        return chunk.translate(_TO_UK if locale == "uk" else _TO_RU)
    if all(c in _CYRILLIC_LETTERS for c in letters):
        return chunk.translate(_FROM_CYRILLIC)
    return None


def fix_layout(folded: str, locale: Locale, known: Callable[[str], float]) -> tuple[str, int]:
    """The question with wrongly typed words switched, and how many were switched.

    `known(text)` is the share (0..1) of the words of `text` that are known terms or
    dictionary words of the locale.
    """
    chunks = folded.split()
    result = list(chunks)
    switched = 0
    kept_known = 0
    from_latin: set[bool] = set()  # the scripts switched words were typed in
    undecided: list[tuple[int, str, bool]] = []
    for i, chunk in enumerate(chunks):
        alt = swapped(chunk, locale)
        if alt is None:
            continue
        latin = any(c in _LATIN_LETTERS for c in chunk)
        if sum(c.isalpha() for c in chunk) <= _SHORT:
            undecided.append((i, alt, latin))
            continue
        before, after = known(chunk), known(alt)
        if after > before:
            result[i] = alt
            switched += 1
            from_latin.add(latin)
        elif before > 0:
            kept_known += 1
        else:
            undecided.append((i, alt, latin))
    if switched and switched >= kept_known:
        for i, alt, latin in undecided:
            if latin in from_latin:
                result[i] = alt
                switched += 1
    return (" ".join(result), switched) if switched else (folded, 0)

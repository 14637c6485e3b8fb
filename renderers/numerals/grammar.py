"""The grammar of a number and its noun: the cases prepositions govern, declension with pymorphy3.

num2words writes a cardinal or an ordinal in a case and gender (Russian directly; Ukrainian
ordinals are num2words' last word declined by pymorphy3), and pymorphy3 makes the counted
noun and its adjectives agree with the number: «два рабочих дня», «пять дней», «дві гривні».
"""

from __future__ import annotations

import functools
from typing import Any

import pymorphy3
from num2words import num2words

from renderers.numerals.patterns import WORD_AFTER, table_row


def _governing(table: dict[str, str]) -> dict[str, str]:
    """{"с со до": "gent"} → one entry a preposition."""
    return {word: case for row, case in table.items() for word in table_row(row)}


#: The case each preposition governs before a number (a grammar fact, not content).
GOVERNED = {
    "ru": _governing(
        {
            "с со до от после около из без более менее больше меньше свыше кроме для": "gent",
            "течение порядка позже раньше": "gent",  # «в течение 3 дней»
            "за через на про в во по": "accs",
            "к ко": "datv",
            "о об при": "loct",
            "между перед над под": "ablt",
        }
    ),
    "uk": _governing(
        {
            "з із зі від до після біля без понад близько протягом для більше менше крім пізніше раніше": "gent",
            "за через на про в у по": "accs",
            "о об при": "loct",
            "між перед над під": "ablt",
        }
    ),
}
#: The noun that takes an ordinal year before it ("в 2026 году"); its lemma per language.
YEAR_NOUN = {"ru": "год", "uk": "рік"}
#: «Сутки» and the like count with collective numerals in the nominative: «трое суток».
_COLLECTIVE = {"два": "двое", "три": "трое", "четыре": "четверо"}

_RU_CASES = {"nomn": "n", "gent": "g", "datv": "d", "accs": "a", "ablt": "i", "loct": "p"}
_UK_CASES = dict(zip(_RU_CASES, table_row("nominative genitive dative accusative instrumental locative"), strict=True))
#: pymorphy's second genitive/locative («году», «чаю») count as the plain ones.
_CASE_FOLD = {"gen2": "gent", "loc2": "loct", "acc2": "accs", "gen1": "gent", "loc1": "loct", "voct": "nomn"}
_GENDERS = ("masc", "femn", "neut")


@functools.cache
def _morph(lang: str) -> Any:
    """The pymorphy3 analyser of `lang`, loaded once."""
    return pymorphy3.MorphAnalyzer(lang=lang)


def counted(value: int, case: str, words: list[Any], spaces: list[str], lang: str) -> str:
    """The number and the (adjectives and) noun after it, agreeing in case, number and gender."""
    gender, animate, pltm = noun_traits(words[-1])
    spoken = [cardinal(value, case, lang, gender=gender, animate=animate, pltm=pltm)]
    noun_tags = _noun_grammemes(value, case, lang, animate=animate, pltm=pltm)
    for parse, space in zip(words, spaces, strict=True):
        pos = str(parse.tag.POS)
        tags = noun_tags if pos == "NOUN" else _adjective_grammemes(value, case, lang, gender)
        fits = any(_fits(reading, pos, tags) for reading in _morph(lang).parse(parse.word))
        spoken.append(space + (parse.word if fits else _keep_shape(parse.word, inflect(parse, tags))))
    return "".join(spoken)


def _noun_grammemes(value: int, case: str, lang: str, *, animate: bool, pltm: bool) -> set[str]:
    """Russian «два дня», «пять дней», «двух котов»; Ukrainian «два дні» (nominative plural)."""
    one, few = _one(value), _few(value)
    if case in ("nomn", "accs"):
        if one:
            tags = {"sing", case}
        elif lang == "uk":
            tags = {"plur", "nomn"} if few else {"plur", "gent"}
        elif animate and case == "accs":
            tags = {"plur", "accs"}
        else:
            tags = {"sing", "gent"} if few else {"plur", "gent"}
    else:
        tags = {"sing" if one else "plur", case}
    if pltm:
        tags = (tags - {"sing"}) | {"plur"}
    return tags


def _adjective_grammemes(value: int, case: str, lang: str, gender: str) -> set[str]:
    """Adjectives between number and noun: «два рабочих дня», «два робочі дні», «один рабочий день»."""
    if _one(value):
        return {"sing", gender, case} if gender in _GENDERS else {"plur", case}
    if case in ("nomn", "accs"):
        return {"plur", "nomn"} if lang == "uk" and _few(value) else {"plur", "gent"}
    return {"plur", case}


def cardinal(
    value: int, case: str, lang: str, *, gender: str = "masc", animate: bool = False, pltm: bool = False
) -> str:
    """num2words' cardinal in `case`; «одни/трое суток» for nouns that have no singular."""
    if lang == "en":
        return str(num2words(value, lang="en"))
    if lang == "uk":
        words = str(
            num2words(value, lang="uk", case=_UK_CASES[case], gender="feminine" if gender == "femn" else "masculine")
        )
        if gender == "neut" and _one(value):  # num2words has no «одне»
            head, _, last = words.rpartition(" ")
            one = inflect(_numeral_parse(last, lang), {"neut", case}) or last
            words = f"{head} {one}".strip()
        return words
    sex = gender[0] if gender in _GENDERS else "m"
    words = str(
        num2words(value, lang="ru", case=_RU_CASES[case], gender=sex, animate=animate, plural=pltm and _one(value))
    )
    if pltm and _few(value) and case in ("nomn", "accs"):
        head, _, last = words.rpartition(" ")
        words = f"{head} {_COLLECTIVE.get(last, last)}".strip()
    return words


def ordinal(value: int, case: str, lang: str, *, gender: str = "masc") -> str:
    """An ordinal in `case` and `gender` ("plur" for plural): num2words, declined by pymorphy3 for uk."""
    if lang == "en":
        return str(num2words(value, lang="en", to="ordinal"))
    if lang == "ru":
        plural, sex = gender == "plur", gender[0] if gender in _GENDERS else "m"
        return str(
            num2words(value, lang="ru", to="ordinal", case=_RU_CASES[case], gender=sex, plural=plural, animate=False)
        )
    words = str(num2words(value, lang="uk", to="ordinal"))
    head, _, last = words.rpartition(" ")
    if case == "loct" and gender in ("masc", "neut"):
        case = "datv"  # «у шостому році»: the -ому locative people say, not the bookish «шостім»
    tags = {"plur", case} if gender == "plur" else {gender, case}
    parses = [p for p in _morph(lang).parse(last) if "ADJF" in p.tag]
    declined = inflect(parses[0], tags) if parses else None
    return f"{head} {declined or last}".strip()


def counted_words(text: str, end: int, lang: str) -> tuple[list[Any], list[str], int]:
    """Up to two adjectives and the noun right after a number, or nothing if no noun follows."""
    words: list[Any] = []
    spaces: list[str] = []
    pos = end
    for _ in range(3):
        m = WORD_AFTER.match(text, pos)
        if not m:
            break
        parse = _morph(lang).parse(m.group(1))[0]
        spaces.append(m.group(0)[: -len(m.group(1))])
        words.append(parse)
        pos = m.end()
        if "NOUN" in parse.tag and "Abbr" not in parse.tag:
            return words, spaces, pos
        if not ({"ADJF", "PRTF"} & set(parse.tag.grammemes)):
            break
    return [], [], end


def noun_parse(word: str, lang: str) -> Any:
    """The likeliest noun reading of `word`, or None if it is not a noun."""
    for parse in _morph(lang).parse(word):
        if "NOUN" in parse.tag:
            return parse
    return None


def lemma_parse(lemma: str, lang: str) -> Any:
    """The noun reading of a dictionary form («гривня», «рік»), not a homonym's («ріка»)."""
    return lemma_reading(lemma, lemma, lang) or noun_parse(lemma, lang)


def lemma_reading(word: str, lemma: str, lang: str) -> Any:
    """The noun reading of `word` whose lemma is `lemma`, or None."""
    for parse in _morph(lang).parse(word):
        if "NOUN" in parse.tag and parse.normal_form == lemma:
            return parse
    return None


def _fits(parse: Any, pos: str, tags: set[str]) -> bool:
    """Whether a reading already has `tags` (Ukrainian tags mark no "sing": not "plur" is enough)."""
    grammemes = set(parse.tag.grammemes)
    folded = {_CASE_FOLD.get(g, g) for g in grammemes}
    if "sing" in tags and "plur" in grammemes:
        return False
    return pos in grammemes and (tags - {"sing"}) <= folded


def _numeral_parse(word: str, lang: str) -> Any:
    for parse in _morph(lang).parse(word):
        if "NUMR" in parse.tag:
            return parse
    return None


def noun_traits(noun: Any) -> tuple[str, bool, bool]:
    """(gender, animate, plural only) of a noun, for the numeral before it."""
    tag = noun.tag
    gender = str(tag.gender) if tag.gender in _GENDERS else "masc"
    return gender, tag.animacy == "anim", "Pltm" in tag


def case_of(parse: Any) -> str:
    """The case of a reading, pymorphy's second genitive and locative folded into the plain ones."""
    case = str(parse.tag.case or "nomn")
    return _CASE_FOLD.get(case, case)


def oblique_case(noun: Any, lang: str) -> str | None:
    """The case of a noun whose every reading is dative, instrumental or locative («минутами»)."""
    cases = {case_of(p) for p in _morph(lang).parse(noun.word) if "NOUN" in p.tag}
    return cases.pop() if len(cases) == 1 and cases <= {"datv", "ablt", "loct"} else None


def inflect(parse: Any, tags: set[str]) -> str | None:
    """The reading's word with `tags` (singular dropped if that alone fails), or None."""
    if parse is None:
        return None
    inflected = parse.inflect(tags)
    if inflected is None and "sing" in tags:
        inflected = parse.inflect(tags - {"sing"})
    return str(inflected.word) if inflected is not None else None


def _keep_shape(original: str, inflected: str | None) -> str:
    """The inflected word spelled like the original (capitals kept); abbreviations stay as written."""
    if inflected is None or original.isupper():
        return original
    return inflected.capitalize() if original[:1].isupper() else inflected


def _one(value: int) -> bool:
    return value % 10 == 1 and value % 100 != 11


def _few(value: int) -> bool:
    return 2 <= value % 10 <= 4 and not 12 <= value % 100 <= 14

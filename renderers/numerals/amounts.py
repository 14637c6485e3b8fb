"""Counted things: plain numbers and the nouns they count, money, units, ranges, ordinals.

«за 3 суток» is said «за трое суток», «100 ₽» «сто рублей», «5 ГБ» «пять гигабайт», «8–22»
«от восьми до двадцати двух», «на 2-м шаге» «на втором шаге»; English needs no agreement,
only CLDR's unit names and its ordinals and years.
"""

from __future__ import annotations

import re
from decimal import Decimal

from babel.numbers import format_decimal
from babel.units import format_unit
from num2words import CONVERTER_CLASSES, num2words

from kb import Locale
from renderers.facts import spoken_money, spoken_number
from renderers.numerals.clock import day_of_month, year_after
from renderers.numerals.grammar import (
    GOVERNED,
    YEAR_NOUN,
    cardinal,
    case_of,
    counted,
    counted_words,
    lemma_parse,
    lemma_reading,
    noun_parse,
    noun_traits,
    oblique_case,
    ordinal,
)
from renderers.numerals.patterns import SYMBOL_AFTER, WORD_AFTER, months, unit_ids, units

#: English words after which a four-digit number is a year ("in 2026" → "in twenty twenty-six").
_YEAR_PREPOSITIONS = frozenset({"in", "since", "until", "till", "by", "before", "after", "of", "from"})
#: Range words when no preposition says how: «от трёх до пяти», "three to five".
_RANGE = {"ru": ("от", "до"), "uk": ("від", "до")}
#: An ordinal's ending says its form when no noun follows («3-й» masc, «3-го» genitive).
_ORDINAL_ENDINGS = {
    **dict.fromkeys(("й", "ый", "ий", "ій"), ("masc", "nomn")),
    **dict.fromkeys(("я", "ая", "а"), ("femn", "nomn")),
    **dict.fromkeys(("е", "ое", "є", "ее"), ("neut", "nomn")),
    **dict.fromkeys(("го", "ого"), ("masc", "gent")),
    **dict.fromkeys(("му", "ому"), ("masc", "datv")),
    **dict.fromkeys(("м", "ом", "ым", "ім", "им"), ("masc", "loct")),
    **dict.fromkeys(("ю", "ую"), ("femn", "accs")),
    **dict.fromkeys(("ой", "ої"), ("femn", "gent")),
    **dict.fromkeys(("х", "ых", "их"), ("plur", "gent")),
}


def plain_number(digits: str, prep: str, case: str, text: str, end: int, lang: str) -> tuple[str, int]:
    """A plain number: a year, a day of a month, a count of a noun or a unit, or just itself."""
    value = _value(digits, lang)
    if not isinstance(value, int):
        return spoken_number(value, lang), end
    if lang == "en":
        return _english_number(value, prep, text, end)
    unit = SYMBOL_AFTER.match(text, end)
    if unit and unit.group(1) in units(lang):
        unit_parse = lemma_parse(units(lang)[unit.group(1)].split()[-1], lang)
        if unit_parse is not None:
            return counted(value, case, [unit_parse], [" "], lang), unit.end()
    nxt = WORD_AFTER.match(text, end)
    if nxt:
        word = nxt.group(1)
        month = months(lang).get(word.lower())
        if month:
            return day_of_month(value, case, text, end, nxt, lang)
        parsed = lemma_reading(word, YEAR_NOUN[lang], lang)
        if parsed is not None and value >= 1000:
            return ordinal(value, case_of(parsed), lang) + text[end : nxt.end()], nxt.end()
    words, spaces, noun_end = counted_words(text, end, lang)
    if words:
        # A noun only ever dative, instrumental or locative says the case better than an
        # ambiguous preposition: «с 2 друзьями» (not «с двух»), «в 5 минутах».
        case = oblique_case(words[-1], lang) or case
        return counted(value, case, words, spaces, lang), noun_end
    return cardinal(value, case, lang), end


def _english_number(value: int, prep: str, text: str, end: int) -> tuple[str, int]:
    """English needs no agreement: units by CLDR ("five percent"), dates, years ("in twenty twenty-six")."""
    unit = SYMBOL_AFTER.match(text, end)
    if unit and unit.group(1) in unit_ids("en"):
        named = format_unit(value, unit_ids("en")[unit.group(1)], length="long", locale="en")
        return named.replace(format_decimal(value, locale="en"), str(num2words(value, lang="en")), 1), unit.end()
    if prep in months("en") and 1 <= value <= 31:  # "December 1" → "December first"
        year, year_end = year_after(text, end, "en")
        return str(num2words(value, lang="en", to="ordinal")) + year, year_end
    nxt = WORD_AFTER.match(text, end)
    if nxt and nxt.group(1).lower() in months("en") and 1 <= value <= 31:
        year, year_end = year_after(text, nxt.end(), "en")
        return f"the {num2words(value, lang='en', to='ordinal')} of {nxt.group(1)}{year}", year_end
    if prep in _YEAR_PREPOSITIONS and 1100 <= value <= 2099:
        return str(num2words(value, lang="en", to="year")), end
    return str(num2words(value, lang="en")), end


def money(amount: str, currency: str, case: str, lang: str, locale: Locale) -> str:
    """An amount with its currency declined: «до ста рублей», «дві гривні», "five dollars"."""
    value = _value(amount, lang)
    if lang == "en" or not isinstance(value, int):
        return spoken_money(Decimal(value), currency, locale)
    forms = CONVERTER_CLASSES[lang].CURRENCY_FORMS.get(currency)
    noun = lemma_parse(str(forms[0][0]), lang) if forms else None
    if noun is None:
        return spoken_money(Decimal(value), currency, locale)
    return counted(value, case, [noun], [" "], lang)


def number_range(first: int, second: int, prep: str, case: str, text: str, end: int, lang: str) -> tuple[str, int]:
    """«8–22» as «от восьми до двадцати двух», «за 3–5 дней» as «за три-пять дней», "nine to five"."""
    if lang == "en":
        return f"{num2words(first, lang='en')} to {num2words(second, lang='en')}", end
    words, spaces, noun_end = counted_words(text, end, lang)
    governed = prep in GOVERNED[lang]
    if not governed:
        case = "gent"
    gender, animate, pltm = noun_traits(words[-1]) if words else ("masc", False, False)
    one = cardinal(first, case, lang, gender=gender, animate=animate, pltm=pltm)
    two = counted(second, case, words, spaces, lang) if words else cardinal(second, case, lang)
    if governed:
        return f"{one}-{two}", noun_end
    start, to = _RANGE[lang]
    return f"{start} {one} {to} {two}", noun_end


def ordinal_word(number: int, ending: str, text: str, end: int, lang: str) -> tuple[str, int]:
    """«3-й шаг», «на 2-м шаге», "2nd": the form from the noun after it, else from the ending."""
    if lang == "en":
        return str(num2words(number, lang="en", to="ordinal")), end
    nxt = WORD_AFTER.match(text, end)
    noun = noun_parse(nxt.group(1), lang) if nxt else None
    if noun is not None:
        tag = noun.tag
        gender = "plur" if tag.number == "plur" else str(tag.gender or "masc")
        return ordinal(number, case_of(noun), lang, gender=gender), end
    gender, case = _ORDINAL_ENDINGS.get(ending.lower(), ("masc", "nomn"))
    return ordinal(number, case, lang, gender=gender), end


def _value(digits: str, lang: str) -> int | Decimal:
    """The number `digits` write: thousands separators dropped, the language's decimal mark read."""
    clean = re.sub(r"[ \u00a0\u202f]", "", digits)
    clean = clean.replace(",", "") if lang == "en" else clean.replace(",", ".")
    number = Decimal(clean)
    return int(number) if number == number.to_integral_value() and "." not in clean else number

"""What a number in running text looks like: the match pattern and the CLDR symbols it knows.

One compiled pattern a language finds dates, times, ranges, money, ordinals and plain numbers;
CLDR (through babel) gives the currency signs, the short unit symbols and the month names.
"""

from __future__ import annotations

import functools
import re

from babel.dates import get_month_names
from babel.numbers import get_currency_symbol
from babel.units import format_unit

#: The languages whose numbers are spoken in words.
LANGS = frozenset({"ru", "uk", "en"})


def table_row(text: str) -> tuple[str, ...]:
    """A table row written as one string of space-separated words."""
    return tuple(text.split())


#: CLDR measures whose short symbols («ГБ», «мин», "%") are read as their names.
_UNITS = table_row(
    "digital-terabyte digital-gigabyte digital-megabyte digital-kilobyte digital-gigabit digital-megabit "
    "duration-hour duration-minute duration-second concentr-percent length-kilometer mass-kilogram"
)
#: Currencies a sign or code in text may name; signs come from CLDR, these are their codes.
_CURRENCIES = ("RUB", "UAH", "EUR", "USD", "GBP")
#: Written abbreviations CLDR does not list as symbols.
_CURRENCY_ABBREVIATIONS = {"руб": "RUB", "руб.": "RUB", "р.": "RUB", "грн": "UAH", "грн.": "UAH"}

_NUM = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d])|\d+(?:[.,]\d+)?"
_NUM_EN = r"\d{1,3}(?:,\d{3})+(?![\d])|\d+(?:\.\d+)?"
_TIME = r"(?:[01]?\d|2[0-4]):[0-5]\d"
_DASH = r"\s*[–—-]\s*"
#: The word right after a number (a noun, an adjective, a month, «году»).
WORD_AFTER = re.compile(r"\s+([^\W\d_]+(?:-[^\W\d_]+)*)")
#: A symbol right after a number («ГБ», "%"), with or without a space.
SYMBOL_AFTER = re.compile(r"[ \u00a0]?([^\s\d.,;:!?()«»\"]+?)(?=[\s.,;:!?()«»\"]|$)")


@functools.cache
def pattern(lang: str) -> re.Pattern[str]:
    """The pattern of every number form `lang` speaks, each kind in its own named groups."""
    num = _NUM_EN if lang == "en" else _NUM
    signs = "|".join(re.escape(s) for s in sorted(currency_signs(lang), key=len, reverse=True))
    ordinal = r"(?P<ord>\d+)(?P<suf>st|nd|rd|th)" if lang == "en" else r"(?P<ord>\d+)-(?P<suf>[а-яіїє]{1,3})"
    parts = [
        r"(?P<long>\+?\d(?:[ \u00a0()\-]*\d){6,})",
        r"(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>\d{4})",
        rf"(?P<t1>{_TIME}){_DASH}(?P<t2>{_TIME})",
        rf"(?P<t>{_TIME})",
        rf"(?P<sign>[$€£₽₴])\s?(?P<amt1>{num})",
        rf"(?P<r1>\d{{1,4}}){_DASH}(?P<r2>\d{{1,4}})(?!{_DASH}\d)",
        ordinal,
        rf"(?P<num>{num})(?:\s?(?P<cur>{signs})(?![^\W\d_]))?",
    ]
    return re.compile(r"(?<![\w.,:/+\-–—$€£₽₴*#])(?:" + "|".join(parts) + r")(?![^\W_]|[.,:/]\d|[*#])")


@functools.cache
def currency_signs(lang: str) -> dict[str, str]:
    """Sign or code → ISO code: CLDR's symbols in our languages, the codes, the abbreviations."""
    signs = {code: code for code in _CURRENCIES}
    for code in _CURRENCIES:
        for loc in sorted(LANGS):
            signs.setdefault(get_currency_symbol(code, locale=loc), code)
    if lang != "en":
        signs.update(_CURRENCY_ABBREVIATIONS)
    return signs


@functools.cache
def unit_ids(lang: str) -> dict[str, str]:
    """CLDR short unit symbol («ГБ», «мин», "%") → the CLDR measure it stands for."""
    found: dict[str, str] = {}
    for unit in _UNITS:
        short = format_unit(1, unit, length="short", locale=lang).replace("1", "", 1).strip()
        if short and (len(short) > 1 or not short.isalpha()):
            found.setdefault(short, unit)
    return found


@functools.cache
def units(lang: str) -> dict[str, str]:
    """CLDR short unit symbol → the unit's name in the nominative singular («ГБ» → «гигабайт»)."""
    found: dict[str, str] = {}
    for short, unit in unit_ids(lang).items():
        name = format_unit(1, unit, length="long", locale=lang).replace("1", "", 1).strip()
        if name != short:
            found[short] = name
    return found


@functools.cache
def months(lang: str) -> dict[str, int]:
    """Month names as they stand after a day («декабря», «грудня», "december") → number."""
    names = get_month_names("wide", "format", locale=lang)
    return {str(name).lower(): int(number) for number, name in names.items()}

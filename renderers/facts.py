"""Fact values formatted for a locale: money, numbers and dates by CLDR, phones by libphonenumber.

Formatting never fails a render: a fact that is unknown, has no value for the locale
or holds a broken value becomes a visible placeholder («[support_phone]») and a
warning, so an editor sees the gap instead of a client seeing a crash.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import phonenumbers
from babel import Locale as BabelLocale
from babel import UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from num2words import num2words

from kb import FactType, FactValue, Locale

#: Without CLDR's trailing "г."/"р.", which doubles the full stop of a sentence ending in a date.
_DATE_PATTERN = {"ru": "d MMMM y", "uk": "d MMMM y"}
_NUM2WORDS_LANGS = frozenset({"ru", "uk", "en"})


@dataclass(frozen=True, slots=True)
class FactText:
    """One fact ready for a channel: display text, plain spoken words and the raw value.

    `raw` is the canonical stored form (E.164 phone, "5.00 EUR", the URL, an ISO date);
    `spoken` is words a speech engine without SSML reads correctly.
    """

    key: str
    type: FactType | None
    text: str
    spoken: str
    raw: str
    missing: bool = False


def placeholder(key: str) -> str:
    """The visible stand-in for a fact that has no value to show."""
    return f"[{key}]"


class FactBook:
    """The facts of one render: each formatted once, each problem warned about once."""

    def __init__(self, facts: Mapping[str, FactValue], locale: Locale, warnings: list[str]) -> None:
        self._facts = facts
        self._locale = locale
        self._warnings = warnings
        self._seen: dict[str, FactText] = {}

    def get(self, key: str) -> FactText:
        """The fact `key` formatted for the locale, or its placeholder (with a warning)."""
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._format(key)
        return found

    def _format(self, key: str) -> FactText:
        fact = self._facts.get(key)
        if fact is None:
            return self._missing(key, None, f"fact {key!r} is not defined; shown as {placeholder(key)}")
        if not fact.has_locale_value(self._locale):
            return self._missing(
                key,
                fact.type,
                f"fact {key!r} has no value for locale {self._locale!r}; shown as {placeholder(key)}",
            )
        raw = fact.raw_for(self._locale)
        try:
            text, spoken = _formatted(fact.type, str(raw), self._locale)
        except (ValueError, InvalidOperation, ArithmeticError, phonenumbers.NumberParseException):
            return self._missing(
                key,
                fact.type,
                f"fact {key!r} holds {raw!r}, not a valid {fact.type.value}; shown as {placeholder(key)}",
            )
        return FactText(key=key, type=fact.type, text=text, spoken=spoken, raw=str(raw))

    def _missing(self, key: str, fact_type: FactType | None, warning: str) -> FactText:
        self._warnings.append(warning)
        shown = placeholder(key)
        return FactText(key=key, type=fact_type, text=shown, spoken=shown, raw="", missing=True)


@functools.lru_cache(maxsize=4096)
def _formatted(fact_type: FactType, raw: str, locale: Locale) -> tuple[str, str]:
    """(display text, spoken words) of one stored value; memoised since values repeat."""
    babel_locale = _babel_locale(locale)
    if fact_type is FactType.PHONE:
        grouped = phone_display(raw)
        return grouped, spoken_digits(grouped, locale)
    if fact_type is FactType.MONEY:
        amount, currency = _money(raw)
        return format_currency(amount, currency, locale=babel_locale), spoken_money(amount, currency, locale)
    if fact_type is FactType.NUMBER:
        number = Decimal(raw)
        return format_decimal(number, locale=babel_locale), spoken_number(number, locale)
    if fact_type is FactType.DATE:
        day = format_date(
            dt.date.fromisoformat(raw), format=_DATE_PATTERN.get(_lang(locale), "long"), locale=babel_locale
        )
        return day, day
    return raw, raw


def phone_display(e164: str) -> str:
    """A phone number in international form with its digits grouped: "+371 67 000 100"."""
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def spoken_digits(code: str, locale: Locale) -> str:
    """Digit by digit, groups kept apart by commas, so a caller can dial along.

    "+371 67 000 100" → "плюс три семь один, шесть семь, ноль ноль ноль, один ноль ноль".
    """
    words = _SYMBOL_WORDS.get(_lang(locale), _SYMBOL_WORDS["en"])
    groups: list[str] = []
    for group in code.replace("-", " ").split():
        spoken = [words[c] if c in words else _digit(c, locale) for c in group if c.isdigit() or c in words]
        if spoken:
            groups.append(" ".join(spoken))
    return ", ".join(groups)


def spoken_number(number: Decimal, locale: Locale) -> str:
    """A number in words, as an engine without SSML needs it."""
    value: Decimal | int = int(number) if number == number.to_integral_value() else number
    return str(num2words(value, lang=_lang(locale)))


def spoken_money(amount: Decimal, currency: str, locale: Locale) -> str:
    """An amount in words with the currency declined ("два евро, девяносто девять центов")."""
    lang = _lang(locale)
    try:
        words = str(num2words(amount, lang=lang, to="currency", currency=currency, separator="\x00"))
    except NotImplementedError:  # a currency num2words has no words for
        return f"{spoken_number(amount, locale)} {currency}"
    whole, _, cents = words.partition("\x00")
    return whole.strip() if amount == amount.to_integral_value() else f"{whole.strip()}, {cents.strip()}"


@functools.lru_cache(maxsize=256)
def spoken_step(number: int, locale: Locale) -> str:
    """How a step is counted aloud: "первый", "перший" (ordinals), but English says "step one"."""
    lang = _lang(locale)
    if lang == "en":
        return str(num2words(number, lang=lang))
    try:
        return str(num2words(number, lang=lang, to="ordinal"))
    except (IndexError, ValueError, OverflowError):  # num2words has no Ukrainian ordinal for 0 ("0. step")
        return str(num2words(number, lang=lang))


def _money(raw: str) -> tuple[Decimal, str]:
    amount, currency = raw.split()
    return Decimal(amount), currency


@functools.lru_cache(maxsize=64)
def _digit(digit: str, locale: Locale) -> str:
    return str(num2words(int(digit), lang=_lang(locale)))


def _lang(locale: Locale) -> str:
    lang = locale.split("-")[0].split("_")[0].lower()
    return lang if lang in _NUM2WORDS_LANGS else "en"


@functools.lru_cache(maxsize=64)
def _babel_locale(locale: Locale) -> BabelLocale:
    try:
        return BabelLocale.parse(locale.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return BabelLocale.parse("en")


_SYMBOL_WORDS: dict[str, dict[str, str]] = {
    "ru": {"+": "плюс", "*": "звёздочка", "#": "решётка"},
    "uk": {"+": "плюс", "*": "зірочка", "#": "решітка"},
    "en": {"+": "plus", "*": "star", "#": "hash"},
}

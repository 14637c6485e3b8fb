"""Numbers in running text as a person says them on the phone (ru, uk, en).

A speech engine reads «с 8:00 до 22:00» as «с восемь ноль ноль до двадцать два ноль ноль»
and «за 3 суток» as «за три суток». People decline the number into the case its
preposition governs and make the counted noun agree with it: «с восьми до двадцати двух»,
«за трое суток», «дві гривні». So each number is written out here before the voice sees
it, in words both the SSML and its plain twin share:

* the case comes from the preposition before the number (a small grammar table), else
  from an oblique form of the noun after it, else the nominative;
* num2words writes the number in that case and the noun's gender (Russian directly; for
  Ukrainian ordinals pymorphy3 declines num2words' last word), pymorphy3 inflects the
  counted noun and its adjectives to the number;
* hours: Russian says cardinals («до двадцати двух»), Ukrainian feminine ordinals
  («до двадцять другої», година), English the 12-hour clock ("ten p.m.", "noon");
* dates (01.12.2026, «1 декабря», "December 1"), years before «году»/«році» and after
  "in", money with a sign or a code ("$5", «100 ₽», «50 грн»), CLDR unit symbols («ГБ»),
  ranges («8–22», "9-5") and ordinals («3-й», "2nd") are spoken in full.

Left as written: dial codes (speech.py reads them digit by digit before this runs), runs of
seven or more digits (phone and account numbers, which facts format), numbers glued to
letters ("4G", "COVID-19"), version-like "2.3.1", and any other language.

Inside: `patterns` finds the numbers, `grammar` declines them, `clock` says times and dates,
`amounts` counted nouns, money, units, ranges and ordinals.
"""

from __future__ import annotations

import re

from kb import Locale
from renderers.numerals.amounts import money, number_range, ordinal_word, plain_number
from renderers.numerals.clock import TIME_RANGE, calendar_date, clock_time
from renderers.numerals.grammar import GOVERNED, ordinal
from renderers.numerals.patterns import LANGS, currency_signs, pattern

__all__ = ["spoken_numbers"]

#: A list number opening a heading or paragraph ("1. ", "2) ").
_ENUMERATION = re.compile(r"(\s*)(\d{1,2})(?=[.)]\s)")
_SENTENCE_START = re.compile(r"[.!?…]\s+$")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)\s+$")


def spoken_numbers(text: str, locale: Locale, *, before: str = "") -> str:
    """`text` with its numbers written out as a person says them in the locale's language.

    `before` is what was said just before `text` (the text may start after a fact or inside
    emphasis): a number at its start takes the case of the preposition there.
    """
    lang = _language(locale)
    if lang is None or not any(c.isdigit() for c in text):
        return text
    word = _WORD_BEFORE.search(before + " ")
    if word and not text[:1].isspace() and text[:1].isdigit():
        context = word.group(1) + " "
        spoken = spoken_numbers(context + text, locale)
        if spoken.startswith(context):
            return spoken[len(context) :]
    out: list[str] = []
    pos = 0
    marker = _ENUMERATION.match(text)
    if marker:  # «1. Закончился пакет» in a heading: «Первое.», "First."
        heading = ordinal(int(marker.group(2)), "nomn", lang, gender="neut")
        out.append(marker.group(1) + heading.capitalize())
        pos = marker.end(2)
    for m in pattern(lang).finditer(text):
        if m.start() < pos:  # the year or noun a previous number took along
            continue
        out.append(text[pos : m.start()])
        try:
            spoken, pos = _spoken(m, text, lang, locale)
        except (ValueError, KeyError, IndexError, NotImplementedError, OverflowError, ArithmeticError):
            spoken, pos = m.group(0), m.end()  # a form the libraries lack: leave the digits
        if spoken.endswith(".") and text[pos : pos + 1] == ".":
            pos += 1  # "ten p.m." ends the sentence too
        if _SENTENCE_START.search("".join(out)):
            spoken = spoken[:1].upper() + spoken[1:]
        out.append(spoken)
    out.append(text[pos:])
    return "".join(out)


def _spoken(m: re.Match[str], text: str, lang: str, locale: Locale) -> tuple[str, int]:
    """The words for one match and where in `text` they end (past any noun they declined)."""
    g = m.groupdict()
    prep = _preposition(text, m.start())
    case = GOVERNED.get(lang, {}).get(prep, "nomn")
    if g["long"]:
        return m.group(0), m.end()
    if g["d"]:
        return calendar_date(int(g["d"]), int(g["mo"]), int(g["y"]), case, lang), m.end()
    if g["t1"]:  # «8:00–22:00» is said «с восьми до двадцати двух», "from eight a.m. to ten p.m."
        start, to = TIME_RANGE[lang]
        return f"{start} {clock_time(g['t1'], 'gent', lang)} {to} {clock_time(g['t2'], 'gent', lang)}", m.end()
    if g["t"]:
        return clock_time(g["t"], case, lang), m.end()
    if g["sign"]:
        return money(g["amt1"], currency_signs(lang)[g["sign"]], case, lang, locale), m.end()
    if g["r1"]:
        return number_range(int(g["r1"]), int(g["r2"]), prep, case, text, m.end(), lang)
    if g["ord"]:
        return ordinal_word(int(g["ord"]), g["suf"], text, m.end(), lang)
    number = g["num"]
    if g["cur"]:
        return money(number, currency_signs(lang)[g["cur"]], case, lang, locale), m.end()
    return plain_number(number, prep, case, text, m.end(), lang)


def _preposition(text: str, start: int) -> str:
    """The word right before a number, lower-cased: the preposition that may govern its case."""
    m = _WORD_BEFORE.search(text[max(0, start - 40) : start])
    return m.group(1).lower() if m else ""


def _language(locale: Locale) -> str | None:
    """The locale's language if its numbers are spoken here («ru-RU» → "ru"), else None."""
    lang = locale.replace("_", "-").split("-")[0].lower()
    return lang if lang in LANGS else None

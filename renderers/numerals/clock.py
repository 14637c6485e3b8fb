"""Times and dates as people say them: «с восьми до двадцати двух», «первое декабря», "ten p.m.".

Russian says the hours as cardinals, Ukrainian as feminine ordinals (година), English on the
12-hour clock; a day of the month is a neuter ordinal (число), its year an ordinal in the
genitive with «года»/«року».
"""

from __future__ import annotations

import re

from babel.dates import get_month_names
from num2words import num2words

from renderers.numerals.grammar import YEAR_NOUN, cardinal, inflect, lemma_parse, lemma_reading, ordinal

#: The words of a time range: «8:00–22:00» is said «с восьми до двадцати двух».
TIME_RANGE = {"ru": ("с", "до"), "uk": ("з", "до"), "en": ("from", "to")}


def day_of_month(day: int, case: str, text: str, end: int, month: re.Match[str], lang: str) -> tuple[str, int]:
    """«1 декабря [2026 [года]]»: the day a neuter ordinal (число), the year one in the genitive."""
    year, year_end = year_after(text, month.end(), lang)
    return ordinal(day, case, lang, gender="neut") + month.group(0) + year, year_end


_YEAR_AFTER = re.compile(r",?\s+(\d{4})(?![\d.,:])(?:\s+([^\W\d_]+)(\.)?)?")


def year_after(text: str, end: int, lang: str) -> tuple[str, int]:
    """A year right after a day and month, in words, and where it ends (past «года», «р.»)."""
    m = _YEAR_AFTER.match(text, end)
    if not m:
        return "", end
    year = int(m.group(1))
    if lang == "en":
        return f", {num2words(year, lang='en', to='year')}", m.end(1)
    noun = lemma_reading(m.group(2), YEAR_NOUN[lang], lang) if m.group(2) else None
    abbreviated = m.group(3) is not None and len(m.group(2)) == 1  # «г.», «р.»
    said = noun is not None and m.group(3) is None
    year_noun = inflect(lemma_parse(YEAR_NOUN[lang], lang), {"sing", "gent"}) or YEAR_NOUN[lang]
    words = f" {ordinal(year, 'gent', lang)} {year_noun}"
    return words, m.end() if abbreviated else m.end(2) if said else m.end(1)


def calendar_date(day: int, month: int, year: int, case: str, lang: str) -> str:
    """01.12.2026 as «первое декабря две тысячи двадцать шестого года», "December first, …"."""
    name = get_month_names("wide", "format", locale=lang)[month]
    if lang == "en":
        return f"{name} {num2words(day, lang='en', to='ordinal')}, {num2words(year, lang='en', to='year')}"
    noun = inflect(lemma_parse(YEAR_NOUN[lang], lang), {"sing", "gent"}) or YEAR_NOUN[lang]
    return f"{ordinal(day, case, lang, gender='neut')} {name} {ordinal(year, 'gent', lang)} {noun}"


def clock_time(hhmm: str, case: str, lang: str) -> str:
    """A clock time: «восьми тридцати» (ru), «восьмої тридцять» (uk, година), "eight thirty a.m."."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    if lang == "en":
        return _english_time(hour, minute)
    if lang == "uk":
        hours = ordinal(hour, case, lang, gender="femn") if 0 < hour <= 24 else cardinal(hour, case, lang)
        minute_case = "nomn"
    else:
        hours, minute_case = cardinal(hour, case, lang), case
    if minute == 0:
        return hours
    if minute < 10:
        return f"{hours} {num2words(0, lang=lang)} {cardinal(minute, 'nomn', lang)}"
    return f"{hours} {cardinal(minute, minute_case, lang)}"


def _english_time(hour: int, minute: int) -> str:
    """The 12-hour clock callers hear in English: "eight a.m.", "ten thirty p.m.", "noon"."""
    if minute == 0 and hour in (0, 24):
        return "midnight"
    if minute == 0 and hour == 12:
        return "noon"
    suffix = "a.m." if hour % 24 < 12 else "p.m."
    twelve = hour % 12 or 12
    words = str(num2words(twelve, lang="en"))
    if minute:
        spoken = str(num2words(minute, lang="en"))
        words += f" oh {spoken}" if minute < 10 else f" {spoken}"
    return f"{words} {suffix}"

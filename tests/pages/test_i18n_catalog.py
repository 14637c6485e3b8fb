"""The faces' gettext catalogs: every word the code marks is translated, plurals have Slavic forms,
the language follows the person or the browser, and dates and numbers are the locale's."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from api.pages.i18n import LOCALE_DIR, browser_locale, format_day, format_number, format_when, translations
from api.pages.phrases import category_name, phrases
from tests.conftest import ROOT

#: A placeholder a translation must keep: %(name)s for templates, {name} for Python, and markup.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+(?:![rs])?\}|<[^>]+>")


def _extracted() -> dict[str | tuple[str, str], set[str]]:
    """Every msgid the code marks today (babel.cfg: Python and Jinja2), with where it is."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    found: dict[str | tuple[str, str], set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    ):
        found.setdefault(message, set()).add(filename)
    return found


def _catalog(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


EXTRACTED = _extracted()


def test_the_code_marks_the_staff_pages_words() -> None:
    """The extraction itself works: an admin, a panel and a public label are among the msgids."""
    assert "Articles" in EXTRACTED and "Operator panel" in EXTRACTED and "Describe your question" in EXTRACTED
    assert ("%(num)d answer", "%(num)d answers") in EXTRACTED
    assert len(EXTRACTED) > 300


@pytest.mark.parametrize("locale", ["ru", "uk"])
def test_every_marked_msgid_has_a_translation(locale: str) -> None:
    """Nothing new slips through in English: run `make messages`, then translate what it added."""
    catalog = _catalog(locale)
    untranslated = []
    for msgid, where in sorted(EXTRACTED.items(), key=str):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalog.get(key)
        strings = () if entry is None else entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry is None or entry.fuzzy or not strings or not all(s.strip() for s in strings):
            untranslated.append(f"{msgid!r} ({', '.join(sorted(where))})")
    assert not untranslated, f"{len(untranslated)} msgids lack a {locale} translation:\n" + "\n".join(untranslated)


@pytest.mark.parametrize("locale", ["ru", "uk"])
def test_translations_keep_their_placeholders_and_markup(locale: str) -> None:
    for entry in _catalog(locale):
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        wanted = [sorted(PLACEHOLDER.findall(i)) for i in ids]
        for text in strings:
            assert sorted(PLACEHOLDER.findall(text)) in wanted, (entry.id, text)


@pytest.mark.parametrize(
    ("locale", "forms"),
    [
        ("ru", {1: "1 ответ", 3: "3 ответа", 5: "5 ответов", 11: "11 ответов", 21: "21 ответ", 22: "22 ответа"}),
        ("uk", {1: "1 відповідь", 3: "3 відповіді", 5: "5 відповідей", 12: "12 відповідей", 21: "21 відповідь"}),
        ("en", {1: "1 answer", 3: "3 answers", 21: "21 answers"}),
    ],
)
def test_counts_take_the_languages_plural_forms(locale: str, forms: dict[int, str]) -> None:
    catalog = translations(locale)
    for n, text in forms.items():
        assert catalog.ngettext("%(num)d answer", "%(num)d answers", n) % {"num": n} == text
    assert _catalog(locale).num_plurals == (2 if locale == "en" else 3)


def test_public_labels_come_from_the_same_catalogs() -> None:
    """phrases.py names msgids only; the words are the catalogs' (one mechanism for every face)."""
    assert phrases("uk")["search_placeholder"] == "Опишіть питання"
    assert phrases("ru")["was_helpful"] == "Статья помогла?"
    assert phrases("en")["was_helpful"] == "Was this helpful?"
    assert phrases("de")["was_helpful"] == "Was this helpful?"  # a language without a catalog: English
    assert category_name("roaming", "uk") == "Роумінг" and category_name("roaming", "en") == "Roaming"
    assert category_name("new-things", "ru") == "New things"
    assert "Оплата" not in Path(ROOT / "api" / "pages" / "phrases.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7", "uk"),
        ("de-DE,de;q=0.9,ru;q=0.3", "ru"),
        ("en;q=0.2, ru;q=0.8", "ru"),
        ("ru;q=0, en", "en"),
        ("UK", "uk"),
        ("de", "en"),
        ("", "en"),
        ("*", "en"),
        ("ru;q=bad, uk", "uk"),
    ],
)
def test_the_browsers_language_is_the_default(header: str, expected: str) -> None:
    assert browser_locale(header) == expected


def test_dates_and_numbers_are_the_persons_and_in_the_editors_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISTOK_TIMEZONE", "Europe/Kyiv")
    moment = dt.datetime(2026, 3, 1, 21, 30, tzinfo=dt.UTC)  # 23:30 in Kyiv
    assert format_when(moment, "uk") == "1 бер. 2026\u202fр. 23:30"  # a four-digit year, a 24-hour clock
    assert format_when(moment, "en") == "Mar 1, 2026 23:30"
    assert format_when(moment, "en", format="short") == "3/1/26, 11:30\u202fPM"  # any Babel format on request
    assert format_when(moment.replace(tzinfo=None), "ru").endswith("23:30")  # naive: the store's UTC
    assert format_day("2026-03-01", "uk") == "1 бер. 2026\u202fр."
    assert format_day("soon", "uk") == "soon"
    assert format_number(1234567.5, "uk") == "1\xa0234\xa0567,5"
    assert format_number(1234567.5, "en") == "1,234,567.5"
    assert format_number(0.5, "ru", "0.00") == "0,50"

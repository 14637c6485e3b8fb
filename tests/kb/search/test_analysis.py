"""Analysis: lemmas and stems, folding, function words, keyboard layouts and typo repair."""

from __future__ import annotations

import pytest

from kb.search import analysis
from kb.search.layout import fix_layout, swapped
from kb.search.text import clean_question, fold, unmix
from kb.search.typos import Corrector, distance


@pytest.mark.parametrize(
    ("locale", "text", "expected"),
    [
        ("ru", "балансу", ["баланс"]),
        ("ru", "Счёта", ["счет"]),
        ("ru", "пополнить счета", ["пополнить", "счет"]),
        ("uk", "сімку", ["сімка"]),
        ("uk", "рахунку", ["рахунок"]),
        ("uk", "Поповнення", ["поповнення"]),
        ("en", "charges", ["charg"]),
        ("en", "Roaming!", ["roam"]),
        ("en", "top-up", ["top", "up"]),
    ],
)
def test_words_become_lemmas_or_stems(locale: str, text: str, expected: list[str]) -> None:
    assert analysis.terms(text, locale, keep_stop=False) == expected


def test_yo_case_and_punctuation_fold() -> None:
    assert analysis.terms("ЁЛКА, ёлка!!! Елка?", "ru") == ["елка", "елка", "елка"]
    assert fold("Зв’язок") == "зв'язок"
    assert clean_question("  Где, мой   БАЛАНС?!  ") == "где мой баланс"


def test_function_words_are_marked_per_locale() -> None:
    ru = {t.surface: t.stop for t in analysis.tokens("как мне проверить баланс", "ru")}
    assert ru == {"как": True, "мне": True, "проверить": False, "баланс": False}
    uk = {t.surface: t.stop for t in analysis.tokens("як мені перевірити баланс", "uk")}
    assert uk["як"] and not uk["баланс"]
    en = {t.surface: t.stop for t in analysis.tokens("how do I top up", "en")}
    assert en == {"how": True, "do": True, "i": True, "top": False, "up": False}


def test_words_typed_in_both_scripts_are_read_in_their_main_one() -> None:
    assert unmix("сiмка") == "сімка"  # a Latin i inside Cyrillic
    assert unmix("rоaming") == "roaming"  # a Cyrillic о inside Latin
    assert analysis.terms("сiмку", "uk") == ["сімка"]


@pytest.mark.parametrize(
    ("chunk", "locale", "expected"),
    [
        ("ghjdthbnm", "ru", "проверить"),
        (",fkfyc", "ru", "баланс"),
        ("gjgjdybnb", "uk", "поповнити"),
        ("hf[eyjr", "uk", "рахунок"),
        ("ифдфтсу", "en", "balance"),
        ("balance", "en", None),  # Latin is what English is written in
    ],
)
def test_keyboard_layout_swap(chunk: str, locale: str, expected: str | None) -> None:
    assert swapped(chunk, locale) == expected


def test_layout_is_switched_only_when_that_makes_known_words() -> None:
    vocabulary = {"проверить", "баланс", "в", "eu"}

    def known(text: str) -> float:
        found = analysis.terms(text, "ru")
        return sum(t in vocabulary for t in found) / max(len(found), 1)

    assert fix_layout("ghjdthbnm ,fkfyc", "ru", known) == ("проверить баланс", 2)
    assert fix_layout("роуминг в eu", "ru", known) == ("роуминг в eu", 0)  # EU stays Latin


def test_typos_are_repaired_to_the_nearest_known_term() -> None:
    corrector = Corrector()
    corrector.add(["баланс", "пополнить", "роуминг", "balanc", "receiv"])
    df = {"баланс": 5, "пополнить": 3, "роуминг": 2, "balanc": 1, "receiv": 1}.get
    assert corrector.suggest("балланс", lambda t: df(t) or 0) == "баланс"
    assert corrector.suggest("роумнг", lambda t: df(t) or 0) == "роуминг"
    assert corrector.suggest("папалнить", lambda t: df(t) or 0) == "пополнить"  # two edits, long word
    assert corrector.suggest("reciev", lambda t: df(t) or 0) == "receiv"  # a transposition is one edit
    assert corrector.suggest("кот", lambda t: df(t) or 0) is None  # short words are left alone
    assert distance("баланс", "балланс") == 1

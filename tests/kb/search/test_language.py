"""The question's own language decides the locale answered from, when it is clearly another."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import kb
from kb.search.answering import Answerer
from kb.search.evaluation import throwaway_index
from kb.search.language import detect
from tests.conftest import CONTENT


@pytest.fixture(scope="module")
def index() -> Iterator[kb.SearchIndex]:
    with throwaway_index(Path(CONTENT), use_semantic=False) as found:
        yield found


@pytest.mark.parametrize(
    ("question", "asked", "expected"),
    [
        ("как проверить баланс", "en", "ru"),
        ("як перевірити баланс", "ru", "uk"),
        ("where is my puk code", "ru", "en"),
        ("ghjdthbnm ,fkfyc", "en", "ru"),  # Russian typed on the English layout
        ("рщц ещ ещз гз", "ru", "en"),  # English typed on the Russian layout
        ("баланс", "uk", "uk"),  # both Russian and Ukrainian: the asked locale stays
        ("roaming", "ru", "ru"),  # Russian articles use the word too
        ("esim", "uk", "uk"),
        ("", "ru", "ru"),
    ],
)
def test_detect(index: kb.SearchIndex, question: str, asked: str, expected: str) -> None:
    assert detect(question, asked, index.state.locales) == expected


def test_an_answer_comes_from_the_questions_language_and_names_both(index: kb.SearchIndex) -> None:
    answer = Answerer(index, record_gaps=False).answer("как проверить баланс", "en", "web")
    assert (answer.asked_locale, answer.locale, answer.key) == ("en", "ru", "check-balance")
    assert answer.answered


def test_a_locale_without_articles_is_never_chosen(index: kb.SearchIndex) -> None:
    only_en = {"en": index.state.locales["en"]}
    assert detect("как проверить баланс", "en", only_en) == "en"

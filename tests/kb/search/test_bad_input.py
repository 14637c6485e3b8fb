"""Bad questions get a clear error or a handoff: never a crash, never a slow query."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import kb
from kb.search.answering import Answerer


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_an_empty_question_is_an_error(answerer: Answerer, question: str) -> None:
    with pytest.raises(kb.InvalidQuery) as err:
        answerer.answer(question, "ru", "web")
    assert err.value.status == 422 and "empty" in err.value.detail
    with pytest.raises(kb.InvalidQuery):
        kb.search_articles(question, "ru", index=answerer.index)


@pytest.mark.parametrize(
    "question",
    ["?!...,;:", "🙂🙂🔥", "' OR 1=1; DROP TABLE articles; --", "<script>alert(1)</script>", "%s %d {0} \x00"],
)
def test_junk_is_handed_off(answerer: Answerer, question: str) -> None:
    result = answerer.answer(question, "ru", "ivr")
    assert result.status is kb.AnswerStatus.HANDOFF


def test_html_in_a_question_never_reaches_a_snippet_as_markup(answerer: Answerer) -> None:
    found = kb.search_articles("<b>баланс</b> <script>x</script>", "ru", index=answerer.index)
    for hit in found.hits:
        assert "<script" not in hit.snippet and "<b>" not in hit.snippet


def test_a_huge_question_is_cut_and_answered_fast(answerer: Answerer) -> None:
    question = ("как проверить баланс " * 600)[:10_000]
    started = time.perf_counter()
    result = answerer.answer(question, "ru", "web")
    search = kb.search_articles(question, "ru", index=answerer.index)
    assert time.perf_counter() - started < 1.0
    assert result.key == "check-balance" and len(result.question) <= 1000
    assert search.hits


def test_unknown_locale_channel_role_and_page_are_errors(answerer: Answerer) -> None:
    with pytest.raises(kb.InvalidQuery, match="locale 'xx'"):
        answerer.answer("баланс", "xx", "web")
    with pytest.raises(kb.UnknownChannel, match="channel 'fax'"):  # the one error for it, on every path
        answerer.answer("баланс", "ru", "fax")
    with pytest.raises(kb.InvalidQuery, match="role 'root'"):
        kb.search_articles("баланс", "ru", "root", index=answerer.index)
    with pytest.raises(kb.InvalidQuery, match="page"):
        kb.search_articles("баланс", "ru", page=0, index=answerer.index)


def test_every_channel_in_the_table_is_answered_at_its_threshold(answerer: Answerer) -> None:
    """The engine reads kb's channel table: no channel a renderer serves is refused by `kb.answer`."""
    for channel in kb.CHANNELS:
        result = answerer.answer("как проверить баланс", "ru", channel.name)
        assert result.channel == channel.name and result.threshold == channel.threshold
    with pytest.raises(kb.UnknownChannel):
        kb.evaluate(Path("nowhere"), Path("nowhere.csv"), channel="fax")

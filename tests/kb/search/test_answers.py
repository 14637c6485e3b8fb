"""The answer engine over the sample content: what clients really type, in ru, uk and en."""

from __future__ import annotations

import time

import pytest

import kb
from kb.search.answering import Answerer
from tests.conftest import CONTENT


@pytest.mark.parametrize(
    ("question", "locale", "key"),
    [
        # inflected forms
        ("сколько денег осталось на балансе", "ru", "check-balance"),
        ("как пополнить счета картой", "ru", "top-up"),
        ("не работает домашнего интернета", "ru", "home-internet-not-working"),
        ("скільки грошей на рахунку", "uk", "check-balance"),
        ("як поповнити рахунку карткою", "uk", "top-up"),
        ("charged for roaming days abroad", "en", "roaming-prices"),
        ("replacing a broken SIM cards", "en", "replace-sim-esim"),
        # wrong keyboard layout, both ways
        ("ghjdthbnm ,fkfyc", "ru", "check-balance"),
        ("gjgjdybnb hf[eyjr", "uk", "top-up"),
        ("срфтпу ефкшаа", "en", "change-tariff"),
        # typos
        ("как папалнить счет", "ru", "top-up"),
        ("раоминг цены", "ru", "roaming-prices"),
        ("де взяти пак код", "uk", "puk-code"),
        ("recharge my acount", "en", "top-up"),
        # the editors' synonyms
        ("закинуть деньги на номер", "ru", "top-up"),
        ("тормозит инет", "ru", "slow-mobile-data"),
        ("зняли гроші незрозуміло за що", "uk", "understand-bill"),
        ("emergency credit", "en", "promised-payment"),
        # Latin and Cyrillic mixed
        ("роуминг в EU цены", "ru", "roaming-prices"),
        ("перейти на eSIM", "uk", "replace-sim-esim"),
        ("не работает wifi дома", "ru", "home-internet-not-working"),
    ],
)
def test_clients_words_find_the_unit(answerer: Answerer, question: str, locale: str, key: str) -> None:
    result = answerer.answer(question, locale, "web")
    assert result.key == key, (result.key, [a.key for a in result.alternatives])


def test_an_answer_names_what_it_came_from(answerer: Answerer, content_index: kb.SearchIndex) -> None:
    result = answerer.answer("как проверить баланс", "ru", "web")
    assert result.status is kb.AnswerStatus.ANSWERED
    assert 0.0 <= result.confidence <= 1.0 and result.confidence >= result.threshold
    assert (result.key, result.locale, result.revision) == ("check-balance", "ru", 1)
    assert result.content_hash and len(result.content_hash) == 64
    assert len(result.alternatives) <= 3
    assert all(a.key != result.key for a in result.alternatives)
    with kb.read_session(content_index.engine) as session:
        unit = kb.load_unit_of(session=session, key=result.key or "", locale=result.locale, number=result.revision or 0)
    assert unit.content_hash == result.content_hash


def test_questions_nobody_wrote_an_answer_for_are_handed_off(answerer: Answerer) -> None:
    for question, locale in [
        ("рецепт борща со сметаной", "ru"),
        ("порадьте гарну книжку", "uk"),
        ("who won the football match last night", "en"),
    ]:
        result = answerer.answer(question, locale, "web")
        assert result.status is kb.AnswerStatus.HANDOFF, (question, result.key, result.confidence)


def test_phone_and_sms_are_stricter_than_the_web(answerer: Answerer) -> None:
    thresholds = kb.THRESHOLDS
    assert thresholds["ivr"] > thresholds["web"] and thresholds["sms"] > thresholds["web"]
    web = answerer.answer("закінчився трафік", "uk", "web")
    ivr = answerer.answer("закінчився трафік", "uk", "ivr")
    assert web.confidence == ivr.confidence and ivr.threshold > web.threshold


def test_repeated_questions_come_from_the_cache(answerer: Answerer) -> None:
    first = answerer.answer("Как сменить тариф?", "ru", "bot")
    again = answerer.answer("  как СМЕНИТЬ тариф? ", "ru", "bot")
    assert not first.cached and again.cached and again.key == first.key
    other_channel = answerer.answer("как сменить тариф?", "ru", "sms")
    assert not other_channel.cached


def test_context_can_exclude_what_was_already_offered(answerer: Answerer) -> None:
    first = answerer.answer("сколько стоит роуминг", "ru", "web")
    second = answerer.answer("сколько стоит роуминг", "ru", "web", {"exclude": [first.key]})
    assert second.key is not None and second.key != first.key


def test_sample_questions_reach_the_target() -> None:
    started = time.perf_counter()
    figures = kb.evaluate(CONTENT, CONTENT / "questions.csv")
    assert figures["questions"] >= 150
    assert figures["top1"] >= 0.95, figures
    assert figures["oos_recall"] >= 0.7
    assert time.perf_counter() - started < 30

"""An answer near a messenger's limit, with an announcement put before it, still arrives whole.

Telegram refuses a `sendMessage` text over 4096 characters after entity parsing, counted in
UTF-16 code units ("Bad Request: message is too long"), and WhatsApp a text `body` over 4096: so
the adapters send such a text in several messages, cut at paragraphs, the notice in the first.
First the cutting itself (`adapters/message_parts.py`), then the adapters as their own
processes between a real Istok and the local fakes, which refuse what the real services refuse.
Last, SMS, whose budget is a few segments: there the notice comes first and the answer gives way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from adapters.message_parts import split_message, units, visible_length
from adapters.pictures import caption
from istok_client import Client
from tests.adapters.support import PUBLIC, Adapter, announce, wait_for, withdraw
from tests.adapters.test_smpp import start as start_smpp
from tests.adapters.test_telegram import start_adapter as start_telegram
from tests.adapters.test_whatsapp import start_adapter as start_whatsapp
from tests.api.conftest import Live
from tests.fakes.smsc import FakeSmsc
from tests.fakes.smsc import running as smsc_running
from tests.fakes.telegram_api import FakeTelegram, parse_html
from tests.fakes.telegram_api import running as telegram_running
from tests.fakes.whatsapp_api import FakeWhatsApp
from tests.fakes.whatsapp_api import running as whatsapp_running
from tests.helpers import article

LIMIT = 4096
#: An announcement long enough to push the long answer below over the limit.
NOTICE = (
    "Сегодня с 14:00 до 18:00 плановые работы на сети в Риге и Юрмале: мобильный интернет и звонки "
    "могут пропадать на несколько минут. Мы сообщим, когда всё закончится. Приносим извинения за "
    "неудобства и благодарим за терпение, подробности на странице работ."
)
QUESTION = "как настроить роутер сфера zx по шагам"
STEPS = 32  # the bot block's paragraphs: its Telegram answer is just under 4096 on its own


def _visible(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- the cutting -----------------------------------------------------------------------------


def test_a_text_that_fits_comes_back_whole() -> None:
    text = "<b>Внимание</b>\n\nОтвет &amp; ссылка."
    assert split_message(text, limit=LIMIT, html=True) == [text]


def test_a_long_text_is_cut_at_paragraphs_within_the_limit_and_loses_nothing() -> None:
    paragraphs = [f"Абзац {i}. " + ("Слово и ещё слово. " * 30).strip() for i in range(40)]
    text = "\n\n".join(paragraphs)
    parts = split_message(text, limit=LIMIT)
    assert len(parts) > 1 and all(units(p) <= LIMIT for p in parts)
    assert all(p.rstrip().endswith(".") for p in parts)  # every cut is at a paragraph's end
    assert "\n\n".join(parts) == text


def test_lengths_are_utf16_units_after_entities_as_telegram_counts() -> None:
    assert visible_length("😀", html=False) == 2
    assert visible_length('<a href="https://x.example/?a=1&amp;b=2">a&amp;b</a>', html=True) == 3
    emoji = "😀" * 3000  # 3000 characters, 6000 UTF-16 units
    parts = split_message(emoji, limit=LIMIT)
    assert [units(p) for p in parts] == [4096, 1904] and "".join(parts) == emoji


def test_html_is_never_cut_inside_a_tag_or_an_entity_and_each_part_is_well_formed() -> None:
    link = '<a href="https://help.sfera.example/help/ru/router?x=1&amp;y=2">подробнее &amp; ещё</a>'
    text = "<b>Уведомление.</b>\n\n" + "<i>" + " ".join(f"фраза {i} &lt;{i}&gt; {link}" for i in range(400)) + "</i>"
    parts = split_message(text, limit=1000, html=True)
    assert len(parts) > 2 and parts[0].startswith("<b>Уведомление.</b>")
    for part in parts:
        shown, _links = parse_html(part)  # raises on a cut tag, a cut entity or an unclosed element
        assert units(shown) <= 1000
    assert _visible("".join(parse_html(p)[0] for p in parts)) == _visible(parse_html(text)[0])
    assert all(p.startswith("<i>") for p in parts[2:])  # the element open at a cut is opened again


def test_a_text_without_any_space_is_cut_between_characters() -> None:
    assert [len(p) for p in split_message("я" * 9000, limit=LIMIT)] == [4096, 4096, 808]


def test_a_caption_is_cut_in_the_units_the_messenger_counts() -> None:
    alt = " ".join(["Схема 📶 подключения роутера"] * 60)  # 1,679 characters, 1,739 UTF-16 units
    by_units = caption(alt, 1024, length=units)
    assert units(by_units) <= 1024
    assert by_units.endswith("…") and alt.startswith(by_units[:-1])  # a prefix, cut at a word
    by_characters = caption(alt, 1024)
    assert len(by_characters) <= 1024 < units(by_characters)  # what Telegram would have refused
    assert caption("  Схема\n роутера ", 1024, length=units) == "Схема роутера"


# -- the adapters ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_answer(istok: Live) -> Iterator[str]:
    """A long bot answer published and an announcement for everyone live; the answer's key."""
    key = "tg-long-answer"
    steps = [
        f"Шаг {i}: откройте приложение Сфера, зайдите в раздел настроек роутера и проверьте "
        f"индикатор {i} 📶, затем подождите минуту."
        for i in range(1, STEPS + 1)
    ]
    body = "::: bot\n" + "\n\n".join(steps) + "\n:::\n\nКоротко: перезагрузите роутер."
    source = article(
        key=key, locale="ru", title="Как настроить роутер Сфера ZX по шагам", body=body, summary="Перезагрузите роутер."
    )
    with Client(istok.base, api_key=istok.keys["editor"]) as client:
        client.create_article("ru", key, source)
        client.publish_article("ru", key)
    announce(istok, key="long-works", summary=NOTICE)
    wait_for(lambda: _answered_with(istok, key), f"{key} to be answered with the notice")
    yield key
    withdraw(istok, "long-works")


def _answered_with(istok: Live, key: str) -> bool:
    with istok.client("bot") as http:
        params = {"q": QUESTION, "locale": "ru", "channel": "bot", "format": "telegram"}
        reply = http.get("/api/v1/answer", params=params).json()
    return (reply.get("provenance") or {}).get("key") == key and bool(reply.get("announcements"))


def _whole(istok: Live, fmt: str) -> str:
    """What Istok answers the question with in `fmt`: the text the messages must carry between them."""
    with istok.client("bot") as http:
        params = {"q": QUESTION, "locale": "ru", "channel": "bot", "format": fmt}
        reply = http.get("/api/v1/answer", params=params).json()
    assert reply["rendered"]["meta"]["source"] == "block"  # the long form, not a shorter one
    return str(reply["rendered"]["body"])


@pytest.fixture(scope="module")
def telegram(istok: Live, long_answer: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeTelegram]:
    log = tmp_path_factory.mktemp("telegram-long") / "adapter.log"
    with telegram_running(FakeTelegram(hosts={PUBLIC: istok.base})) as fake:
        adapter = start_telegram(istok, fake, log)
        adapter.wait_for(lambda: any(m == "getUpdates" for m, _ in fake.calls), "the adapter to poll", timeout=60)
        yield fake
        adapter.stop()


def test_the_fake_refuses_a_text_over_4096_utf16_units_as_telegram_does(telegram: FakeTelegram) -> None:
    text = "😀" * 2049  # 2049 characters, 4098 UTF-16 units
    url = f"{telegram.api_url}{telegram.token}/sendMessage"
    refused = httpx.post(url, json={"chat_id": 1, "text": text}, timeout=10).json()
    assert refused == {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
    fits = httpx.post(url, json={"chat_id": 1, "text": text[:-1]}, timeout=10).json()
    assert fits["ok"] is True


def test_telegram_gets_a_long_answer_with_a_notice_in_several_messages(telegram: FakeTelegram, istok: Live) -> None:
    whole = _whole(istok, "telegram")
    assert visible_length(whole, html=True) > LIMIT  # one message would be refused
    before = len(telegram.sent)
    telegram.user_says(7401, QUESTION)
    telegram.wait_sent(before + 2)
    wait_for(lambda: any(s.reply_markup for s in telegram.sent[before:]), "the message with the buttons")
    sent = [s for s in telegram.sent[before:] if s.chat_id == 7401]
    assert len(sent) == 2
    assert sent[0].shown.startswith(NOTICE + "\n")  # the notice first, in the first message
    assert all(units(s.shown) <= LIMIT and s.parse_mode == "HTML" for s in sent)
    assert _visible("".join(s.shown for s in sent)) == _visible(parse_html(whole)[0])  # nothing lost
    assert sent[-1].links and sent[-1].links[-1].startswith(PUBLIC + "/help/ru/")  # the link, at the end
    assert sent[0].reply_markup is None and sent[-1].reply_markup  # the rating buttons under the last


@pytest.fixture(scope="module")
def whatsapp(istok: Live, long_answer: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeWhatsApp]:
    log = tmp_path_factory.mktemp("whatsapp-long") / "adapter.log"
    with whatsapp_running(FakeWhatsApp(hosts={PUBLIC: istok.base})) as fake:
        started: Adapter[FakeWhatsApp] = start_whatsapp(istok, fake, log)
        try:
            yield fake
        finally:
            if started.proc.poll() is None:
                started.stop()


def test_whatsapp_gets_the_whole_long_answer_not_one_cut_at_4096(whatsapp: FakeWhatsApp, istok: Live) -> None:
    whole = _whole(istok, "whatsapp")
    assert len(whole) > LIMIT  # one text would have been cut, losing the end and the link
    wa_id = "37120007401"
    whatsapp.user_says(wa_id, QUESTION)
    texts = [s for s in whatsapp.wait_sent(wa_id, 2) if s.type == "text"]
    assert len(texts) == 2
    assert texts[0].text.startswith(f"*{NOTICE}*")
    assert all(len(t.text) <= LIMIT for t in texts)
    assert _visible("".join(t.text for t in texts)) == _visible(whole)
    assert texts[-1].text.rstrip().endswith("/help/ru/tg-long-answer")


# -- SMS: the notice first, inside the segments -------------------------------------------------


@pytest.fixture(scope="module")
def smsc(istok: Live, long_answer: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeSmsc]:
    log = tmp_path_factory.mktemp("smpp-notice") / "adapter.log"
    with smsc_running() as fake:
        adapter = start_smpp(istok, fake, log)
        adapter.wait_for(fake.bound.is_set, "the bind", timeout=60)
        yield fake
        adapter.stop()


def test_a_texted_answer_opens_with_the_notice_within_two_parts(smsc: FakeSmsc) -> None:
    before = len(smsc.submitted)
    smsc.client_texts("+37129007401", "как проверить баланс")
    sms = smsc.wait_submitted(before + 1)[before]
    first, *rest = sms.text.split("\n")
    assert sms.parts <= 2  # the SMS renderer's budget, the notice included
    assert first.endswith("…") and NOTICE.startswith(first[:-1])  # too long for the budget: cut at a word
    assert rest and rest[-1].startswith("Подробнее: ")  # and the way to the answer kept whole


def test_a_texted_handoff_opens_with_the_notice(smsc: FakeSmsc) -> None:
    before = len(smsc.submitted)
    smsc.client_texts("+37129007402", "как приготовить плов")
    sms = smsc.wait_submitted(before + 1)[before]
    assert sms.text.startswith(NOTICE + "\n") and "+37167000100" in sms.text.replace(" ", "")

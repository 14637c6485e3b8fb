"""The Telegram adapter, as its own process, between a real Istok and a local Bot API server.

The Bot API side is `tests/fakes/telegram_api.py`, which checks what Telegram checks (the HTML
subset, 64-byte callback data, the webhook secret header) and plays 429s and redeliveries.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.adapters.support import (
    PUBLIC,
    Adapter,
    announce,
    environment,
    publish_pictured,
    refused_start,
    timeline,
    wait_for,
    withdraw,
)
from tests.api.conftest import Live, free_port
from tests.fakes.telegram_api import FakeTelegram, running


def start_adapter(istok: Live, fake: FakeTelegram, log: Path, **env: str) -> Adapter[FakeTelegram]:
    environ = environment("telegram", istok, TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.api_url, **env)
    return Adapter.start("telegram", fake, log=log, environ=environ)


@pytest.fixture(scope="module")
def polling(istok: Live, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeTelegram]:
    log = tmp_path_factory.mktemp("telegram-polling") / "adapter.log"
    with running(FakeTelegram(hosts={PUBLIC: istok.base})) as fake:
        adapter = start_adapter(istok, fake, log)
        adapter.wait_for(lambda: any(m == "getUpdates" for m, _ in fake.calls), "the adapter to poll", timeout=60)
        yield fake
        text = adapter.stop()
        assert "telegram: stopped" in text


def test_a_question_is_answered_in_telegram_html_with_an_absolute_link(polling: FakeTelegram, istok: Live) -> None:
    before = len(polling.sent)
    polling.user_says(7001, "как проверить баланс", language_code="ru")
    sent = polling.wait_sent(before + 1)[before]
    assert sent.chat_id == 7001
    assert sent.parse_mode == "HTML"  # and the fake parsed it as Telegram would
    assert "баланс" in sent.shown.lower()
    assert sent.links and all(link.startswith(PUBLIC + "/help/ru/") for link in sent.links)
    assert "/help/" not in sent.shown.replace(PUBLIC + "/help/", "")  # no bare path a client could read as a command
    recent = timeline(istok, "telegram:7001")
    assert recent[0]["channel"] == "telegram" and recent[0]["outcome"] == "answered"


def test_the_text_decides_the_language_not_the_app_setting(polling: FakeTelegram) -> None:
    before = len(polling.sent)
    polling.user_says(7002, "як поповнити рахунок", language_code="ru")
    sent = polling.wait_sent(before + 1)[before]
    assert all("/help/uk/" in link for link in sent.links), sent.text


def test_an_off_topic_question_is_handed_off_with_the_contact_route(polling: FakeTelegram, istok: Live) -> None:
    before = len(polling.sent)
    polling.user_says(7003, "как приготовить плов", language_code="ru")
    handoff, offer = polling.wait_sent(before + 2)[before : before + 2]
    assert "оператор" in handoff.shown
    assert "+37167000100" in handoff.shown.replace(" ", "")  # the support_phone fact
    buttons = [b for row in offer.reply_markup["keyboard"] for b in row]  # type: ignore[index]
    assert buttons and buttons[0]["request_contact"] is True
    recent = timeline(istok, "telegram:7003")
    assert recent[0]["outcome"] == "handoff"


def test_alternatives_are_buttons_that_open_their_article(polling: FakeTelegram, istok: Live) -> None:
    before = len(polling.sent)
    polling.user_says(7004, "роуминг", language_code="ru")
    first = polling.wait_sent(before + 1)[before]
    rows = first.reply_markup["inline_keyboard"]  # type: ignore[index]
    assert rows, "no alternatives offered"
    data = rows[0][0]["callback_data"]
    assert len(data.encode()) <= 64
    polling.user_presses(7004, data, first)
    opened = polling.wait_sent(before + 2)[before + 1]
    key = data.split(":", 2)[2]
    assert any(key in link or "/help/ru/" in link for link in opened.links)
    wait_for(lambda: polling.callback_answers, "the button press to be answered")
    recent = timeline(istok, "telegram:7004")
    assert recent[0]["outcome"] == "answered"


def test_a_429_is_waited_out_and_the_answer_sent_once(polling: FakeTelegram) -> None:
    before = len(polling.sent)
    calls = sum(1 for m, _ in polling.calls if m == "sendMessage")
    polling.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    polling.user_says(7005, "как проверить баланс")
    polling.wait_sent(before + 1)
    time.sleep(0.5)
    assert len(polling.sent) == before + 1
    assert sum(1 for m, _ in polling.calls if m == "sendMessage") == calls + 2  # refused once, then sent


def test_only_the_senders_own_shared_contact_becomes_a_verified_phone(polling: FakeTelegram, istok: Live) -> None:
    before = len(polling.sent)
    polling.user_says(7006, "как проверить баланс")
    polling.wait_sent(before + 1)
    polling.user_shares_contact(7006, "+37129111222", contact_user_id=9999)  # somebody else's card
    refused = polling.wait_sent(before + 2)[before + 1]
    assert "своим" in refused.shown
    with istok.client("operator") as http:
        assert (
            http.get("/api/v1/contacts/lookup", params={"channel": "phone", "address": "+37129111222"}).status_code
            == 404
        )
    polling.user_shares_contact(7006, "+37129111222", contact_user_id=7006)
    polling.wait_sent(before + 3)
    with istok.client("operator") as http:
        by_phone = http.get("/api/v1/contacts/lookup", params={"channel": "phone", "address": "+37129111222"}).json()
        by_telegram = http.get("/api/v1/contacts/lookup", params={"channel": "telegram", "address": "7006"}).json()
    assert by_phone["id"] == by_telegram["id"]
    phone = next(i for i in by_phone["identities"] if i["channel"] == "phone")
    assert phone["verified_by"] == "telegram-contact"
    with istok.client("bot") as http:  # what the bot may now tell this Telegram account of its own cases
        context = http.get("/api/v1/contacts/context", params={"identity": "telegram:7006"}).json()
        by_call = http.get("/api/v1/contacts/context", params={"identity": "phone:+37129111222"}).json()
    assert context["identified_by"] == {"channel": "telegram", "verified_by": "telegram-contact"}
    assert by_call["identified_by"]["verified_by"] is None  # a caller id stays a claim: the IVR asks for a PIN


def test_webhook_mode_checks_the_secret_and_answers_a_redelivery_once(
    istok: Live, tmp_path_factory: pytest.TempPathFactory
) -> None:
    log = tmp_path_factory.mktemp("telegram-webhook") / "adapter.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    with running(FakeTelegram(token="654321:WEBHOOK-bot")) as fake:  # another bot: update ids count per bot
        adapter = start_adapter(
            istok,
            fake,
            log,
            TELEGRAM_MODE="webhook",
            TELEGRAM_WEBHOOK_URL=url,
            TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
            TELEGRAM_WEBHOOK_PORT=str(port),
            TELEGRAM_WEBHOOK_SECRET="s3cret-Token",
        )
        try:
            adapter.wait_for(lambda: fake.webhook is not None, "setWebhook", timeout=60)
            assert fake.webhook == {"url": url, "secret_token": "s3cret-Token"}
            forged = httpx.post(
                url, json={"update_id": 1, "message": {}}, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
            )
            assert forged.status_code == 403
            uid = fake.user_says(7101, "как проверить баланс")
            fake.wait_sent(1)
            again = fake.user_says(7101, "как проверить баланс")  # a new message: answered
            fake.wait_sent(2)
            fake.redeliver(uid)  # Telegram delivering the first update again
            wait_for(lambda: fake.pending() == 0, "the redelivery to be taken")
            time.sleep(0.5)
            assert len(fake.sent) == 2, [s.shown for s in fake.sent]
            assert again != uid
        finally:
            adapter.stop()


def test_a_missing_token_stops_the_start_naming_it(istok: Live) -> None:
    done = refused_start("telegram", environment("telegram", ISTOK_API_KEY="k"))
    assert done.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in done.stderr


def test_a_rating_under_an_answer_is_kept_and_a_bad_one_brings_a_person(polling: FakeTelegram, istok: Live) -> None:
    before = len(polling.sent)
    polling.user_says(7007, "как проверить баланс")
    answer = polling.wait_sent(before + 1)[before]
    helped, not_helped = answer.reply_markup["inline_keyboard"][-1]  # type: ignore[index]
    assert helped["callback_data"].startswith("r:5:ru:") and not_helped["callback_data"].startswith("r:1:ru:")
    polling.user_presses(7007, helped["callback_data"], answer)
    wait_for(lambda: any(a.get("text") == "Спасибо за оценку!" for a in polling.callback_answers), "the thanks")
    recent = timeline(istok, "telegram:7007")
    assert (recent[0]["outcome"], recent[0]["csat"]) == ("resolved", 5)
    polling.user_presses(7007, not_helped["callback_data"], answer)
    handoff = polling.wait_sent(before + 3)[before + 1]  # a person is offered at once, with the route
    assert "оператор" in handoff.shown
    recent = timeline(istok, "telegram:7007")
    assert (recent[0]["outcome"], recent[0]["csat"]) == ("escalated", 1)


def test_an_answers_image_goes_first_as_a_photo_captioned_with_its_alt_text(polling: FakeTelegram, istok: Live) -> None:
    pictured = publish_pictured(istok, key="tg-router")
    photos, sent = len(polling.photos), len(polling.sent)
    polling.user_says(7201, pictured.question)
    photo = polling.wait_photos(photos + 1)[photos]
    text = polling.wait_sent(sent + 1)[sent]
    assert (photo.chat_id, photo.how, photo.format, photo.width, photo.height) == (7201, "upload", "PNG", 320, 200)
    assert photo.caption == pictured.alt
    assert photo.message_id < text.message_id  # the picture first, then the words about it
    assert "WPS" in text.shown and pictured.alt in text.shown  # the text still says what the picture shows
    polling.user_says(7202, pictured.question)  # the same image again: Telegram already has it
    again = polling.wait_photos(photos + 2)[photos + 1]
    assert (again.chat_id, again.how, again.file_id) == (7202, "file_id", photo.file_id)
    polling.wait_sent(sent + 2)


def test_an_alternative_opened_by_its_button_brings_its_photo_too(polling: FakeTelegram, istok: Live) -> None:
    pictured = publish_pictured(istok, key="tg-opened")
    photos, sent = len(polling.photos), len(polling.sent)
    under = polling.wait_sent(1)[0]  # a button under one of the bot's messages, as from its keyboard
    polling.user_presses(under.chat_id, "a:ru:tg-opened", under)
    photo = polling.wait_photos(photos + 1)[photos]
    opened = polling.wait_sent(sent + 1)[sent]
    assert photo.chat_id == opened.chat_id == under.chat_id and photo.caption == pictured.alt
    assert photo.message_id < opened.message_id


def test_a_photo_telegram_refuses_is_left_out_and_the_text_still_goes(polling: FakeTelegram, istok: Live) -> None:
    publish = publish_pictured(istok, key="tg-refused")
    photos, sent = len(polling.photos), len(polling.sent)
    polling.fail_next("sendPhoto", 400, "Bad Request: IMAGE_PROCESS_FAILED")
    polling.user_says(7204, publish.question)
    text = polling.wait_sent(sent + 1)[sent]
    assert "WPS" in text.shown and len(polling.photos) == photos


def test_an_announcement_is_said_first_in_an_answer_and_in_a_handoff(polling: FakeTelegram, istok: Live) -> None:
    notice = "Сегодня с 14:00 до 16:00 плановые работы: SMS могут приходить с задержкой."
    announce(istok, key="tg-works", summary=notice)
    try:
        before = len(polling.sent)
        polling.user_says(7301, "как проверить баланс")
        answer = polling.wait_sent(before + 1)[before]
        assert answer.shown.startswith(notice + "\n") and "*100#" in answer.shown
        polling.user_says(7302, "как приготовить плов")
        handoff = polling.wait_sent(before + 3)[before + 1]
        assert handoff.shown.startswith(notice + "\n") and "оператор" in handoff.shown
    finally:
        withdraw(istok, "tg-works")

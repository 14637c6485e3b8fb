"""The Viber adapter, as its own process, between a real Istok and a local Viber REST API.

The Viber side is `tests/fakes/viber_api.py`, which checks what Viber checks (the auth token,
a subscribed receiver, 7000 characters, the keyboard's structure), calls the webhook with its
`webhook` event on `set_webhook`, signs every callback, and plays redeliveries and rate limits.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TypeAlias

import httpx
import pytest

from tests.adapters.support import PUBLIC, Adapter, environment, publish_pictured, refused_start, timeline
from tests.api.conftest import Live, free_port
from tests.fakes.serving import wait_for_count
from tests.fakes.viber_api import FakeViber, running

HOOK = "https://bot.sfera.example/viber/callback"  # what Viber calls; a TLS proxy forwards it here
EVENTS = ["delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"]
Running: TypeAlias = Adapter[FakeViber]


def adapter_env(istok: Live, fake: FakeViber, **env: str) -> dict[str, str]:
    own = {"VIBER_AUTH_TOKEN": fake.token, "VIBER_API_URL": fake.base, "VIBER_WEBHOOK_URL": HOOK}
    return environment("viber", istok, ISTOK_ADAPTER_LOG="INFO", **(own | env))


@pytest.fixture(scope="module")
def viber(istok: Live, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    log = tmp_path_factory.mktemp("viber-adapter") / "adapter.log"
    port = free_port()
    with running() as fake:
        fake.route("https://bot.sfera.example", f"http://127.0.0.1:{port}")
        fake.route(PUBLIC, istok.base)  # the help centre, whose images Viber fetches
        env = adapter_env(istok, fake, VIBER_LISTEN="127.0.0.1", VIBER_PORT=str(port))
        adapter = Adapter.start("viber", fake, log=log, environ=env)
        try:
            adapter.wait_for(lambda: fake.webhook is not None, "set_webhook", timeout=60)
            yield adapter
        finally:
            text = adapter.stop()
        assert "viber: stopped" in text, text[-3000:]


def test_the_start_sets_the_webhook_after_listening_and_answers_its_check(viber: Running) -> None:
    assert viber.fake.webhook == {"url": HOOK, "event_types": EVENTS, "send_name": True, "send_photo": False}
    assert viber.fake.webhook_checks == [200]  # Viber's `webhook` callback reached the adapter and got 200
    methods = [m for m, _ in viber.fake.calls]
    assert methods[:2] == ["get_account_info", "set_webhook"]


def test_a_forged_or_missing_signature_is_refused_and_nothing_done(viber: Running, istok: Live) -> None:
    fake, user = viber.fake, FakeViber.user_id(1)
    event = {
        "event": "message",
        "timestamp": 1,
        "message_token": 77,
        "sender": {"id": user, "name": "Mallory", "language": "ru"},
        "message": {"type": "text", "text": "как проверить баланс"},
    }
    body = json.dumps(event).encode()
    assert fake.post_raw(body, signature="0" * 64).status_code == 403
    assert fake.post_raw(body, signature=fake.sign(body + b" ")).status_code == 403
    assert httpx.post(fake.local(HOOK), content=body, headers={"Content-Type": "application/json"}).status_code == 403
    viber.wait_logged("bad X-Viber-Content-Signature")
    with istok.client("operator") as http:  # no contact was made: Istok never heard of it
        found = http.get("/api/v1/contacts/lookup", params={"channel": "viber", "address": user})
        assert found.status_code == 404
    assert not [s for s in fake.sent if s.receiver == user]


def test_a_ukrainian_question_is_answered_in_uk_with_alternatives_as_buttons(viber: Running, istok: Live) -> None:
    fake, user = viber.fake, FakeViber.user_id(2)
    before = len(fake.sent)
    fake.user_says(user, "як поповнити рахунок", language="ru")  # the app says ru, the text is Ukrainian
    sent = fake.wait_sent(before + 1)[before]
    assert sent.receiver == user and sent.sender == {"name": fake.name}
    assert "/help/uk/" in sent.text and "/help/ru/" not in sent.text
    assert sent.keyboard is not None and sent.keyboard["Type"] == "keyboard"
    buttons = sent.keyboard["Buttons"]
    assert buttons and all(b["ActionType"] == "reply" and b["Columns"] == 6 and b["Rows"] == 1 for b in buttons)
    assert all(b["ActionBody"].startswith("istok:article:uk:") and b["Text"] for b in buttons)
    recent = timeline(istok, f"viber:{user}")
    assert recent[0]["channel"] == "viber" and recent[0]["outcome"] == "answered"


def test_a_pressed_button_opens_its_article_and_is_recorded(viber: Running, istok: Live) -> None:
    fake, user = viber.fake, FakeViber.user_id(3)
    before = len(fake.sent)
    fake.user_says(user, "роуминг")
    first = fake.wait_sent(before + 1)[before]
    assert first.keyboard is not None, first.text
    button = first.keyboard["Buttons"][0]
    key = button["ActionBody"].split(":", 3)[3]
    fake.user_presses(user, button)
    opened = fake.wait_sent(before + 2)[before + 1]
    assert opened.receiver == user and opened.text != first.text
    with istok.client("bot") as http:
        article = http.get(f"/api/v1/articles/ru/{key}/render/bot", params={"format": "plain"})
    assert article.status_code == 200 and opened.text == article.text
    recent = timeline(istok, f"viber:{user}")
    assert recent[0]["channel"] == "viber" and recent[0]["outcome"] == "answered"
    assert len(recent) == 2  # the question and the press


def test_an_off_topic_question_is_handed_off_with_the_contact_route(viber: Running, istok: Live) -> None:
    fake, user = viber.fake, FakeViber.user_id(4)
    before = len(fake.sent)
    fake.user_says(user, "как приготовить плов", language="ru")
    handoff = fake.wait_sent(before + 1)[before]
    assert "оператор" in handoff.text
    assert "+37167000100" in handoff.text.replace(" ", "")  # the support_phone fact
    assert timeline(istok, f"viber:{user}")[0]["outcome"] == "handoff"


def test_a_redelivered_message_is_answered_once(viber: Running, istok: Live) -> None:
    fake, user = viber.fake, FakeViber.user_id(5)
    before = len(fake.sent)
    token = fake.user_says(user, "как проверить баланс")
    fake.wait_sent(before + 1)
    assert fake.redeliver(token) == 200  # taken, as Viber needs, and recognised
    viber.wait_logged(f"message {token} was answered before")
    assert len([s for s in fake.sent if s.receiver == user]) == 1
    assert len(timeline(istok, f"viber:{user}")) == 1


def test_a_rate_limited_send_is_retried_and_delivered_once(viber: Running) -> None:
    fake, user = viber.fake, FakeViber.user_id(6)
    before, calls = len(fake.sent), fake.count("send_message")
    fake.fail_next("send_message", 12, "tooManyRequests")
    fake.user_says(user, "как проверить баланс")
    fake.wait_sent(before + 1)
    viber.wait_logged("send_message: status 12 (tooManyRequests), trying again")
    assert fake.count("send_message") == calls + 2  # refused once, then sent
    assert len([s for s in fake.sent if s.receiver == user]) == 1


def test_a_refused_send_is_logged_with_vibers_status_and_not_repeated(viber: Running) -> None:
    fake, user = viber.fake, FakeViber.user_id(9)
    calls = fake.count("send_message")
    fake.fail_next("send_message", 6, "receiverNotSubscribed")  # the client left before the answer came
    fake.user_says(user, "как проверить баланс")
    viber.wait_logged("status 6 (receiverNotSubscribed)")
    assert fake.count("send_message") == calls + 1
    assert not [s for s in fake.sent if s.receiver == user]


def test_an_opened_conversation_gets_the_welcome_in_the_reply(viber: Running) -> None:
    status, welcome = viber.fake.user_opens(FakeViber.user_id(7), language="uk")
    assert status == 200
    assert welcome == {
        "sender": {"name": viber.fake.name},
        "type": "text",
        "text": "Вітаємо! Напишіть своє питання, і я знайду відповідь.",
    }


def test_a_picture_is_answered_with_a_request_for_text(viber: Running) -> None:
    fake, user = viber.fake, FakeViber.user_id(8)
    before = len(fake.sent)
    fake.user_sends(user, {"type": "picture", "media": "https://example.com/p.jpg", "text": ""}, language="en")
    sent = fake.wait_sent(before + 1)[before]
    assert sent.receiver == user and "text only" in sent.text


def test_a_refused_token_stops_the_start_with_vibers_status(istok: Live, tmp_path: Path) -> None:
    with running() as fake:
        env = adapter_env(istok, fake, VIBER_AUTH_TOKEN="not-the-token", VIBER_PORT=str(free_port()))
        done = refused_start("viber", env)
    assert done.returncode == 1
    assert "invalidAuthToken" in done.stderr


def test_a_webhook_viber_cannot_reach_stops_the_start(istok: Live) -> None:
    with running() as fake:  # no proxy routes the public address to the adapter
        env = adapter_env(istok, fake, VIBER_PORT=str(free_port()))
        done = refused_start("viber", env)
    assert done.returncode == 1
    assert "set_webhook: status 1 (invalidUrl)" in done.stderr
    assert fake.webhook is None


def test_a_missing_setting_stops_the_start_naming_it(istok: Live) -> None:
    done = refused_start("viber", environment("viber", ISTOK_API_KEY="k", VIBER_WEBHOOK_URL=HOOK))
    assert done.returncode == 2
    assert "VIBER_AUTH_TOKEN" in done.stderr


def test_an_answers_image_goes_first_as_a_picture_viber_fetches_by_a_typed_link(viber: Running, istok: Live) -> None:
    fake, user = viber.fake, FakeViber.user_id(301)
    pictured = publish_pictured(istok, key="viber-router")
    pictures, sent = len(fake.pictures), len(fake.sent)
    fake.user_says(user, pictured.question)
    shown = wait_for_count(lambda: list(fake.pictures), pictures + 1, "pictures sent")[pictures]
    answer = fake.wait_sent(sent + 1)[sent]
    assert shown.receiver == answer.receiver == user
    assert shown.media == f"{PUBLIC}/assets/{pictured.asset}.png"  # Viber wants the type in the name
    assert shown.picture.data == pictured.png and shown.text == pictured.alt
    assert shown.message_token < answer.message_token  # the picture first, then the words about it
    assert "WPS" in answer.text
    named = httpx.get(f"{istok.base}/assets/{pictured.asset}.png", timeout=10)
    assert named.status_code == 200 and named.content == pictured.png
    assert httpx.get(f"{istok.base}/assets/{pictured.asset}.jpg", timeout=10).status_code == 404  # not its type

"""The WhatsApp adapter, as its own process, between a real Istok and a local Cloud API.

The Cloud API side is `tests/fakes/whatsapp_api.py`: it signs webhooks with the app secret,
validates messages as Graph does (reply buttons, text length, approved templates), fails a
free-form message outside the 24-hour window as WhatsApp does, and plays a rate-limit error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeAlias

import httpx
import pytest

from tests.adapters.support import (
    PUBLIC,
    Adapter,
    environment,
    publish_pictured,
    refused_start,
    timeline,
    wait_for,
)
from tests.api.conftest import Live, free_port
from tests.fakes.whatsapp_api import FakeWhatsApp, rate_limit_hit, running

TEMPLATE = "istok_answer_ready"
Running: TypeAlias = Adapter[FakeWhatsApp]


def start_adapter(istok: Live, fake: FakeWhatsApp, log: Path) -> Running:
    port = free_port()
    fake.webhook_url = f"http://127.0.0.1:{port}/whatsapp"
    environ = environment(
        "whatsapp",
        istok,
        WHATSAPP_ACCESS_TOKEN=fake.token,
        WHATSAPP_APP_SECRET=fake.app_secret,
        WHATSAPP_VERIFY_TOKEN=fake.verify_token,
        WHATSAPP_API_URL=fake.api_url,
        WHATSAPP_API_VERSION="v21.0",
        WHATSAPP_TEMPLATE=TEMPLATE,
        WHATSAPP_LISTEN="127.0.0.1",
        WHATSAPP_PORT=str(port),
        WHATSAPP_BACKOFF="0.2",
    )
    adapter = Adapter.start("whatsapp", fake, log=log, environ=environ)

    def listening() -> bool:
        try:
            return fake.verify("subscribe", fake.verify_token, "ping").status_code == 200
        except httpx.TransportError:
            return False

    adapter.wait_for(listening, "the adapter to listen", timeout=60)
    return adapter


@pytest.fixture(scope="module")
def adapter(istok: Live, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    log = tmp_path_factory.mktemp("whatsapp") / "adapter.log"
    with running(FakeWhatsApp(hosts={PUBLIC: istok.base})) as fake:
        started = start_adapter(istok, fake, log)
        try:
            yield started
        finally:
            if started.proc.poll() is None:
                started.stop()


@pytest.fixture
def whatsapp(adapter: Running) -> FakeWhatsApp:
    return adapter.fake


def test_the_subscription_check_echoes_the_challenge_for_the_right_token_only(whatsapp: FakeWhatsApp) -> None:
    right = whatsapp.verify("subscribe", whatsapp.verify_token, "1158201444")
    assert right.status_code == 200 and right.text == "1158201444"
    assert whatsapp.verify("subscribe", "not-the-token", "1158201444").status_code == 403
    assert whatsapp.verify("unsubscribe", whatsapp.verify_token, "1158201444").status_code == 403


def test_a_forged_or_missing_signature_is_refused_and_nothing_done(whatsapp: FakeWhatsApp, istok: Live) -> None:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": whatsapp.display_phone_number,
            "phone_number_id": whatsapp.phone_number_id,
        },
        "contacts": [{"profile": {"name": "Mallory"}, "wa_id": "37120009999"}],
        "messages": [
            {
                "from": "37120009999",
                "id": whatsapp.new_wamid(),
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": "как проверить баланс"},
            }
        ],
    }
    body = whatsapp.event(value)
    assert whatsapp.post(body, signature="sha256=" + "0" * 64).status_code == 403
    assert whatsapp.post(body, signature=None).status_code == 403
    assert whatsapp.post(body + b" ", signature=whatsapp.sign(body)).status_code == 403  # not these bytes
    whatsapp.user_says("37120009998", "как проверить баланс")  # a signed one, answered: the forged had time too
    whatsapp.wait_sent("37120009998", 1)
    assert whatsapp.sent_to("37120009999") == []
    with istok.client("operator") as http:
        lookup = http.get("/api/v1/contacts/lookup", params={"channel": "whatsapp", "address": "37120009999"})
    assert lookup.status_code == 404


def test_a_russian_question_is_answered_in_whatsapp_markup_with_an_absolute_link(
    whatsapp: FakeWhatsApp, istok: Live
) -> None:
    whatsapp.user_says("37120000001", "как проверить баланс", name="Анна")
    sent = whatsapp.wait_sent("37120000001", 1)[0]
    assert sent.type == "text" and sent.delivered
    assert sent.request["messaging_product"] == "whatsapp" and sent.request["recipient_type"] == "individual"
    assert "баланс" in sent.text.lower()
    assert any(link.startswith(PUBLIC + "/help/ru/") for link in sent.links), sent.text  # the article, absolute
    assert "/help/" not in sent.text.replace(PUBLIC + "/help/", "")  # no bare path a client could not open
    assert "<a " not in sent.text and "<b>" not in sent.text and "](" not in sent.text  # WhatsApp's markup, not HTML
    recent = timeline(istok, "whatsapp:37120000001")
    assert recent[0]["channel"] == "whatsapp" and recent[0]["outcome"] == "answered"
    wait_for(lambda: (sent.wamid, "sent", 200) in whatsapp.status_deliveries, "the status webhook to be taken")


def test_alternatives_are_reply_buttons_and_a_tap_opens_its_article(whatsapp: FakeWhatsApp, istok: Live) -> None:
    whatsapp.user_says("37120000002", "роуминг")
    answer, menu = whatsapp.wait_sent("37120000002", 2)[:2]
    assert answer.type == "text" and menu.type == "interactive"
    assert 1 <= len(menu.buttons) <= 3  # and the fake refused titles over 20 characters or repeated ids
    assert all(len(b["title"]) <= 20 and len(b["id"]) <= 256 for b in menu.buttons)
    button = menu.buttons[0]
    _, locale, key = button["id"].split(":", 2)
    whatsapp.user_presses("37120000002", button, menu)
    opened = whatsapp.wait_sent("37120000002", 3)[2]
    with istok.client("bot") as http:
        article = http.get(f"/api/v1/articles/{locale}/{key}/render/bot", params={"format": "whatsapp"})
    assert article.status_code == 200
    assert opened.type == "text" and opened.text == article.text
    recent = timeline(istok, "whatsapp:37120000002")
    assert recent[0]["channel"] == "whatsapp" and recent[0]["article"]["key"] == key  # type: ignore[index]


def test_an_off_topic_question_is_handed_off_with_the_contact_route(whatsapp: FakeWhatsApp, istok: Live) -> None:
    whatsapp.user_says("37120000003", "как приготовить плов")
    handoff = whatsapp.wait_sent("37120000003", 1)[0]
    assert handoff.type == "text" and "оператор" in handoff.text
    assert "+37167000100" in handoff.text.replace(" ", "")  # the support_phone fact
    assert timeline(istok, "whatsapp:37120000003")[0]["outcome"] == "handoff"


def test_a_redelivered_message_is_answered_once(adapter: Running, istok: Live) -> None:
    whatsapp = adapter.fake
    wamid = whatsapp.user_says("37120000004", "как проверить баланс")
    whatsapp.wait_sent("37120000004", 1)
    adapter.wait_logged(f"message {wamid}: answered")
    answered = len(whatsapp.sent_to("37120000004"))
    assert whatsapp.redeliver(wamid).status_code == 200
    adapter.wait_logged(f"message {wamid} was answered before")
    assert len(whatsapp.sent_to("37120000004")) == answered
    assert len(timeline(istok, "whatsapp:37120000004")) == 1


def test_a_message_older_than_24_hours_gets_the_template_never_free_form(adapter: Running, istok: Live) -> None:
    whatsapp = adapter.fake
    ru = whatsapp.user_says("37120000005", "как проверить баланс", age=25 * 3600)
    uk = whatsapp.user_says("37120000006", "як поповнити рахунок", age=25 * 3600)
    for wa_id, wamid, language in (("37120000005", ru, "ru"), ("37120000006", uk, "uk")):
        sent = whatsapp.wait_sent(wa_id, 1)
        adapter.wait_logged(f"message {wamid} is over 24 h old")
        assert [s.type for s in whatsapp.sent_to(wa_id)] == ["template"]
        assert sent[0].template == {"name": TEMPLATE, "language": {"code": language}} and sent[0].delivered
    assert timeline(istok, "whatsapp:37120000005")[0]["channel"] == "whatsapp"


def test_a_rate_limit_is_waited_out_and_the_message_sent_once(adapter: Running) -> None:
    whatsapp = adapter.fake
    refused = sum(1 for _, status in whatsapp.calls if status != 200)
    whatsapp.fail_next(rate_limit_hit())
    wamid = whatsapp.user_says("37120000007", "как проверить баланс")
    whatsapp.wait_sent("37120000007", 1)
    adapter.wait_logged(f"message {wamid}: answered")
    assert [s.type for s in whatsapp.sent_to("37120000007")].count("text") == 1
    assert sum(1 for _, status in whatsapp.calls if status != 200) == refused + 1
    assert "(#130429) Rate limit hit" in adapter.logged()  # Graph's own message, in the log


def test_a_picture_gets_a_polite_text_only_reply(whatsapp: FakeWhatsApp) -> None:
    image = {
        "image": {"mime_type": "image/jpeg", "sha256": "81d3bd8a8db4868c9520ed47186e8b7c", "id": "2754859441498128"}
    }
    whatsapp.user_sends("37120000008", "image", image)
    reply = whatsapp.wait_sent("37120000008", 1)[0]
    assert reply.type == "text" and "текст" in reply.text


def test_sigterm_finishes_the_message_in_hand_and_stops_cleanly(
    istok: Live, tmp_path_factory: pytest.TempPathFactory
) -> None:
    log = tmp_path_factory.mktemp("whatsapp-stop") / "adapter.log"
    with running(FakeWhatsApp(phone_number_id="106540352242999")) as fake:
        started = start_adapter(istok, fake, log)
        fake.user_says("37120000009", "как проверить баланс")  # taken (200), not yet answered
        text = started.stop()
        assert fake.sent_to("37120000009"), text[-3000:]
        assert "whatsapp: stopped" in text


@pytest.mark.parametrize("name", ["WHATSAPP_APP_SECRET", "WHATSAPP_TEMPLATE"])
def test_a_missing_setting_stops_the_start_naming_it(name: str) -> None:
    env = environment(
        "whatsapp",
        ISTOK_API_KEY="k",
        WHATSAPP_ACCESS_TOKEN="t",
        WHATSAPP_APP_SECRET="s",
        WHATSAPP_VERIFY_TOKEN="v",
        WHATSAPP_TEMPLATE=TEMPLATE,
    )
    del env[name]
    done = refused_start("whatsapp", env)
    assert done.returncode == 2
    assert name in done.stderr


def test_the_senders_number_joins_their_contact_as_a_verified_phone(whatsapp: FakeWhatsApp, istok: Live) -> None:
    """WhatsApp registered the number by a code sent to it: a caller from it later is the same client."""
    whatsapp.user_says("37129000401", "как проверить баланс")
    whatsapp.wait_sent("37129000401", 1)
    with istok.client("operator") as http:
        wait_for(
            lambda: (
                http.get("/api/v1/contacts/lookup", params={"channel": "phone", "address": "+37129000401"}).is_success
            ),
            "the phone to be kept",
        )
        by_phone = http.get("/api/v1/contacts/lookup", params={"channel": "phone", "address": "+37129000401"}).json()
        by_chat = http.get("/api/v1/contacts/lookup", params={"channel": "whatsapp", "address": "37129000401"}).json()
    assert by_phone["id"] == by_chat["id"]
    assert {i["channel"]: i["verified_by"] for i in by_phone["identities"]} == {
        "phone": "whatsapp",
        "whatsapp": "whatsapp",
    }


def test_an_answers_image_goes_first_uploaded_as_media_captioned_with_its_alt_text(
    whatsapp: FakeWhatsApp, istok: Live
) -> None:
    pictured = publish_pictured(istok, key="wa-router")
    whatsapp.user_says("37129000301", pictured.question)
    photo, answer = whatsapp.wait_sent("37129000301", 2)[:2]
    assert photo.type == "image" and answer.type == "text"  # the picture first, then the words about it
    assert "id" in photo.request["image"] and "link" not in photo.request["image"]
    assert photo.picture is not None and photo.picture.data == pictured.png  # the very bytes Istok serves
    assert photo.caption == pictured.alt
    assert "WPS" in answer.text and pictured.alt in answer.text
    uploads = [path for path, status in whatsapp.calls if path.endswith("/media") and status == 200]
    whatsapp.user_says("37129000302", pictured.question)  # the same image to another client: no new upload
    again = whatsapp.wait_sent("37129000302", 2)[0]
    assert again.request["image"]["id"] == photo.request["image"]["id"]
    assert [path for path, status in whatsapp.calls if path.endswith("/media") and status == 200] == uploads


def test_outside_the_window_no_image_goes_only_the_template(whatsapp: FakeWhatsApp, istok: Live) -> None:
    pictured = publish_pictured(istok, key="wa-late")
    whatsapp.user_says("37129000303", pictured.question, age=25 * 3600)
    sent = whatsapp.wait_sent("37129000303", 1)
    time.sleep(0.5)
    assert [s.type for s in whatsapp.sent_to("37129000303")] == ["template"], sent

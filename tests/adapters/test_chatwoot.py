"""The Chatwoot agent bot, as its own process, between a real Istok and a local Chatwoot.

The Chatwoot side is `tests/fakes/chatwoot_api.py`: the Application API the bot calls (token,
conversation and body checked as Chatwoot checks them) and the `message_created` events
Chatwoot posts to the bot. The adapter answers each webhook after doing its work, so when a
delivery returns, what the bot did (or did not do) is all in the fake.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TypeAlias

import httpx
import pytest

import contacts
import kb
from tests.adapters.support import PUBLIC, Adapter, environment, refused_start, timeline
from tests.api.conftest import Live, free_port
from tests.fakes.chatwoot_api import FakeChatwoot, running

SECRET = "hook-secret-0123456789abcdef"
ANSWERED = "как проверить баланс"
OFF_TOPIC = "как приготовить плов"
NEAR_MISS = "сим-карта заблокирована"  # the sample content has lost-stolen-sim close, not close enough
Bot: TypeAlias = Adapter[FakeChatwoot]  # the fake's webhook_url is the one Chatwoot is configured with


def start_bot(istok: Live, fake: FakeChatwoot, log: Path, port: int, **env: str) -> Bot:
    own = {"CHATWOOT_URL": fake.base, "CHATWOOT_BOT_TOKEN": fake.token, "CHATWOOT_WEBHOOK_SECRET": SECRET}
    environ = environment("chatwoot", istok, CHATWOOT_PORT=str(port), **(own | env))
    bot = Adapter.start("chatwoot", fake, log=log, environ=environ)
    bot.wait_listening(port)
    return bot


@pytest.fixture(scope="module")
def bot(istok: Live, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    log = tmp_path_factory.mktemp("chatwoot-bot") / "adapter.log"
    port = free_port()
    with running() as fake:
        fake.webhook_url = f"http://127.0.0.1:{port}/chatwoot/{SECRET}"
        started = start_bot(
            istok, fake, log, port, ISTOK_OPERATOR_KEY=istok.keys["operator"], CHATWOOT_LISTEN="127.0.0.1"
        )
        yield started
        text = started.stop()
        assert "chatwoot: stopped" in text
        assert "Traceback" not in text, text[-3000:]


def test_a_question_in_a_pending_conversation_is_answered_in_markdown(bot: Bot, istok: Live) -> None:
    fake = bot.fake
    fake.conversation(101, 41)
    done = fake.deliver(fake.contact_says(101, ANSWERED))
    assert done.status_code == 200, done.text
    [reply] = fake.to_client(101)
    assert "баланс" in reply.content.lower()
    assert f"]({PUBLIC}/help/ru/" in reply.content  # a markdown link, absolute
    assert reply.message_type == "outgoing" and not reply.private
    assert fake.statuses == [] or all(cid != 101 for cid, _ in fake.statuses)
    recent = timeline(istok, f"crm:chatwoot-{fake.account}-41")
    assert recent[0]["channel"] == "chatwoot" and recent[0]["outcome"] == "answered"


def test_its_own_message_an_agents_and_an_open_conversation_get_no_answer(bot: Bot) -> None:
    fake = bot.fake
    fake.conversation(102, 42)
    assert fake.deliver(fake.contact_says(102, ANSWERED)).status_code == 200
    [own] = fake.to_client(102)
    before = len(fake.posted)
    assert fake.deliver(fake.echo(own)).status_code == 200  # Chatwoot tells the bot of its own reply
    assert fake.deliver(fake.agent_says(102, "Добрый день, чем помочь?")).status_code == 200
    assert fake.deliver(fake.agent_says(102, "внутренняя заметка", private=True)).status_code == 200
    fake.conversation(103, 43, status="open")  # a person already holds this one
    assert fake.deliver(fake.contact_says(103, ANSWERED)).status_code == 200
    assert len(fake.posted) == before, fake.posted[before:]


def test_a_handoff_tells_the_client_opens_the_conversation_and_leaves_the_operator_card(bot: Bot, istok: Live) -> None:
    fake = bot.fake
    fake.conversation(104, 44, email="anna@example.com")
    start = len(fake.calls)
    assert fake.deliver(fake.contact_says(104, OFF_TOPIC)).status_code == 200
    [told] = fake.to_client(104)
    assert "оператор" in told.content
    assert (104, "open") in fake.statuses
    [card] = fake.notes(104)
    assert card.private and "Istok" in card.content and OFF_TOPIC in card.content
    order = [path.rsplit("/", 1)[1] for path, status in fake.calls[start:] if status == 200]
    assert order == ["messages", "toggle_status", "messages"]  # told, opened, then the note
    assert timeline(istok, f"crm:chatwoot-{fake.account}-44")[0]["outcome"] == "handoff"
    # Now a person holds it: the client's next message is theirs to answer.
    assert fake.deliver(fake.contact_says(104, ANSWERED)).status_code == 200
    assert len(fake.to_client(104)) == 1


def test_the_note_carries_the_operator_card_of_the_closest_article(bot: Bot) -> None:
    fake = bot.fake
    fake.conversation(108, 48)
    assert fake.deliver(fake.contact_says(108, NEAR_MISS)).status_code == 200
    [told] = fake.to_client(108)
    assert "оператор" in told.content  # below the threshold: handed off, though an article is close
    [card] = fake.notes(108)
    assert "Ближайшая статья" in card.content and "ru/lost-stolen-sim" in card.content
    assert "Заметки для операторов" in card.content and "упрощённой проверки" in card.content  # staff only
    assert "Предлагаемый ответ" in card.content and "\n> " in card.content  # the chat reply, quoted
    assert "упрощённой проверки" not in told.content


def test_a_redelivered_message_is_answered_once(bot: Bot) -> None:
    fake = bot.fake
    fake.conversation(105, 45)
    event = fake.contact_says(105, ANSWERED)
    assert fake.deliver(event).status_code == 200
    assert fake.deliver(event).status_code == 200  # Chatwoot's webhook job retrying
    assert len(fake.to_client(105)) == 1


def test_only_the_secret_path_is_served(bot: Bot) -> None:
    fake = bot.fake
    fake.conversation(106, 46)
    base = bot.fake.webhook_url.rsplit("/", 1)[0]
    assert fake.deliver(fake.contact_says(106, ANSWERED), url=base + "/wrong-secret-0123456789").status_code == 404
    assert fake.deliver(fake.contact_says(106, ANSWERED), url=base + "/" + SECRET[:-1]).status_code == 404
    assert httpx.post(base.rsplit("/", 1)[0] + "/", json={}).status_code == 404
    assert fake.to_client(106) == []


def test_the_first_agent_reply_after_the_handoff_is_recorded_once(bot: Bot, istok: Live) -> None:
    fake = bot.fake
    fake.conversation(107, 47)
    assert fake.deliver(fake.contact_says(107, OFF_TOPIC)).status_code == 200
    assert fake.conversations[107].status == "open"
    identity = f"crm:chatwoot-{fake.account}-47"
    assert not [i for i in timeline(istok, identity) if i["direction"] == "out"]
    assert fake.deliver(fake.agent_says(107, "Здравствуйте! Сейчас разберёмся.")).status_code == 200
    assert fake.deliver(fake.agent_says(107, "Готово.")).status_code == 200
    out = [i for i in timeline(istok, identity) if i["direction"] == "out"]
    assert len(out) == 1 and out[0]["channel"] == "chatwoot"
    engine = istok.engine()  # the reply is the handoff case's first response (insights' first response time)
    try:
        with kb.read_session(engine) as s:
            case = s.get(contacts.Case, out[0]["case"])
    finally:
        engine.dispose()
    assert case is not None and case.first_response_at is not None
    assert case.first_response_at.isoformat()[:19] == str(out[0]["at"])[:19]


def test_a_429_is_waited_out_and_the_answer_posted_once(bot: Bot) -> None:
    fake = bot.fake
    fake.conversation(109, 49)
    fake.fail_next("messages", 429, retry_after=1)
    fake.fail_next("messages", 503)
    assert fake.deliver(fake.contact_says(109, ANSWERED)).status_code == 200
    assert len(fake.to_client(109)) == 1
    tried = [status for path, status in fake.calls if path.endswith("/109/messages")]
    assert tried == [429, 503, 200]


def test_a_wrong_token_is_logged_and_answered_as_a_failure(istok: Live, tmp_path: Path) -> None:
    port = free_port()
    with running(FakeChatwoot(account=4)) as fake:
        bot = start_bot(istok, fake, tmp_path / "adapter.log", port, CHATWOOT_BOT_TOKEN="not-the-token")
        try:
            fake.conversation(201, 61)
            url = f"http://127.0.0.1:{port}/chatwoot/{SECRET}"
            assert fake.deliver(fake.contact_says(201, ANSWERED), url=url).status_code == 502
            assert [status for _, status in fake.calls] == [401]  # refused for good: not retried
        finally:
            bot.proc.send_signal(signal.SIGTERM)
            bot.proc.wait(timeout=30)
        assert "Invalid Access Token" in bot.logged()


def test_a_missing_setting_stops_the_start_naming_it() -> None:
    env = environment("chatwoot", ISTOK_API_KEY="k", CHATWOOT_URL="http://127.0.0.1:9", CHATWOOT_WEBHOOK_SECRET=SECRET)
    done = refused_start("chatwoot", env)
    assert done.returncode == 2
    assert "CHATWOOT_BOT_TOKEN" in done.stderr
    env.update({"CHATWOOT_BOT_TOKEN": "t", "CHATWOOT_WEBHOOK_SECRET": "short"})
    done = refused_start("chatwoot", env)
    assert done.returncode == 2
    assert "CHATWOOT_WEBHOOK_SECRET" in done.stderr

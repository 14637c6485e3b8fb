"""One client, two channels: asked in Telegram, called later, known on the phone as the same contact.

The Telegram adapter runs against `tests/fakes/telegram_api.py`, the Asterisk adapter against
`tests/fakes/asterisk_agi.py`, both as their own processes on one real Istok. The client shares
their own number in Telegram (a contact whose `user_id` is theirs, which Istok keeps as verified);
a call from that number then lands on the same contact's timeline.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adapters import test_agi as agi
from tests.adapters import test_telegram as telegram
from tests.api.conftest import Live, free_port, sample_server
from tests.fakes.asterisk_agi import HANGUP, FakeAsterisk
from tests.fakes.telegram_api import running

USER = 8101
PHONE = "+37129111222"


@pytest.fixture(scope="module")
def istok(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    if shutil.which("espeak-ng") is None:  # the call plays Istok's speech
        message = "espeak-ng is not installed (apt-get install espeak-ng)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI=true requires it")
        pytest.skip(message)
    yield from sample_server(tmp_path_factory.mktemp("one-client"), sqlite_template, ISTOK_RATE_LIMIT="100000")


def test_a_telegram_client_who_calls_is_one_contact_with_one_timeline(istok: Live, tmp_path: Path) -> None:
    with running() as fake:
        bot = telegram.start_adapter(istok, fake, tmp_path / "telegram.log")
        try:
            telegram.wait_for(lambda: any(m == "getUpdates" for m, _ in fake.calls), "the bot to poll", 60, bot)
            fake.user_says(USER, "как проверить баланс", language_code="ru")
            fake.wait_sent(1)
            fake.user_shares_contact(USER, PHONE, contact_user_id=USER)
            fake.wait_sent(2)
        finally:
            telegram.stop(bot, tmp_path / "telegram.log")

    port = free_port()
    phone = agi.start_adapter(istok, tmp_path / "agi.log", port)
    try:
        agi.wait_listening(port, phone)
        call = FakeAsterisk("127.0.0.1", port).call(PHONE, ["1", HANGUP], args=("ru",))
    finally:
        agi.stop(phone, tmp_path / "agi.log")
    assert len(call.played) == 3  # the menu, the unit, what to press next

    with istok.client("operator") as http:
        by_telegram = http.get("/api/v1/contacts/lookup", params={"channel": "telegram", "address": str(USER)})
        by_phone = http.get("/api/v1/contacts/lookup", params={"channel": "phone", "address": PHONE})
        assert by_telegram.status_code == 200 and by_phone.status_code == 200
        assert by_telegram.json()["id"] == by_phone.json()["id"]
        contact = by_phone.json()
        assert {"channel": "phone", "address": PHONE, "verified_by": "telegram-contact"} in contact["identities"]
    channels = [i["channel"] for i in telegram.timeline(istok, f"phone:{PHONE}")]
    assert channels[0] == "ivr" and "telegram" in channels

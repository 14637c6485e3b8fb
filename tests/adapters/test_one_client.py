"""One client, two channels: asked in Telegram, called later, known on the phone as the same contact.

The Telegram adapter runs against `tests/fakes/telegram_api.py`, the Asterisk adapter against
`tests/fakes/asterisk_agi.py`, both as their own processes on one real Istok. The client shares
their own number in Telegram (a contact whose `user_id` is theirs, which Istok keeps as verified);
a call from that number then lands on the same contact's timeline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters import test_agi as agi
from tests.adapters import test_telegram as telegram
from tests.adapters.support import timeline
from tests.api.conftest import Live
from tests.fakes.asterisk_agi import HANGUP
from tests.fakes.telegram_api import running

USER = 8101
PHONE = "+37129111222"
pytestmark = pytest.mark.usefixtures("espeak")  # the call plays Istok's speech


@pytest.fixture(scope="module")
def istok_public_url() -> None:
    """None, as for the Asterisk adapter's own tests: Asterisk fetches the prompts from Istok itself."""
    return None


def test_a_telegram_client_who_calls_is_one_contact_with_one_timeline(istok: Live, tmp_path: Path) -> None:
    with running() as fake:
        bot = telegram.start_adapter(istok, fake, tmp_path / "telegram.log")
        try:
            bot.wait_for(lambda: any(m == "getUpdates" for m, _ in fake.calls), "the bot to poll", timeout=60)
            fake.user_says(USER, "как проверить баланс", language_code="ru")
            fake.wait_sent(1)
            fake.user_shares_contact(USER, PHONE, contact_user_id=USER)
            fake.wait_sent(2)
        finally:
            bot.stop()

    phone = agi.start_adapter(istok, tmp_path / "agi.log")
    try:
        phone.wait_listening(phone.fake.port)
        call = phone.fake.call(PHONE, ["1", HANGUP], args=("ru",))
    finally:
        phone.stop()
    assert len(call.played) == 4  # the menu and the offer of one's own requests, the unit, what to press next

    with istok.client("operator") as http:
        by_telegram = http.get("/api/v1/contacts/lookup", params={"channel": "telegram", "address": str(USER)})
        by_phone = http.get("/api/v1/contacts/lookup", params={"channel": "phone", "address": PHONE})
        assert by_telegram.status_code == 200 and by_phone.status_code == 200
        assert by_telegram.json()["id"] == by_phone.json()["id"]
        contact = by_phone.json()
        assert {"channel": "phone", "address": PHONE, "verified_by": "telegram-contact"} in contact["identities"]
    channels = [i["channel"] for i in timeline(istok, f"phone:{PHONE}")]
    assert channels[0] == "ivr" and "telegram" in channels

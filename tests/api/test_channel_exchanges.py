"""What adapters need of the API: an outside message answered once, the client's channel on the
timeline, and an identity the channel vouched for, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import Live, sample_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    yield from sample_server(tmp_path_factory.mktemp("exchanges"), sqlite_template, ISTOK_RATE_LIMIT="100000")


def _ask(http: httpx.Client, q: str, identity: str, message: str | None) -> httpx.Response:
    params = {"q": q, "locale": "ru", "channel": "bot", "identity": identity, "via": "telegram"}
    if message:
        params["message"] = message
    response = http.get("/api/v1/answer", params=params)
    response.raise_for_status()
    return response


def _timeline(server: Live, contact: str) -> list[dict[str, object]]:
    with server.client("operator") as http:
        return list(http.get(f"/api/v1/contacts/{contact}/context").json()["last_interactions"])


def test_an_answer_asked_again_with_the_same_message_id_is_replayed_and_recorded_once(server: Live) -> None:
    with server.client("bot") as http:
        first = _ask(http, "как проверить баланс", "telegram:8101", "update:1")
        again = _ask(http, "как проверить баланс", "telegram:8101", "update:1")
        other = _ask(http, "как проверить баланс", "telegram:8101", "update:2")
    assert "x-istok-replayed" not in first.headers and "x-istok-replayed" not in other.headers
    assert again.headers["x-istok-replayed"] == "true"
    assert again.json()["provenance"] == first.json()["provenance"]  # the same reply, for a sender that lost it
    contact = first.headers["x-istok-contact"]
    assert again.headers["x-istok-contact"] == contact
    recent = _timeline(server, contact)
    assert len(recent) == 2 and {r["channel"] for r in recent} == {"telegram"}


def test_an_interaction_sent_twice_with_its_message_id_is_kept_once(server: Live) -> None:
    body = {
        "identity": {"channel": "viber", "address": "dTc3QWJD+/=="},
        "channel": "viber",
        "outcome": "answered",
        "question": "баланс",
        "message": "msg-1",
    }
    with server.client("bot") as http:
        first = http.post("/api/v1/interactions", json=body)
        again = http.post("/api/v1/interactions", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] is True and again.json()["interaction"] == first.json()["interaction"]
    assert len(_timeline(server, str(first.json()["contact"]))) == 1


def test_a_verified_phone_joins_the_contact_that_called_before(server: Live) -> None:
    """A caller known by phone shares that number in Telegram: Telegram vouches, so the two are one."""
    with server.client("bot") as http:
        caller = http.post(
            "/api/v1/interactions",
            json={"identity": {"channel": "phone", "address": "+37129555111"}, "channel": "ivr", "outcome": "answered"},
        ).json()["contact"]
        chat = _ask(http, "как проверить баланс", "telegram:8102", None).headers["x-istok-contact"]
        claimed = http.post(f"/api/v1/contacts/{chat}/identities", json={"channel": "phone", "address": "+37129555111"})
        assert claimed.status_code == 409  # a bare claim merges nothing
        vouched = http.post(
            f"/api/v1/contacts/{chat}/identities",
            json={"channel": "phone", "address": "+371 29 555 111", "verified_by": "telegram-contact"},
        )
        assert vouched.status_code == 200 and vouched.json()["verified_by"] == "telegram-contact"
        unknown = http.post(
            f"/api/v1/contacts/{chat}/identities",
            json={"channel": "phone", "address": "+37129555112", "verified_by": "a-hunch"},
        )
        assert unknown.status_code == 422
    with server.client("operator") as http:
        by_phone = http.get("/api/v1/contacts/lookup", params={"channel": "phone", "address": "+37129555111"}).json()
        assert str(by_phone["id"]) == chat
        assert {i["channel"]: i["verified_by"] for i in by_phone["identities"]} == {
            "phone": "telegram-contact",
            "telegram": None,
        }
        channels = {r["channel"] for r in http.get(f"/api/v1/contacts/{caller}/context").json()["last_interactions"]}
    assert channels == {"ivr", "telegram"}  # one contact, one timeline


def test_a_caller_hears_their_own_cases_only_after_their_pin(server: Live) -> None:
    """Caller ID is a claim: without the PIN a bot learns the topics of open cases, not what was said."""
    phone = {"channel": "phone", "address": "+37129555200"}
    with server.client("bot") as bot:
        opened = bot.post(
            "/api/v1/interactions",
            json={
                "identity": phone,
                "channel": "ivr",
                "outcome": "handoff",
                "question": "мне дважды списали абонентскую плату",
            },
        )
        contact = opened.json()["contact"]
        claimed = bot.get("/api/v1/contacts/context", params={"identity": "phone:+37129555200"}).json()
        assert claimed["identified_by"] == {"channel": "phone", "verified_by": None}
        assert claimed["open_cases"] and claimed["open_cases"][0]["last_interaction"]["question"] is None
        no_pin = bot.post("/api/v1/contacts/verify", json={"identity": phone, "pin": "1234"})
        assert no_pin.status_code == 422  # nobody set one yet
    with server.client("operator") as operator:
        assert operator.put(f"/api/v1/contacts/{contact}/pin", json={"pin": "48213"}).status_code == 204
        assert operator.put(f"/api/v1/contacts/{contact}/pin", json={"pin": "12"}).status_code == 422
        exported = operator.get(f"/api/v1/contacts/{contact}/export")
    with server.client("admin") as admin:
        exported = admin.get(f"/api/v1/contacts/{contact}/export").json()
        assert "pin_hash" not in exported["contact"]
    with server.client("bot") as bot:
        wrong = bot.post("/api/v1/contacts/verify", json={"identity": phone, "pin": "11111"})
        assert wrong.status_code == 403 and wrong.json()["type"].endswith("wrong-pin")
        right = bot.post("/api/v1/contacts/verify", json={"identity": phone, "pin": "48213"}).json()
        assert right["verified_by"] == "pin" and right["contact"] == contact
        proven = bot.get(
            "/api/v1/contacts/context", params={"identity": "phone:+37129555200", "verification": right["token"]}
        ).json()
        assert proven["identified_by"] == {"channel": "phone", "verified_by": "pin"}
        assert proven["open_cases"][0]["last_interaction"]["question"] == "мне дважды списали абонентскую плату"
        forged = bot.get(f"/api/v1/contacts/{contact}/context", params={"verification": right["token"] + "x"}).json()
        assert forged["identified_by"]["verified_by"] is None
        other = bot.post(
            "/api/v1/interactions",
            json={"identity": {"channel": "phone", "address": "+37129555201"}, "channel": "ivr", "outcome": "answered"},
        ).json()["contact"]
        borrowed = bot.get(f"/api/v1/contacts/{other}/context", params={"verification": right["token"]}).json()
        assert borrowed["identified_by"]["verified_by"] is None  # a proof holds for its own contact only


def test_five_wrong_pins_lock_the_pin(server: Live) -> None:
    phone = {"channel": "phone", "address": "+37129555300"}
    with server.client("bot") as bot:
        contact = bot.post(
            "/api/v1/interactions", json={"identity": phone, "channel": "ivr", "outcome": "answered"}
        ).json()["contact"]
        with server.client("operator") as operator:
            operator.put(f"/api/v1/contacts/{contact}/pin", json={"pin": "9911"}).raise_for_status()
        statuses = [
            bot.post("/api/v1/contacts/verify", json={"identity": phone, "pin": "0000"}).status_code for _ in range(5)
        ]
        assert statuses == [403, 403, 403, 403, 429]
        locked = bot.post("/api/v1/contacts/verify", json={"identity": phone, "pin": "9911"})
        assert locked.status_code == 429  # even the right one, until the lock ends

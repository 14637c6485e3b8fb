"""The Asterisk adapter, as its own process, between a real Istok and Asterisk's side of FastAGI.

Asterisk is `tests/fakes/asterisk_agi.py`: it sends a channel's environment, answers each AGI
command as Asterisk does and fetches every prompt URL the adapter plays, checking it is an
8 kHz mono 16-bit WAV. Istok speaks through espeak-ng, which CI must have.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.adapters.support import Adapter, environment, refused_start, timeline
from tests.api.conftest import Live, free_port
from tests.fakes.asterisk_agi import HANGUP, FakeAsterisk, wav_seconds

OPERATOR = "PJSIP/operators"
KNOWN = "+37129000001"
pytestmark = pytest.mark.usefixtures("espeak")


@pytest.fixture(scope="module")
def istok_public_url() -> None:
    """None: the prompts' URLs are Istok's own, which Asterisk fetches (see `media_url`)."""
    return None


def start_adapter(istok: Live, log: Path, **env: str) -> Adapter[FakeAsterisk]:
    """The adapter on a free port, and an Asterisk to place calls to it once it listens."""
    port = free_port()
    environ = environment("agi", istok, AGI_PORT=str(port), AGI_OPERATOR=OPERATOR, AGI_TIMEOUT_MS="3000", **env)
    return Adapter.start("agi", FakeAsterisk("127.0.0.1", port), log=log, environ=environ)


@pytest.fixture(scope="module")
def asterisk(istok: Live, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeAsterisk]:
    log = tmp_path_factory.mktemp("agi") / "adapter.log"
    adapter = start_adapter(istok, log, ISTOK_MEDIA_URL=media_url(istok))
    adapter.wait_listening(adapter.fake.port)
    yield adapter.fake
    text = adapter.stop()  # SIGTERM: a clean stop, exit 0
    assert "agi: stopped" in text


def media_url(istok: Live) -> str:
    """Where Asterisk fetches the WAVs: another name for Istok than the adapter's ISTOK_URL."""
    return istok.base.replace("127.0.0.1", "localhost")


def seed(istok: Live, phone: str, topic: str, times: int) -> None:
    with istok.client("operator") as http:
        for n in range(times):
            body = {"channel": "ivr", "outcome": "answered", "identity": {"channel": "phone", "address": phone}}
            body |= {"topic": topic, "message": f"seed-{phone}-{topic}-{n}"}
            http.post("/api/v1/interactions", json=body).raise_for_status()


def test_a_known_caller_hears_their_menu_and_the_topic_they_press(asterisk: FakeAsterisk, istok: Live) -> None:
    seed(istok, KNOWN, "roaming", 3)
    with istok.client("bot") as http:
        menu = http.get("/api/v1/ivr/menu", params={"caller": KNOWN, "locale": "ru"}).json()
    assert menu["personalised"] and menu["options"][0]["topic"] == "roaming"
    first = menu["options"][0]["digit"]
    call = asterisk.call(KNOWN, [first, HANGUP], args=("ru",))
    assert call.commands[0] == "ANSWER"
    assert all(p.url.startswith(media_url(istok) + "/api/v1/speech/") for p in call.played)
    assert len(call.played) == 4  # the menu and "9 for your requests", then the unit and "1 repeats, 0 an operator"
    assert all(p.seconds > 1.0 for p in call.played)
    recent = timeline(istok, f"phone:{KNOWN}")
    assert recent[0]["channel"] == "ivr" and recent[0]["outcome"] == "answered"
    assert recent[0]["topic"] == "roaming" and recent[0]["article"] is not None
    assert str(recent[0]["article"]["key"]).startswith("roaming-")  # type: ignore[index]  # the unit of the option pressed


def test_star_repeats_and_zero_transfers_to_an_operator(asterisk: FakeAsterisk, istok: Live) -> None:
    caller = "+37129000002"
    call = asterisk.call(caller, ["1", "*", "0"], args=("ru",))
    assert len(call.played) == 2 + 2 + 2 + 1  # menu (and the offer), unit + after, again, "connecting you"
    assert call.played[2].seconds == call.played[4].seconds  # the same unit, the same WAV
    assert call.dialled == [OPERATOR]
    recent = timeline(istok, f"phone:{caller}")
    assert recent[0]["outcome"] == "handoff" and recent[0]["channel"] == "ivr"
    assert any(i["outcome"] == "answered" for i in recent)


def test_an_invalid_key_says_so_and_plays_the_menu_again(asterisk: FakeAsterisk) -> None:
    call = asterisk.call("+37129000003", ["8", HANGUP], args=("en",))
    assert [p.seconds > 0 for p in call.played] == [True] * 5  # menu (and the offer), "no such option", menu
    assert call.played[0].seconds == call.played[3].seconds and call.played[2].seconds < call.played[0].seconds
    assert call.collected == ["8", HANGUP]
    assert not call.dialled


def test_invalid_keys_do_not_loop_forever(asterisk: FakeAsterisk) -> None:
    call = asterisk.call("+37129000009", ["8"] * 40, args=("en",))
    assert call.dialled == [OPERATOR]  # after the last turn, an operator
    assert 2 < len(call.collected) < 40


def test_silence_plays_the_menu_once_more_then_an_operator(asterisk: FakeAsterisk, istok: Live) -> None:
    caller = "+37129000004"
    call = asterisk.call(caller, [None, None], args=("uk",))
    assert call.collected == [None, None]
    assert call.dialled == [OPERATOR]
    assert call.hung_up_by_adapter is False and not call.errors
    assert timeline(istok, f"phone:{caller}")[0]["outcome"] == "handoff"


def test_silence_after_an_answer_ends_the_call_with_goodbye(asterisk: FakeAsterisk) -> None:
    call = asterisk.call("+37129000011", ["1", None, None, None], args=("en",))
    assert call.hung_up_by_adapter and not call.dialled
    assert len(call.played) == 2 + 2 + 2 + 2 + 1  # menu (and the offer), unit + after, menu twice, goodbye
    assert call.commands[-2].startswith("STREAM FILE ") and call.commands[-1] == "HANGUP"


def test_an_anonymous_caller_is_served_without_an_identity(asterisk: FakeAsterisk, istok: Live) -> None:
    call = asterisk.call("anonymous", ["1", HANGUP])
    assert len(call.played) == 3
    withheld = "+37129000005"  # a number with presentation restricted is no claim either
    call = asterisk.call(withheld, ["1", HANGUP], callingpres=0x20)
    assert len(call.played) == 3
    with istok.client("operator") as http:
        found = http.get("/api/v1/contacts/lookup", params={"channel": "phone", "address": withheld})
    assert found.status_code == 404


def test_a_hangup_mid_call_ends_the_session_and_the_next_call_is_served(asterisk: FakeAsterisk) -> None:
    call = asterisk.call("+37129000006", [HANGUP])
    assert call.collected == [HANGUP] and not call.errors  # nothing sent to the dead channel
    assert len(call.played) == 2  # the menu and the offer of one's own requests
    assert len(asterisk.call("+37129000006", ["2", HANGUP]).played) == 4


def test_another_script_name_is_hung_up(asterisk: FakeAsterisk) -> None:
    call = asterisk.call("+37129000007", ["1"], script="other")
    assert call.commands == ["HANGUP"] and call.hung_up_by_adapter


def test_the_wav_routes_over_http(istok: Live, asterisk: FakeAsterisk) -> None:
    path = "/api/v1/articles/ru/check-balance/speech.wav"
    with istok.client("bot") as http:
        got = http.get(path)
        assert got.status_code == 200 and got.headers["content-type"] == "audio/wav"
        assert wav_seconds(got.content) > 2.0
        etag = got.headers["etag"]
        assert http.get(path, headers={"If-None-Match": etag}).status_code == 304
        assert http.get("/api/v1/articles/ru/no-such-unit/speech.wav").status_code == 404
        menu = http.get("/api/v1/ivr/menu.wav", params={"caller": KNOWN, "locale": "ru"})
        assert menu.status_code == 200 and wav_seconds(menu.content) > 2.0
        link = http.post("/api/v1/speech/links", json={"kind": "article", "locale": "ru", "key": "check-balance"})
        assert link.status_code == 200 and link.json()["etag"] == etag
        assert (
            http.post("/api/v1/speech/links", json={"kind": "article", "locale": "ru", "key": "nope"}).status_code
            == 404
        )
    plain = httpx.get(istok.base + link.json()["url"], timeout=60)  # no key: the signature is the credential
    assert plain.status_code == 200 and plain.headers["etag"] == etag
    token = link.json()["url"].rsplit("/", 1)[1].removesuffix(".wav")
    forged = httpx.get(f"{istok.base}/api/v1/speech/{token[:-2]}xx.wav", timeout=30)
    assert forged.status_code == 404 and forged.headers["content-type"] == "application/problem+json"
    assert httpx.get(istok.base + path, timeout=30).status_code == 401
    with istok.client("editor") as http:
        assert http.get(path).status_code == 403


def test_a_tts_application_gets_the_ssml(istok: Live, tmp_path: Path) -> None:
    adapter = start_adapter(istok, tmp_path / "adapter.log", AGI_TTS_APP="MRCPSynth")
    try:
        adapter.wait_listening(adapter.fake.port)
        call = adapter.fake.call("+37129000008", ["1", HANGUP], args=("en",))
    finally:
        adapter.stop()
    assert not call.played and len(call.spoken) == 4  # menu, the offer of one's requests, unit, after
    assert all(s.startswith("<speak") for s in call.spoken)
    assert [c.split()[0:3] for c in call.commands if c.startswith("WAIT")] == [["WAIT", "FOR", "DIGIT"]] * 2


def test_a_missing_setting_is_named(istok: Live) -> None:
    done = refused_start("agi", environment("agi", istok))
    assert done.returncode == 2
    assert "AGI_OPERATOR" in done.stderr


def test_istok_unreachable_puts_the_caller_through_to_an_operator(istok: Live, tmp_path: Path) -> None:
    adapter = start_adapter(istok, tmp_path / "adapter.log", ISTOK_URL=f"http://127.0.0.1:{free_port()}")
    try:
        adapter.wait_listening(adapter.fake.port)
        call = adapter.fake.call("+37129000010", ["1"])
    finally:
        text = adapter.stop()
    assert call.dialled == [OPERATOR] and not call.played
    assert "Istok failed" in text


def _kinds(call: object) -> list[str]:
    """What each played URL speaks: the signed link's payload (readable; only its signature is secret)."""
    serializer = URLSafeTimedSerializer("not-the-server-key")
    kinds = []
    for played in call.played:  # type: ignore[attr-defined]
        token = played.url.rsplit("/", 1)[1].removesuffix(".wav")
        kinds.append(str(serializer.loads_unsafe(token)[1]["kind"]))
    return kinds


def test_a_caller_hears_their_own_open_request_only_after_their_pin(asterisk: FakeAsterisk, istok: Live) -> None:
    caller = "+37129000012"
    with istok.client("operator") as http:
        opened = {
            "channel": "telegram",
            "outcome": "handoff",
            "topic": "billing",
            "identity": {"channel": "phone", "address": caller},
        }
        contact = http.post("/api/v1/interactions", json=opened).json()["contact"]
        http.put(f"/api/v1/contacts/{contact}/pin", json={"pin": "4821"}).raise_for_status()
    wrong = asterisk.call(caller, ["9", "1111", HANGUP], args=("ru",))
    assert "cases" not in _kinds(wrong)  # a caller id and a wrong PIN: nothing of theirs is said
    right = asterisk.call(caller, ["9", "4821", HANGUP], args=("ru",))
    kinds = _kinds(right)
    assert kinds[:4] == ["menu", "prompt", "prompt", "cases"]  # menu, the offer, "enter your PIN", their requests
    assert right.played[3].seconds > 1.0
    with istok.client("admin") as http:
        audit = http.get("/api/v1/audit", params={"action": "contact.ivr.cases"}).json()
    assert any(row["target"] == f"contact {contact}" for row in audit["items"])

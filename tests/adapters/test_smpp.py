"""The SMPP adapter, as its own process, between a real Istok and a local SMSC (tests/fakes/smsc.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adapters.support import Adapter, environment, refused_start, timeline, wait_for
from tests.api.conftest import Live
from tests.fakes.smsc import FakeSmsc, running


def start(server: Live, smsc: FakeSmsc, log: Path, **env: str) -> Adapter[FakeSmsc]:
    environ = environment(
        "smpp",
        server,
        SMPP_HOST="127.0.0.1",
        SMPP_PORT=str(smsc.port),
        SMPP_SYSTEM_ID=smsc.system_id,
        SMPP_PASSWORD=smsc.password,
        SMPP_SOURCE_ADDR="555",
        **env,
    )
    return Adapter.start("smpp", smsc, log=log, environ=environ)


@pytest.fixture(scope="module")
def smsc(istok: Live, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeSmsc]:
    log = tmp_path_factory.mktemp("smpp") / "adapter.log"
    with running() as fake:
        adapter = start(istok, fake, log)
        adapter.wait_for(fake.bound.is_set, "the bind", timeout=60)
        yield fake
        text = adapter.stop()
        assert fake.unbound.is_set() and "smpp: stopped" in text  # unbound before leaving


def test_a_texted_question_is_answered_in_at_most_two_parts_with_its_receipt_on_the_timeline(
    smsc: FakeSmsc,
    istok: Live,
) -> None:
    before = len(smsc.submitted)
    smsc.client_texts("+37129000301", "как проверить баланс")
    sms = smsc.wait_submitted(before + 1)[before]
    assert sms.destination == "+37129000301"
    assert sms.data_coding == 0x08 and sms.parts <= 2  # Cyrillic: UCS-2, Istok's SMS form fits two parts
    assert "*100#" in sms.text
    wait_for(lambda: len(timeline(istok, "phone:+37129000301")) >= 2, "the receipt on the timeline")
    recent = timeline(istok, "phone:+37129000301")
    assert {(r["channel"], r["direction"]) for r in recent} == {("sms", "in"), ("sms", "out")}


def test_an_english_question_goes_out_in_gsm_7(smsc: FakeSmsc) -> None:
    before = len(smsc.submitted)
    smsc.client_texts("+37129000302", "how do I check my balance")
    sms = smsc.wait_submitted(before + 1)[before]
    assert sms.data_coding == 0x00 and "*100#" in sms.text


def test_a_question_in_concatenated_parts_is_asked_whole(smsc: FakeSmsc) -> None:
    before = len(smsc.submitted)
    question = "добрый день, подскажите пожалуйста как проверить баланс на телефоне"
    smsc.client_texts_in_parts("+37129000303", question, 20)
    sms = smsc.wait_submitted(before + 1)[before]
    assert "*100#" in sms.text
    time.sleep(0.5)
    assert len(smsc.submitted) == before + 1  # one answer, not one per part


def test_a_throttled_submission_is_sent_again_and_arrives_once(smsc: FakeSmsc) -> None:
    before, submits = len(smsc.submitted), smsc.submits
    smsc.throttle_next()
    smsc.client_texts("+37129000304", "как проверить баланс")
    smsc.wait_submitted(before + 1)
    time.sleep(0.5)
    assert len(smsc.submitted) == before + 1
    assert smsc.submits > submits + 1  # refused once, then sent


def test_an_off_topic_text_is_handed_off_with_the_number_to_call(smsc: FakeSmsc, istok: Live) -> None:
    before = len(smsc.submitted)
    smsc.client_texts("+37129000305", "как приготовить плов")
    sms = smsc.wait_submitted(before + 1)[before]
    assert "оператор" in sms.text and "37167000100" in sms.text.replace(" ", "")
    assert sms.parts <= 2
    assert timeline(istok, "phone:+37129000305")[-1]["outcome"] == "handoff"


def test_a_missing_setting_stops_the_start_naming_it() -> None:
    done = refused_start("smpp", environment("smpp", ISTOK_API_KEY="k"))
    assert done.returncode == 2 and "SMPP_HOST" in done.stderr

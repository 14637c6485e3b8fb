"""The speech routes on a server without espeak-ng: a 503 problem that names what is missing.

The routes with espeak-ng (8 kHz mono WAV, ETag and 304, 404, roles, signed links) are tested
over HTTP in tests/adapters/test_agi.py, where the Asterisk fake plays them too.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import Live, sample_server


@pytest.fixture(scope="module")
def mute(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    """A server whose PATH holds the virtualenv only, so espeak-ng cannot be found."""
    path = str(Path(sys.executable).parent)
    assert shutil.which("espeak-ng", path=path) is None
    yield from sample_server(tmp_path_factory.mktemp("speech-mute"), sqlite_template, PATH=path)


def test_without_espeak_the_wav_is_a_503_naming_it(mute: Live) -> None:
    with mute.client("bot") as http:
        got = http.get("/api/v1/articles/ru/check-balance/speech.wav")
        assert got.status_code == 503, got.text
        assert got.headers["content-type"] == "application/problem+json"
        assert "espeak-ng" in got.json()["detail"]
        link = http.post("/api/v1/speech/links", json={"kind": "prompt", "locale": "en", "name": "goodbye"})
        assert link.status_code == 200  # a link is only words; the sound is made when it is played
    played = httpx.get(mute.base + link.json()["url"], timeout=30)
    assert played.status_code == 503 and "espeak-ng" in played.json()["detail"]


def test_an_unknown_unit_is_404_before_any_speech(mute: Live) -> None:
    with mute.client("operator") as http:
        assert http.get("/api/v1/articles/ru/no-such-unit/speech.wav").status_code == 404


def test_a_link_needs_what_its_kind_speaks(mute: Live) -> None:
    with mute.client("bot") as http:
        missing = http.post("/api/v1/speech/links", json={"kind": "article", "locale": "ru"})
        assert missing.status_code == 422 and "key" in missing.json()["detail"]
        assert (
            http.post("/api/v1/speech/links", json={"kind": "prompt", "locale": "xx", "name": "after"}).status_code
            == 422
        )

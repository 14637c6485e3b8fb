"""A real speech engine (espeak-ng) speaks every sample's SSML, in Russian, Ukrainian and English."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import pytest

import kb
from renderers import RenderOptions, render
from renderers.speech import Speech
from tests.renderers.support import load_facts, sample_units, slugs_by_locale

UNITS = sample_units()
FACTS = load_facts()
SLUGS = slugs_by_locale(UNITS)
VOICES = {"ru": "ru", "uk": "uk", "en": "en-us"}


def speak(espeak: str, ssml: str, voice: str, wav: Path) -> float:
    """Seconds of audio espeak-ng makes of `ssml`."""
    done = subprocess.run(
        [espeak, "-m", "-v", voice, "-w", str(wav), "--stdin"],
        input=ssml.encode("utf-8"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    with wave.open(str(wav)) as audio:
        return audio.getnframes() / audio.getframerate()


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: f"{u.locale}/{u.key}")
def test_espeak_speaks_every_sample(espeak: str, unit: kb.Unit, tmp_path: Path) -> None:
    options = RenderOptions(articles=SLUGS[unit.locale])
    out = render("ivr", unit=unit, facts=FACTS, options=options)
    seconds = speak(espeak, out.body, VOICES[unit.locale], tmp_path / "out.wav")
    assert seconds > 0.5
    # The estimate is for a phone voice; espeak is brisker, but not another order of size.
    assert seconds / 3 < out.meta["duration_s"] < seconds * 3


@pytest.mark.parametrize("locale", ["ru", "uk", "en"])
def test_espeak_speaks_phones_breaks_and_escaped_text(espeak: str, locale: str, tmp_path: Path) -> None:
    speech = Speech(locale)
    speech.open_paragraph()
    speech.text("Tom & Jerry <b> ")
    speech.say_as("telephone", "+371 67 000 100", "")
    speech.pause(300)
    speech.close_paragraph()
    assert speak(espeak, speech.document(), VOICES[locale], tmp_path / "x.wav") > 1.0

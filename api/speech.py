"""Speaking IVR text: SSML through espeak-ng, as the 8 kHz WAV a telephone line carries.

One path for every listener: a phone switch fetching a unit's or a menu's speech
(`api/routes/speech.py`) and the editor pressing "listen" in the admin (`api/pages/preview.py`)
hear the same thing, narrowband as a caller will. espeak-ng (`-m` reads SSML) writes 22.05 kHz;
soxr resamples with a proper anti-alias filter. Synthesis runs off the event loop, at most
`SYNTHESES` at once per worker, and the last `CACHE` WAVs are kept by their ETag (voice and SSML).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import shutil
import subprocess
import tempfile
import threading
import wave
from collections import OrderedDict
from pathlib import Path

import numpy as np
import soxr  # type: ignore[import-untyped]  # ships no type information
from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

import kb

RATE = 8000  # narrowband telephony: what G.711 carries
VOICES = {"ru": "ru", "uk": "uk", "en": "en-us"}
SYNTHESES = 2  # espeak-ng processes at once per worker: each takes a core while it speaks
CACHE = 256  # WAVs kept (a minute of 8 kHz speech is under 1 MB)
SPEAK_SECONDS = 60


class SpeechUnavailable(kb.IstokError):
    status = 503
    slug = "speech-unavailable"


class SpeechFailed(kb.IstokError):
    status = 500
    slug = "speech-failed"


_lock = threading.Lock()
_cache: OrderedDict[str, bytes] = OrderedDict()
_slots: dict[int, asyncio.Semaphore] = {}  # one per event loop (tests run more than one)


def _engine() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise SpeechUnavailable("espeak-ng is not installed on the server (apt-get install espeak-ng)")
    return path


def tag(ssml: str, locale: str) -> str:
    """The ETag of the WAV of `ssml` in `locale`'s voice: the same words always sound the same."""
    digest = hashlib.sha256(f"{VOICES.get(locale, 'en-us')}\0{RATE}\0{ssml}".encode()).hexdigest()
    return f'"{digest[:40]}"'


def synthesise(ssml: str, locale: str) -> bytes:
    """`ssml` spoken by espeak-ng (22.05 kHz), resampled by soxr to 8 kHz mono 16-bit PCM WAV."""
    engine = _engine()
    with tempfile.TemporaryDirectory(prefix="istok-speech-") as tmp:
        out = Path(tmp) / "speech.wav"  # a file, not stdout: only a seekable file gets true chunk sizes
        done = subprocess.run(
            [engine, "-m", "-v", VOICES.get(locale, "en-us"), "-w", str(out), "--stdin"],
            input=ssml.encode("utf-8"),
            capture_output=True,
            timeout=SPEAK_SECONDS,
            check=False,
        )
        if done.returncode != 0 or not out.exists():
            raise SpeechFailed("espeak-ng failed: " + done.stderr.decode(errors="replace")[:500])
        with wave.open(str(out), "rb") as src:
            if src.getsampwidth() != 2:
                raise SpeechFailed(f"espeak-ng wrote {8 * src.getsampwidth()}-bit audio, not 16-bit")
            rate, channels = src.getframerate(), src.getnchannels()
            samples = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2")
    mono = samples.reshape(-1, channels).mean(axis=1) if channels > 1 else samples.astype(np.float64)
    narrow = soxr.resample(mono / 32768.0, rate, RATE, quality="HQ")
    pcm = np.clip(np.round(narrow * 32768.0), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as dst:
        dst.setnchannels(1)
        dst.setsampwidth(2)
        dst.setframerate(RATE)
        dst.writeframes(pcm.tobytes())
    return buffer.getvalue()


async def wav_response(request: Request, ssml: str, locale: str, *, cache: str) -> Response:
    """The WAV of `ssml`, or 304 for a matching `If-None-Match`; synthesis off the loop and bounded."""
    etag = tag(ssml, locale)
    headers = {"ETag": etag, "Cache-Control": cache}
    if etag in {t.strip() for t in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    with _lock:
        body = _cache.get(etag)
        if body is not None:
            _cache.move_to_end(etag)
    if body is None:
        _engine()  # 503 at once, not after a wait for a slot
        loop = id(asyncio.get_running_loop())
        slot = _slots.setdefault(loop, asyncio.Semaphore(SYNTHESES))
        async with slot:
            body = await run_in_threadpool(synthesise, ssml, locale)
        with _lock:
            _cache[etag] = body
            while len(_cache) > CACHE:
                _cache.popitem(last=False)
    return Response(body, media_type="audio/wav", headers=headers)

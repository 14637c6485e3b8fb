"""Asterisk's side of FastAGI for the adapter's tests, written from Asterisk's documentation.

https://docs.asterisk.org/Configuration/Interfaces/Asterisk-Gateway-Interface-AGI/ and the AGI
command pages (https://docs.asterisk.org/Asterisk_22_Documentation/API_Documentation/AGI_Commands/):
Asterisk connects to `agi://host:port/script`, sends the channel's `agi_*: value` lines and an
empty line, then answers each command line: `ANSWER` → `200 result=0`; `GET DATA <file>
[timeout] [maxdigits]` plays the `&`-separated prompts with keys as barge-in and answers the
digits (`200 result=1`), `200 result= (timeout)` when none came, `200 result=-1` on hangup;
`WAIT FOR DIGIT <ms>` → the key's ASCII code or `result=0`; `STREAM FILE <file> <escape digits>`
→ `200 result=0 endpos=N`; `EXEC <app> <args>` → the application's return (`-2` for an unknown
one); `HANGUP` → `200 result=1`; an unknown command → `510 Invalid or unknown command`, a known
one with missing arguments → `520-Invalid command syntax.  Proper usage follows:` … `520 End of
proper usage.`; after the caller hangs up, a `HANGUP` line and then `511 Command Not Permitted on
a dead channel or intercept routine` for channel commands.

Asterisk 14+ fetches a prompt given as an http(s) URL through res_http_media_cache; so does this
fake, and it checks that what it got is a WAV Asterisk can play on a call: 8 kHz mono 16-bit PCM
(the `wave` module) of non-trivial length.
"""

from __future__ import annotations

import io
import socket
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import httpx

MIN_SECONDS = 0.3  # a prompt shorter than this is no speech
HANGUP = "hangup"  # a scripted "key": the caller hangs up instead of pressing
NEEDS_ARGS = {"GET DATA": 1, "WAIT FOR DIGIT": 1, "STREAM FILE": 2, "EXEC": 1}
KNOWN = ("ANSWER", "HANGUP", *NEEDS_ARGS)


@dataclass
class Played:
    url: str
    seconds: float
    status: int


@dataclass
class CallLog:
    """What happened on one call, in order."""

    commands: list[str] = field(default_factory=list)
    played: list[Played] = field(default_factory=list)
    dialled: list[str] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)  # SSML handed to a TTS application
    collected: list[str | None] = field(default_factory=list)  # what each key collection answered
    hung_up_by_adapter: bool = False
    errors: list[str] = field(default_factory=list)  # lines answered 510/520/511


def split_args(line: str) -> list[str]:
    """An AGI command line as res_agi's parse_args reads it: spaces separate, `"…"` quotes, `\\` escapes."""
    out: list[str] = []
    current: list[str] = []
    quoted = escaped = started = False
    for ch in line:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
            started = True
        elif ch == " " and not quoted:
            if current or started:
                out.append("".join(current))
            current, started = [], False
        else:
            current.append(ch)
    if current or started:
        out.append("".join(current))
    return out


def wav_seconds(body: bytes) -> float:
    """Seconds of a WAV a phone call can play; AssertionError for anything else."""
    with wave.open(io.BytesIO(body), "rb") as w:
        assert w.getframerate() == 8000, f"{w.getframerate()} Hz, not 8000"
        assert w.getnchannels() == 1, f"{w.getnchannels()} channels, not mono"
        assert w.getsampwidth() == 2, f"{8 * w.getsampwidth()}-bit, not 16-bit"
        return w.getnframes() / 8000


class FakeAsterisk:
    """Places calls to a FastAGI server, one at a time, with a scripted caller."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.uniques = 0

    def call(
        self,
        caller: str,
        keys: list[str | None],
        *,
        script: str = "istok",
        args: tuple[str, ...] = (),
        callingpres: int = 0,
        timeout: float = 60.0,
    ) -> CallLog:
        """One call from `caller` pressing `keys` in turn (None: silence, HANGUP: hangs up); then hangs up."""
        self.uniques += 1
        env = {
            "agi_network": "yes",
            "agi_network_script": script,
            "agi_request": f"agi://{self.host}:{self.port}/{script}",
            "agi_channel": f"PJSIP/trunk-{self.uniques:08x}",
            "agi_language": "en",
            "agi_type": "PJSIP",
            "agi_uniqueid": f"1764680000.{self.uniques}",
            "agi_version": "22.1.0",
            "agi_callerid": caller,
            "agi_calleridname": "unknown",
            "agi_callingpres": str(callingpres),
            "agi_callingani2": "0",
            "agi_callington": "0",
            "agi_callingtns": "0",
            "agi_dnid": "7000",
            "agi_rdnis": "unknown",
            "agi_context": "from-trunk",
            "agi_extension": "7000",
            "agi_priority": "1",
            "agi_enhanced": "0.0",
            "agi_accountcode": "",
            "agi_threadid": "140000000000001",
            **{f"agi_arg_{i}": a for i, a in enumerate(args, start=1)},
        }
        log = CallLog()
        script_keys = list(keys)
        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            stream = sock.makefile("rwb", buffering=0)
            head = "".join(f"{k}: {v}\n" for k, v in env.items()) + "\n"
            stream.write(head.encode())
            dead = False
            for raw in stream:
                line = raw.decode("utf-8").rstrip("\n")
                log.commands.append(line)
                reply, dead = self.answer(line, script_keys, log, dead)
                stream.write(reply.encode())
                if log.hung_up_by_adapter:
                    break
        return log

    def answer(self, line: str, keys: list[str | None], log: CallLog, dead: bool) -> tuple[str, bool]:
        """The reply to one command line, and whether the channel is now hung up."""
        words = split_args(line)
        name = next((k for k in sorted(KNOWN, key=len, reverse=True) if line.upper().startswith(k)), None)
        if name is None:
            log.errors.append(line)
            return "510 Invalid or unknown command\n", dead
        args = words[len(name.split()) :]
        if len(args) < NEEDS_ARGS.get(name, 0):
            log.errors.append(line)
            usage = f" Usage: {name} <arguments>\n"
            return "520-Invalid command syntax.  Proper usage follows:\n" + usage + "520 End of proper usage.\n", dead
        if name == "HANGUP":
            log.hung_up_by_adapter = True
            return "200 result=1\n", True
        if dead:
            log.errors.append(line)
            return "511 Command Not Permitted on a dead channel or intercept routine\n", dead
        if name == "ANSWER":
            return "200 result=0\n", dead
        if name == "STREAM FILE":
            self.play(args[0], log)
            return "200 result=0 endpos=8000\n", dead
        if name == "EXEC":
            app, app_args = args[0], " ".join(args[1:])
            if app.lower() == "dial":
                log.dialled.append(app_args)
                return "200 result=0\n", dead
            if app.lower() == "mrcpsynth":
                ssml = app_args.replace("\\,", ",").replace("\\\\", "\\")
                ET.fromstring(ssml)  # the synthesiser refuses SSML that is not well-formed XML
                log.spoken.append(ssml)
                return "200 result=0\n", dead
            return "200 result=-2\n", dead  # "Could not find application"
        key = keys.pop(0) if keys else HANGUP
        if name == "GET DATA":
            for url in args[0].split("&"):
                self.play(url, log)
        log.collected.append(key)
        if key == HANGUP:
            return "HANGUP\n200 result=-1\n", True
        if name == "WAIT FOR DIGIT":
            return f"200 result={ord(key) if key else 0}\n", dead
        return (f"200 result={key}\n" if key else "200 result= (timeout)\n"), dead

    def play(self, url: str, log: CallLog) -> None:
        assert url.startswith(("http://", "https://")), f"not a URL Asterisk can fetch: {url!r}"
        response = httpx.get(url, timeout=60)  # res_http_media_cache: a plain GET, no credentials
        seconds = wav_seconds(response.content) if response.status_code == 200 else 0.0
        log.played.append(Played(url=url, seconds=seconds, status=response.status_code))
        assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:200]}"
        assert response.headers.get("content-type", "").startswith("audio/"), response.headers
        assert seconds >= MIN_SECONDS, f"{url}: {seconds:.2f} s of audio"

"""The Asterisk adapter's settings, and what it reads from a call's AGI environment.

AGI_LISTEN / AGI_PORT: where the FastAGI server listens (4573 is FastAGI's default port).
AGI_OPERATOR: the Dial string of the operators. AGI_TTS_APP: a dialplan application that speaks
SSML (unimrcp's MRCPSynth); unset, Asterisk plays Istok's WAVs by URL. AGI_TIMEOUT_MS: how long
a caller has to press a key. AGI_LOCALE: the call's language when the dialplan names none.
ISTOK_MEDIA_URL: the Istok address Asterisk fetches WAVs from, when it differs from ISTOK_URL.

The caller id comes from `agi_callerid` and its presentation from `agi_callingpres`
(https://docs.asterisk.org/Configuration/Interfaces/Asterisk-Gateway-Interface-AGI/; the
presentation values are Asterisk's `CALLERPRES_*`, where 0x20-0x23 is "presentation prohibited").
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from adapters import settings

LANGUAGES = ("ru", "uk", "en")
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_WITHHELD = {"", "unknown", "anonymous", "restricted", "private", "withheld", "<unknown>"}


@dataclass(frozen=True)
class AgiSettings:
    listen: str
    port: int
    operator: str  # a Dial string: PJSIP/operators, SIP/queue …
    tts_app: str | None
    timeout_ms: int
    locale: str
    media_url: str  # where Asterisk fetches Istok's WAVs (may differ from ISTOK_URL)
    istok: settings.IstokSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AgiSettings:
        env = os.environ if env is None else env
        istok = settings.istok(env)
        locale = env.get("AGI_LOCALE", "").strip() or istok.locale
        if locale not in LANGUAGES:
            raise settings.SettingsError(f"AGI_LOCALE must be one of {', '.join(LANGUAGES)}, not {locale!r}")
        media = env.get("ISTOK_MEDIA_URL", "").strip().rstrip("/") or istok.url
        if not media.startswith(("http://", "https://")):
            raise settings.SettingsError(f"ISTOK_MEDIA_URL must start with http:// or https://, not {media!r}")
        timeout = settings.number(env, "AGI_TIMEOUT_MS", 5000)
        if not 500 <= timeout <= 60000:
            raise settings.SettingsError(f"AGI_TIMEOUT_MS must be 500-60000 milliseconds, not {timeout}")
        return cls(
            listen=env.get("AGI_LISTEN", "").strip() or "127.0.0.1",
            port=settings.number(env, "AGI_PORT", 4573),
            operator=settings.required(env, "AGI_OPERATOR", "the Dial string of the operators, e.g. PJSIP/operators"),
            tts_app=env.get("AGI_TTS_APP", "").strip() or None,
            timeout_ms=timeout,
            locale=locale,
            media_url=media,
            istok=istok,
        )


def caller_number(env: Mapping[str, str]) -> str | None:
    """The caller's number, or None when it is withheld (presentation restricted) or not a number."""
    number = env.get("agi_callerid", "").strip()
    try:
        restricted = (int(env.get("agi_callingpres", "0")) & 0x60) == 0x20  # ast_callerid: "prohib"
    except ValueError:
        restricted = False
    if restricted or number.lower() in _WITHHELD or not _NUMBER.match(number):
        return None
    return number


def call_locale(env: Mapping[str, str], default: str) -> str:
    """The dialplan's first AGI argument when it names a language (`AGI(agi://…/istok,uk)`), else the default."""
    given = env.get("agi_arg_1", "").strip().lower()
    return given if given in LANGUAGES else default

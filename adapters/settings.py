"""Settings every adapter reads from its environment: where Istok is and the key it talks with.

An adapter is its own process, often on another host, so nothing comes from Istok's own
configuration; a missing or malformed variable stops the start with a message naming it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(ValueError):
    """A required variable is missing or unusable; the message names it and what it should hold."""


@dataclass(frozen=True)
class IstokSettings:
    url: str
    key: str
    locale: str  # the knowledge base's locale when a message gives no hint


def required(env: Mapping[str, str], name: str, meaning: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set: {meaning}")
    return value


def number(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def istok(env: Mapping[str, str] | None = None) -> IstokSettings:
    """`ISTOK_URL` (default http://127.0.0.1:8000), `ISTOK_API_KEY` (a `bot` key), `ISTOK_LOCALE` (ru)."""
    env = os.environ if env is None else env
    url = env.get("ISTOK_URL", "").strip() or "http://127.0.0.1:8000"
    if not url.startswith(("http://", "https://")):
        raise SettingsError(f"ISTOK_URL must start with http:// or https://, not {url!r}")
    key = required(env, "ISTOK_API_KEY", "an Istok API key with the bot role (istok keys create --role bot)")
    locale = env.get("ISTOK_LOCALE", "").strip() or "ru"
    return IstokSettings(url=url.rstrip("/"), key=key, locale=locale)

"""IVR menus: options read out as "for X, press 1" in the locale, with the key map as data.

The caller's switch needs the mapping, not the prompt, to route a key press, so the
DTMF map travels in `meta["dtmf"]` next to the spoken prompt. Keys left unset are
given 1–9 and then 0 in the options' order (personalisation reorders the options).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kb import Locale
from renderers.base import InvalidMenu, Rendered, pick_format
from renderers.facts import spoken_number
from renderers.ivr import FORMATS, MEDIA_TYPES
from renderers.phrases import phrase
from renderers.speech import Speech, voice_lang

DTMF_KEYS = "1234567890*#"
_AUTO_KEYS = "1234567890"
PAUSE_BETWEEN_OPTIONS_MS = 400


@dataclass(frozen=True, slots=True)
class MenuOption:
    """One choice: what the caller hears, where it leads (an article key or an action), its key."""

    label: str
    target: str
    key: str | None = None


def render_ivr_menu(
    options: Sequence[MenuOption],
    *,
    locale: Locale,
    format: str | None = None,
    intro: str | None = None,
    notices: Sequence[str] = (),
) -> Rendered:
    """The menu prompt in SSML (default) or plain words, and the key → target map in meta.

    `notices` (announcements of now: an outage, planned works) are the first thing said,
    before the greeting, each its own paragraph.
    """
    fmt = pick_format("ivr", format, FORMATS)
    keyed = assign_keys(options)
    speech = Speech(locale)
    for notice in notices:
        speech.open_paragraph()
        speech.text(notice)
        speech.close_paragraph()
    if intro:
        speech.open_paragraph()
        speech.text(intro)
        speech.close_paragraph()
    speech.open_paragraph()
    for key, option in keyed:
        label = option.label.strip().rstrip(".")
        spoken_key = _spoken_key(key, locale)
        before, _, after = phrase(locale, "menu_option", label="\x00", key=spoken_key).partition("\x00")
        speech.words(before)
        speech.text(label)
        speech.words(after)
        speech.pause(PAUSE_BETWEEN_OPTIONS_MS)
    speech.close_paragraph()
    body = speech.document() if fmt == "ssml" else speech.plain()
    meta: dict[str, Any] = {
        "dtmf": {key: option.target for key, option in keyed},
        "options": [{"key": key, "label": option.label, "target": option.target} for key, option in keyed],
        "duration_s": speech.duration(),
        "lang": voice_lang(locale),
        "notices": len(notices),
    }
    return Rendered(channel="ivr", format=fmt, body=body, media_type=MEDIA_TYPES[fmt], meta=meta)


def assign_keys(options: Sequence[MenuOption]) -> list[tuple[str, MenuOption]]:
    """Each option with its key: its own, else the next free one of 1–9, 0."""
    if not options:
        raise InvalidMenu("a menu needs at least one option")
    taken: set[str] = set()
    for option in options:
        if option.key is None:
            continue
        if option.key not in DTMF_KEYS or len(option.key) != 1:
            raise InvalidMenu(f"{option.key!r} is not a phone key (keys: {', '.join(DTMF_KEYS)})")
        if option.key in taken:
            raise InvalidMenu(f"key {option.key} is given to two options")
        taken.add(option.key)
    free = iter(k for k in _AUTO_KEYS if k not in taken)
    keyed: list[tuple[str, MenuOption]] = []
    for option in options:
        key = option.key if option.key is not None else next(free, None)
        if key is None:
            raise InvalidMenu(f"{len(options)} options, but a phone has only {len(_AUTO_KEYS)} number keys")
        keyed.append((key, option))
    return keyed


def _spoken_key(key: str, locale: Locale) -> str:
    if key == "*":
        return phrase(locale, "star_key")
    if key == "#":
        return phrase(locale, "hash_key")
    return spoken_number(Decimal(key), locale)

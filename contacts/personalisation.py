"""Personalisation inputs: the IVR menu order for a caller and the segment an answer uses.

These are pure functions of the context (plain data in, plain data out); the API hands
their result to the renderers, which never see a contact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contacts.rules import MenuRules

FALLBACK_LOCALE = "en"


@dataclass(frozen=True)
class MenuChoice:
    """One option of the main menu in the caller's order; `digit` only when pinned in the rules."""

    topic: str
    label: str
    digit: str | None


def order_menu(
    rules: MenuRules,
    *,
    locale: str,
    open_topics: Sequence[str] = (),
    frequent: Sequence[tuple[str, int]] = (),
) -> list[MenuChoice]:
    """Topics of open cases first, then the most frequent ones, then the default order.

    An unknown caller (no open cases, no history) hears exactly the order of the rules.
    """
    counts = dict(frequent)
    open_set = set(open_topics)
    position = {item.topic: i for i, item in enumerate(rules.items)}
    ranked = sorted(
        rules.items,
        key=lambda item: (item.topic not in open_set, -counts.get(item.topic, 0), position[item.topic]),
    )
    return [MenuChoice(topic=item.topic, label=_label(item.labels, locale), digit=item.digit) for item in ranked]


def intro(rules: MenuRules, locale: str) -> str | None:
    return _label(rules.intro, locale) if rules.intro else None


def answer_segment(segments: Sequence[str]) -> str | None:
    """The audience an answer's channel block is chosen for: the contact's first segment."""
    return sorted(segments)[0] if segments else None


def _label(labels: dict[str, str], locale: str) -> str:
    return labels.get(locale) or labels.get(FALLBACK_LOCALE) or next(iter(labels.values()), "")

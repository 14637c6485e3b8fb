"""Routing suggestions: which queue a message should reach, and why, from `content/routing.yaml`.

Keyword rules win (a client writing «не работает» needs technical support whatever the
search finds); otherwise the category of the best-matching article decides. The search
itself is the caller's: this module takes the hits as plain data, so it stays pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from contacts.rules import RoutingRules

_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
_RUSSIAN_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")


class HitLike(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def locale(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def category(self) -> str | None: ...


@dataclass(frozen=True)
class RouteSuggestion:
    queue: str
    queue_name: str
    reason: str
    topic: str | None
    matched: str | None  # the keyword phrase, when a keyword rule decided


def detect_locale(message: str, *, default: str = "en") -> str:
    """ru, uk or en from the alphabet: Ukrainian letters say uk, other Cyrillic says ru."""
    if _UKRAINIAN.search(message) and not _RUSSIAN_ONLY.search(message):
        return "uk"
    if _CYRILLIC.search(message):
        return "ru"
    return default if not re.search(r"[A-Za-z]", message) else "en"


def suggest_route(message: str, *, rules: RoutingRules, hits: Sequence[HitLike] = ()) -> RouteSuggestion:
    """The queue for `message`: the first keyword rule that matches, else the top hit's category."""
    text = " " + " ".join(message.lower().replace("’", "'").split()) + " "
    for rule in rules.keywords:
        for phrase in rule.phrases:
            if re.search(r"(?<![\w])" + re.escape(phrase), text):
                topic = rule.topic or (hits[0].category if hits else None)
                return RouteSuggestion(
                    queue=rule.queue,
                    queue_name=rules.queues.get(rule.queue, rule.queue),
                    reason=f"the message says «{phrase}»",
                    topic=topic,
                    matched=phrase,
                )
    if hits and hits[0].category in rules.categories:
        category = hits[0].category or ""
        queue = rules.categories[category]
        return RouteSuggestion(
            queue=queue,
            queue_name=rules.queues.get(queue, queue),
            reason=f"the best-matching article «{hits[0].title}» is about {category}",
            topic=category,
            matched=None,
        )
    queue = rules.default_queue
    return RouteSuggestion(
        queue=queue,
        queue_name=rules.queues.get(queue, queue),
        reason="no keyword rule and no article matched; the default queue",
        topic=hits[0].category if hits else None,
        matched=None,
    )

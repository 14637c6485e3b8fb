"""Shared names and enumerations used across Istok's packages."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeAlias

Locale: TypeAlias = str
ArticleKey: TypeAlias = str
ChannelName: TypeAlias = str
FactKey: TypeAlias = str

LOCALES: tuple[Locale, ...] = ("ru", "uk", "en")

#: Channel blocks a source may contain; `internal` is operator-only.
BLOCK_CHANNELS: tuple[ChannelName, ...] = (
    "ivr",
    "bot",
    "sms",
    "web",
    "operator",
    "email",
    "internal",
)

#: Blocks that may reach people outside the company.
PUBLIC_BLOCK_CHANNELS: frozenset[ChannelName] = frozenset(BLOCK_CHANNELS) - {"internal", "operator"}


class ArticleStatus(StrEnum):
    """Where an article stands for the public."""

    DRAFT = "draft"
    PUBLISHED = "published"


class LogKind(StrEnum):
    """What a publication-log entry records."""

    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    ROLLBACK = "rollback"
    FACT = "fact"


class FactType(StrEnum):
    """The kinds of value a fact may hold; renderers format each kind per channel."""

    TEXT = "text"
    PHONE = "phone"
    MONEY = "money"
    URL = "url"
    DATE = "date"
    NUMBER = "number"

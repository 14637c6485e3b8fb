"""Shared names and enumerations used across Istok's packages."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeAlias

Locale: TypeAlias = str
ArticleKey: TypeAlias = str
ChannelName: TypeAlias = str
FactKey: TypeAlias = str

#: The locales content is written in, the first the default; every locale check uses this list.
LOCALES: tuple[Locale, ...] = ("ru", "uk", "en")
#: (Channels, their blocks and thresholds are one table, in `kb/channels.py`.)


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

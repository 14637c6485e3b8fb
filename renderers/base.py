"""The contract every channel renderer keeps: plain data in, one `Rendered` value out.

A renderer is a pure function. Everything it may depend on (the parsed unit, fact
values, the locale, links to other articles, related questions, caps) arrives as
arguments, which is what lets the registry cache its output by those arguments alone.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import kb
from kb import ArticleKey, ChannelName, FactValue, Locale, Unit


@dataclass(frozen=True, slots=True)
class Rendered:
    """A unit in one channel's form: the body, its media type, metadata and warnings.

    `meta` holds channel facts a caller needs besides the body (SMS segments and
    encoding, IVR duration, JSON-LD, the email's parts). Rendered values are shared
    through the render cache, so treat `meta` as read-only; `as_dict()` gives a copy.
    """

    channel: ChannelName
    format: str
    body: str
    media_type: str
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, safe to change."""
        return {
            "channel": self.channel,
            "format": self.format,
            "media_type": self.media_type,
            "body": self.body,
            "meta": copy.deepcopy(self.meta),
            "warnings": list(self.warnings),
        }


class RelatedArticle(NamedTuple):
    """A related question offered as a bot quick reply: its title and article key."""

    title: str
    key: ArticleKey


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """The context a caller hands a renderer, as plain data (no session, no request).

    `articles` maps the keys of the articles that may be linked in this locale to
    their slugs; a `kb:` link to a key not in it renders as text with a warning.
    `base_url` prefixes links to help pages (`{base_url}/help/{locale}/{slug}`).
    `revision` is shown on the operator's card, since a parsed unit does not know it.
    `sms_max_segments` caps every SMS (an editor's `::: sms` block may use all of it);
    `sms_short_segments` is what a text Istok derives (the general text, or summary, key
    step and link) must fit: two parts, since a third costs a third message.
    `notices` are the announcements of now, plain sentences a channel gives before the answer
    (the SMS renderer fits them into its segment budget first, then the longest form that fits).
    """

    format: str | None = None
    segment: str | None = None
    base_url: str = ""
    articles: Mapping[ArticleKey, str] = field(default_factory=dict)
    related: Sequence[RelatedArticle | tuple[str, ArticleKey]] = ()
    revision: int | None = None
    sms_max_segments: int = 3
    sms_short_segments: int = 2
    ivr_max_seconds: float = 45.0
    bot_max_chars: int = 4096
    notices: tuple[str, ...] = ()
    #: Width and height of uploaded images by asset id, so the web can size them before they load.
    images: Mapping[str, tuple[int, int]] = field(default_factory=dict)


class Renderer(Protocol):
    """A channel: a pure function from a unit (plus facts and context) to its output."""

    def __call__(
        self,
        *,
        unit: Unit,
        facts: Mapping[str, FactValue],
        locale: Locale,
        options: RenderOptions,
    ) -> Rendered: ...


#: A channel name not in kb's table (`kb/channels.py`): the one error for it on every path.
UnknownChannel = kb.UnknownChannel


class UnknownFormat(kb.IstokError):
    """A format the channel cannot produce."""

    status = 422
    slug = "unknown-format"

    def __init__(self, channel: str, format: str, known: Sequence[str]) -> None:
        super().__init__(f"channel {channel!r} has no format {format!r} (formats: {', '.join(known)})")
        self.channel = channel
        self.format = format
        self.known = tuple(known)


class InvalidMenu(kb.IstokError):
    """An IVR menu that cannot be offered by phone keys (a clash, no key left)."""

    status = 422
    slug = "invalid-menu"


def pick_format(channel: str, requested: str | None, known: Sequence[str]) -> str:
    """The format to render: the requested one if the channel has it, else the first (default)."""
    if requested is None:
        return known[0]
    if requested not in known:
        raise UnknownFormat(channel, requested, known)
    return requested

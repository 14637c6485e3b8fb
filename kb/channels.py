"""The one table of channels: names, the blocks written for each, thresholds and audience.

Every part of Istok that asks "is this a channel?" asks here: the parser (which `::: name`
blocks a source may hold), the index (which blocks are public), the answer engine (how
sure it must be before answering), the API and the CLIs (is the name known, may this key
read it) and the renderers, which register against this table and cannot invent a name
of their own. A new channel is a row here first; kb owns it because kb sits at the
ground floor and every other package may read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from kb.errors import IstokError
from kb.types import ChannelName


class Audience(StrEnum):
    """Who may read a channel's output."""

    #: Anyone with a key: bots, the IVR, the widget, the help site.
    PUBLIC = "public"
    #: Staff only (operators and editors): the output carries internal notes.
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Channel:
    """One row of the table.

    `blocks` are the `::: name` blocks written for the channel, its own first; `threshold`
    is the calibrated confidence the answer engine needs before answering on it (stricter
    where a wrong answer read aloud or texted costs more than a handoff to a person).
    """

    name: ChannelName
    threshold: float
    audience: Audience
    blocks: tuple[str, ...]

    @property
    def public(self) -> bool:
        """Whether the output may reach people outside the company."""
        return self.audience is Audience.PUBLIC


#: Every channel, in the order they are listed to people (errors, `istok preview`).
CHANNELS: tuple[Channel, ...] = (
    Channel("web", 0.6, Audience.PUBLIC, ("web",)),
    Channel("bot", 0.6, Audience.PUBLIC, ("bot",)),
    Channel("sms", 0.7, Audience.PUBLIC, ("sms",)),
    Channel("ivr", 0.75, Audience.PUBLIC, ("ivr",)),
    Channel("operator", 0.4, Audience.STAFF, ("operator", "internal")),
    Channel("email", 0.6, Audience.PUBLIC, ("email",)),
)

_BY_NAME: dict[ChannelName, Channel] = {c.name: c for c in CHANNELS}

#: Channel names, in table order.
CHANNEL_NAMES: tuple[ChannelName, ...] = tuple(_BY_NAME)
#: Blocks a source may contain (`::: name`), in table order.
BLOCK_CHANNELS: tuple[str, ...] = tuple(dict.fromkeys(b for c in CHANNELS for b in c.blocks))
#: Blocks that may reach people outside the company: those of public channels only.
PUBLIC_BLOCK_CHANNELS: frozenset[str] = frozenset(b for c in CHANNELS if c.public for b in c.blocks)
#: Blocks only staff read (`internal`, `operator`): never in a public field or rendering.
STAFF_BLOCK_CHANNELS: frozenset[str] = frozenset(BLOCK_CHANNELS) - PUBLIC_BLOCK_CHANNELS


class UnknownChannel(IstokError):
    """A channel name not in the table: one error, the same everywhere (API, CLI, kb)."""

    status = 422
    slug = "unknown-channel"

    def __init__(self, channel: str, known: Sequence[str] = CHANNEL_NAMES, *, hint: str = "") -> None:
        detail = f"no channel {channel!r} (known channels: {', '.join(known)})"
        super().__init__(f"{detail}; {hint}" if hint else detail)
        self.channel = channel
        self.known = tuple(known)


def check_channel(name: str) -> Channel:
    """The table's row for `name`, or UnknownChannel naming the known ones.

    The one check every caller makes, so an unknown name gets the same error wherever it
    is typed (an HTTP query, a URL path, a CLI argument, a registration).
    """
    found = _BY_NAME.get(name)
    if found is None:
        raise UnknownChannel(name)
    return found

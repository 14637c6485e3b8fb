"""Field types and bounds that bodies of several resources share."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from pydantic.config import JsonDict, JsonValue

import contacts
import kb
import renderers

#: The largest value of an `Integer` column on PostgreSQL (ids, revision numbers, versions).
MAX_INT32 = 2**31 - 1
#: The largest integer every JSON client holds exactly (JavaScript's `Number.MAX_SAFE_INTEGER`).
MAX_SAFE = 2**53 - 1


def _no_nul(value: str) -> str:
    """PostgreSQL cannot store NUL in text; refuse it (422) rather than fail on one database only."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL (\\x00) characters")
    return value


#: Free text that is stored: any characters but NUL.
Text = Annotated[str, AfterValidator(_no_nul)]


#: kb's channel table, as OpenAPI lists it; the server checks names against the table itself (422 `unknown-channel`).
CHANNEL_NAMES: tuple[str, ...] = tuple(kb.CHANNEL_NAMES)
#: Every output format a renderer registered (`renderers.FORMATS`); which ones a channel has, the server checks.
FORMAT_NAMES: tuple[str, ...] = tuple(sorted({f for formats in renderers.FORMATS.values() for f in formats}))
#: The formats of the IVR menu, the IVR channel's own.
IVR_FORMATS: tuple[str, ...] = renderers.FORMATS["ivr"]
#: Where an identity lives (`contacts.IdentityChannel`).
IDENTITY_CHANNELS: tuple[str, ...] = tuple(c.value for c in contacts.IdentityChannel)
#: How an interaction ended (`contacts.Outcome`).
OUTCOMES: tuple[str, ...] = tuple(o.value for o in contacts.Outcome)


def one_of(names: tuple[str, ...]) -> JsonDict:
    """The `json_schema_extra` of a parameter or field whose value is one of `names`.

    Declared in the schema only: the server keeps checking the value against its own table,
    so an unknown name gets the same problem everywhere, not a generic validation error.
    """
    return {"enum": list[JsonValue](names)}

"""The way to a person, from Istok's facts: said with every handoff, on every channel.

The support number and its hours are facts editors keep (`support_phone`, `support_hours`), so a
handoff on any channel gives the same route the help pages do, in the served language.
"""

from __future__ import annotations

from adapters.phrases import phrase
from istok_client import AsyncClient, Fact


def sentence(facts: list[Fact], locale: str) -> str:
    """ "You can also call …" in `locale`; empty when either fact is missing."""
    values = {f["key"]: f["locales"].get(locale, f["value"]) for f in facts}
    phone, hours = values.get("support_phone"), values.get("support_hours")
    return phrase(locale, "call", phone=str(phone), hours=str(hours)) if phone and hours else ""


class ContactRoute:
    """The sentence per locale, read from Istok once per process: facts change rarely, handoffs often."""

    def __init__(self, istok: AsyncClient) -> None:
        self.istok = istok
        self._said: dict[str, str] = {}

    async def __call__(self, locale: str) -> str:
        if locale not in self._said:
            self._said[locale] = sentence(await self.istok.list_facts(), locale)
        return self._said[locale]

"""Translations that know they are stale: which locales are missing or behind their key's source."""

from __future__ import annotations

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.parsing import JsonList


class TranslationOperations:
    """Translations (editors)."""

    @endpoint("GET", "/api/v1/translations", parse=JsonList(models.Translation), query=("locale", "state"))
    def list_translations(self, *, locale: str | None = None, state: str | None = None) -> Parts:
        """Missing, outdated and unlinked translations (or those in `state`), optionally of one locale."""
        return Parts(query={"locale": locale, "state": state})

    @endpoint("GET", "/api/v1/translations/{key}", parse=JsonList(models.Translation))
    def key_translations(self, key: str) -> Parts:
        """Every locale of `key` judged against its source: source, current, outdated, missing or unlinked."""
        return Parts(path={"key": key})

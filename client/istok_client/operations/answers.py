"""Answering questions and searching: what bots, widgets and operators ask."""

from __future__ import annotations

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.operations.common import identity_param
from istok_client.parsing import REPLAYABLE, Json, JsonList


class AnswerOperations:
    """Answers, search and the content gaps they leave."""

    @endpoint(
        "GET",
        "/api/v1/answer",
        parse=Json(models.Answer, extra=REPLAYABLE),
        query=("q", "locale", "channel", "format", "contact", "identity", "via", "message"),
    )
    def answer(
        self,
        question: str,
        *,
        locale: str | None = None,
        channel: str | None = None,
        format: str | None = None,
        contact: int | None = None,
        identity: models.Identity | str | None = None,
        via: str | None = None,
        message: str | None = None,
    ) -> Parts:
        """The best answer for a client's question, rendered for `channel`, or `handoff` when none is good.

        With `contact` or `identity` (`{"channel": "telegram", "address": "…"}` or `"telegram:…"`,
        a contact created on first sight) the answer is recorded on that contact's timeline, under
        the channel `via` (`telegram`, …; default `channel`). `message`, the outside system's id of the
        message answered, makes a repeat harmless: it is answered again with `replayed` true and
        recorded once.
        """
        query = {
            "q": question,
            "locale": locale,
            "channel": channel,
            "format": format,
            "contact": contact,
            "identity": identity_param(identity),
            "via": via,
            "message": message,
        }
        return Parts(query=query)

    @endpoint(
        "GET",
        "/api/v1/search",
        parse=Json(models.SearchResults),
        query=("q", "locale", "page", "per_page", "category"),
    )
    def search(
        self,
        query: str,
        *,
        locale: str | None = None,
        page: int | None = None,
        per_page: int | None = None,
        category: str | None = None,
    ) -> Parts:
        """Ranked published articles for `query`, with highlighted snippets and category facets."""
        return Parts(query={"q": query, "locale": locale, "page": page, "per_page": per_page, "category": category})

    @endpoint("GET", "/api/v1/gaps", parse=JsonList(models.Gap), query=("locale", "channel", "limit"))
    def list_gaps(self, *, locale: str | None = None, channel: str | None = None, limit: int | None = None) -> Parts:
        """Questions that got no confident answer, most asked first: what to write next."""
        return Parts(query={"locale": locale, "channel": channel, "limit": limit})

"""Articles: read, create, save drafts with `If-Match`, publish, roll back, history, renditions."""

from __future__ import annotations

import datetime as dt

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.operations.common import Base, if_match, present
from istok_client.parsing import TAGGED, Bytes, Json, JsonList, RenderedBody

_ARTICLE = "/api/v1/articles/{locale}/{key}"


class ArticleOperations:
    """Articles and their revisions (editors); `render` for every channel."""

    @endpoint(
        "GET",
        "/api/v1/articles",
        parse=Json(models.ArticlePage),
        query=("locale", "category", "status", "cursor", "limit"),
    )
    def list_articles(
        self,
        *,
        locale: str | None = None,
        category: str | None = None,
        status: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> Parts:
        """A page of articles in a stable order; pass the page's `next` as `cursor` for the following one."""
        query = {"locale": locale, "category": category, "status": status, "cursor": cursor, "limit": limit}
        return Parts(query=query)

    @endpoint("GET", _ARTICLE, parse=Json(models.Article, extra=TAGGED), query=("as_of",))
    def get_article(self, locale: str, key: str, *, as_of: dt.datetime | str | None = None) -> Parts:
        """The article with its draft source (or what was live `as_of`), and the `etag` a change sends back."""
        return Parts(path={"locale": locale, "key": key}, query={"as_of": as_of})

    @endpoint("PUT", _ARTICLE, parse=Json(models.Article, extra=TAGGED), headers=("If-None-Match",))
    def create_article(
        self,
        locale: str,
        key: str,
        source: str,
        *,
        message: str | None = None,
        translated_from: int | None = None,
    ) -> Parts:
        """A new article from its Markdown source (front matter included); 412 if it exists already.

        A new translation follows its key's source as it is now, or `translated_from` (a source revision).
        """
        return Parts(
            path={"locale": locale, "key": key},
            headers={"If-None-Match": "*"},
            json=present(source=source, message=message, translated_from=translated_from),
        )

    @endpoint("PUT", _ARTICLE, parse=Json(models.Article, extra=TAGGED), headers=("If-Match",))
    def save_article(
        self,
        locale: str,
        key: str,
        source: str,
        *,
        base: Base,
        message: str | None = None,
        translated_from: int | None = None,
    ) -> Parts:
        """A new draft revision based on `base` (the article you read, or its ETag); 412 if it is stale.

        `translated_from`: this translation now follows that revision of its key's source locale.
        """
        return Parts(
            path={"locale": locale, "key": key},
            headers=if_match(base),
            json=present(source=source, message=message, translated_from=translated_from),
        )

    @endpoint("POST", f"{_ARTICLE}/publish", parse=Json(models.Publication))
    def publish_article(self, locale: str, key: str, *, revision: int | None = None, emergency: bool = False) -> Parts:
        """Make a revision (default: the latest draft) live on every channel.

        `emergency` skips the approvals its category's workflow asks for, for those allowed (audited).
        """
        body = {k: v for k, v in (("revision", revision), ("emergency", emergency)) if v}
        return Parts(path={"locale": locale, "key": key}, json=body or None)

    @endpoint("POST", f"{_ARTICLE}/unpublish", parse=Json(models.Publication))
    def unpublish_article(self, locale: str, key: str) -> Parts:
        """Take the article off every public channel; its history stays."""
        return Parts(path={"locale": locale, "key": key})

    @endpoint("POST", f"{_ARTICLE}/rollback", parse=Json(models.Publication), headers=("If-Match",))
    def rollback_article(
        self,
        locale: str,
        key: str,
        revision: int,
        *,
        base: Base,
        message: str | None = None,
        emergency: bool = False,
    ) -> Parts:
        """Publish `revision`'s content again, as a new revision based on `base`.

        Text never approved (nor live as an emergency) needs `emergency`, for those allowed (audited).
        """
        return Parts(
            path={"locale": locale, "key": key},
            headers=if_match(base),
            json=present(revision=revision, message=message, emergency=emergency or None),
        )

    @endpoint("GET", f"{_ARTICLE}/revisions", parse=JsonList(models.RevisionSummary))
    def list_revisions(self, locale: str, key: str) -> Parts:
        """The article's revisions, each with author, message, time and content hash."""
        return Parts(path={"locale": locale, "key": key})

    @endpoint("GET", f"{_ARTICLE}/revisions/{{number}}", parse=Json(models.Revision))
    def get_revision(self, locale: str, key: str, number: int) -> Parts:
        """One revision with its whole source and front matter."""
        return Parts(path={"locale": locale, "key": key, "number": number})

    @endpoint("GET", f"{_ARTICLE}/diff", parse=Json(models.Diff), query=("from", "to"))
    def diff_revisions(self, locale: str, key: str, from_revision: int, to_revision: int) -> Parts:
        """A unified diff between two revisions' sources."""
        return Parts(path={"locale": locale, "key": key}, query={"from": from_revision, "to": to_revision})

    @endpoint("GET", f"{_ARTICLE}/render/{{channel}}", parse=RenderedBody(), query=("format", "revision"))
    def render(
        self, locale: str, key: str, channel: str, *, format: str | None = None, revision: int | None = None
    ) -> Parts:
        """The published article in a channel's form (`web`, `bot`, `sms`, `ivr`, …); `revision` previews."""
        return Parts(
            path={"locale": locale, "key": key, "channel": channel}, query={"format": format, "revision": revision}
        )

    @endpoint("GET", f"{_ARTICLE}/speech.wav", parse=Bytes())
    def article_speech(self, locale: str, key: str) -> Parts:
        """The published unit's IVR speech as an 8 kHz mono 16-bit WAV (bot and operator keys)."""
        return Parts(path={"locale": locale, "key": key})

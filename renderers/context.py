"""The state of one render: which blocks a channel shows, facts, links and warnings.

Choosing the blocks lives here, in one place, because it is where `internal` content
could leak: a public channel only ever gets its own channel block or the general
text, and the general text by construction holds no channel block at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from kb import PUBLIC_BLOCK_CHANNELS, ChannelName, FactValue, Locale, Unit, tree
from renderers.base import Rendered, RenderOptions
from renderers.facts import FactBook

Source = Literal["block", "general", "summary", "paragraph", "title"]

_SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


class Context:
    """Per-call state shared by a renderer's helpers; built fresh for every render."""

    def __init__(
        self,
        *,
        channel: ChannelName,
        unit: Unit,
        facts: Mapping[str, FactValue],
        locale: Locale,
        options: RenderOptions,
    ) -> None:
        self.channel = channel
        self.unit = unit
        self.locale = locale
        self.options = options
        self.warnings: list[str] = []
        self.facts = FactBook(facts, locale, self.warnings)

    def warn(self, message: str) -> None:
        """Record a problem for the editor once, however often the render meets it."""
        if message not in self.warnings:
            self.warnings.append(message)

    # ---- what the channel shows ---------------------------------------------------

    def public_content(self) -> tuple[tuple[tree.Block, ...], Source]:
        """The channel's own block (for the requested segment), else the general text."""
        if self.channel not in PUBLIC_BLOCK_CHANNELS:
            raise ValueError(f"{self.channel!r} is not a public channel")
        block = self.unit.block_for(self.channel, self.options.segment)
        if block is not None:
            return block.children, "block"
        return self.unit.general(), "general"

    def summary(self) -> tuple[tree.Block, ...]:
        """The short answer as blocks: the front-matter summary, else the first paragraph."""
        if self.unit.summary:
            return (tree.Paragraph(self.unit.summary),)
        first = self.unit.first_paragraph()
        return (first,) if first is not None else (tree.Paragraph((tree.Text(self.unit.title),)),)

    # ---- links ---------------------------------------------------------------------

    def help_url(self, slug: str, anchor: str | None = None) -> str:
        """The help-centre address of an article in this locale."""
        base = self.options.base_url.rstrip("/")
        url = f"{base}/help/{quote(self.locale, safe='')}/{quote(slug, safe='')}"
        return f"{url}#{quote(anchor, safe='')}" if anchor else url

    def own_url(self) -> str:
        """Where the full article is read."""
        return self.help_url(self.unit.slug)

    def link_target(self, link: tree.Link) -> str | None:
        """Where a link goes, or None (with a warning) when it cannot be followed safely."""
        if link.article_key is not None:
            key = link.article_key
            slug = self.unit.slug if key == self.unit.key else self.options.articles.get(key)
            if slug is None:
                self.warn(f"link to unknown article {key!r} in locale {self.locale!r}; shown as text")
                return None
            return self.help_url(slug, link.anchor)
        href = link.href.strip()
        if not href:
            self.warn(f"link {tree.plain_text(link.children)!r} has no address; shown as text")
            return None
        scheme = urlsplit(href).scheme.lower() if ":" in href else ""
        if scheme and scheme not in _SAFE_SCHEMES:
            self.warn(f"link {href!r} uses scheme {scheme!r} (allowed: http, https, mailto, tel); shown as text")
            return None
        if href.startswith("/") and not href.startswith("//"):
            # A path on our own site ("/help/ru/…"): a bot, a phone or a mail client has no
            # site to resolve it against, so it gets the public origin like our own links.
            return f"{self.options.base_url.rstrip('/')}{href}"
        return href

    # ---- images --------------------------------------------------------------------

    def image_url(self, image: tree.Image) -> str | None:
        """Where an image is fetched: ours at `/assets/<id>`, else an http(s) address; None (warned) otherwise."""
        if image.asset is not None:
            return f"{self.options.base_url.rstrip('/')}/assets/{quote(image.asset, safe='')}"
        src = image.src.strip()
        if re.match(r"^https?://", src, re.I):
            return src
        self.warn(f"image {src!r} is neither an uploaded image (asset:…) nor an http(s) address; left out")
        return None

    def image_size(self, image: tree.Image) -> tuple[int, int] | None:
        """The uploaded image's width and height, when the caller handed them in."""
        return self.options.images.get(image.asset) if image.asset is not None else None

    def images_in(self, blocks: tuple[tree.Block, ...]) -> list[dict[str, Any]]:
        """The images of `blocks` as data (url, alt, width, height), for messengers that send photos."""
        out: list[dict[str, Any]] = []
        for node in tree.walk(blocks):
            if isinstance(node, tree.Image) and (url := self.image_url(node)) is not None:
                size = self.image_size(node)
                entry: dict[str, Any] = {"url": url, "alt": node.alt, "asset": node.asset}
                entry |= {"width": size[0], "height": size[1]} if size else {"width": None, "height": None}
                if entry not in out:
                    out.append(entry)
        return out

    # ---- the result ----------------------------------------------------------------

    def rendered(self, *, format: str, body: str, media_type: str, meta: dict[str, Any]) -> Rendered:
        """The finished value, with every warning met on the way and the unit's identity.

        Every answer served says which unit it came from (key, locale, revision, content
        hash), so "what exactly did we tell this client?" has an answer.
        """
        served = {
            "key": self.unit.key,
            "locale": self.locale,
            "revision": self.options.revision,
            "content_hash": self.unit.content_hash,
        }
        return Rendered(
            channel=self.channel,
            format=format,
            body=body,
            media_type=media_type,
            meta=meta | served,
            warnings=tuple(self.warnings),
        )

"""The Viber conversation: a client's text is Istok's question, Istok's answer is the bot's reply.

A text message is answered from Istok in plain text (a text message has no markup mode; links
are shown as written and tappable), the other likely articles as keyboard buttons of
`ActionType` `reply`: pressing one makes the client's app send the button's `ActionBody` back
as an ordinary text message (https://developers.viber.com/docs/tools/keyboards/ , "Buttons
parameters"), which is recognised by its prefix and opens that article. A handoff says so and
gives the contact route from Istok's facts. The message's text decides its language (Istok
detects it); the app's `language` is the hint it starts from.

Every exchange lands on the contact of `viber:<sender.id>`. Message tokens are unique per
account, so Istok keeps `<account id>:<message_token>` with the exchange: a callback Viber
delivers again comes back `replayed` and is not answered twice.

An answer's images go first, each a picture message described by its alt text. Viber only takes
a picture by a link it fetches itself, ending in the image's type, so an uploaded image goes as
the help centre's `/assets/{id}.png` (or `.jpg`); one over 1 MB, the most every Viber app shows,
or without a public address is left out with a warning, and the text still carries its alt text.
"""

from __future__ import annotations

import logging
from typing import Any, Final, Literal

import httpx

from adapters.contact_route import ContactRoute
from adapters.message_parts import split_message
from adapters.pictures import EXTENSIONS, Assets, Picture, caption, pictures
from adapters.viber_api import PICTURE_BYTES_LIMIT, PICTURE_TEXT_LIMIT, TEXT_LIMIT, ViberApi, ViberError
from adapters.viber_phrases import language, phrase
from istok_client import AsyncClient, Identity, IstokError, NotFound
from istok_client.models import Alternative

logger = logging.getLogger("istok.adapter.viber")

CHANNEL: Final[Literal["viber"]] = "viber"  # the identity channel and the timeline's channel
ARTICLE_PREFIX: Final = "istok:article:"  # what a pressed button sends back, before `<locale>:<key>`
ALTERNATIVES: Final = 3
BUTTON_TEXT_LIMIT: Final = 250  # characters Viber shows on a button


def action_body(locale: str, key: str) -> str:
    """What an alternative's button sends back when pressed: enough to render the article."""
    return f"{ARTICLE_PREFIX}{locale}:{key}"


def pressed(text: str) -> tuple[str, str] | None:
    """The (locale, key) a button press carries, or None when `text` is a client's own words."""
    if not text.startswith(ARTICLE_PREFIX):
        return None
    locale, sep, key = text[len(ARTICLE_PREFIX) :].partition(":")
    return (locale, key) if sep and locale and key else None


def keyboard(locale: str, alternatives: list[Alternative]) -> dict[str, Any] | None:
    """A keyboard of one full-width button per alternative, or None when there are none."""
    buttons = [
        {
            "ActionType": "reply",
            "ActionBody": action_body(locale, alt["key"]),
            "Text": alt["title"][:BUTTON_TEXT_LIMIT],
            "Columns": 6,
            "Rows": 1,
            "Silent": True,  # the client sees the article, not the button's data as their message
        }
        for alt in alternatives[:ALTERNATIVES]
    ]
    return {"Type": "keyboard", "DefaultHeight": False, "Buttons": buttons} if buttons else None


class ViberBot:
    """One account's conversations: Istok answers, the bot frames them for Viber."""

    def __init__(
        self, istok: AsyncClient, api: ViberApi, assets: Assets, *, account: str, sender: str, default_locale: str
    ) -> None:
        self.istok, self.api, self.assets = istok, api, assets
        self.account, self.sender, self.default_locale = account, sender, default_locale
        self.contact_route = ContactRoute(istok)

    def message_id(self, token: object) -> str:
        """What Istok keeps to answer a message once: tokens are unique per account, so it goes first."""
        return f"{self.account}:{token}"

    def welcome(self, event: dict[str, Any]) -> dict[str, Any]:
        """The one message Viber lets a bot send when a conversation opens: the body of our answer."""
        user = event.get("user") or {}
        locale = language(user.get("language"), self.default_locale)
        logger.info("conversation started by %s (%s)", user.get("id"), event.get("type"))
        return {"sender": {"name": self.sender}, "type": "text", "text": phrase(locale, "welcome")}

    def note(self, event: dict[str, Any]) -> None:
        """The events that ask for nothing but a line in the log."""
        kind, user = event.get("event"), event.get("user_id") or (event.get("user") or {}).get("id")
        if kind == "failed":
            logger.warning("message %s to %s failed: %s", event.get("message_token"), user, event.get("desc"))
        elif kind in ("delivered", "seen"):
            logger.debug("message %s %s by %s", event.get("message_token"), kind, user)
        else:
            logger.info("%s: %s", kind, user)

    async def on_message(self, event: dict[str, Any]) -> None:
        """Answer one `message` callback; failures are logged, and the client told when Istok is down."""
        sender = event.get("sender") or {}
        receiver = str(sender.get("id") or "")
        if not receiver:
            logger.warning("message %s without a sender: ignored", event.get("message_token"))
            return
        hint = language(sender.get("language"), self.default_locale)
        try:
            await self._on_message(event, receiver, hint)
        except (IstokError, httpx.HTTPError) as err:
            logger.error("message %s: Istok failed: %s", event.get("message_token"), err)
            await self._send(receiver, phrase(hint, "unavailable"))

    async def _on_message(self, event: dict[str, Any], receiver: str, hint: str) -> None:
        message, token = event.get("message") or {}, event.get("message_token")
        text = str(message.get("text") or "").strip() if message.get("type") == "text" else ""
        if not text:
            logger.info("message %s: a %s, not text", token, message.get("type"))
            await self._send(receiver, phrase(hint, "text_only"))
            return
        button = pressed(text)
        if button is not None:
            await self.open_article(receiver, token, *button)
            return
        reply = await self.istok.answer(
            text[:500],
            locale=hint,
            channel="bot",
            format="plain",
            identity=f"{CHANNEL}:{receiver}",
            via=CHANNEL,
            message=self.message_id(token),
        )
        if reply.get("replayed"):
            logger.info("message %s was answered before: not answering again", token)
            return
        served = reply["locale"]
        buttons = keyboard(served, reply["alternatives"])
        rendered = reply["rendered"]
        if reply["status"] == "answered" and rendered is not None:
            key = reply["provenance"]["key"] if reply["provenance"] else None
            await self.send_pictures(receiver, pictures(rendered["meta"]))
            await self._send(receiver, rendered["body"], buttons)
            logger.info("message %s: answered with %s (%.2f)", token, key, reply["confidence"])  # all gone out
            return
        text = " ".join(filter(None, [phrase(served, "handoff"), await self.contact_route(served)]))
        text = "".join(f"{n['text']}\n\n" for n in reply.get("announcements") or []) + text  # notices first
        if buttons is not None:
            text += "\n\n" + phrase(served, "maybe")
        await self._send(receiver, text, buttons)
        logger.info("message %s: handed off (%.2f)", token, reply["confidence"])

    async def open_article(self, receiver: str, token: object, locale: str, key: str) -> None:
        """A pressed alternative: its article, recorded on the timeline once per message token."""
        try:
            shown = await self.istok.render(locale, key, "bot", format="plain")
        except NotFound:
            logger.warning("message %s: article %s/%s is gone", token, locale, key)
            await self._send(receiver, phrase(locale, "text_only"))
            return
        recorded = await self.istok.record_interaction(
            channel=CHANNEL,
            outcome="answered",
            identity=Identity(channel=CHANNEL, address=receiver),
            article={"key": key, "locale": locale, "revision": shown["revision"]},
            message=self.message_id(token),
        )
        if recorded.get("replayed"):
            logger.info("message %s was answered before: not answering again", token)
            return
        logger.info("message %s: opened %s/%s", token, locale, key)
        await self.send_pictures(receiver, pictures(shown["meta"]))
        await self._send(receiver, shown["body"])

    async def send_pictures(self, receiver: str, shown: list[Picture]) -> None:
        """Each image as a picture message; one Viber could not show is left out."""
        for picture in shown:
            try:
                link = await self.picture_link(picture)
                if link is not None:
                    await self.api.send_picture(receiver, link, caption(picture.alt, PICTURE_TEXT_LIMIT), self.sender)
            except (ViberError, httpx.HTTPError) as err:
                logger.warning("to %s: image %s not sent: %s", receiver, picture.asset or picture.url, err)

    async def picture_link(self, picture: Picture) -> str | None:
        """The address Viber fetches `picture` from, ending in its type; None (logged) when there is none."""
        if not picture.public:
            logger.warning("image %s has no public address Viber could fetch: left out", picture.url)
            return None
        if picture.asset is None:
            if picture.url.split("?")[0].lower().endswith((".jpeg", ".jpg", ".png", ".gif")):
                return picture.url
            logger.warning("image %s does not end in .jpeg, .png or .gif, as Viber requires: left out", picture.url)
            return None
        media_type, size = await self.assets.describe(picture.asset)
        if size > PICTURE_BYTES_LIMIT or media_type not in EXTENSIONS:
            logger.warning("image %s (%s, %d bytes): Viber cannot show it, left out", picture.asset, media_type, size)
            return None
        return f"{picture.url}.{EXTENSIONS[media_type]}"

    async def _send(self, receiver: str, text: str, buttons: dict[str, Any] | None = None) -> None:
        """`text` as one message, or several cut at paragraphs past Viber's 7000 characters; buttons on the last."""
        parts = split_message(text, limit=TEXT_LIMIT)
        for n, part in enumerate(parts, start=1):
            try:
                sent = await self.api.send_text(receiver, part, self.sender, buttons if n == len(parts) else None)
            except ViberError as err:  # 6 receiverNotSubscribed and the like: nothing to retry
                logger.error("to %s: %s", receiver, err)
                return
            logger.debug("to %s: sent %s", receiver, sent.get("message_token"))

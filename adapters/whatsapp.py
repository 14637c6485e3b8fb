"""WhatsApp: a Cloud API webhook receiver that answers from Istok.

Meta checks the callback once with `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`
and expects the challenge back as the body (https://developers.facebook.com/docs/graph-api/webhooks/getting-started);
then every event is a signed POST (`adapters/whatsapp_webhook.py`). The POST is answered 200 at
once and the messages are handled after it: Meta retries a webhook it sees no 200 for, and
Istok's answers can take longer than Meta waits.

A text message is Istok's question, asked as `whatsapp:<wa_id>` with `<phone_number_id>:<wamid>`
as its message id (wamids are unique per business number), so a redelivery comes back `replayed`
and is not answered again. The answer comes rendered in WhatsApp's markup; the other likely
articles follow as up to three reply buttons, and a tap on one opens that article, recorded on
the timeline. A handoff says so with the contact route from Istok's facts.

WhatsApp delivers a free-form message only within 24 hours of the client's last message (the
customer-service window, https://developers.facebook.com/docs/whatsapp/pricing#customer-service-windows);
outside it, and when Graph refuses with 131047 (re-engagement), the approved template
`WHATSAPP_TEMPLATE` (approved without variables: none are filled in) goes instead, in the
served language. The message's own `timestamp` is the
only client time a stateless adapter knows; a later message would only widen the window, so
judging by it never sends free-form outside the window.

An answer's images go before its text, each an image message captioned with its alt text. An
uploaded image is fetched from Istok and uploaded to WhatsApp as media (Meta recommends media ids
over links), once per business number for as long as WhatsApp keeps it; an image linked from
elsewhere goes by its link. An image WhatsApp refuses is logged and left out: the text still
carries its alt text.

SIGTERM or SIGINT stops taking webhooks, finishes the messages in hand, and exits 0.

The wa_id is the client's number and Meta vouches for it, but Istok accepts a verified phone only
from the methods it knows (telegram-contact, pin, otp), so it stays a `whatsapp:` identity.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final, Literal

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from adapters import phrases
from adapters.contact_route import ContactRoute
from adapters.pictures import Assets, Picture, caption, pictures
from adapters.whatsapp_graph import (
    CAPTION_LIMIT,
    MEDIA_DAYS,
    REENGAGEMENT,
    Graph,
    GraphError,
    button_title,
    buttons,
    image,
    template,
    text,
    texts,
)
from adapters.whatsapp_settings import WhatsAppSettings
from adapters.whatsapp_webhook import SIGNATURE_HEADER, Inbound, Value, inbound, signed, values
from istok_client import AsyncClient, Identity, InvalidRequest, IstokError
from istok_client.models import Alternative

__all__ = ["WhatsAppBot", "WhatsAppSettings", "build", "run"]

logger = logging.getLogger("istok.adapter.whatsapp")

CHANNEL: Final[Literal["whatsapp"]] = "whatsapp"  # the identity channel and the timeline's channel
PATH = "/whatsapp"  # where Meta is told to post: https://<host>/whatsapp
WINDOW = 24 * 3600.0
MARGIN = 300.0  # retries take time: a window closing sooner than this gets the template

_PHRASES: dict[str, dict[str, str]] = {
    "ru": {
        "related": "Ещё по этой теме:",
        "stale_button": "Эта кнопка больше не работает: напишите вопрос словами.",
    },
    "uk": {
        "related": "Ще на цю тему:",
        "stale_button": "Ця кнопка більше не працює: напишіть питання словами.",
    },
    "en": {
        "related": "More on this topic:",
        "stale_button": "This button no longer works: please type your question.",
    },
}


def phrase(locale: str | None, name: str, **values: str) -> str:
    """The adapter's own sentence `name`, else the one all adapters share."""
    own = _PHRASES[phrases.language(locale)].get(name)
    return own if own is not None else phrases.phrase(locale, name, **values)


def message_id(phone_number_id: str, wamid: str) -> str:
    """What Istok keeps to answer a message once: wamids are unique per business number, so it goes first."""
    return f"{phone_number_id}:{wamid}"


def button_id(locale: str, key: str) -> str | None:
    """What an alternative's reply button carries back; None when it would pass WhatsApp's 256 characters."""
    data = f"a:{locale}:{key}"
    return data if len(data) <= 256 else None


def replies(locale: str, alternatives: list[Alternative]) -> list[tuple[str, str]]:
    """Up to three (id, title) reply buttons, titles shortened to WhatsApp's 20 characters and distinct."""
    chosen: list[tuple[str, str]] = []
    for alt in alternatives:
        rid, title = button_id(locale, alt["key"]), button_title(alt["title"], {t for _, t in chosen})
        if rid is None or title is None:
            logger.warning("alternative %s left out: its id is too long or its title repeats another", alt["key"])
            continue
        chosen.append((rid, title))
        if len(chosen) == 3:
            break
    return chosen


class WhatsAppBot:
    """The conversation: Istok answers, the bot frames them for WhatsApp."""

    def __init__(self, istok: AsyncClient, graph: Graph, config: WhatsAppSettings, assets: Assets) -> None:
        self.istok, self.graph, self.config, self.assets = istok, graph, config, assets
        self.contact_route = ContactRoute(istok)
        self._vouched: set[str] = set()  # wa_ids already kept as verified phones by this process
        self._media: dict[tuple[str, str], tuple[str, float]] = {}  # (number, asset) -> (media id, kept until)

    async def handle(self, msg: Inbound) -> None:
        """Answer one client message; failures are logged and, where Istok failed, told to the client."""
        locale = self.config.istok.locale
        try:
            kind = msg.message["type"]
            if kind == "text":
                await self.on_text(msg)
            elif kind == "interactive" and msg.message.get("interactive", {}).get("type") == "button_reply":
                await self.on_button(msg)
            else:
                logger.info("message %s is %s: asking for text", msg.wamid, kind)
                await self.send(msg, locale, [text(msg.wa_id, phrase(locale, "text_only"))])
        except GraphError as err:
            logger.error("message %s: WhatsApp refused the reply: %s", msg.wamid, err)
        except (IstokError, httpx.HTTPError) as err:
            logger.error("message %s: Istok failed: %s", msg.wamid, err)
            try:
                await self.send(msg, locale, [text(msg.wa_id, phrase(locale, "unavailable"))])
            except GraphError as again:
                logger.error("message %s: WhatsApp refused the apology too: %s", msg.wamid, again)
        except Exception:  # a task's failure would otherwise surface only when the loop is collected
            logger.exception("message %s: handling failed", msg.wamid)

    async def on_text(self, msg: Inbound) -> None:
        question = msg.message.get("text", {}).get("body", "").strip()
        if not question:
            await self.send(
                msg, self.config.istok.locale, [text(msg.wa_id, phrase(self.config.istok.locale, "text_only"))]
            )
            return
        reply = await self.istok.answer(
            question[:500],
            locale=self.config.istok.locale,
            channel="bot",
            format="whatsapp",
            identity=f"{CHANNEL}:{msg.wa_id}",
            via=CHANNEL,
            message=message_id(msg.phone_number_id, msg.wamid),
        )
        if reply.get("replayed"):
            logger.info("message %s was answered before: not answering again", msg.wamid)
            return
        await self.vouch(msg.wa_id)
        served, rendered = reply["locale"], reply["rendered"]
        options = replies(served, reply["alternatives"])
        if reply["status"] == "answered" and rendered is not None:
            key = reply["provenance"]["key"] if reply["provenance"] else None
            done = f"answered with {key} ({reply['confidence']:.2f})"
            await self.send_pictures(msg, pictures(rendered["meta"]))
            outgoing = texts(msg.wa_id, rendered["body"])
            if options:
                outgoing.append(buttons(msg.wa_id, phrase(served, "related"), options))
        else:
            done = f"handed off ({reply['confidence']:.2f})"
            route = await self.contact_route(served)
            said = " ".join(p for p in (phrase(served, "handoff"), route) if p)
            notices = "".join(f"*{n['text']}*\n\n" for n in reply.get("announcements") or [])  # first, in bold
            outgoing = texts(msg.wa_id, notices + said)
            if options:
                outgoing.append(buttons(msg.wa_id, phrase(served, "maybe"), options))
        await self.send(msg, served, outgoing)
        logger.info("message %s: %s", msg.wamid, done)  # once it has all gone out

    async def vouch(self, wa_id: str) -> None:
        """The sender's number is theirs: WhatsApp registered it by a code sent to it. So it joins their
        contact as a verified phone, once per process (a client who called before becomes one contact)."""
        if wa_id in self._vouched:
            return
        contact = await self.istok.find_contact(CHANNEL, wa_id)
        try:
            await self.istok.add_identity(contact["id"], "phone", "+" + wa_id, verified_by="whatsapp")
            await self.istok.add_identity(contact["id"], CHANNEL, wa_id, verified_by="whatsapp")
        except InvalidRequest as err:  # a wa_id that is no dialable number (a test number, say): keep going
            logger.warning("wa_id %s not kept as a phone: %s", wa_id, err)
        self._vouched.add(wa_id)

    async def on_button(self, msg: Inbound) -> None:
        data = msg.message.get("interactive", {}).get("button_reply", {}).get("id", "")
        prefix, locale, key = data.split(":", 2) if data.count(":") >= 2 else ("", "", "")
        if prefix != "a" or not key:
            logger.info("message %s: a button this adapter did not send (%r)", msg.wamid, data)
            locale = self.config.istok.locale
            await self.send(msg, locale, [text(msg.wa_id, phrase(locale, "stale_button"))])
            return
        shown = await self.istok.render(locale, key, "bot", format="whatsapp")
        recorded = await self.istok.record_interaction(
            channel=CHANNEL,
            outcome="answered",
            identity=Identity(channel=CHANNEL, address=msg.wa_id),
            article={"key": key, "locale": locale, "revision": shown["revision"]},
            message=message_id(msg.phone_number_id, msg.wamid),
        )
        if recorded.get("replayed"):
            logger.info("button %s was answered before: not answering again", msg.wamid)
            return
        logger.info("message %s: opened %s/%s from a button", msg.wamid, locale, key)
        await self.send_pictures(msg, pictures(shown["meta"]))
        await self.send(msg, locale, texts(msg.wa_id, shown["body"]))

    async def send_pictures(self, msg: Inbound, shown: list[Picture]) -> None:
        """Each image as an image message while the window is open; one WhatsApp refuses is left out."""
        for picture in shown:
            if self.window_closed(msg):
                return  # the text that follows goes as the template, which has no room for pictures
            try:
                message = await self.picture_message(msg, picture)
                if message is not None:
                    await self.graph.send(msg.phone_number_id, message)
            except (GraphError, httpx.HTTPError) as err:
                logger.warning("message %s: image %s not sent: %s", msg.wamid, picture.asset or picture.url, err)
                if isinstance(err, GraphError) and err.code == REENGAGEMENT:
                    return  # the window closed: the text goes as the template

    async def picture_message(self, msg: Inbound, picture: Picture) -> dict[str, Any] | None:
        """The image message for `picture`: by a media id (uploaded now if none is kept), else by its link."""
        said = caption(picture.alt, CAPTION_LIMIT)
        if picture.asset is None:
            if not picture.public:
                logger.warning("image %s has no address WhatsApp could fetch: left out", picture.url)
                return None
            return image(msg.wa_id, caption=said, link=picture.url)
        kept = self._media.get((msg.phone_number_id, picture.asset))
        if kept is None or kept[1] <= time.time():
            upload = await self.assets.fetch(picture.asset)
            media_id = await self.graph.upload(msg.phone_number_id, upload.data, upload.media_type, upload.filename)
            kept = (media_id, time.time() + (MEDIA_DAYS - 1) * 86400.0)  # a day short of WhatsApp's keeping
            self._media[(msg.phone_number_id, picture.asset)] = kept
        return image(msg.wa_id, caption=said, media_id=kept[0])

    def window_closed(self, msg: Inbound) -> bool:
        """Whether only a template may go to the sender of `msg` (with a margin for retries)."""
        return time.time() > msg.sent_at + WINDOW - MARGIN

    async def send(self, msg: Inbound, locale: str, outgoing: list[dict[str, Any]]) -> None:
        """Send free-form messages while the window is open, else the template; 131047 also means the template."""
        if self.window_closed(msg):
            logger.info("message %s is over 24 h old: sending the template instead", msg.wamid)
            await self.send_template(msg, locale)
            return
        for message in outgoing:
            try:
                await self.graph.send(msg.phone_number_id, message)
            except GraphError as err:
                if err.code != REENGAGEMENT:
                    raise
                logger.info("message %s: WhatsApp says the window is closed: sending the template", msg.wamid)
                await self.send_template(msg, locale)
                return

    async def send_template(self, msg: Inbound, locale: str) -> None:
        languages = self.config.template_languages
        language = languages.get(phrases.language(locale)) or next(iter(languages.values()))
        await self.graph.send(msg.phone_number_id, template(msg.wa_id, self.config.template, language))


def log_status(value: Value) -> None:
    """Delivery reports of the business's own messages, and errors Meta reports: logged, never answered."""
    for error in value.get("errors") or []:
        logger.warning("whatsapp reports error %s: %s", error.get("code"), error.get("title"))
    for status in value.get("statuses") or []:
        errors = "".join(f", {e.get('code')} {e.get('title')}" for e in status.get("errors") or [])
        level = logging.WARNING if status.get("status") == "failed" else logging.INFO
        logger.log(level, "%s to %s: %s%s", status.get("id"), status.get("recipient_id"), status.get("status"), errors)


def build(config: WhatsAppSettings) -> Starlette:
    """The webhook app: the subscription check, signed events, and the messages' handling after the 200."""
    istok = AsyncClient(config.istok.url, api_key=config.istok.key)
    graph = Graph(
        config.api_url, config.api_version, config.access_token, retries=config.retries, backoff=config.backoff
    )
    assets = Assets(config.istok.url)
    bot = WhatsAppBot(istok, graph, config, assets)
    handling: set[asyncio.Task[None]] = set()

    async def verify(request: Request) -> Response:
        query = request.query_params
        if query.get("hub.mode") == "subscribe" and _same(query.get("hub.verify_token"), config.verify_token):
            logger.info("whatsapp: webhook subscription verified")
            return PlainTextResponse(query.get("hub.challenge", ""))
        logger.warning("whatsapp: a subscription check with a wrong verify token was refused")
        return PlainTextResponse("verification failed", status_code=403)

    async def receive(request: Request) -> Response:
        body = await request.body()
        if not signed(body, request.headers.get(SIGNATURE_HEADER), config.app_secret):
            logger.warning("whatsapp: a POST without a valid %s was refused", SIGNATURE_HEADER)
            return PlainTextResponse("invalid signature", status_code=403)
        try:
            payload = json.loads(body)
        except ValueError:
            return PlainTextResponse("the body is not JSON", status_code=400)
        for value in values(payload):
            number = value["metadata"].get("phone_number_id")
            if config.phone_number_id and number != config.phone_number_id:
                logger.info("whatsapp: an event for business number %s, not ours: ignored", number)
                continue
            log_status(value)
            for msg in inbound(value):
                task = asyncio.create_task(bot.handle(msg), name=f"whatsapp {msg.wamid}")
                handling.add(task)
                task.add_done_callback(handling.discard)
        return Response(status_code=200)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        logger.info("whatsapp: webhook on %s:%s%s, sending through %s", config.listen, config.port, PATH, graph.base)
        yield
        if handling:
            logger.info("whatsapp: finishing %d message(s) in hand", len(handling))
            await asyncio.wait(handling, timeout=60)
        await graph.aclose()
        await istok.aclose()
        await assets.aclose()

    routes = [Route(PATH, verify, methods=["GET"]), Route(PATH, receive, methods=["POST"])]
    return Starlette(routes=routes, lifespan=lifespan)


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def run(config: WhatsAppSettings) -> None:
    """Serve until SIGINT or SIGTERM, finish the messages in hand, then exit 0."""
    # uvicorn stops gracefully on these signals, then raises them again into the handlers it found;
    # with these, that second delivery only ends the process normally instead of killing it.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _sig, _frame: None)
    server = uvicorn.Server(
        uvicorn.Config(build(config), host=config.listen, port=config.port, log_config=None, access_log=False)
    )
    server.run()
    logger.info("whatsapp: stopped")

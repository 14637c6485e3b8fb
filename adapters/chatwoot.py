"""Chatwoot: an Agent Bot that answers from Istok until a person is needed, then hands over.

Protocol facts, from Chatwoot's public documentation:

* An agent bot connected to an inbox gets every event of its conversations POSTed as JSON to
  its URL; conversations start `pending` (the bot holds them) and the bot hands one to people
  by toggling it to `open`; agents may set it back to `pending`
  (https://www.chatwoot.com/docs/product/others/agent-bots).
* `message_created` carries the message (`id`, `content`, `message_type` incoming | outgoing |
  activity | template, also sent as 0-3 by some versions, `private`), its `sender` (`type`
  `contact`, `user` for an agent, `agent_bot` for a bot), the `conversation` (`id`, `status`,
  `meta.sender`: the contact with `email`, `phone_number`, `identifier`) and the `account`
  (https://www.chatwoot.com/docs/product/others/webhook-events, "message_created").
* Chatwoot signs nothing an agent bot receives, so the URL itself carries the secret:
  `/chatwoot/<CHATWOOT_WEBHOOK_SECRET>`, compared in constant time; any other path is 404.

What the bot answers: an incoming message of a contact in a `pending` conversation, nothing
else (its own messages, agents' messages, notes, activity, conversations already `open`).
The contact's timeline identity is `crm:chatwoot-<account>-<contact id>`: Chatwoot's own id of
the contact, which it vouches for. Its phone and e-mail are not used as identities: a widget
visitor types them in unchecked, and an unverified address must not open somebody else's
history to the bot (the Dashboard App still looks the contact up by them, for a signed-in
operator). Each message is answered once: Istok keeps `<account>:<message id>` with the
exchange (ids count per installation's account), so a redelivery comes back `replayed` and
nothing is sent. For insights the first reply of a person after the handoff is recorded
on the timeline (`direction` out), once per conversation, by the same mechanism.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import signal
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters import settings
from adapters.chatwoot_api import ChatwootApi, ChatwootError
from adapters.chatwoot_note import note
from adapters.phrases import phrase
from istok_client import AsyncClient, Identity, IstokError
from istok_client.models import Answer

logger = logging.getLogger("istok.adapter.chatwoot")

CHANNEL: Final[Literal["chatwoot"]] = "chatwoot"  # the timeline's channel (`via`)
QUESTION_LIMIT = 500  # what Istok takes as a question
SECRET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class ChatwootSettings:
    url: str  # the installation, e.g. https://chatwoot.example.com
    token: str  # the agent bot's access token
    secret: str  # the last segment of the webhook URL
    listen: str
    port: int
    operator_key: str | None  # an Istok operator key: the handoff note gets the full operator card
    istok: settings.IstokSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ChatwootSettings:
        env = os.environ if env is None else env
        url = settings.required(env, "CHATWOOT_URL", "the address of your Chatwoot, e.g. https://chatwoot.example.com")
        if not url.startswith(("http://", "https://")):
            raise settings.SettingsError(f"CHATWOOT_URL must start with http:// or https://, not {url!r}")
        secret = settings.required(
            env, "CHATWOOT_WEBHOOK_SECRET", "16-128 characters A-Z a-z 0-9 _ -, the end of the bot's webhook URL"
        )
        if not 16 <= len(secret) <= 128 or not set(secret) <= SECRET_CHARS:
            raise settings.SettingsError("CHATWOOT_WEBHOOK_SECRET must be 16-128 characters A-Z a-z 0-9 _ -")
        return cls(
            url=url.rstrip("/"),
            token=settings.required(env, "CHATWOOT_BOT_TOKEN", "the agent bot's access token"),
            secret=secret,
            listen=env.get("CHATWOOT_LISTEN", "").strip() or "127.0.0.1",
            port=settings.number(env, "CHATWOOT_PORT", 8092),
            operator_key=env.get("ISTOK_OPERATOR_KEY", "").strip() or None,
            istok=settings.istok(env),
        )


def _id(value: object) -> int | None:
    """Chatwoot's ids come as numbers, and in some payloads as strings of digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _kind(value: object) -> str:
    """`message_type` as a name: the webhook sends names, the API's own objects numbers."""
    names = {0: "incoming", 1: "outgoing", 2: "activity", 3: "template"}
    return names.get(value, "") if isinstance(value, int) else str(value or "")


@dataclass(frozen=True)
class Event:
    """What of a `message_created` the bot looks at."""

    account: int
    conversation: int
    message: int
    contact: int | None
    kind: str
    sender: str
    private: bool
    status: str
    content: str

    @classmethod
    def parse(cls, payload: Mapping[str, Any]) -> Event | None:
        conversation = payload.get("conversation") or {}
        sender = payload.get("sender") or {}
        account = _id((payload.get("account") or {}).get("id"))
        conversation_id, message_id = _id(conversation.get("id")), _id(payload.get("id"))
        if account is None or conversation_id is None or message_id is None:
            return None
        contact = _id(((conversation.get("meta") or {}).get("sender") or {}).get("id"))
        contact = contact or _id((conversation.get("contact_inbox") or {}).get("contact_id"))
        if str(sender.get("type")) == "contact":
            contact = _id(sender.get("id")) or contact
        return cls(
            account=account,
            conversation=conversation_id,
            message=message_id,
            contact=contact,
            kind=_kind(payload.get("message_type")),
            sender=str(sender.get("type") or ""),
            private=bool(payload.get("private")),
            status=str(conversation.get("status") or ""),
            content=str(payload.get("content") or "").strip(),
        )

    @property
    def identity(self) -> Identity:
        return Identity(channel="crm", address=f"chatwoot-{self.account}-{self.contact}")

    @property
    def message_key(self) -> str:
        return f"{self.account}:{self.message}"


class ChatwootBot:
    """The conversation: Istok answers, the bot posts them to Chatwoot or hands over."""

    def __init__(
        self, istok: AsyncClient, chatwoot: ChatwootApi, default_locale: str, operator: AsyncClient | None
    ) -> None:
        self.istok, self.chatwoot, self.default_locale, self.operator = istok, chatwoot, default_locale, operator

    async def on_message(self, event: Event) -> str:
        """What was done with the message, for the log and the webhook's answer."""
        if event.private or event.contact is None:
            return "ignored: a private note or no contact"
        if event.kind == "incoming" and event.sender == "contact":
            if event.status != "pending":
                return f"ignored: the conversation is {event.status or 'of unknown status'}, not the bot's"
            if not event.content:
                return "ignored: no text"
            return await self.answer(event)
        if event.kind == "outgoing" and event.sender == "user" and event.status != "pending":
            return await self.first_agent_reply(event)
        return f"ignored: {event.kind or 'unknown'} from {event.sender or 'nobody'}"

    async def answer(self, event: Event) -> str:
        reply = await self.istok.answer(
            event.content[:QUESTION_LIMIT],
            locale=self.default_locale,
            channel="bot",
            format="markdown",
            identity=event.identity,
            via=CHANNEL,
            message=event.message_key,
        )
        if reply.get("replayed"):
            return f"message {event.message_key} was answered before: not again"
        rendered = reply["rendered"]
        if reply["status"] == "answered" and rendered is not None:
            await self.chatwoot.send(event.account, event.conversation, rendered["body"])
            key = reply["provenance"]["key"] if reply["provenance"] else None
            return f"answered with {key} ({reply['confidence']:.2f})"
        await self.hand_off(event, reply)
        return f"handed off ({reply['confidence']:.2f})"

    async def hand_off(self, event: Event, reply: Answer) -> None:
        """Tell the client, open the conversation for people, and leave them the operator card."""
        served = reply["locale"]
        await self.chatwoot.send(event.account, event.conversation, phrase(served, "handoff"))
        await self.chatwoot.set_status(event.account, event.conversation, "open")
        text = await self.card_note(event, reply)
        await self.chatwoot.send(event.account, event.conversation, text, private=True)

    async def card_note(self, event: Event, reply: Answer) -> str:
        served = reply["locale"]
        key = reply["provenance"]["key"] if reply["provenance"] else None
        alternatives = [a for a in reply["alternatives"] if a["key"] != key]
        key = key or (alternatives.pop(0)["key"] if alternatives else None)
        card_json = chat = None
        if key is not None:
            try:
                if self.operator is not None:
                    card_json = (await self.operator.render(served, key, "operator", format="json"))["body"]
                else:
                    chat = (await self.istok.render(served, key, "bot", format="markdown"))["body"]
            except IstokError as err:
                logger.error("conversation %s: the operator card of %s failed: %s", event.conversation, key, err)
        others = [a["title"] for a in alternatives[:3]]
        return note(
            locale=served,
            question=event.content[:QUESTION_LIMIT],
            confidence=reply["confidence"],
            card_json=card_json,
            reply=chat,
            others=others,
        )

    async def first_agent_reply(self, event: Event) -> str:
        """A person's reply in a conversation the bot gave away: recorded once per conversation."""
        recorded = await self.istok.record_interaction(
            channel=CHANNEL,
            outcome="answered",
            identity=event.identity,
            direction="out",
            agent_reply=True,
            message=f"{event.account}:conversation-{event.conversation}:first-agent-reply",
        )
        if recorded.get("replayed"):
            return "an agent's reply: the first one is already recorded"
        return f"the first agent reply of conversation {event.conversation} recorded"

    async def unavailable(self, event: Event) -> None:
        """Istok failed: the client hears so rather than nothing."""
        with contextlib.suppress(ChatwootError):
            await self.chatwoot.send(event.account, event.conversation, phrase(self.default_locale, "unavailable"))


def build(config: ChatwootSettings) -> Starlette:
    """The webhook app: one POST route under the secret, the clients opened and closed with it."""
    istok = AsyncClient(config.istok.url, api_key=config.istok.key)
    operator = AsyncClient(config.istok.url, api_key=config.operator_key) if config.operator_key else None
    chatwoot = ChatwootApi(config.url, config.token)
    bot = ChatwootBot(istok, chatwoot, config.istok.locale, operator)
    secret = config.secret.encode()

    async def webhook(request: Request) -> Response:
        if not hmac.compare_digest(request.path_params["secret"].encode(), secret):
            return Response("Not Found", status_code=404, media_type="text/plain")
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body is not JSON"}, status_code=400)
        if not isinstance(payload, dict) or payload.get("event") != "message_created":
            return JSONResponse({"done": "ignored: not message_created"})
        event = Event.parse(payload)
        if event is None:
            logger.warning("message_created without account, conversation or message id: ignored")
            return JSONResponse({"done": "ignored: incomplete"})
        try:
            done = await bot.on_message(event)
        except IstokError as err:
            logger.error("message %s: Istok failed: %s", event.message_key, err)
            await bot.unavailable(event)
            return JSONResponse({"error": "Istok is unavailable"}, status_code=503)
        except ChatwootError as err:
            logger.error("message %s: Chatwoot refused: %s", event.message_key, err)
            return JSONResponse({"error": "Chatwoot refused the reply"}, status_code=502)
        logger.info("message %s in conversation %s: %s", event.message_key, event.conversation, done)
        return JSONResponse({"done": done})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await chatwoot.aclose()
            await istok.aclose()
            if operator is not None:
                await operator.aclose()

    return Starlette(routes=[Route("/chatwoot/{secret}", webhook, methods=["POST"])], lifespan=lifespan)


def run(config: ChatwootSettings) -> None:
    """Serve until SIGINT or SIGTERM; uvicorn finishes the webhooks in hand, then the clients close."""
    logger.info(
        "chatwoot: agent bot webhook on %s:%s/chatwoot/…, Chatwoot at %s", config.listen, config.port, config.url
    )
    server = uvicorn.Server(
        uvicorn.Config(
            build(config),
            host=config.listen,
            port=config.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=20,
        )
    )
    # uvicorn re-raises SIGINT/SIGTERM after its graceful shutdown, to the handlers it found:
    # these take it as done, so the process ends with 0 and says so, as the other adapters do.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _sig, _frame: None)
    server.run()
    logger.info("chatwoot: stopped")

"""A local Viber REST Bot API for the adapter's tests, written from Viber's public documentation.

https://developers.viber.com/docs/api/rest-bot-api/ is the source: every method is a JSON
`POST /pa/<method>` with the account's token in `X-Viber-Auth-Token`; every answer is HTTP 200
with `{"status": 0, "status_message": "ok", …}` or a documented error status (2
invalidAuthToken, 3 badData, 4 missingData, 5 receiverNotRegistered, 6 receiverNotSubscribed,
10 webhookNotSet, 12 tooManyRequests, 1 invalidUrl when the webhook cannot be reached).
`set_webhook` takes an https `url`, `event_types` from the documented list, `send_name` and
`send_photo`, and calls the URL with an `event: webhook` callback that must be answered 200.
Callbacks are JSON POSTs signed with `X-Viber-Content-Signature`, the hex HMAC-SHA256 of the body
keyed by the token. `send_message` with `type: text` checks what Viber checks: a subscribed
`receiver` (a user subscribes by messaging the bot), `sender.name` of at most 28 characters,
text of at most 7000 characters, and a keyboard as https://developers.viber.com/docs/tools/keyboards/
defines it (`Type: keyboard`, 1-24 `Buttons`, each with a known `ActionType`, an `ActionBody`,
`Columns` 1-6 and `Rows` 1-2). `type: picture` takes a `text` (the description, at most 768
characters, empty allowed) and a `media` URL whose last path segment ends in .jpeg, .jpg, .png or
.gif, which Viber fetches: a JPEG, PNG or still GIF of at most 1 MB (the iOS limit, the lower one).

Viber only calls https addresses; `route` plays the TLS proxy in front of the adapter, mapping a
public https prefix to the adapter's local http listener.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.media import MediaRefused, Picture, fetch, picture
from tests.fakes.serving import serving, wait_for_count

EVENT_TYPES = frozenset({"delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"})
ACTION_TYPES = frozenset({"reply", "open-url", "location-picker", "share-phone", "none"})
MAX_TEXT = 7000
MAX_SENDER_NAME = 28
MAX_BUTTONS = 24
MAX_BUTTON_TEXT = 250
CHAT_HOSTNAME = "SN-CHAT-05_"
MAX_PICTURE_TEXT = 768
MAX_PICTURE_BYTES = 1024 * 1024
PICTURE_EXTENSIONS = (".jpeg", ".jpg", ".png", ".gif")
PICTURE_FORMATS = frozenset({"JPEG", "PNG", "GIF"})


class ViberStatus(Exception):
    """A documented non-zero `status` with its `status_message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Sent:
    """A message the bot sent, as the fake accepted it."""

    receiver: str
    text: str
    sender: dict[str, Any]
    keyboard: dict[str, Any] | None
    message_token: int


@dataclass
class SentPicture:
    """A picture message the bot sent: its link, its description and the picture Viber fetched."""

    receiver: str
    media: str
    text: str
    picture: Picture
    message_token: int


@dataclass
class FakeViber:
    """One bot account's view of Viber: its users, its webhook, what it sent, failures to play."""

    token: str = "4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51r"
    account_id: str = "pa:5461939482658712345"
    name: str = "Sfera Help"
    base: str = ""
    webhook: dict[str, Any] | None = None
    webhook_checks: list[int] = field(default_factory=list)  # HTTP statuses of the `webhook` callbacks
    sent: list[Sent] = field(default_factory=list)
    pictures: list[SentPicture] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    deliveries: list[tuple[str, int, int]] = field(default_factory=list)  # (event, message_token, status)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, str] = {}
        self._subscribed: set[str] = set()
        self._known: set[str] = set()
        self._bodies: dict[int, bytes] = {}
        self._tokens = itertools.count(5_491_000_000_000_000_000)
        self._failures: dict[str, list[ViberStatus]] = {}

    # -- what a test does as the users and as Viber -----------------------------------------------

    def route(self, public: str, local: str) -> None:
        """Callbacks to `public…` reach `local…`: the TLS proxy in front of the adapter."""
        self._routes[public.rstrip("/")] = local.rstrip("/")

    @staticmethod
    def user_id(n: int) -> str:
        """A Viber user id as Viber spells them (base64 of an opaque value)."""
        return base64.b64encode(f"viber-user-{n:05d}".encode()).decode()

    def user(self, user_id: str, language: str | None) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "id": user_id,
            "name": f"Client {user_id[:6]}",
            "avatar": "https://media-direct.cdn.viber.com/download_photo?dlid=abc",
            "country": "UA",
            "api_version": 10,
        }
        if language is not None:
            profile["language"] = language
        return profile

    def user_says(self, user_id: str, text: str, *, language: str | None = "ru") -> int:
        """A text message from a user to the bot (which subscribes them); its message_token."""
        with self._lock:
            self._known.add(user_id)
            self._subscribed.add(user_id)
        return self.message(user_id, {"type": "text", "text": text}, language=language)

    def user_sends(self, user_id: str, message: dict[str, Any], *, language: str | None = "ru") -> int:
        """Any other message (a picture, a sticker…); its message_token."""
        with self._lock:
            self._known.add(user_id)
            self._subscribed.add(user_id)
        return self.message(user_id, message, language=language)

    def user_presses(self, user_id: str, button: dict[str, Any], *, language: str | None = "ru") -> int:
        """A press of a `reply` keyboard button: the client sends its ActionBody as a text message."""
        assert button.get("ActionType", "reply") == "reply", button
        return self.user_says(user_id, button["ActionBody"], language=language)

    def user_opens(self, user_id: str, *, language: str | None = "ru") -> tuple[int, Any]:
        """`conversation_started`: the HTTP status and the welcome message the bot answered with."""
        with self._lock:
            self._known.add(user_id)
        event = {
            "event": "conversation_started",
            "timestamp": _now(),
            "chat_hostname": CHAT_HOSTNAME,
            "message_token": next(self._tokens),
            "type": "open",
            "context": "",
            "user": self.user(user_id, language),
            "subscribed": user_id in self._subscribed,
        }
        response = self.post(event)
        return response.status_code, (response.json() if response.content else None)

    def message(self, user_id: str, message: dict[str, Any], *, language: str | None) -> int:
        token = next(self._tokens)
        event = {
            "event": "message",
            "timestamp": _now(),
            "chat_hostname": CHAT_HOSTNAME,
            "message_token": token,
            "sender": self.user(user_id, language),
            "message": message,
            "silent": False,
        }
        self.post(event)
        return token

    def redeliver(self, message_token: int) -> int:
        """The same callback once more, byte for byte, as Viber sends it when it saw no 200 in time."""
        return self.post_raw(self._bodies[message_token]).status_code

    def post(self, event: dict[str, Any]) -> httpx.Response:
        body = json.dumps(event, ensure_ascii=False).encode("utf-8")
        self._bodies[int(event["message_token"])] = body
        return self.post_raw(body)

    def post_raw(self, body: bytes, *, signature: str | None = None) -> httpx.Response:
        """A callback to the webhook, signed with the token unless `signature` is given."""
        assert self.webhook is not None, "no webhook set"
        headers = {
            "Content-Type": "application/json",
            "X-Viber-Content-Signature": signature if signature is not None else self.sign(body),
        }
        response = httpx.post(self.local(self.webhook["url"]), content=body, headers=headers, timeout=30)
        event = json.loads(body)
        with self._lock:
            self.deliveries.append((event.get("event", ""), int(event.get("message_token", 0)), response.status_code))
        return response

    def sign(self, body: bytes) -> str:
        return hmac.new(self.token.encode("utf-8"), body, hashlib.sha256).hexdigest()

    def local(self, url: str) -> str:
        for public, local in self._routes.items():
            if url == public or url.startswith(public + "/"):
                return local + url[len(public) :]
        raise ViberStatus(1, f"invalidUrl: {url} cannot be reached")

    def fail_next(self, method: str, status: int, message: str) -> None:
        """The next call of `method` is answered with this status (e.g. 12 tooManyRequests), once."""
        with self._lock:
            self._failures.setdefault(method, []).append(ViberStatus(status, message))

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for m, _ in self.calls if m == method)

    def wait_sent(self, count: int, timeout: float = 30.0) -> list[Sent]:
        """Wait until the bot has sent `count` messages in all; the messages."""
        return wait_for_count(self._sent_now, count, "messages sent by the bot", timeout=timeout)

    def _sent_now(self) -> list[Sent]:
        with self._lock:
            return list(self.sent)

    # -- the REST API ----------------------------------------------------------------------------

    async def endpoint(self, request: Request) -> Response:
        method = request.path_params["method"]
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return Response("Not Found", status_code=404)
        try:
            if request.headers.get("X-Viber-Auth-Token") != self.token:
                raise ViberStatus(2, "invalidAuthToken")
            try:
                payload = json.loads(await request.body())
            except ValueError:
                raise ViberStatus(3, "badData: the request is not JSON") from None
            if not isinstance(payload, dict):
                raise ViberStatus(3, "badData: the request is not a JSON object")
            with self._lock:
                self.calls.append((method, payload))
                queued = self._failures.get(method)
                failure = queued.pop(0) if queued else None
            if failure is not None:
                raise failure
            result = await handler(payload)
        except ViberStatus as err:
            return JSONResponse({"status": err.status, "status_message": err.message})
        return JSONResponse({"status": 0, "status_message": "ok", **result})

    async def _m_get_account_info(self, _payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.account_id,
            "name": self.name,
            "uri": "sferahelp",
            "icon": "https://example.com/icon.png",
            "category": "Companies",
            "subcategory": "Telecommunications",
            "country": "UA",
            "webhook": (self.webhook or {}).get("url", ""),
            "event_types": (self.webhook or {}).get("event_types", []),
            "subscribers_count": len(self._subscribed),
            "members": [{"id": self.user_id(0), "name": "Admin", "role": "admin"}],
        }

    async def _m_set_webhook(self, payload: dict[str, Any]) -> dict[str, Any]:
        url = payload.get("url")
        if not isinstance(url, str):
            raise ViberStatus(4, "missingData: url")
        if not url:  # an empty url removes the webhook
            self.webhook = None
            return {}
        if not url.startswith("https://"):
            raise ViberStatus(1, "invalidUrl: the webhook must be an https URL")
        events = payload.get("event_types", sorted(EVENT_TYPES))
        if not isinstance(events, list) or not set(events) <= EVENT_TYPES:
            raise ViberStatus(3, f"badData: event_types must be some of {sorted(EVENT_TYPES)}")
        for flag in ("send_name", "send_photo"):
            if flag in payload and not isinstance(payload[flag], bool):
                raise ViberStatus(3, f"badData: {flag} must be a boolean")
        check = {"event": "webhook", "timestamp": _now(), "chat_hostname": CHAT_HOSTNAME}
        check["message_token"] = next(self._tokens)
        body = json.dumps(check).encode()
        headers = {"Content-Type": "application/json", "X-Viber-Content-Signature": self.sign(body)}
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                status = (await http.post(self.local(url), content=body, headers=headers)).status_code
        except httpx.TransportError:
            status = 0
        self.webhook_checks.append(status)
        if status != 200:
            raise ViberStatus(1, f"invalidUrl: the webhook answered {status or 'nothing'}")
        self.webhook = {
            "url": url,
            "event_types": events,
            "send_name": payload.get("send_name", False),
            "send_photo": payload.get("send_photo", False),
        }
        return {"chat_hostname": CHAT_HOSTNAME, "event_types": events}

    async def _m_send_message(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.webhook is None:
            raise ViberStatus(10, "webhookNotSet")
        receiver = payload.get("receiver")
        if not isinstance(receiver, str) or not receiver:
            raise ViberStatus(4, "missingData: receiver")
        with self._lock:
            known, subscribed = receiver in self._known, receiver in self._subscribed
        if not known:
            raise ViberStatus(5, "receiverNotRegistered")
        if not subscribed:
            raise ViberStatus(6, "receiverNotSubscribed")
        sender = payload.get("sender")
        if not isinstance(sender, dict) or not isinstance(sender.get("name"), str) or not sender["name"]:
            raise ViberStatus(4, "missingData: sender.name")
        if len(sender["name"]) > MAX_SENDER_NAME:
            raise ViberStatus(3, "badData: sender.name is longer than 28 characters")
        if payload.get("type") == "picture":
            return await self._picture(receiver, payload)
        if payload.get("type") != "text":
            raise ViberStatus(3, f"badData: message type {payload.get('type')!r} is not served by this fake")
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ViberStatus(4, "missingData: text")
        if len(text) > MAX_TEXT:
            raise ViberStatus(3, "badData: text is longer than 7000 characters")
        keyboard = payload.get("keyboard")
        if keyboard is not None:
            check_keyboard(keyboard)
        token = next(self._tokens)
        with self._lock:
            self.sent.append(Sent(receiver, text, sender, keyboard, token))
        return {"message_token": token, "chat_hostname": CHAT_HOSTNAME, "billing_status": 1}

    async def _picture(self, receiver: str, payload: dict[str, Any]) -> dict[str, Any]:
        text, media = payload.get("text"), payload.get("media")
        if not isinstance(text, str):
            raise ViberStatus(4, "missingData: text")
        if len(text) > MAX_PICTURE_TEXT:
            raise ViberStatus(3, "badData: a picture's text is longer than 768 characters")
        if not isinstance(media, str) or not media:
            raise ViberStatus(4, "missingData: media")
        if not media.split("?")[0].lower().endswith(PICTURE_EXTENSIONS):
            raise ViberStatus(3, "badData: media must end in .jpeg, .png or .gif")
        if payload.get("keyboard") is not None:
            check_keyboard(payload["keyboard"])
        try:
            data, media_type = await asyncio.to_thread(fetch, media, self._routes, max_bytes=MAX_PICTURE_BYTES)
            seen = picture(data, media_type, formats=PICTURE_FORMATS, max_bytes=MAX_PICTURE_BYTES)
        except MediaRefused as err:
            raise ViberStatus(3, f"badData: media: {err}") from err
        token = next(self._tokens)
        with self._lock:
            self.pictures.append(SentPicture(receiver, media, text, seen, token))
        return {"message_token": token, "chat_hostname": CHAT_HOSTNAME, "billing_status": 1}


def check_keyboard(keyboard: Any) -> None:
    """A keyboard as the Keyboards page defines it, or ViberStatus 3 naming what is wrong."""
    if not isinstance(keyboard, dict) or keyboard.get("Type") != "keyboard":
        raise ViberStatus(3, "badData: keyboard.Type must be keyboard")
    if "DefaultHeight" in keyboard and not isinstance(keyboard["DefaultHeight"], bool):
        raise ViberStatus(3, "badData: keyboard.DefaultHeight must be a boolean")
    buttons = keyboard.get("Buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise ViberStatus(3, "badData: keyboard.Buttons must hold 1-24 buttons")
    for i, button in enumerate(buttons):
        where = f"keyboard.Buttons[{i}]"
        if not isinstance(button, dict):
            raise ViberStatus(3, f"badData: {where} is not an object")
        if button.get("ActionType", "reply") not in ACTION_TYPES:
            raise ViberStatus(3, f"badData: {where}.ActionType must be one of {sorted(ACTION_TYPES)}")
        if not isinstance(button.get("ActionBody"), str) or not button["ActionBody"]:
            raise ViberStatus(4, f"missingData: {where}.ActionBody")
        columns, rows = button.get("Columns", 6), button.get("Rows", 1)
        if not isinstance(columns, int) or isinstance(columns, bool) or not 1 <= columns <= 6:
            raise ViberStatus(3, f"badData: {where}.Columns must be 1-6")
        if not isinstance(rows, int) or isinstance(rows, bool) or not 1 <= rows <= 2:
            raise ViberStatus(3, f"badData: {where}.Rows must be 1-2")
        if "Text" in button and (not isinstance(button["Text"], str) or len(button["Text"]) > MAX_BUTTON_TEXT):
            raise ViberStatus(3, f"badData: {where}.Text must be text of at most 250 characters")
        if "Silent" in button and not isinstance(button["Silent"], bool):
            raise ViberStatus(3, f"badData: {where}.Silent must be a boolean")


def _now() -> int:
    return int(time.time() * 1000)


@contextlib.contextmanager
def running(fake: FakeViber | None = None) -> Iterator[FakeViber]:
    """The fake REST API served on a free port of 127.0.0.1 for the block's duration."""
    fake = fake or FakeViber()
    app = Starlette(routes=[Route("/pa/{method}", fake.endpoint, methods=["POST"])])
    with serving(app, name="fake-viber") as base:
        fake.base = base
        yield fake

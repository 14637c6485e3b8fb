"""A local Telegram Bot API server for the adapter's tests, written from the public Bot API documentation.

https://core.telegram.org/bots/api is the source: requests to `/bot<token>/<method>` in a query
string, `application/x-www-form-urlencoded` (objects JSON-encoded), JSON or multipart; every
answer is `{"ok": true, "result": …}` or `{"ok": false, "error_code": …, "description": …}`, with
`parameters.retry_after` on 429; `getUpdates` long-polls, confirms updates below `offset` and
refuses while a webhook is set (409); a webhook receives each update as a JSON POST with
`X-Telegram-Bot-Api-Secret-Token` and is retried until it answers 2xx. `sendMessage` checks what
Telegram checks: text of 1–4096 characters after entity parsing (counted, as Telegram counts
them, in UTF-16 code units: an emoji is two), HTML of the documented tag set
only, `callback_data` of 1–64 bytes. `sendPhoto` takes the photo as a multipart upload, as a
`file_id` it gave out before, or as an HTTP URL it fetches (at most 10 MB uploaded, 5 MB by URL;
width plus height at most 10000, a ratio of at most 20), with a caption of 0–1024 UTF-16 code units
after entity parsing, and answers a Message whose `photo` lists the sizes with their `file_id`s.

Only the methods the adapter uses are served; any other answers 404 "Not Found" as Telegram does.
"""

from __future__ import annotations

import asyncio
import contextlib
import html.parser
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
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.media import MediaRefused, fetch, picture
from tests.fakes.serving import serving, wait_for_count

#: The tags `parse_mode=HTML` accepts ("Formatting options" in the Bot API documentation).
HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
MAX_CAPTION = 1024
MAX_UPLOAD = 10 * 1024 * 1024
MAX_BY_URL = 5 * 1024 * 1024
PHOTO_FORMATS = frozenset({"JPEG", "PNG", "GIF", "WEBP", "BMP"})


class ParseError(ValueError):
    """What Telegram answers 400 "Bad Request: can't parse entities: …" for."""


class _TelegramHtml(html.parser.HTMLParser):
    """Telegram's reading of an HTML text: its tags only, properly nested; the plain text it shows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            raise ParseError(f'Unsupported start tag "{tag}"')
        if tag == "a":
            href = dict(attrs).get("href")
            if not href:
                raise ParseError("Can't find href in the a tag")
            self.links.append(href)
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            raise ParseError('Unsupported start tag "span"')
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise ParseError(f'Unmatched end tag "{tag}"')
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise ParseError("Unsupported start tag")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in NAMED_ENTITIES:
            raise ParseError(f'Unsupported HTML entity "&{name};"')
        self.text.append(NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        self.text.append(chr(int(name[1:], 16) if name.lower().startswith("x") else int(name)))


def parse_html(text: str) -> tuple[str, list[str]]:
    """The text a client sees and the links it carries, or ParseError as Telegram would refuse it."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{parser.open[-1]}"')
    return "".join(parser.text), parser.links


def utf16_units(text: str) -> int:
    """A text's length as Telegram measures it: UTF-16 code units (entity offsets are counted so too)."""
    return len(text.encode("utf-16-le")) // 2


class BotApiError(Exception):
    def __init__(self, code: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class Sent:
    """A message the bot sent, as the fake received it and as a client would see it."""

    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    shown: str
    links: list[str]
    message_id: int


@dataclass
class Photo:
    """A photo the bot sent: how it came (`upload`, `file_id` or `url`), the picture and its caption."""

    chat_id: int
    how: str
    file_id: str
    width: int
    height: int
    format: str
    caption: str
    message_id: int


@dataclass
class FakeTelegram:
    """One bot's view of Telegram: updates waiting for it, what it sent, failures to play."""

    token: str = "123456:TEST-token"
    username: str = "istok_test_bot"
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    webhook_deliveries: list[tuple[int, int]] = field(default_factory=list)  # (update_id, HTTP status)
    photos: list[Photo] = field(default_factory=list)
    hosts: dict[str, str] = field(default_factory=dict)  # public origin -> the local server behind it
    base: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._updates: list[dict[str, Any]] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._failures: dict[str, list[BotApiError]] = {}
        self._files: dict[str, Photo] = {}  # file_id -> the photo first sent under it
        self.webhook: dict[str, Any] | None = None

    # -- what a test does as the users and as Telegram -------------------------------------------

    @property
    def api_url(self) -> str:
        """What the adapter is given as its Bot API base (the token follows it, as in api.telegram.org/bot)."""
        return f"{self.base}/bot"

    def user_says(self, user_id: int, text: str, *, language_code: str | None = "ru", **extra: Any) -> int:
        """A private message from a user to the bot; its update id."""
        sender = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        if language_code:
            sender["language_code"] = language_code
        message = {
            "message_id": next(self._message_ids),
            "from": sender,
            "chat": {"id": user_id, "type": "private", "first_name": sender["first_name"]},
            "date": int(time.time()),
            "text": text,
            **extra,
        }
        return self.push({"message": message})

    def user_shares_contact(self, user_id: int, phone: str, *, contact_user_id: int | None) -> int:
        """A contact sent by a user: their own (a `request_contact` button) when `contact_user_id` is theirs."""
        contact: dict[str, Any] = {"phone_number": phone, "first_name": f"User{user_id}"}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        sender = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        message = {
            "message_id": next(self._message_ids),
            "from": sender,
            "chat": {"id": user_id, "type": "private"},
            "date": int(time.time()),
            "contact": contact,
        }
        return self.push({"message": message})

    def user_presses(self, user_id: int, data: str, message: Sent) -> int:
        """A press of an inline button carrying `data` under the bot's `message`."""
        query = {
            "id": str(next(self._ids)),
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
            "message": {
                "message_id": message.message_id,
                "chat": {"id": message.chat_id, "type": "private"},
                "date": int(time.time()),
                "text": message.shown,
            },
            "chat_instance": "1",
            "data": data,
        }
        return self.push({"callback_query": query})

    def push(self, update: dict[str, Any], *, update_id: int | None = None) -> int:
        """An update for the bot (again, with the same `update_id`, to play a redelivery)."""
        with self._lock:
            uid = next(self._ids) if update_id is None else update_id
            self._updates.append({"update_id": uid, **update})
            self._history[uid] = update
        return uid

    def redeliver(self, update_id: int) -> None:
        """The same update once more, as Telegram sends it when it did not see a 2xx in time."""
        with self._lock:
            update = self._history[update_id]
        self.push(update, update_id=update_id)

    def fail_next(self, method: str, code: int, description: str, **parameters: Any) -> None:
        """The next call of `method` fails so (e.g. 429 with `retry_after`)."""
        with self._lock:
            self._failures.setdefault(method, []).append(BotApiError(code, description, **parameters))

    def wait_sent(self, count: int, timeout: float = 30.0) -> list[Sent]:
        """Wait until the bot has sent `count` messages in all; the messages."""
        return wait_for_count(self._sent_now, count, "messages sent by the bot", timeout=timeout)

    def _sent_now(self) -> list[Sent]:
        with self._lock:
            return list(self.sent)

    def wait_photos(self, count: int, timeout: float = 30.0) -> list[Photo]:
        """Wait until the bot has sent `count` photos in all; the photos."""
        return wait_for_count(self._photos_now, count, "photos sent by the bot", timeout=timeout)

    def _photos_now(self) -> list[Photo]:
        with self._lock:
            return list(self.photos)

    def pending(self) -> int:
        with self._lock:
            return len(self._updates)

    # -- the Bot API ---------------------------------------------------------------------------

    async def endpoint(self, request: Request) -> JSONResponse:
        token, method = request.path_params["token"], request.path_params["method"]
        if token != self.token:
            return _error(BotApiError(401, "Unauthorized"))
        params = await _params(request)
        with self._lock:
            self.calls.append((method, params))
            queued = self._failures.get(method)
            failure = queued.pop(0) if queued else None
        try:
            if failure is not None:
                raise failure
            handler = getattr(self, f"_m_{method.lower()}", None)
            if handler is None:
                raise BotApiError(404, "Not Found")
            result = await handler(params)
        except BotApiError as err:
            return _error(err)
        return JSONResponse({"ok": True, "result": result})

    async def _m_getme(self, _params: dict[str, Any]) -> dict[str, Any]:
        bot_id = int(self.token.split(":")[0])
        return {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Istok",
            "username": self.username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)  # kept short for tests
        while True:
            with self._lock:
                if offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                ready = self._updates[:limit]
            if ready or time.monotonic() >= deadline:
                return ready
            await asyncio.sleep(0.05)

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if not url:
            self.webhook = None
            return True
        secret = params.get("secret_token")
        if secret is not None and not (1 <= len(secret) <= 256 and all(c.isalnum() or c in "_-" for c in secret)):
            raise BotApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret}
        if params.get("drop_pending_updates") in (True, "true", "True"):
            with self._lock:
                self._updates.clear()
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates") in (True, "true", "True"):
            with self._lock:
                self._updates.clear()
        return True

    async def _m_getwebhookinfo(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": self.pending(),
        }

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params.get("chat_id") or 0)
        if not chat_id:
            raise BotApiError(400, "Bad Request: chat_id is empty")
        text = str(params.get("text") or "")
        mode = params.get("parse_mode")
        shown, links = text, list[str]()
        if mode == "HTML":
            try:
                shown, links = parse_html(text)
            except ParseError as err:
                raise BotApiError(400, f"Bad Request: can't parse entities: {err}") from err
        elif mode not in (None, ""):
            raise BotApiError(400, f"Bad Request: unsupported parse_mode {mode}")
        if not shown.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if utf16_units(shown) > MAX_TEXT:
            raise BotApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        _check_markup(markup)
        message_id = next(self._message_ids)
        with self._lock:
            self.sent.append(Sent(chat_id, text, mode, markup, shown, links, message_id))
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": await self._m_getme({}),
            "text": shown,
        }

    async def _m_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params.get("chat_id") or 0)
        if not chat_id:
            raise BotApiError(400, "Bad Request: chat_id is empty")
        text = str(params.get("caption") or "")
        mode = params.get("parse_mode")
        shown = text
        if mode == "HTML":
            try:
                shown, _links = parse_html(text)
            except ParseError as err:
                raise BotApiError(400, f"Bad Request: can't parse entities: {err}") from err
        elif mode not in (None, ""):
            raise BotApiError(400, f"Bad Request: unsupported parse_mode {mode}")
        if utf16_units(shown) > MAX_CAPTION:
            raise BotApiError(400, "Bad Request: message caption is too long")
        _check_markup(params.get("reply_markup"))
        how, taken = await asyncio.to_thread(self._photo_of, params.get("photo"))
        message_id = next(self._message_ids)
        with self._lock:
            file_id = taken.file_id if how == "file_id" else f"AgAC-{len(self._files) + 1:04d}"
            photo = Photo(chat_id, how, file_id, taken.width, taken.height, taken.format, shown, message_id)
            self._files.setdefault(file_id, photo)
            self.photos.append(photo)
        small = max(1, round(90 * photo.width / max(photo.width, photo.height)))
        sizes = [
            {"file_id": f"{file_id}-s", "file_unique_id": f"{file_id}-su", "width": small, "height": 90},
            {"file_id": file_id, "file_unique_id": f"{file_id}-u", "width": photo.width, "height": photo.height},
        ]
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": await self._m_getme({}),
            "photo": sizes,
            **({"caption": shown} if shown else {}),
        }

    def _photo_of(self, given: Any) -> tuple[str, Photo]:
        """How the photo came and what it is; 400 as Telegram answers a photo it cannot take."""
        if isinstance(given, tuple):  # a multipart upload: (bytes, content type)
            how, (data, media_type) = "upload", given
            limit = MAX_UPLOAD
        elif isinstance(given, str) and given in self._files:
            return "file_id", self._files[given]
        elif isinstance(given, str) and given.startswith(("http://", "https://")):
            how, limit = "url", MAX_BY_URL
            try:
                data, media_type = fetch(given, self.hosts, max_bytes=limit)
            except MediaRefused as err:
                raise BotApiError(400, f"Bad Request: wrong file identifier/HTTP URL specified ({err})") from err
        else:
            raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        try:
            seen = picture(data, media_type, formats=PHOTO_FORMATS, max_bytes=limit)
        except MediaRefused as err:
            raise BotApiError(400, f"Bad Request: IMAGE_PROCESS_FAILED ({err})") from err
        if seen.width + seen.height > 10000:
            raise BotApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        if max(seen.width, seen.height) > 20 * min(seen.width, seen.height):
            raise BotApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        return how, Photo(0, how, "", seen.width, seen.height, seen.format, "", 0)

    async def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        with self._lock:
            self.callback_answers.append(params)
        return True

    # -- webhook mode: Telegram pushes each update and retries it until the bot takes it -----------

    async def deliver_webhooks(self) -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            while True:
                hook = self.webhook
                with self._lock:
                    update = self._updates[0] if hook is not None and self._updates else None
                if update is None or hook is None:
                    await asyncio.sleep(0.05)
                    continue
                headers = {"Content-Type": "application/json"}
                if hook["secret_token"]:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
                try:
                    status = (await http.post(hook["url"], content=json.dumps(update), headers=headers)).status_code
                except httpx.TransportError:
                    status = 0
                self.webhook_deliveries.append((update["update_id"], status))
                if 200 <= status < 300:
                    with self._lock:
                        if self._updates and self._updates[0] is update:
                            self._updates.pop(0)
                else:
                    await asyncio.sleep(0.2)  # Telegram retries later; the tests need no real minutes


def _check_markup(markup: Any) -> None:
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise BotApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if not button.get("text"):
                raise BotApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    for row in markup.get("keyboard", []):
        for button in row:
            if not (button if isinstance(button, str) else button.get("text")):
                raise BotApiError(400, "Bad Request: keyboard button text is empty")


async def _params(request: Request) -> dict[str, Any]:
    """The method's parameters however they came; object-valued form fields are JSON, as the API says."""
    params: dict[str, Any] = dict(request.query_params)
    kind = request.headers.get("content-type", "")
    if kind.startswith("application/json"):
        body = await request.body()
        params.update(json.loads(body) if body else {})
    elif kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        for name, value in form.items():
            if isinstance(value, str):
                params[name] = value
            else:  # an uploaded file: its bytes and the type it was sent as
                params[name] = (await value.read(), value.content_type or "")
    for name in ("reply_markup", "allowed_updates", "link_preview_options"):
        if isinstance(params.get(name), str):
            with contextlib.suppress(json.JSONDecodeError):
                params[name] = json.loads(params[name])
    return params


def _error(err: BotApiError) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
    if err.parameters:
        body["parameters"] = err.parameters
    return JSONResponse(body, status_code=err.code)


@contextlib.contextmanager
def running(fake: FakeTelegram | None = None) -> Iterator[FakeTelegram]:
    """The fake Bot API served on a free port of 127.0.0.1, delivering webhooks, for the block's duration."""
    fake = fake or FakeTelegram()
    app = Starlette(routes=[Route("/bot{token}/{method}", fake.endpoint, methods=["GET", "POST"])])
    with serving(app, name="fake-telegram", beside=fake.deliver_webhooks) as base:
        fake.base = base
        yield fake

"""A local WhatsApp Cloud API (Graph API) and Meta's webhook sender, written from Meta's public documentation.

The Graph side serves `POST /v{N}.{M}/{phone_number_id}/messages` as
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages defines it: a bearer
access token; `messaging_product: "whatsapp"`, `to`, and a `type` of text (`body` of 1–4096
characters), interactive `button` (body text up to 1024 characters, 1–3 reply buttons with unique
ids of up to 256 characters and unique titles of up to 20,
https://developers.facebook.com/docs/whatsapp/cloud-api/messages/interactive-reply-buttons-messages)
template (`name` and `language.code` of an approved template) or image (exactly one of `id`, a
media id from `POST /{version}/{phone_number_id}/media`, and `link`, which it fetches; a `caption`
of up to 1024 characters; JPEG or PNG of at most 5 MB,
https://developers.facebook.com/docs/whatsapp/cloud-api/messages/image-messages). The upload takes
a multipart form of `messaging_product`, `file` and its MIME `type` and answers `{"id": …}`. It answers
`{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}` or a
Graph error `{"error": {"message", "type", "code", "error_subcode", "error_data", "fbtrace_id"}}`
(https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes), and it can play
a rate-limit error once.

As WhatsApp does, it accepts a free-form message to a client whose last message is over 24 hours
old and then fails it asynchronously: a `statuses` webhook with status `failed` and error 131047
(re-engagement), so such a message is recorded here as not delivered.

The webhook side posts what Meta posts (https://developers.facebook.com/docs/graph-api/webhooks/getting-started):
the subscription check as a GET with `hub.mode`, `hub.verify_token` and `hub.challenge`, and each
event as a JSON POST of `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": …}]}]}`, ASCII-escaped as Meta sends it and signed with
`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body keyed by the app secret>`; a redelivery posts
the same bytes again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import re
import secrets
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

from tests.fakes.media import MediaRefused, Picture, fetch, picture
from tests.fakes.serving import serving, wait_for_count

TEXT_LIMIT = 4096
BODY_LIMIT = 1024
BUTTON_ID_LIMIT = 256
BUTTON_TITLE_LIMIT = 20
WINDOW = 24 * 3600
CAPTION_LIMIT = 1024
IMAGE_LIMIT = 5 * 1024 * 1024
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}  # the Cloud API's image types, and what each holds
URL = re.compile(r"https?://[^\s*_~`<>]+")


class GraphError(Exception):
    """A Graph API error response."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        kind: str = "OAuthException",
        subcode: int | None = None,
        details: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.kind, self.subcode, self.details = (
            status,
            code,
            message,
            kind,
            subcode,
            details,
        )

    def response(self) -> JSONResponse:
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = base64.urlsafe_b64encode(secrets.token_bytes(15)).decode()
        return JSONResponse({"error": error}, status_code=self.status)


def invalid(details: str) -> GraphError:
    """What the Cloud API answers for a parameter value it refuses (131009)."""
    return GraphError(400, 131009, "(#131009) Parameter value is not valid", details=details)


def missing(name: str) -> GraphError:
    return GraphError(400, 100, f"(#100) The parameter {name} is required.")


def rate_limit_hit() -> GraphError:
    """130429: the Cloud API's throughput reached (the example in Meta's error-code reference)."""
    return GraphError(
        400,
        130429,
        "(#130429) Rate limit hit",
        subcode=2494055,
        details="Message failed to send because there were too many messages sent from this phone number "
        "in a short period of time",
    )


@dataclass
class Sent:
    """A message the business sent, as the Cloud API took it, and whether WhatsApp would deliver it."""

    phone_number_id: str
    request: dict[str, Any]
    wamid: str
    delivered: bool
    picture: Picture | None = None  # an image message's picture, as WhatsApp got it

    @property
    def caption(self) -> str:
        return str((self.request.get("image") or {}).get("caption", "")) if self.type == "image" else ""

    @property
    def to(self) -> str:
        return str(self.request["to"])

    @property
    def type(self) -> str:
        return str(self.request["type"])

    @property
    def text(self) -> str:
        """What the client reads: a text's body or an interactive message's body text."""
        if self.type == "text":
            return str(self.request["text"]["body"])
        if self.type == "interactive":
            return str(self.request["interactive"]["body"]["text"])
        return ""

    @property
    def links(self) -> list[str]:
        """The URLs WhatsApp would make tappable in the text (it links bare URLs itself)."""
        return [url.rstrip(".,;:!?)»\"'") for url in URL.findall(self.text)]  # trailing punctuation is prose

    @property
    def buttons(self) -> list[dict[str, str]]:
        if self.type != "interactive":
            return []
        return [b["reply"] for b in self.request["interactive"]["action"]["buttons"]]

    @property
    def template(self) -> dict[str, Any] | None:
        return self.request.get("template") if self.type == "template" else None


@dataclass
class FakeWhatsApp:
    """One WhatsApp Business app: its business number, approved templates, what it was sent."""

    token: str = "EAAJB-test-access-token"
    app_secret: str = "test-app-secret"
    verify_token: str = "test-verify-token"
    phone_number_id: str = "106540352242922"
    display_phone_number: str = "15550783881"
    templates: frozenset[tuple[str, str]] = frozenset(
        {("istok_answer_ready", "ru"), ("istok_answer_ready", "uk"), ("istok_answer_ready", "en_US")}
    )
    webhook_url: str = ""  # the adapter's callback URL
    base: str = ""
    sent: list[Sent] = field(default_factory=list)
    calls: list[tuple[str, int]] = field(default_factory=list)  # (path, HTTP status) of each Graph request
    status_deliveries: list[tuple[str, str, int]] = field(default_factory=list)  # (wamid, status, HTTP status)
    media: dict[str, Picture] = field(default_factory=dict)  # uploaded media by id
    hosts: dict[str, str] = field(default_factory=dict)  # public origin -> the local server behind it

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[GraphError] = []
        self._last_message: dict[str, int] = {}  # wa_id → the timestamp of the client's last message
        self._bodies: dict[str, bytes] = {}  # wamid → the signed webhook body, for a redelivery
        self._statuses: list[bytes] = []
        self._ids = itertools.count(1)
        self._media_ids = itertools.count(1013859600285441)

    # -- what a test does as the clients and as Meta ----------------------------------------------

    @property
    def api_url(self) -> str:
        return self.base

    def verify(self, mode: str, token: str, challenge: str) -> httpx.Response:
        """Meta's subscription check of the callback URL."""
        params = {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge}
        return httpx.get(self.webhook_url, params=params, timeout=10)

    def user_says(self, wa_id: str, text: str, *, name: str | None = None, age: float = 0) -> str:
        """A client's text message, sent `age` seconds ago; its wamid."""
        return self.user_sends(wa_id, "text", {"text": {"body": text}}, name=name, age=age)

    def user_presses(self, wa_id: str, button: dict[str, str], under: Sent) -> str:
        """A tap on a reply button of the business's interactive message `under`."""
        reply = {"type": "button_reply", "button_reply": {"id": button["id"], "title": button["title"]}}
        context = {"from": self.display_phone_number, "id": under.wamid}
        return self.user_sends(wa_id, "interactive", {"interactive": reply, "context": context})

    def user_sends(
        self, wa_id: str, kind: str, content: dict[str, Any], *, name: str | None = None, age: float = 0
    ) -> str:
        """Any client message (`kind` image, location, …, with its object in `content`); its wamid."""
        stamp = int(time.time() - age)
        wamid = self.new_wamid()
        message = {"from": wa_id, "id": wamid, "timestamp": str(stamp), "type": kind, **content}
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": self.display_phone_number, "phone_number_id": self.phone_number_id},
            "contacts": [{"profile": {"name": name or f"Client {wa_id[-4:]}"}, "wa_id": wa_id}],
            "messages": [message],
        }
        with self._lock:
            self._last_message[wa_id] = max(stamp, self._last_message.get(wa_id, 0))
        body = self.event(value)
        with self._lock:
            self._bodies[wamid] = body
        response = self.post(body)
        assert response.status_code == 200, (response.status_code, response.text)
        return wamid

    def redeliver(self, wamid: str) -> httpx.Response:
        """The same webhook once more, byte for byte, as Meta sends it when it saw no 200 in time."""
        with self._lock:
            body = self._bodies[wamid]
        return self.post(body)

    def event(self, value: dict[str, Any]) -> bytes:
        """A webhook body as Meta serialises it (non-ASCII escaped)."""
        payload = {
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
        }
        return json.dumps(payload).encode("ascii")

    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()

    def post(self, body: bytes, *, signature: str | None = "") -> httpx.Response:
        """POST a webhook body: signed with the app secret, or with `signature` as given (None: no header)."""
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature or self.sign(body)
        return httpx.post(self.webhook_url, content=body, headers=headers, timeout=10)

    def fail_next(self, error: GraphError) -> None:
        """The next send is refused with `error` (e.g. `rate_limit_hit()`)."""
        with self._lock:
            self._failures.append(error)

    def sent_to(self, wa_id: str) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.to == wa_id]

    def wait_sent(self, wa_id: str, count: int, timeout: float = 30.0) -> list[Sent]:
        """Wait until `count` messages have been sent to `wa_id`; those messages."""
        return wait_for_count(lambda: self.sent_to(wa_id), count, f"messages sent to {wa_id}", timeout=timeout)

    def new_wamid(self) -> str:
        raw = f"\x0b{next(self._ids):011d}\x15\x02\x00\x12\x18" + secrets.token_hex(10).upper()
        return "wamid." + base64.b64encode(raw.encode()).decode()

    # -- the Graph API -------------------------------------------------------------------------------

    async def messages(self, request: Request) -> JSONResponse:
        path = request.url.path
        try:
            result = await self._messages(request)
        except GraphError as err:
            with self._lock:
                self.calls.append((path, err.status))
            return err.response()
        with self._lock:
            self.calls.append((path, 200))
        return JSONResponse(result)

    async def _messages(self, request: Request) -> dict[str, Any]:
        number = self._authorised(request, "messages")
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            raise failure
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise GraphError(400, 100, "(#100) The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise GraphError(400, 100, "(#100) The request body must be a JSON object")
        _check(body, self.templates)
        shown = await asyncio.to_thread(self._image_of, body) if body["type"] == "image" else None
        to = str(body["to"])
        with self._lock:
            last = self._last_message.get(to)
        delivered = body["type"] == "template" or (last is not None and time.time() - last < WINDOW)
        wamid = self.new_wamid()
        with self._lock:
            self.sent.append(Sent(number, body, wamid, delivered, shown))
        self._report(wamid, to, delivered)
        answer: dict[str, Any] = {"id": wamid}
        if body["type"] == "template":
            answer["message_status"] = "accepted"
        return {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [answer]}

    async def upload(self, request: Request) -> JSONResponse:
        """`POST /{version}/{phone_number_id}/media`: a multipart `file` with its `type`; the media id."""
        try:
            self._authorised(request, "media")
            form = await request.form()
            if form.get("messaging_product") != "whatsapp":
                raise missing("messaging_product")
            upload, declared = form.get("file"), form.get("type")
            if upload is None or isinstance(upload, str):
                raise missing("file")
            if not isinstance(declared, str) or not declared:
                raise missing("type")
            data = await upload.read()
            shown = _image(data, declared)
        except GraphError as err:
            with self._lock:
                self.calls.append((request.url.path, err.status))
            return err.response()
        with self._lock:
            media_id = str(next(self._media_ids))
            self.media[media_id] = shown
            self.calls.append((request.url.path, 200))
        return JSONResponse({"id": media_id})

    def _image_of(self, body: dict[str, Any]) -> Picture:
        """An image message's picture: an uploaded media id, or a link the Cloud API fetches."""
        spec = body.get("image") or {}
        media_id, link = spec.get("id"), spec.get("link")
        if bool(media_id) == bool(link):
            raise invalid("an image object takes exactly one of id (uploaded media) and link (hosted media)")
        caption = spec.get("caption", "")
        if not isinstance(caption, str) or len(caption) > CAPTION_LIMIT:
            limit = f"at most {CAPTION_LIMIT} characters long"
            raise GraphError(400, 100, f"(#100) Param image['caption'] must be {limit}.")
        if media_id:
            with self._lock:
                known = self.media.get(str(media_id))
            if known is None:
                raise GraphError(400, 131053, "(#131053) Media upload error", details=f"unknown media id {media_id}")
            return known
        try:
            data, media_type = fetch(str(link), self.hosts, max_bytes=IMAGE_LIMIT)
        except MediaRefused as err:
            raise GraphError(400, 131053, "(#131053) Media upload error", details=str(err)) from err
        return _image(data, media_type)

    def _authorised(self, request: Request, tail: str) -> str:
        """The business number of a Graph request whose version, token and number are right; GraphError else."""
        version, number = request.path_params["version"], request.path_params["phone_number_id"]
        if not re.fullmatch(r"v\d+\.\d+", version):
            raise GraphError(400, 2500, f"Unknown path components: /{version}/{number}/{tail}")
        auth = request.headers.get("authorization", "")
        if not auth:
            raise GraphError(
                400, 2500, "An active access token must be used to query information about the current user."
            )
        if auth != f"Bearer {self.token}":
            raise GraphError(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if number != self.phone_number_id:
            raise GraphError(
                400,
                100,
                f"Unsupported post request. Object with ID '{number}' does not exist, cannot be loaded due to "
                "missing permissions, or does not support this operation. Please read the Graph API documentation "
                "at https://developers.facebook.com/docs/graph-api",
                kind="GraphMethodException",
                subcode=33,
            )
        return number

    def _report(self, wamid: str, to: str, delivered: bool) -> None:
        """The status webhook WhatsApp sends for a message: `sent`, or `failed` with 131047."""
        status: dict[str, Any] = {
            "id": wamid,
            "status": "sent" if delivered else "failed",
            "timestamp": str(int(time.time())),
            "recipient_id": to,
        }
        if not delivered:
            status["errors"] = [
                {
                    "code": 131047,
                    "title": "Re-engagement message",
                    "message": "Re-engagement message",
                    "error_data": {
                        "details": "Message failed to send because more than 24 hours have passed since the "
                        "customer last replied to this number."
                    },
                }
            ]
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": self.display_phone_number, "phone_number_id": self.phone_number_id},
            "statuses": [status],
        }
        with self._lock:
            self._statuses.append(self.event(value))

    async def push_statuses(self) -> None:
        """Meta's side of status webhooks: each posted, signed, to the callback URL."""
        async with httpx.AsyncClient(timeout=10) as http:
            while True:
                with self._lock:
                    body = self._statuses.pop(0) if self._statuses else None
                if body is None or not self.webhook_url:
                    await asyncio.sleep(0.05)
                    continue
                status = json.loads(body)["entry"][0]["changes"][0]["value"]["statuses"][0]
                headers = {"Content-Type": "application/json", "X-Hub-Signature-256": self.sign(body)}
                try:
                    code = (await http.post(self.webhook_url, content=body, headers=headers)).status_code
                except httpx.TransportError:
                    code = 0
                self.status_deliveries.append((status["id"], status["status"], code))


def _check(body: dict[str, Any], templates: frozenset[tuple[str, str]]) -> None:
    """What the Cloud API refuses in a message's JSON, with the error it answers."""
    product = body.get("messaging_product")
    if product is None:
        raise missing("messaging_product")
    if product != "whatsapp":
        raise GraphError(400, 100, f'(#100) Param messaging_product must be one of {{WHATSAPP}} - got "{product}".')
    if body.get("recipient_type", "individual") not in ("individual", "group"):
        raise GraphError(400, 100, "(#100) Param recipient_type must be one of {INDIVIDUAL, GROUP}")
    if not body.get("to"):
        raise missing("to")
    kind = body.get("type", "text")
    if kind == "text":
        text = (body.get("text") or {}).get("body")
        if not isinstance(text, str) or not text.strip():
            raise missing("text['body']")
        if len(text) > TEXT_LIMIT:
            raise GraphError(400, 100, f"(#100) Param text['body'] must be at most {TEXT_LIMIT} characters long.")
        if not isinstance(body["text"].get("preview_url", False), bool):
            raise GraphError(400, 100, "(#100) Param text['preview_url'] must be a boolean.")
    elif kind == "interactive":
        _check_buttons(body.get("interactive") or {})
    elif kind == "template":
        spec = body.get("template") or {}
        name, language = spec.get("name"), (spec.get("language") or {}).get("code")
        if not name:
            raise missing("template['name']")
        if not language:
            raise missing("template['language']['code']")
        if (name, language) not in templates:
            where = (
                "the translation" if any(name == known for known, _ in templates) else "the WhatsApp Business Account"
            )
            raise GraphError(
                404,
                132001,
                f"(#132001) Template name does not exist in {where}",
                details=f"template name ({name}) does not exist in {language}",
            )
    elif kind != "image":  # an image's object is read against the uploaded media (FakeWhatsApp._image_of)
        raise GraphError(
            400, 100, f"(#100) Param type must be one of {{TEXT, IMAGE, INTERACTIVE, TEMPLATE, …}} - got {kind}"
        )
    body["type"] = kind  # text when not given, as the Cloud API takes it


def _image(data: bytes, media_type: str) -> Picture:
    """An image as the Cloud API takes it: JPEG or PNG of at most 5 MB, its declared type its own."""
    if media_type not in IMAGE_TYPES:
        raise GraphError(400, 131053, "(#131053) Media upload error", details=f"unsupported type {media_type}")
    try:
        shown = picture(data, media_type, formats=IMAGE_TYPES.values(), max_bytes=IMAGE_LIMIT)
    except MediaRefused as err:
        raise GraphError(400, 131053, "(#131053) Media upload error", details=str(err)) from err
    if IMAGE_TYPES[media_type] != shown.format:
        raise GraphError(400, 131053, "(#131053) Media upload error", details=f"{media_type} holding {shown.format}")
    return shown


def _check_buttons(interactive: dict[str, Any]) -> None:
    if interactive.get("type") != "button":
        raise invalid("this fake serves reply-button interactive messages only (interactive.type button)")
    text = (interactive.get("body") or {}).get("text")
    if not isinstance(text, str) or not text.strip():
        raise missing("interactive['body']['text']")
    if len(text) > BODY_LIMIT:
        raise GraphError(
            400, 100, f"(#100) Param interactive['body']['text'] must be at most {BODY_LIMIT} characters long."
        )
    buttons = (interactive.get("action") or {}).get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise invalid("Buttons count is invalid: an interactive button message has 1 to 3 buttons")
    ids, titles = set(), set()
    for button in buttons:
        reply = button.get("reply") or {}
        rid, title = reply.get("id"), reply.get("title")
        if button.get("type") != "reply" or not isinstance(rid, str) or not isinstance(title, str):
            raise invalid("each button is {type: reply, reply: {id, title}}")
        if not rid or rid != rid.strip() or len(rid) > BUTTON_ID_LIMIT:
            raise invalid(f"Button id must be 1-{BUTTON_ID_LIMIT} characters, without leading or trailing spaces")
        if not title.strip() or len(title) > BUTTON_TITLE_LIMIT:
            raise invalid(f"Button title length invalid: at most {BUTTON_TITLE_LIMIT} characters")
        if rid in ids or title in titles:
            raise invalid("Duplicate button id or title: each button's id and title must be unique")
        ids.add(rid)
        titles.add(title)


@contextlib.contextmanager
def running(fake: FakeWhatsApp | None = None) -> Iterator[FakeWhatsApp]:
    """The fake Graph API served on a free port of 127.0.0.1, pushing status webhooks, for the block."""
    fake = fake or FakeWhatsApp()
    app = Starlette(
        routes=[
            Route("/{version}/{phone_number_id}/messages", fake.messages, methods=["POST"]),
            Route("/{version}/{phone_number_id}/media", fake.upload, methods=["POST"]),
        ]
    )
    with serving(app, name="fake-whatsapp", beside=fake.push_statuses) as base:
        fake.base = base
        yield fake

"""A local Chatwoot for the agent bot's tests, written from Chatwoot's public documentation.

Sources: the Application API (https://www.chatwoot.com/developers/api/; the OpenAPI files under
https://github.com/chatwoot/chatwoot/tree/develop/swagger/paths/application) for the two calls
the bot makes, authenticated by the `api_access_token` header; the agent bot guide
(https://www.chatwoot.com/docs/product/others/agent-bots) for `pending` and the handoff; and
the webhook events page (https://www.chatwoot.com/docs/product/others/webhook-events) for the
`message_created` payload it posts.

What it checks as Chatwoot does: the token (401 `{"error": "Invalid Access Token"}`), the
account and the conversation (404 `{"error": "Resource could not be found"}`), a JSON body,
a non-empty `content`, a known `message_type` and `status` (422). It keeps what the bot did:
messages to the client, private notes, status changes. As Chatwoot, it posts the bot's own
messages back to the bot's webhook when a test asks (`echo`), and plays 429s and 5xx.
"""

from __future__ import annotations

import contextlib
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

from tests.fakes.serving import serving

STATUSES = ("open", "resolved", "pending", "snoozed")
MESSAGE_TYPES = ("outgoing", "incoming")


@dataclass
class Conversation:
    id: int
    contact: dict[str, Any]  # the contact as `meta.sender` shows it
    status: str = "pending"  # an inbox with an agent bot starts its conversations so


@dataclass
class Posted:
    """A message the bot created through the API."""

    id: int
    conversation: int
    content: str
    private: bool
    message_type: str


@dataclass
class FakeChatwoot:
    """One Chatwoot account with an agent bot connected to its inbox."""

    token: str = "bot-token-7Zq"
    account: int = 3
    inbox: int = 1
    base: str = ""
    webhook_url: str = ""
    posted: list[Posted] = field(default_factory=list)
    statuses: list[tuple[int, str]] = field(default_factory=list)
    calls: list[tuple[str, int]] = field(default_factory=list)  # (path, HTTP status answered)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.conversations: dict[int, Conversation] = {}
        self._ids = itertools.count(500)
        self._failures: list[tuple[str, int, int | None]] = []

    # -- what a test does as the contact, the agents and Chatwoot ------------------------------

    def conversation(self, cid: int, contact_id: int, *, status: str = "pending", **contact: Any) -> Conversation:
        person = {"id": contact_id, "name": f"Contact {contact_id}", "email": None, "phone_number": None}
        person.update({"identifier": None, "type": "contact", **contact})
        with self._lock:
            self.conversations[cid] = Conversation(cid, person, status)
            return self.conversations[cid]

    def contact_says(self, cid: int, text: str) -> dict[str, Any]:
        """The `message_created` of a contact's message (a new message id)."""
        person = self.conversations[cid].contact
        sender = {"id": person["id"], "name": person["name"], "avatar": "", "type": "contact"}
        return self._message_created(cid, next(self._ids), text, "incoming", sender)

    def agent_says(self, cid: int, text: str, *, private: bool = False) -> dict[str, Any]:
        """An agent's reply (or note) typed in the dashboard."""
        sender = {"id": 1, "name": "John", "email": "john@acme.example", "type": "user"}
        return self._message_created(cid, next(self._ids), text, "outgoing", sender, private=private)

    def echo(self, posted: Posted) -> dict[str, Any]:
        """The `message_created` Chatwoot sends the bot about a message the bot itself created."""
        sender = {"id": 9, "name": "Istok", "avatar_url": "", "type": "agent_bot"}
        return self._message_created(
            posted.conversation, posted.id, posted.content, "outgoing", sender, private=posted.private
        )

    def deliver(self, payload: dict[str, Any], url: str | None = None) -> httpx.Response:
        """POST an event to the bot's webhook, as Chatwoot's webhook job does (again: a redelivery)."""
        return httpx.post(
            url or self.webhook_url,
            content=json.dumps(payload),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )

    def fail_next(self, kind: str, status: int, *, retry_after: int | None = None) -> None:
        """The next call whose path ends in `kind` (`messages`, `toggle_status`) answers `status`."""
        with self._lock:
            self._failures.append((kind, status, retry_after))

    def to_client(self, cid: int) -> list[Posted]:
        return [p for p in self.posted if p.conversation == cid and not p.private]

    def notes(self, cid: int) -> list[Posted]:
        return [p for p in self.posted if p.conversation == cid and p.private]

    def _message_created(
        self, cid: int, mid: int, text: str, kind: str, sender: dict[str, Any], *, private: bool = False
    ) -> dict[str, Any]:
        conv = self.conversations[cid]
        return {
            "event": "message_created",
            "id": mid,
            "content": text,
            "created_at": "2026-12-02T10:00:00.000Z",
            "message_type": kind,
            "content_type": "text",
            "private": private,
            "content_attributes": {},
            "source_id": None,
            "sender": sender,
            "inbox": {"id": self.inbox, "name": "Acme Support"},
            "conversation": {
                "additional_attributes": {},
                "can_reply": True,
                "channel": "Channel::WebWidget",
                "id": cid,
                "inbox_id": self.inbox,
                "contact_inbox": {
                    "id": 100 + cid,
                    "contact_id": conv.contact["id"],
                    "inbox_id": self.inbox,
                    "source_id": f"source-{cid}",
                    "hmac_verified": False,
                },
                "messages": [],
                "meta": {"sender": conv.contact, "assignee": None},
                "status": conv.status,
                "unread_count": 1,
                "agent_last_seen_at": 0,
                "contact_last_seen_at": 0,
                "timestamp": int(time.time()),
            },
            "account": {"id": self.account, "name": "Acme Inc"},
        }

    # -- the Application API ------------------------------------------------------------------

    async def _checked(self, request: Request) -> tuple[Conversation, dict[str, Any]] | JSONResponse:
        """The conversation and the JSON body, or the error Chatwoot answers."""
        path = request.url.path
        if request.headers.get("api_access_token") != self.token:
            return self._answer(path, {"error": "Invalid Access Token"}, 401)
        with self._lock:
            failure = next((f for f in self._failures if path.endswith("/" + f[0])), None)
            if failure is not None:
                self._failures.remove(failure)
        if failure is not None:
            headers = {"Retry-After": str(failure[2])} if failure[2] is not None else {}
            return self._answer(path, {"error": "Too many requests"}, failure[1], headers)
        account = int(request.path_params["account"])
        conv = self.conversations.get(int(request.path_params["conversation"]))
        if account != self.account or conv is None:
            return self._answer(path, {"error": "Resource could not be found"}, 404)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return self._answer(path, {"error": "the body must be JSON"}, 422)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self._answer(path, {"error": "the body must be JSON"}, 400)
        if not isinstance(body, dict):
            return self._answer(path, {"error": "the body must be a JSON object"}, 422)
        return conv, body

    async def create_message(self, request: Request) -> JSONResponse:
        checked = await self._checked(request)
        if isinstance(checked, JSONResponse):
            return checked
        conv, body = checked
        content, kind, private = body.get("content"), body.get("message_type", "outgoing"), body.get("private", False)
        if not isinstance(content, str) or not content.strip():
            return self._answer(request.url.path, {"message": "Content can't be blank"}, 422)
        if kind not in MESSAGE_TYPES or not isinstance(private, bool):
            return self._answer(request.url.path, {"message": "message_type or private is invalid"}, 422)
        posted = Posted(next(self._ids), conv.id, content, private, kind)
        with self._lock:
            self.posted.append(posted)
        message = {
            "id": posted.id,
            "content": content,
            "inbox_id": self.inbox,
            "conversation_id": conv.id,
            "message_type": {"incoming": 0, "outgoing": 1}[kind],  # the API's own objects number them
            "content_type": "text",
            "content_attributes": {},
            "created_at": int(time.time()),
            "private": private,
            "source_id": None,
            "sender": {"id": 9, "name": "Istok", "type": "agent_bot"},
        }
        return self._answer(request.url.path, message, 200)

    async def toggle_status(self, request: Request) -> JSONResponse:
        checked = await self._checked(request)
        if isinstance(checked, JSONResponse):
            return checked
        conv, body = checked
        status = body.get("status")
        if status not in STATUSES:
            return self._answer(request.url.path, {"message": f"'{status}' is not a valid status"}, 422)
        with self._lock:
            conv.status = status
            self.statuses.append((conv.id, status))
        payload = {"success": True, "current_status": status, "conversation_id": conv.id}
        return self._answer(request.url.path, {"meta": {}, "payload": payload}, 200)

    def _answer(
        self, path: str, body: dict[str, Any], status: int, headers: dict[str, str] | None = None
    ) -> JSONResponse:
        with self._lock:
            self.calls.append((path, status))
        return JSONResponse(body, status_code=status, headers=headers)


@contextlib.contextmanager
def running(fake: FakeChatwoot | None = None) -> Iterator[FakeChatwoot]:
    """The fake Chatwoot served on a free port of 127.0.0.1 for the block's duration."""
    fake = fake or FakeChatwoot()
    prefix = "/api/v1/accounts/{account:int}/conversations/{conversation:int}"
    app = Starlette(
        routes=[
            Route(prefix + "/messages", fake.create_message, methods=["POST"]),
            Route(prefix + "/toggle_status", fake.toggle_status, methods=["POST"]),
        ]
    )
    with serving(app, name="fake-chatwoot") as base:
        fake.base = base
        yield fake

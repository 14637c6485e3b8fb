"""What Meta posts to a WhatsApp webhook: its signature and the shapes of its JSON, as Meta names them.

Meta signs every POST with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed
by the app secret>` (https://developers.facebook.com/docs/graph-api/webhooks/getting-started,
"Validating payloads"). The digest is over the bytes as sent, which escape non-ASCII as \\uXXXX,
so it is checked before the body is parsed and never over a re-serialised copy.

The body is `{"object": "whatsapp_business_account", "entry": [{"id", "changes": [{"field":
"messages", "value": {...}}]}]}`; `value` holds `messaging_product: "whatsapp"`, `metadata`
(`phone_number_id`), and either `contacts[]` with `messages[]` (each with `id` "wamid…", `from`,
`timestamp` in Unix seconds as a string, `type` and the object of that type) or `statuses[]`
(https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text,
…/messages/interactive, …/messages/status).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

SIGNATURE_HEADER = "X-Hub-Signature-256"


class Profile(TypedDict):
    name: str


class Contact(TypedDict):
    wa_id: str
    profile: NotRequired[Profile]


class Text(TypedDict):
    body: str


class ButtonReply(TypedDict):
    id: str
    title: str


class Interactive(TypedDict):
    type: str  # button_reply | list_reply
    button_reply: NotRequired[ButtonReply]


# `from` is a Python keyword, so the message's shape is declared the functional way.
Message = TypedDict(
    "Message",
    {
        "id": str,  # "wamid.…"
        "from": str,  # the sender's WhatsApp number
        "timestamp": str,  # Unix seconds, as a string
        "type": str,  # text | interactive | image | audio | location | …
        "text": NotRequired[Text],
        "interactive": NotRequired[Interactive],
    },
)


class StatusError(TypedDict):
    code: int
    title: str
    message: NotRequired[str]


class Status(TypedDict):
    id: str  # the wamid of the business's message
    status: str  # sent | delivered | read | failed
    timestamp: str
    recipient_id: str
    errors: NotRequired[list[StatusError]]


class Metadata(TypedDict):
    display_phone_number: str
    phone_number_id: str


class Value(TypedDict):
    messaging_product: str
    metadata: Metadata
    contacts: NotRequired[list[Contact]]
    messages: NotRequired[list[Message]]
    statuses: NotRequired[list[Status]]
    errors: NotRequired[list[StatusError]]  # failures Meta reports outside any one message


def signed(body: bytes, header: str | None, secret: str) -> bool:
    """Whether `header` is Meta's signature of exactly these bytes; compared in constant time."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def signature(body: bytes, secret: str) -> str:
    """The header value Meta sends with `body`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Inbound:
    """One client message with what answering it needs: the business number it came to and who sent it."""

    phone_number_id: str
    wa_id: str
    name: str | None
    message: Message

    @property
    def wamid(self) -> str:
        return self.message["id"]

    @property
    def sent_at(self) -> float:
        """When the client sent it (Unix seconds): the start of the 24-hour customer-service window."""
        return float(self.message["timestamp"])


def values(payload: Any) -> Iterator[Value]:
    """Every WhatsApp `value` of a webhook body; other objects and fields are not ours to read."""
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            if value.get("messaging_product") == "whatsapp" and isinstance(value.get("metadata"), dict):
                yield value  # type: ignore[misc]


def inbound(value: Value) -> Iterator[Inbound]:
    """The client messages of a `value`, each with its sender's `wa_id` from `contacts` (else its `from`)."""
    contacts = [c for c in value.get("contacts") or [] if c.get("wa_id")]
    names: dict[str, str | None] = {c["wa_id"]: c.get("profile", {}).get("name") for c in contacts}
    for message in value.get("messages") or []:
        sender = str(message.get("from") or "")
        # A user's wa_id and number may differ; with one contact in the change it is the sender.
        wa_id = sender if sender in names or len(contacts) != 1 else contacts[0]["wa_id"]
        if wa_id and message.get("id") and message.get("timestamp"):
            yield Inbound(value["metadata"]["phone_number_id"], wa_id, names.get(wa_id), message)

"""Viber's REST Bot API as the adapter uses it: the account, the webhook, text messages, signatures.

From https://developers.viber.com/docs/api/rest-bot-api/ :

* every request is a JSON `POST` to `https://chatapi.viber.com/pa/<method>` carrying the account's
  token in the `X-Viber-Auth-Token` header; every answer is HTTP 200 with a JSON `status`
  (0 = ok) and `status_message` (`invalidAuthToken`, `receiverNotSubscribed`, …), so failures are
  read from the body, not from the HTTP status;
* status 12, `tooManyRequests`, is Viber's rate limit: the request may be repeated later, here
  with exponential backoff, a bounded number of times; every other status is final;
* `send_message` takes `receiver` (a user id from a callback), `type` `text`, `text` of at most
  7000 characters, `sender.name` of at most 28 characters and an optional `keyboard`;
* `type` `picture` takes `text` (the description, at most 768 characters, may be empty) and a
  `media` URL Viber fetches, whose last path segment ends in .jpeg, .png or .gif (JPEG, PNG or a
  still GIF; at most 1 MB on iOS, 3 MB on Android);
* each callback carries `X-Viber-Content-Signature`, the hex HMAC-SHA256 of the raw body keyed
  by the auth token ("Callbacks", "Authentication").
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from typing import Any, Final

import httpx

logger = logging.getLogger("istok.adapter.viber")

AUTH_HEADER: Final = "X-Viber-Auth-Token"
SIGNATURE_HEADER: Final = "X-Viber-Content-Signature"
TEXT_LIMIT: Final = 7000  # characters of a text message
PICTURE_TEXT_LIMIT: Final = 768  # characters of a picture's description
PICTURE_BYTES_LIMIT: Final = 1024 * 1024  # the largest picture every Viber app shows (iOS)
SENDER_NAME_LIMIT: Final = 28
TOO_MANY_REQUESTS: Final = 12
#: What the adapter asks to be told; `message`, `webhook` and the subscription events always come.
EVENT_TYPES: Final = ("delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started")
#: The documented `status` values the adapter may meet, for messages a person can act on.
STATUS_NAMES: Final = {
    0: "ok",
    1: "invalidUrl",
    2: "invalidAuthToken",
    3: "badData",
    4: "missingData",
    5: "receiverNotRegistered",
    6: "receiverNotSubscribed",
    7: "publicAccountBlocked",
    8: "publicAccountNotFound",
    9: "publicAccountSuspended",
    10: "webhookNotSet",
    11: "receiverNoSuitableDevice",
    12: "tooManyRequests",
    13: "apiVersionNotSupported",
    14: "incompatibleWithVersion",
}


class ViberError(Exception):
    """Viber answered a non-zero `status` (or could not be reached: `status` -1)."""

    def __init__(self, method: str, status: int, message: str) -> None:
        name = STATUS_NAMES.get(status, "generalError" if status >= 0 else "unreachable")
        super().__init__(f"Viber refused {method}: status {status} ({name}): {message}")
        self.method, self.status, self.status_message = method, status, message


def signature(token: str, body: bytes) -> str:
    """The `X-Viber-Content-Signature` Viber computes for `body`: hex HMAC-SHA256 keyed by the token."""
    return hmac.new(token.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signed(token: str, body: bytes, header: str | None) -> bool:
    """Whether a callback's signature header is the body's, compared in constant time."""
    return header is not None and hmac.compare_digest(signature(token, body), header.strip().lower())


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` within Viber's limit, cut at a word where one is near, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ", limit - 200)
    return (cut[:space] if space > 0 else cut).rstrip() + "…"


class ViberApi:
    """One account's calls to the REST API; rate-limited calls wait and are repeated, boundedly."""

    def __init__(self, base_url: str, token: str, *, retries: int = 5, backoff: float = 0.5) -> None:
        self.retries, self.backoff = retries, backoff
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers={AUTH_HEADER: token}, timeout=httpx.Timeout(20.0)
        )

    async def call(self, method: str, payload: dict[str, Any]) -> dict[str, Any]:
        """`POST /pa/<method>`; the answer when its status is 0, else ViberError after the retries."""
        attempt = 0
        while True:
            try:
                response = await self._http.post(f"/pa/{method}", json=payload)
                body = response.json() if response.status_code == 200 else {}
            except (httpx.ConnectError, httpx.ConnectTimeout) as err:  # not sent: safe to try again
                body = {"status": -1, "status_message": str(err) or type(err).__name__}
            except (httpx.HTTPError, ValueError) as err:
                raise ViberError(method, -1, str(err) or type(err).__name__) from err
            if not isinstance(body, dict) or "status" not in body:
                raise ViberError(method, -1, f"HTTP {response.status_code}, no status in the answer")
            status = int(body["status"])
            if status == 0:
                return body
            message = str(body.get("status_message", ""))
            if status not in (TOO_MANY_REQUESTS, -1) or attempt >= self.retries:
                raise ViberError(method, status, message)
            wait = self.backoff * 2**attempt
            logger.warning("%s: status %s (%s), trying again in %.1fs", method, status, message, wait)
            await asyncio.sleep(wait)
            attempt += 1

    async def account_info(self) -> dict[str, Any]:
        """The account itself: its `id` (which scopes message tokens) and `name`."""
        return await self.call("get_account_info", {})

    async def set_webhook(self, url: str) -> dict[str, Any]:
        """Point Viber at `url`; Viber calls it with a `webhook` event before answering."""
        payload = {"url": url, "event_types": list(EVENT_TYPES), "send_name": True, "send_photo": False}
        return await self.call("set_webhook", payload)

    async def send_text(
        self, receiver: str, text: str, sender: str, keyboard: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A text message (clipped to 7000 characters), with a keyboard when one is given."""
        payload: dict[str, Any] = {"receiver": receiver, "type": "text", "text": clip(text), "sender": {"name": sender}}
        if keyboard is not None:
            payload["keyboard"] = keyboard
        return await self.call("send_message", payload)

    async def send_picture(self, receiver: str, media: str, text: str, sender: str) -> dict[str, Any]:
        """A picture message: the image at `media` (Viber fetches it) with `text` as its description."""
        payload = {
            "receiver": receiver,
            "type": "picture",
            "text": clip(text, PICTURE_TEXT_LIMIT),
            "media": media,
            "sender": {"name": sender},
        }
        return await self.call("send_message", payload)

    async def aclose(self) -> None:
        await self._http.aclose()

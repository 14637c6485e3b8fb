"""Sending WhatsApp messages through the Cloud API (Graph API), within its rate limits.

Every message is `POST {base}/{version}/{phone_number_id}/messages` with `Authorization: Bearer
<access token>` and a JSON body `{"messaging_product": "whatsapp", "recipient_type": "individual",
"to": …, "type": …, <type>: {…}}`; the answer is `{"messaging_product", "contacts": [{"input",
"wa_id"}], "messages": [{"id": "wamid…"}]}` or a Graph error `{"error": {"message", "type",
"code", "error_subcode", "error_data": {"details"}, "fbtrace_id"}}`
(https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages,
https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).

Shapes: text (`body` up to 4096 characters, `preview_url`,
https://developers.facebook.com/docs/whatsapp/cloud-api/messages/text-messages); interactive
reply buttons (body text up to 1024 characters, 1–3 buttons, each `id` up to 256 characters and a
unique `title` up to 20, https://developers.facebook.com/docs/whatsapp/cloud-api/messages/interactive-reply-buttons-messages);
a template by `name` and `language.code`
(https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates); an image
by the `id` of uploaded media or a `link`, with a `caption` of up to 1024 characters
(https://developers.facebook.com/docs/whatsapp/cloud-api/messages/image-messages). Media is
uploaded as `POST {base}/{version}/{phone_number_id}/media`, a multipart form of
`messaging_product`, `file` and its MIME `type`, answered `{"id": …}`; WhatsApp keeps it 30 days.

Throughput errors are waited out with an exponential delay: HTTP 429 and the codes 4 (app call
rate), 80007 (account rate), 130429 (Cloud API throughput) and 131056 (too many messages to one
user), and 2 (service temporarily unavailable). A request is repeated only when Graph refused it
or it never reached Graph, so a message is never sent twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from typing import Any

import httpx

from adapters.message_parts import split_message

logger = logging.getLogger("istok.adapter.whatsapp")

TEXT_LIMIT = 4096
BODY_LIMIT = 1024  # an interactive message's body text
BUTTONS = 3
BUTTON_ID_LIMIT = 256
BUTTON_TITLE_LIMIT = 20
CAPTION_LIMIT = 1024  # an image's caption
MEDIA_DAYS = 30  # how long WhatsApp keeps uploaded media
RATE_LIMITED = frozenset({4, 80007, 130429, 131056})
TEMPORARY = frozenset({2})
REENGAGEMENT = 131047  # more than 24 hours since the client's last message: only a template may go


class GraphError(Exception):
    """A refusal from the Graph API, with its code and its own message (what the logs must show)."""

    def __init__(self, status: int, code: int, message: str, *, details: str = "", trace: str = "") -> None:
        super().__init__(f"Graph API {status}, code {code}: {message}" + (f" ({details})" if details else ""))
        self.status, self.code, self.message, self.details, self.trace = status, code, message, details, trace

    @classmethod
    def of(cls, response: httpx.Response) -> GraphError:
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        return cls(
            response.status_code,
            int(error.get("code") or 0),
            str(error.get("message") or response.reason_phrase),
            details=str((error.get("error_data") or {}).get("details") or ""),
            trace=str(error.get("fbtrace_id") or ""),
        )

    @property
    def rate_limited(self) -> bool:
        return self.status == 429 or self.code in RATE_LIMITED

    @property
    def retryable(self) -> bool:
        return self.rate_limited or self.code in TEMPORARY


def text(to: str, body: str) -> dict[str, Any]:
    """A free-form text; WhatsApp links bare URLs itself, and `preview_url` shows the article's card."""
    return {"to": to, "type": "text", "text": {"body": body[:TEXT_LIMIT], "preview_url": True}}


def texts(to: str, body: str) -> list[dict[str, Any]]:
    """`body` as free-form texts: one, or several cut at paragraphs when it is over 4096 characters."""
    return [text(to, part) for part in split_message(body, limit=TEXT_LIMIT)]


def buttons(to: str, body: str, replies: list[tuple[str, str]]) -> dict[str, Any]:
    """Reply buttons under `body`: (id, title) pairs, at most three."""
    action = [{"type": "reply", "reply": {"id": rid, "title": title}} for rid, title in replies[:BUTTONS]]
    interactive = {"type": "button", "body": {"text": body[:BODY_LIMIT]}, "action": {"buttons": action}}
    return {"to": to, "type": "interactive", "interactive": interactive}


def image(to: str, *, caption: str, media_id: str | None = None, link: str | None = None) -> dict[str, Any]:
    """An image by uploaded media id or by link (exactly one), its caption cut to 1024 characters."""
    if (media_id is None) == (link is None):
        raise ValueError("an image is sent by media id or by link, exactly one of them")
    picture: dict[str, Any] = {"id": media_id} if media_id is not None else {"link": link}
    if caption:
        picture["caption"] = caption[:CAPTION_LIMIT]
    return {"to": to, "type": "image", "image": picture}


def template(to: str, name: str, language: str) -> dict[str, Any]:
    """An approved template: the one message WhatsApp delivers outside the customer-service window."""
    return {"to": to, "type": "template", "template": {"name": name, "language": {"code": language}}}


def button_title(title: str, taken: Collection[str] = ()) -> str | None:
    """A button label of at most 20 characters, cut at a word where one is near; None when it would repeat one."""
    title = " ".join(title.split())
    if len(title) > BUTTON_TITLE_LIMIT:
        cut = title[: BUTTON_TITLE_LIMIT - 1]
        inside_a_word = title[BUTTON_TITLE_LIMIT - 1] != " "
        if inside_a_word and " " in cut and cut.rindex(" ") >= BUTTON_TITLE_LIMIT // 2:
            cut = cut[: cut.rindex(" ")]
        title = cut.rstrip(" ,.;:-–—") + "…"
    return None if not title or title in taken else title


class Graph:
    """The Cloud API's messages endpoint for one access token."""

    def __init__(
        self, base_url: str, version: str, token: str, *, retries: int = 5, backoff: float = 1.0, timeout: float = 30
    ) -> None:
        self.base = f"{base_url.rstrip('/')}/{version}"
        self.retries, self.backoff = retries, backoff
        self.http = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    async def send(self, phone_number_id: str, message: dict[str, Any]) -> str:
        """Send from the business number `phone_number_id`; the new message's wamid, or GraphError."""
        url = f"{self.base}/{phone_number_id}/messages"
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = await self.http.post(url, json=body)
            except (httpx.ConnectError, httpx.ConnectTimeout) as err:  # never reached Graph: safe to repeat
                if last:
                    raise GraphError(0, 0, f"cannot reach {self.base}: {err}") from err
                await self._wait(attempt, f"cannot reach Graph ({err})", None)
                continue
            except httpx.HTTPError as err:  # it may have been sent: repeating could send it twice
                raise GraphError(0, 0, f"no answer from {self.base}: {err!r}") from err
            if response.is_success:
                return str(response.json()["messages"][0]["id"])
            error = GraphError.of(response)
            if not error.retryable or last:
                raise error
            await self._wait(attempt, str(error), response.headers.get("Retry-After"))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def upload(self, phone_number_id: str, data: bytes, media_type: str, filename: str) -> str:
        """Upload media for the business number; its media id, or GraphError (sent once: an upload is cheap to redo)."""
        url = f"{self.base}/{phone_number_id}/media"
        form = {"messaging_product": "whatsapp", "type": media_type}
        try:
            response = await self.http.post(url, data=form, files={"file": (filename, data, media_type)})
        except httpx.HTTPError as err:
            raise GraphError(0, 0, f"no answer from {self.base}: {err!r}") from err
        if not response.is_success:
            raise GraphError.of(response)
        return str(response.json()["id"])

    async def _wait(self, attempt: int, why: str, retry_after: str | None) -> None:
        delay = self.backoff * 2**attempt
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        logger.warning("%s: sending again in %.1f s (attempt %d of %d)", why, delay, attempt + 2, self.retries + 1)
        await asyncio.sleep(delay)

    async def aclose(self) -> None:
        await self.http.aclose()

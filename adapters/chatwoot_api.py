"""The part of Chatwoot's Application API the agent bot calls: post a message, toggle a status.

Protocol facts, from Chatwoot's public documentation:

* Every Application API call names the account in its path and authenticates with the header
  `api_access_token`, which takes an agent bot's access token as well as a user's
  (https://www.chatwoot.com/developers/api/ and the API's own OpenAPI files,
  https://github.com/chatwoot/chatwoot/tree/develop/swagger/paths/application: both
  `userApiKey` and `agentBotApiKey` are accepted by the two calls below).
* `POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages` with a JSON
  body `{"content", "message_type": "outgoing", "private"}` creates a message; `private: true`
  makes it a note only agents see.
* `POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_status` with
  `{"status": "open" | "resolved" | "pending"}`; `open` is how an agent bot hands a conversation
  to people (https://www.chatwoot.com/docs/product/others/agent-bots, "Human Agent Handoff").

Chatwoot (Rack::Attack) answers 429 when a client is too fast; that and 5xx are retried with
a growing pause (a `Retry-After` honoured), a bounded number of times, then logged and given up.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

logger = logging.getLogger("istok.adapter.chatwoot")

ATTEMPTS = 5  # one call and four retries: about 8 s of pauses before giving up
FIRST_PAUSE = 0.5
LONGEST_PAUSE = 10.0


class ChatwootError(Exception):
    """Chatwoot refused a call for good (4xx other than 429), or kept failing past the retries."""


class ChatwootApi:
    """One Chatwoot installation as the agent bot sees it (its token, its base address)."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 15.0) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"api_access_token": token, "Accept": "application/json"},
            timeout=timeout,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, account: int, conversation: int, content: str, *, private: bool = False) -> dict[str, Any]:
        """A message to the client (`private=False`) or a note for the agents (`private=True`)."""
        body = {"content": content, "message_type": "outgoing", "private": private}
        return await self._post(f"/api/v1/accounts/{account}/conversations/{conversation}/messages", body)

    async def set_status(self, account: int, conversation: int, status: str) -> dict[str, Any]:
        """`open` hands the conversation to people; `pending` would give it back to the bot."""
        return await self._post(
            f"/api/v1/accounts/{account}/conversations/{conversation}/toggle_status", {"status": status}
        )

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        pause = FIRST_PAUSE
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await self.http.post(path, json=body)
            except httpx.TransportError as err:
                failure = f"{type(err).__name__}: {err}"
            else:
                if response.is_success:
                    found = response.json() if response.content else {}
                    return found if isinstance(found, dict) else {"payload": found}
                if response.status_code != 429 and response.status_code < 500:
                    raise ChatwootError(f"POST {path}: {response.status_code} {response.text[:300]}")
                failure = f"{response.status_code} {response.text[:200]}"
                pause = max(pause, _retry_after(response))
            if attempt == ATTEMPTS:
                break
            logger.warning("POST %s failed (%s): retry %d in %.1f s", path, failure, attempt, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
        raise ChatwootError(f"POST {path}: still failing after {ATTEMPTS} attempts ({failure})")


def _retry_after(response: httpx.Response) -> float:
    """Seconds the server asked to wait (`Retry-After` in seconds), capped; 0 when it said nothing."""
    raw = response.headers.get("retry-after", "")
    try:
        return min(max(float(raw), 0.0), LONGEST_PAUSE)
    except ValueError:
        return 0.0

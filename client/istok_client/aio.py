"""The asyncio client, for adapters that are asyncio programs (python-telegram-bot, aiohttp bots)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import TracebackType
from typing import Self, TypeVar

import httpx

from istok_client.calls import AsyncSender, Call, client_headers
from istok_client.operations import Operations
from istok_client.retry import RetryPolicy

T = TypeVar("T")


class AsyncClient(Operations, AsyncSender):
    """Like `Client`, with every operation a coroutine: `await client.answer("…")`.

    Use it as an async context manager (or `await client.aclose()`); arguments as for `Client`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=client_headers(api_key, headers), timeout=timeout, transport=transport
        )

    async def _send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            response = await self._http.send(call.request(self._http))
            wait = self.retry.delay(
                status=response.status_code,
                retry_after=response.headers.get("retry-after"),
                retry_on=call.retry_on,
                attempt=attempt,
            )
            if wait is None:
                return call.result(response)
            await response.aclose()
            await asyncio.sleep(wait)
            attempt += 1

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

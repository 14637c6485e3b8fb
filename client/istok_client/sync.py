"""The blocking client, for adapters that are plain synchronous programs."""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import Self, TypeVar

import httpx

from istok_client.calls import Call, SyncSender, client_headers
from istok_client.operations import Operations
from istok_client.retry import RetryPolicy

T = TypeVar("T")


class Client(Operations, SyncSender):
    """Istok's API over one pooled HTTP connection; every operation of `Operations` is a method.

    Use it as a context manager (or call `close`). `api_key` is sent as `Authorization: Bearer`;
    `retry` bounds the retries on 429/503 (see `istok_client.retry`); `transport` and `headers`
    go to httpx as they are (a test's `httpx.MockTransport`, a proxy, tracing headers).
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self._http = httpx.Client(
            base_url=base_url, headers=client_headers(api_key, headers), timeout=timeout, transport=transport
        )

    def _send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            response = self._http.send(call.request(self._http))
            wait = self.retry.delay(
                status=response.status_code,
                retry_after=response.headers.get("retry-after"),
                retry_on=call.retry_on,
                attempt=attempt,
            )
            if wait is None:
                return call.result(response)
            response.close()
            time.sleep(wait)
            attempt += 1

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

"""An operation described once, sent by either transport.

Each operation of the API is one method of `Operations` decorated with `@endpoint(METHOD, PATH,
parse=…)`: its body only says what to send (`Parts`: path values, query, headers, JSON). The
decorator turns it into an `Endpoint` descriptor: read from a `Client` it is a method returning the
parsed result, read from an `AsyncClient` a method returning an awaitable of it. So the request, the
response parsing, the retry rule and the docstring of an operation exist once, and both transports
only know how to send a `Call`.

The query and header names an endpoint may send are declared on it, checked whenever a call is
built, and compared with `/openapi.json` by `tests/client/test_drift.py`.
"""

from __future__ import annotations

import datetime as dt
import inspect
import string
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload
from urllib.parse import quote

import httpx

from istok_client.errors import error_from
from istok_client.retry import IDEMPOTENT, REFUSED_ONLY
from istok_client.version import __version__

P = ParamSpec("P")
T = TypeVar("T")
QueryValue = str | int | float | bool | dt.datetime | None
Parser = Callable[[httpx.Response], T]


@dataclass(frozen=True, kw_only=True)
class Parts:
    """What one call sends besides its method and path template."""

    path: Mapping[str, str | int] = field(default_factory=dict)
    query: Mapping[str, QueryValue] = field(default_factory=dict)  # None values are left out
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None  # None: no body
    content: bytes | None = None  # a raw body instead of JSON (an image upload)
    content_type: str | None = None  # the raw body's media type
    timeout: float | None = None  # seconds added to the client's timeout (a long poll's wait)
    repeatable: bool = False  # the server recognises a repeat (an outside message id): retry even a POST on 503


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request ready to send, with how to read its answer and whether it may be repeated."""

    endpoint: Endpoint[Any, T]
    parts: Parts

    @property
    def retry_on(self) -> frozenset[int]:
        return IDEMPOTENT if self.parts.repeatable else self.endpoint.retry_on

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        """The httpx request, built by the transport's client so its base URL and headers apply."""
        url = self.endpoint.path.format_map({k: quote(str(v), safe="") for k, v in self.parts.path.items()})
        params = {k: _query_value(v) for k, v in self.parts.query.items() if v is not None}
        timeout: httpx.Timeout | None = None
        if self.parts.timeout is not None:  # a long poll: the read may take the poll's wait longer
            base = http.timeout
            read = None if base.read is None else base.read + self.parts.timeout
            timeout = httpx.Timeout(connect=base.connect, read=read, write=base.write, pool=base.pool)
        return http.build_request(
            self.endpoint.method,
            url,
            params=params,
            headers=self._headers(),
            json=self.parts.json,
            content=self.parts.content,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )

    def _headers(self) -> dict[str, str]:
        typed = {"Content-Type": self.parts.content_type} if self.parts.content_type else {}
        return {**self.parts.headers, **typed}

    def result(self, response: httpx.Response) -> T:
        """The parsed answer, or the typed error of a response that is not a success."""
        if response.is_error:
            raise error_from(response)
        return self.endpoint.parse(response)


class SyncSender(ABC):
    """A transport that sends a call and returns its result (`Client`)."""

    @abstractmethod
    def _send(self, call: Call[T]) -> T: ...


class AsyncSender(ABC):
    """A transport that sends a call and awaits its result (`AsyncClient`)."""

    @abstractmethod
    async def _send(self, call: Call[T]) -> T: ...


class Endpoint(Generic[P, T]):
    """One operation of the API: method, path template, the names it sends, and its parser."""

    def __init__(
        self,
        build: Callable[Concatenate[Any, P], Parts],
        *,
        method: str,
        path: str,
        parse: Parser[T],
        query: Sequence[str],
        headers: Sequence[str],
    ) -> None:
        self.build = build
        self.name = build.__name__
        self.method = method
        self.path = path
        self.parse = parse
        self.query = tuple(query)
        self.headers = tuple(headers)
        self.path_names = tuple(name for _, name, _, _ in string.Formatter().parse(path) if name)
        self.retry_on = IDEMPOTENT if method in {"GET", "HEAD", "PUT", "DELETE"} else REFUSED_ONLY
        self.__doc__ = build.__doc__
        signature = inspect.signature(build)  # as a method of a client: without the builder's `self`
        self.__signature__ = signature.replace(
            parameters=list(signature.parameters.values())[1:], return_annotation=inspect.Signature.empty
        )

    def call(self, *args: P.args, **kwargs: P.kwargs) -> Call[T]:
        """The call these arguments make; refuses names the endpoint does not declare."""
        parts = self.build(None, *args, **kwargs)
        if set(parts.path) != set(self.path_names):
            raise TypeError(f"{self.name}: path values {sorted(parts.path)} for {self.path}")
        if unknown := set(parts.query) - set(self.query):
            raise TypeError(f"{self.name}: undeclared query parameters {sorted(unknown)}")
        if unknown := {h.lower() for h in parts.headers} - {h.lower() for h in self.headers}:
            raise TypeError(f"{self.name}: undeclared headers {sorted(unknown)}")
        return Call(self, parts)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Endpoint[P, T]: ...
    @overload
    def __get__(self, obj: SyncSender, owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: AsyncSender, owner: type[Any]) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, obj: object, owner: type[Any]) -> Any:
        if obj is None:
            return self
        send = obj._send  # type: ignore[attr-defined]

        def bound(*args: P.args, **kwargs: P.kwargs) -> Any:
            return send(self.call(*args, **kwargs))

        bound.__name__ = bound.__qualname__ = self.name
        bound.__doc__ = self.__doc__
        bound.__signature__ = self.__signature__  # type: ignore[attr-defined]
        return bound

    def __repr__(self) -> str:
        return f"<endpoint {self.name}: {self.method} {self.path}>"


def endpoint(
    method: str, path: str, *, parse: Parser[T], query: Sequence[str] = (), headers: Sequence[str] = ()
) -> Callable[[Callable[Concatenate[Any, P], Parts]], Endpoint[P, T]]:
    """Declare the method below as the operation `method path`, its answer read by `parse`."""

    def declare(build: Callable[Concatenate[Any, P], Parts]) -> Endpoint[P, T]:
        return Endpoint(build, method=method, path=path, parse=parse, query=query, headers=headers)

    return declare


def endpoints(cls: type) -> list[Endpoint[Any, Any]]:
    """Every operation a class offers (its own and inherited), in definition order."""
    seen: dict[str, Endpoint[Any, Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Endpoint):
                seen[name] = value
    return list(seen.values())


def _query_value(value: QueryValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def client_headers(api_key: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
    """The headers of every request: the key as a bearer token, JSON wanted, who is calling."""
    headers = {"Accept": "application/json, application/problem+json", "User-Agent": f"istok-client/{__version__}"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return {**headers, **(extra or {})}

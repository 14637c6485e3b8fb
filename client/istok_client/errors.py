"""Istok's error responses as exceptions: RFC 9457 problem details, one class per meaningful status.

The server answers every error with `application/problem+json`; its members (RFC 9457 section 3.1:
`type`, `title`, `status`, `detail`, `instance`) become attributes, and any other member (section
3.2, "extension members", e.g. `errors` of a 422 or `channels` of an unknown channel) is kept in
`extensions`. A body that is not a problem (a proxy's HTML page, say) still raises, with its text
as the detail, so that a caller catches one family of exceptions whatever answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from istok_client.retry import retry_after_seconds

_MEMBERS = ("type", "title", "status", "detail", "instance")


class IstokError(Exception):
    """An error response from Istok; `status`, `title` and `detail` say what went wrong."""

    status_code: ClassVar[int | None] = None  # the status this class stands for (None: any)

    def __init__(
        self,
        *,
        status: int,
        title: str,
        detail: str = "",
        type: str = "about:blank",  # RFC 9457 section 4.2.1: the default when a problem names none
        instance: str | None = None,
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: str = "",
    ) -> None:
        super().__init__(f"{status} {title}: {detail}" if detail and detail != title else f"{status} {title}")
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.instance = instance
        self.extensions: dict[str, Any] = dict(extensions or {})
        self.headers: dict[str, str] = dict(headers or {})
        self.body = body

    @property
    def problem(self) -> dict[str, Any]:
        """The problem document as received (members and extensions)."""
        members = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        if self.instance is not None:
            members["instance"] = self.instance
        return {**members, **self.extensions}


class BadRequest(IstokError):
    """The request was malformed (400)."""

    status_code = 400


class InvalidRequest(BadRequest):
    """A parameter or body field was refused (422); `errors` lists each with its location."""

    status_code = 422

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors = self.extensions.get("errors")
        return list(errors) if isinstance(errors, list) else []


class Unauthorized(IstokError):
    """No API key, an unknown one or a revoked one (401)."""

    status_code = 401


class Forbidden(IstokError):
    """The key's role may not do this (403)."""

    status_code = 403


class NotFound(IstokError):
    """No such article, contact, fact … (404)."""

    status_code = 404


class Conflict(IstokError):
    """The change contradicts the current state, e.g. an identity that belongs to another contact (409)."""

    status_code = 409


class PreconditionFailed(IstokError):
    """The `If-Match` ETag is stale: someone changed it since you read it; nothing was changed (412)."""

    status_code = 412


class PayloadTooLarge(IstokError):
    """The body is larger than the server accepts (413)."""

    status_code = 413


class PreconditionRequired(IstokError):
    """A change was sent without naming the version it is based on (428, RFC 6585 section 3)."""

    status_code = 428


class _RetryLater(IstokError):
    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait (its `Retry-After`), if it said."""
        value = {k.lower(): v for k, v in self.headers.items()}.get("retry-after")
        return retry_after_seconds(value) if value is not None else None


class RateLimited(_RetryLater):
    """Too many requests (429) and still so after the client's retries; see `retry_after`."""

    status_code = 429


class ServerError(IstokError):
    """The server failed (5xx)."""


class ServiceUnavailable(ServerError, _RetryLater):
    """The server cannot serve now (503) and still could not after the client's retries."""

    status_code = 503


_BY_STATUS: dict[int, type[IstokError]] = {
    cls.status_code: cls
    for cls in (
        BadRequest,
        InvalidRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        PreconditionRequired,
        RateLimited,
        ServiceUnavailable,
    )
    if cls.status_code is not None
}


def error_from(response: httpx.Response) -> IstokError:
    """The exception for an error response: its class from the status, its members from the problem."""
    response.read()
    text = response.text
    problem = _problem_of(response)
    status = response.status_code
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else IstokError)
    if problem is None:
        return cls(
            status=status,
            title=response.reason_phrase or str(status),
            detail=text[:2000],
            headers=response.headers,
            body=text,
        )
    return cls(
        status=status,
        title=str(problem.get("title") or response.reason_phrase or status),
        detail=str(problem.get("detail") or ""),
        type=str(problem.get("type") or "about:blank"),
        instance=str(problem["instance"]) if problem.get("instance") is not None else None,
        extensions={k: v for k, v in problem.items() if k not in _MEMBERS},
        headers=response.headers,
        body=text,
    )


def _problem_of(response: httpx.Response) -> dict[str, Any] | None:
    """The JSON object of the body, if it is one (problem+json, or plain JSON from an older server)."""
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if not (media == "application/problem+json" or media.endswith("+json") or media == "application/json"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None

"""The typed Python client of Istok's HTTP API: `Client` (blocking) and `AsyncClient` (asyncio).

    from istok_client import Client

    with Client("http://127.0.0.1:8000", api_key="…") as istok:
        reply = istok.answer("как проверить баланс", channel="bot", identity="telegram:12345")

Errors are `IstokError` subclasses carrying the problem details; 429 and 503 are retried
according to `RetryPolicy`. The client imports nothing of the Istok server.
"""

from istok_client.aio import AsyncClient
from istok_client.calls import Call, Endpoint, Parts, endpoints
from istok_client.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidRequest,
    IstokError,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    Unauthorized,
)
from istok_client.models import (
    Answer,
    Article,
    ArticlePage,
    ArticleRef,
    Case,
    Contact,
    ContactChanges,
    Context,
    Fact,
    Health,
    Identity,
    InteractionRecorded,
    Menu,
    RenderedUnit,
    SearchResults,
    SynonymSet,
)
from istok_client.operations import Operations
from istok_client.retry import RetryPolicy
from istok_client.sync import Client
from istok_client.version import __version__

__all__ = [
    "Answer",
    "Article",
    "ArticlePage",
    "ArticleRef",
    "AsyncClient",
    "BadRequest",
    "Call",
    "Case",
    "Client",
    "Conflict",
    "Contact",
    "ContactChanges",
    "Context",
    "Endpoint",
    "Fact",
    "Forbidden",
    "Health",
    "Identity",
    "InteractionRecorded",
    "InvalidRequest",
    "IstokError",
    "Menu",
    "NotFound",
    "Operations",
    "Parts",
    "PayloadTooLarge",
    "PreconditionFailed",
    "PreconditionRequired",
    "RateLimited",
    "RenderedUnit",
    "RetryPolicy",
    "SearchResults",
    "ServerError",
    "ServiceUnavailable",
    "SynonymSet",
    "Unauthorized",
    "__version__",
    "endpoints",
]

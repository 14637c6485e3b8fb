"""Every operation of Istok's JSON API, once: `Client` and `AsyncClient` both inherit `Operations`.

An operation is a method decorated with `@endpoint(METHOD, PATH, parse=…, query=…, headers=…)`
whose body returns the `Parts` to send; it never runs I/O itself (see `calls.py`). To add one,
add such a method to the module of its resource (one class per resource, all
composed into `Operations` below); `tests/client/test_drift.py` fails until every API operation of
`/openapi.json` has one and every one here exists there.

Changes to articles, facts and synonym sets name the version they are based on (`base=`): the
result of a read (it carries `etag`), an ETag string, or `"*"` for whatever is current. The client
sends it as `If-Match`; the server answers a stale one with 412 (`PreconditionFailed`) and changes
nothing. Creating sends `If-None-Match: *`, so two clients cannot both create the same thing.
"""

from istok_client.operations.answers import AnswerOperations
from istok_client.operations.articles import ArticleOperations
from istok_client.operations.assets import AssetOperations
from istok_client.operations.common import Base, if_match
from istok_client.operations.contacts import ContactOperations
from istok_client.operations.facts import FactOperations
from istok_client.operations.feeds import FeedOperations
from istok_client.operations.insights import InsightsOperations
from istok_client.operations.reviews import ReviewOperations
from istok_client.operations.schedules import ScheduleOperations
from istok_client.operations.translations import TranslationOperations
from istok_client.operations.verification import VerificationOperations
from istok_client.operations.webhooks import WebhookOperations


class Operations(
    FeedOperations,
    AnswerOperations,
    ArticleOperations,
    FactOperations,
    ContactOperations,
    WebhookOperations,
    ScheduleOperations,
    TranslationOperations,
    VerificationOperations,
    ReviewOperations,
    InsightsOperations,
    AssetOperations,
):
    """The API's operations; see `Client` (blocking) and `AsyncClient` (asyncio) to call them."""


__all__ = ["Base", "Operations", "if_match"]

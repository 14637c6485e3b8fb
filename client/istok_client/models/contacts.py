"""Contact context: contacts and identities, interactions, cases, the IVR menu and routing."""

# No `from __future__ import annotations`: on Python 3.11 `NotRequired` in a string annotation is not
# seen by `TypedDict`, and `__required_keys__` would be wrong.

from typing import Any, Literal, NotRequired, TypedDict

IdentityChannel = Literal["phone", "email", "telegram", "whatsapp", "viber", "web", "crm"]
Outcome = Literal["answered", "handoff", "resolved", "escalated", "abandoned"]


# --- contacts -----------------------------------------------------------------------------------


class Identity(TypedDict):
    """A contact's address on one channel, e.g. `{"channel": "telegram", "address": "12345"}`."""

    channel: IdentityChannel
    address: str


class IdentityOut(TypedDict):
    channel: str
    address: str
    verified_by: NotRequired[str | None]  # how the channel vouched for it; None: only claimed


class Contact(TypedDict):
    id: int
    view: str
    name: str | None
    locale: str | None
    segments: list[str]
    consent: dict[str, bool]
    identities: list[IdentityOut]
    created_at: str


class ContactChanges(TypedDict, total=False):
    """A profile change: only the keys given change (None clears a value)."""

    name: str | None
    locale: str | None
    segments: list[str] | None
    consent: dict[str, bool] | None


class Interaction(TypedDict):
    id: int
    channel: str
    direction: str
    at: str
    question: str | None
    article: dict[str, Any] | None
    topic: str | None
    outcome: str
    csat: int | None
    case: int | None


class Case(TypedDict):
    id: int
    contact: int | None
    status: str
    topic: str
    queue: str | None
    channel: str
    opened_at: str
    closed_at: str | None
    last_interaction: NotRequired[Interaction | None]


class Served(TypedDict):
    key: str
    locale: str
    revision: int
    content_hash: str | None
    channel: str
    at: str


class TopicCount(TypedDict):
    topic: str
    count: int


class Suggestion(TypedDict):
    key: str
    locale: str
    title: str
    category: str | None


class Identified(TypedDict):
    """How the contact was found, and how (if at all) the client proved it is them on this channel."""

    channel: str
    verified_by: str | None


class Verified(TypedDict):
    """The client gave the right PIN: `token` proves it for `expires_in` seconds (pass it as `verification`)."""

    contact: int
    verified_by: str
    token: str
    expires_in: int


class Context(TypedDict):
    """Who the contact is, what is open and what they were already told.

    A bot gets the contents of cases and earlier questions only when `identified_by.verified_by` is set.
    """

    identified_by: Identified | None
    contact: Contact
    open_cases: list[Case]
    last_interactions: list[Interaction]
    served_articles: list[Served]
    frequent_topics: list[TopicCount]
    suggested_articles: list[Suggestion]


class ArticleRef(TypedDict):
    """The exact article served: key, locale and revision (an answer's `provenance` has them)."""

    key: str
    locale: str
    revision: int


class InteractionRecorded(TypedDict):
    interaction: int
    contact: int
    case: int | None
    created_contact: bool
    at: str
    replayed: NotRequired[bool]  # this outside `message` was recorded before: nothing was added


class Merge(TypedDict):
    id: int
    kept: int
    merged: int
    moved: dict[str, int]
    at: str
    undone_at: str | None


class Policy(TypedDict):
    contact: int
    action: str
    allowed: bool
    reasons: list[str]
    at: str


class MenuOption(TypedDict):
    digit: str
    topic: str
    label: str


class Menu(TypedDict):
    ssml: str
    format: str
    locale: str
    options: list[MenuOption]
    personalised: bool
    contact: int | None


class RouteArticle(TypedDict):
    key: str
    locale: str
    title: str
    category: str | None
    revision: int


class Route(TypedDict):
    queue: str
    queue_name: str
    reason: str
    topic: str | None
    locale: str
    articles: list[RouteArticle]

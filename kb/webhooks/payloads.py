"""What an outbox event says to a webhook receiver: its type name and the body's `data`.

Receivers subscribe to the type names below, not to kb's action names, so kb may rename an
action without breaking anyone. The body is Standard Webhooks' recommended envelope,
`{"type", "timestamp", "data"}` (https://www.standardwebhooks.com, "Payload structure").

A public receiver's `data` is built from the public parts only: the title, summary and the
general text of a unit (no `::: internal` or `::: operator` block), no client words, no
contact, and the actor's role but never their name. A staff receiver also gets the staff
blocks' text, the actor and the contact's id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from kb import tree
from kb.channels import STAFF_BLOCK_CHANNELS
from kb.errors import IstokError
from kb.facts import fact_values
from kb.models import Fact, FactVersion, OutboxEvent
from kb.store import load_unit_of

#: The event types a subscription may ask for, each with what it means; `*` asks for all.
EVENT_TYPES: dict[str, str] = {
    "article.published": "an article went live, or a rollback made an older text live again",
    "article.unpublished": "an article was taken off every public channel",
    "fact.changed": "a fact was created, changed or deleted (the articles using it show the new value)",
    "gap.logged": "a question the answer engine could not answer with confidence was seen for the first time",
    "case.opened": "a handoff or an escalation opened a case for a contact",
    "case.resolved": "a case was resolved",
    "review.submitted": "a draft revision was submitted for review",
    "review.approved": "a reviewer approved a draft revision (its content hash)",
    "review.changes_requested": "a reviewer asked for changes to a draft revision",
    "fact.review.submitted": "a fact change was proposed under the `facts` workflow (not live yet)",
    "fact.review.approved": "a reviewer approved a proposed fact value",
    "fact.review.changes_requested": "a reviewer sent a proposed fact change back (it is withdrawn)",
    "schedule.skipped": "a scheduled publish or unpublish did not run: what was live changed by hand meanwhile",
    "schedule.failed": "a scheduled publish or unpublish was refused (for example, approvals missing)",
}
ALL_EVENTS = "*"


@dataclass(frozen=True)
class EventBody:
    """The JSON text sent for one event to one kind of receiver, and the contact it is about."""

    type: str
    text: str
    contact_id: int | None


def event_type(event: OutboxEvent) -> str | None:
    """The webhook type of an outbox event, or None for actions receivers are not told of."""
    action = event.action
    if action in {"article.publish", "article.rollback"} and event.new_revision is not None:
        return "article.published"
    if action == "article.unpublish" and event.base_revision is not None:  # it was live
        return "article.unpublished"
    if action in {"fact.set", "fact.delete"}:
        return "fact.changed"
    return _RENAMED.get(action)


#: Outbox actions told to receivers under another name (past tense, as receivers read them).
_RENAMED = {
    "gap.logged": "gap.logged",
    "case.open": "case.opened",
    "case.resolve": "case.resolved",
    "review.submit": "review.submitted",
    "review.approve": "review.approved",
    "review.request_changes": "review.changes_requested",
    "fact_review.submitted": "fact.review.submitted",
    "fact_review.approved": "fact.review.approved",
    "fact_review.changes_requested": "fact.review.changes_requested",
    "schedule.skip": "schedule.skipped",
    "schedule.fail": "schedule.failed",
}


def build_body(session: Session, event: OutboxEvent, *, public: bool) -> EventBody | None:
    """The envelope for `event` as a public (or staff) receiver may see it; None if not sent."""
    kind = event_type(event)
    if kind is None:
        return None
    builder = _BUILDERS[kind.split(".")[0]]
    data = builder(session, event, public)
    if not public:
        data["actor"] = event.actor
    data["role"] = event.role
    envelope = {"type": kind, "timestamp": event.at.isoformat().replace("+00:00", "Z"), "data": data}
    contact = event.detail.get("contact_id")
    text = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return EventBody(kind, text, int(contact) if isinstance(contact, int) else None)


def redacted_body(event_type_name: str, text: str) -> str:
    """The body with its `data` gone, for an erased contact's rows in the delivery log."""
    try:
        timestamp = json.loads(text).get("timestamp")
    except ValueError:
        timestamp = None
    envelope = {"type": event_type_name, "timestamp": timestamp, "data": {"redacted": True}}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True)


def _article(session: Session, event: OutboxEvent, public: bool) -> dict[str, Any]:
    locale, _, key = event.target.partition("/")
    if event.action == "article.unpublish":
        return {"key": key, "locale": locale, "revision": event.base_revision}
    number = event.new_revision or 0
    data: dict[str, Any] = {"key": key, "locale": locale, "revision": number}
    try:
        unit = load_unit_of(session=session, key=key, locale=locale, number=number)
    except IstokError:
        return data
    facts = fact_values(session=session)

    def fact_text(name: str) -> str:
        fact = facts.get(name)
        return "" if fact is None else str(fact.raw_for(locale))

    staff = [b for b in unit.body if isinstance(b, tree.ChannelBlock) and b.channel in STAFF_BLOCK_CHANNELS]
    data |= {
        "title": unit.title,
        "slug": unit.slug,
        "category": unit.category,
        "tags": list(unit.tags),
        "summary": tree.plain_text(unit.summary, fact_text).strip(),
        "text": tree.plain_text(unit.general(), fact_text).strip(),
        "content_hash": unit.content_hash,
    }
    if not public:
        data["internal_text"] = "\n".join(tree.plain_text(b.children, fact_text).strip() for b in staff)
    return data


def _fact(session: Session, event: OutboxEvent, public: bool) -> dict[str, Any]:
    if event.action.startswith("fact_review."):  # a proposal's step (kb/fact_reviews.py); applying is fact.changed
        step = {"key": event.target, "proposal": event.detail.get("proposal"), "change": event.detail.get("change")}
        staff = {} if public else {"comment": event.detail.get("comment")}
        return step | {"base_version": event.base_revision} | staff
    if event.action == "fact.delete":
        return {"key": event.target, "deleted": True, "version": event.base_revision}
    data: dict[str, Any] = {"key": event.target, "deleted": False, "version": event.new_revision}
    version = session.exec(  # the value of that very version (a fact deleted since has none left)
        select(FactVersion)
        .join(Fact, col(Fact.id) == col(FactVersion.fact_id))
        .where(Fact.key == event.target, FactVersion.version == event.new_revision)
    ).first()
    if version is not None:
        data |= {"type": version.type, "value": version.value, "locales": dict(version.locales)}
    return data


def _gap(_session: Session, event: OutboxEvent, public: bool) -> dict[str, Any]:
    detail = event.detail
    data = {"locale": detail.get("locale"), "channel": detail.get("channel"), "best_key": detail.get("best_key")}
    if not public:  # a client's words (masked) and who asked stay inside
        data |= {
            "question": detail.get("question"),
            "best_confidence": detail.get("best_confidence"),
            "contact_id": detail.get("contact_id"),
        }
    return data


def _case(_session: Session, event: OutboxEvent, public: bool) -> dict[str, Any]:
    detail = event.detail
    data = {"case_id": detail.get("case_id"), "topic": detail.get("topic"), "channel": detail.get("channel")}
    if not public:
        data |= {"contact_id": detail.get("contact_id"), "queue": detail.get("queue")}
    return data


def _editorial(_session: Session, event: OutboxEvent, public: bool) -> dict[str, Any]:
    """A review step or a schedule's outcome: which article and revision; its words for staff only."""
    locale, _, key = event.target.partition("/")
    data: dict[str, Any] = {"key": key, "locale": locale, "revision": event.new_revision or event.base_revision}
    if "content_hash" in event.detail:
        data["content_hash"] = event.detail["content_hash"]
    if not public:
        for name in ("comment", "outcome", "schedule"):
            if event.detail.get(name) is not None:
                data[name] = event.detail[name]
    return data


_BUILDERS = {
    "article": _article,
    "fact": _fact,
    "gap": _gap,
    "case": _case,
    "review": _editorial,
    "schedule": _editorial,
}

"""Webhook subscriptions and their delivery log: what editors create, change, pause, resume and replay.

Every change is a kb action (`webhook.create`, `.update`, `.pause`, `.resume`, `.replay`,
`.delete`): its audit row and outbox event are written in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kb import jobs
from kb.audit import Actor, record_action
from kb.errors import InvalidChange, NotFound
from kb.models import OutboxEvent, WebhookDelivery, WebhookSubscription, utcnow
from kb.webhooks import sending
from kb.webhooks.payloads import ALL_EVENTS, EVENT_TYPES, redacted_body

SYSTEM = Actor(name="webhooks", role="system")


class SubscriptionState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # by an editor, or after three days of failures: resume re-sends what waits
    DISABLED = "disabled"  # the receiver answered 410 Gone: no new deliveries until resumed


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # retried for 24 h in vain, or the receiver is gone; replay sends it again


class WebhookNotFound(NotFound):
    slug = "webhook-not-found"

    def __init__(self, subscription_id: int) -> None:
        super().__init__(f"no webhook subscription {subscription_id}")


class DeliveryNotFound(NotFound):
    slug = "webhook-delivery-not-found"

    def __init__(self, delivery_id: int) -> None:
        super().__init__(f"no webhook delivery {delivery_id}")


def _check_events(events: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(e.strip() for e in events if e.strip()))
    if not chosen:
        raise InvalidChange(f"name the events to send: {ALL_EVENTS} or some of {', '.join(EVENT_TYPES)}")
    unknown = [e for e in chosen if e != ALL_EVENTS and e not in EVENT_TYPES]
    if unknown:
        raise InvalidChange(f"unknown event types {unknown} (known: {ALL_EVENTS}, {', '.join(EVENT_TYPES)})")
    return [ALL_EVENTS] if ALL_EVENTS in chosen else chosen


def wants(subscription: WebhookSubscription, kind: str) -> bool:
    return ALL_EVENTS in subscription.events or kind in subscription.events


# ---- subscriptions ----


def create_subscription(
    *,
    session: Session,
    url: str,
    events: Sequence[str],
    public: bool,
    actor: Actor | str,
    description: str = "",
) -> tuple[WebhookSubscription, str]:
    """Subscribe `url` to `events`; returns the subscription and its signing secret (shown once).

    The URL is checked now (UnsafeDestination, 422) and again at every attempt. The
    subscription receives events appended after this one commits.
    """
    sending.resolve(url)
    last = session.execute(sa.select(sa.func.max(col(OutboxEvent.id)))).scalar_one_or_none()
    secret = sending.new_secret()
    subscription = WebhookSubscription(
        url=url,
        description=description,
        events=_check_events(events),
        public=public,
        secret=secret,
        since_event_id=int(last or 0),
        created_by=actor.name if isinstance(actor, Actor) else actor,
    )
    session.add(subscription)
    session.flush()
    record_action(
        session,
        actor,
        action="webhook.create",
        target=f"webhook {subscription.id}",
        events=subscription.events,
        public=public,
    )
    return subscription, secret


def get_subscription(*, session: Session, subscription_id: int) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise WebhookNotFound(subscription_id)
    return subscription


def list_subscriptions(*, session: Session) -> list[WebhookSubscription]:
    return list(session.exec(select(WebhookSubscription).order_by(col(WebhookSubscription.id))))


def update_subscription(
    *,
    session: Session,
    subscription_id: int,
    actor: Actor | str,
    url: str | None = None,
    events: Sequence[str] | None = None,
    public: bool | None = None,
    description: str | None = None,
) -> WebhookSubscription:
    """Change what is given; deliveries already made keep the body they were made with."""
    subscription = get_subscription(session=session, subscription_id=subscription_id)
    changed: dict[str, Any] = {}
    if url is not None and url != subscription.url:
        sending.resolve(url)
        subscription.url, changed["url"] = url, True
    if events is not None:
        subscription.events = changed["events"] = _check_events(events)
    if public is not None:
        subscription.public = changed["public"] = public
    if description is not None and description != subscription.description:
        subscription.description, changed["description"] = description, True
    if not changed:
        return subscription  # nothing to change is no change: no audit row
    subscription.updated_at = utcnow()
    session.add(subscription)
    record_action(session, actor, action="webhook.update", target=f"webhook {subscription_id}", **changed)
    return subscription


def pause_subscription(
    *, session: Session, subscription_id: int, actor: Actor | str, reason: str = "paused by an editor"
) -> WebhookSubscription:
    """Stop attempts; new events still queue up as pending deliveries, sent on resume."""
    subscription = get_subscription(session=session, subscription_id=subscription_id)
    stop_subscription(session, subscription, SubscriptionState.PAUSED, reason, actor)
    return subscription


def resume_subscription(*, session: Session, subscription_id: int, actor: Actor | str) -> WebhookSubscription:
    """Make it active again and send every pending delivery now, each with a fresh 24 h of retries."""
    subscription = get_subscription(session=session, subscription_id=subscription_id)
    subscription.state = SubscriptionState.ACTIVE.value
    subscription.state_reason = None
    subscription.failing_since = None
    subscription.updated_at = utcnow()
    session.add(subscription)
    pending = session.exec(
        select(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription_id, WebhookDelivery.state == DeliveryState.PENDING.value
        )
    )
    now = utcnow()
    count = 0
    for delivery in pending:
        delivery.first_attempt_at = None
        schedule_attempt(session, delivery, now)
        count += 1
    record_action(session, actor, action="webhook.resume", target=f"webhook {subscription_id}", pending=count)
    return subscription


def delete_subscription(*, session: Session, subscription_id: int, actor: Actor | str) -> None:
    """Delete the subscription and its delivery log; jobs still queued for it find nothing and end."""
    get_subscription(session=session, subscription_id=subscription_id)
    session.execute(
        sa.delete(WebhookDelivery)
        .where(col(WebhookDelivery.subscription_id) == subscription_id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.delete(WebhookSubscription)
        .where(col(WebhookSubscription.id) == subscription_id)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    record_action(session, actor, action="webhook.delete", target=f"webhook {subscription_id}")


def stop_subscription(
    session: Session, subscription: WebhookSubscription, state: SubscriptionState, reason: str, actor: Actor | str
) -> None:
    subscription.state = state.value
    subscription.state_reason = reason
    subscription.updated_at = utcnow()
    session.add(subscription)
    record_action(
        session, actor, action="webhook.pause", target=f"webhook {subscription.id}", state=state.value, reason=reason
    )


# ---- the delivery log ----


def list_deliveries(
    *,
    session: Session,
    subscription_id: int,
    state: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[WebhookDelivery]:
    """The subscription's deliveries, newest first; `before_id` pages back."""
    get_subscription(session=session, subscription_id=subscription_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if state:
        stmt = stmt.where(WebhookDelivery.state == state)
    if before_id is not None:
        stmt = stmt.where(col(WebhookDelivery.id) < before_id)
    return list(session.exec(stmt.order_by(col(WebhookDelivery.id).desc()).limit(limit)))


def get_delivery(*, session: Session, delivery_id: int) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise DeliveryNotFound(delivery_id)
    return delivery


def replay_delivery(*, session: Session, delivery_id: int, actor: Actor | str) -> WebhookDelivery:
    """Send a delivery again, with the same `webhook-id` and body, and 24 h of retries.

    A paused subscription's replay waits, pending, for the resume.
    """
    delivery = get_delivery(session=session, delivery_id=delivery_id)
    subscription = get_subscription(session=session, subscription_id=delivery.subscription_id)
    delivery.state = DeliveryState.PENDING.value
    delivery.first_attempt_at = None
    delivery.replays += 1
    if subscription.state == SubscriptionState.ACTIVE.value:
        schedule_attempt(session, delivery, utcnow())
    else:
        delivery.schedule += 1  # any job still queued for it is stale now
        delivery.next_attempt_at = None
        session.add(delivery)
    record_action(session, actor, action="webhook.replay", target=f"webhook {subscription.id}", delivery=delivery_id)
    return delivery


def forget_contacts(*, session: Session, contact_ids: Sequence[int]) -> int:
    """Erasure: the deliveries about these contacts lose their body's data; returns how many.

    The outbox events behind them lose the client's words and the contact too, so a later
    fan-out or replay cannot bring them back.
    """
    if not contact_ids:
        return 0
    ids = list(contact_ids)
    rows = session.exec(select(WebhookDelivery).where(col(WebhookDelivery.contact_id).in_(ids))).all()
    for delivery in rows:
        delivery.body = redacted_body(delivery.event_type, delivery.body)
        delivery.contact_id = None
        session.add(delivery)
    table = OutboxEvent.__table__  # type: ignore[attr-defined]
    about = table.c.detail["contact_id"].as_integer().in_(ids)
    for event in session.exec(select(OutboxEvent).where(about)):
        event.detail = {k: v for k, v in event.detail.items() if k not in {"contact_id", "question"}}
        session.add(event)
    session.flush()
    return len(rows)


def schedule_attempt(session: Session, delivery: WebhookDelivery, at: dt.datetime) -> None:
    """Queue the next attempt; the number in its payload makes any earlier queued one stale."""
    delivery.schedule += 1
    delivery.next_attempt_at = at
    session.add(delivery)
    session.flush()
    jobs.enqueue(session, "webhooks.deliver", {"delivery": delivery.id, "schedule": delivery.schedule}, due_at=at)

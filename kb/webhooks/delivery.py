"""The two jobs of webhooks: fan-out from the outbox, and one attempt of one delivery.

Both run in the one job runner (kb/jobs.py); see kb/webhooks/__init__.py for the schedule.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kb import jobs
from kb.db import read_session
from kb.models import OutboxEvent, WebhookCursor, WebhookDelivery, WebhookSubscription, utcnow
from kb.outbox import events_after
from kb.webhooks import sending
from kb.webhooks.payloads import build_body, event_type
from kb.webhooks.subscriptions import (
    SYSTEM,
    DeliveryState,
    SubscriptionState,
    get_subscription,
    schedule_attempt,
    stop_subscription,
    wants,
)

#: Retries go on this long after the first attempt; the last one is made at its end.
RETRY_WINDOW = dt.timedelta(hours=24)
#: A subscription failing this long, with no success in between, is paused.
PAUSE_AFTER = dt.timedelta(days=3)
MAX_DELAY = dt.timedelta(hours=6)
#: Outbox events read per fan-out round, and rounds per run.
FAN_OUT_BATCH = 500
FAN_OUT_ROUNDS = 10


def retry_base() -> float:
    """Seconds before the first retry (ISTOK_WEBHOOKS_RETRY_BASE, default 5); later ones grow from it."""
    return float(os.environ.get("ISTOK_WEBHOOKS_RETRY_BASE", "5"))


def retry_delay(attempt: int, *, base: float | None = None) -> dt.timedelta:
    """How long to wait after failed attempt number `attempt` (1 for the first): full jitter."""
    start = retry_base() if base is None else base
    ceiling = min(start * 3 ** max(0, attempt - 1), MAX_DELAY.total_seconds())
    return dt.timedelta(seconds=random.uniform(start, max(start, ceiling)))


def fan_out(session: Session) -> int:
    """Make the deliveries of the outbox events not fanned out yet; returns how many were made."""
    cursor = session.get(WebhookCursor, 1, with_for_update=True)
    if cursor is None:
        cursor = WebhookCursor(id=1, last_event_id=0)
        session.add(cursor)
    live = col(WebhookSubscription.state) != SubscriptionState.DISABLED.value
    subscriptions = list(session.exec(select(WebhookSubscription).where(live)))
    made = 0
    for _round in range(FAN_OUT_ROUNDS):
        events = events_after(session, after_id=cursor.last_event_id, limit=FAN_OUT_BATCH)
        if not events:
            break
        for event in events:
            made += _fan_out_event(session, event, subscriptions)
        cursor.last_event_id = events[-1].id or cursor.last_event_id
    session.add(cursor)
    return made


def _fan_out_event(session: Session, event: OutboxEvent, subscriptions: list[WebhookSubscription]) -> int:
    kind = event_type(event)
    if kind is None:
        return 0
    wanted = [s for s in subscriptions if (event.id or 0) > s.since_event_id and wants(s, kind)]
    bodies: dict[bool, Any] = {}  # built once per audience, only when someone wants it
    made = 0
    for subscription in wanted:
        if subscription.public not in bodies:
            bodies[subscription.public] = build_body(session, event, public=subscription.public)
        body = bodies[subscription.public]
        if body is None:
            continue
        delivery = WebhookDelivery(
            subscription_id=subscription.id or 0,
            event_id=event.id or 0,
            event_type=body.type,
            msg_id=f"msg_{secrets.token_hex(12)}",
            body=body.text,
            contact_id=body.contact_id,
        )
        session.add(delivery)
        if subscription.state == SubscriptionState.ACTIVE.value:
            schedule_attempt(session, delivery, utcnow())
        made += 1
    return made


def _attempt_of(session: Session, delivery_id: int, schedule: int) -> tuple[str, str, str, str] | None:
    """(url, secret, msg_id, body) when this job is the delivery's current attempt and may go."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, sa.Connection) else bind
    # A connection of its own, plain BEGIN: the runner's write transaction (BEGIN IMMEDIATE
    # on SQLite) must not be open while the far side takes its time answering.
    with read_session(engine.execution_options(sqlite_begin="BEGIN")) as reader:
        row = reader.execute(
            sa.select(
                col(WebhookSubscription.url),
                col(WebhookSubscription.secret),
                col(WebhookSubscription.state),
                col(WebhookDelivery.msg_id),
                col(WebhookDelivery.body),
                col(WebhookDelivery.state),
                col(WebhookDelivery.schedule),
            )
            .join(WebhookSubscription, col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id))
            .where(col(WebhookDelivery.id) == delivery_id)
        ).first()
    if row is None:
        return None
    url, secret, sub_state, msg_id, body, state, current = row
    if current != schedule or state != DeliveryState.PENDING.value:
        return None
    if sub_state != SubscriptionState.ACTIVE.value:
        session.execute(
            sa.update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_id, col(WebhookDelivery.schedule) == schedule)
            .values(next_attempt_at=None)
        )
        return None
    return url, secret, msg_id, body


def deliver(session: Session, *, delivery_id: int, schedule: int) -> None:
    """Make one attempt of a delivery and record it; schedule the next, give up, pause or disable."""
    attempt = _attempt_of(session, delivery_id, schedule)
    if attempt is None:
        return
    url, secret, msg_id, body = attempt
    started = utcnow()
    outcome = sending.send(url, secret=secret, msg_id=msg_id, body=body)
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        return
    subscription = get_subscription(session=session, subscription_id=delivery.subscription_id)
    now = utcnow()
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or started
    delivery.last_attempt_at = started
    delivery.last_status = outcome.status
    delivery.last_error = outcome.error
    delivery.next_attempt_at = None
    session.add(delivery)
    current = delivery.schedule == schedule and delivery.state == DeliveryState.PENDING.value
    if outcome.delivered:
        delivery.state = DeliveryState.DELIVERED.value
        delivery.delivered_at = now
        subscription.failing_since = None
        session.add(subscription)
        return
    if not current:
        return  # replayed or resumed meanwhile: that attempt is the one to follow up
    if outcome.status == 410:
        delivery.state = DeliveryState.FAILED.value
        if subscription.state != SubscriptionState.DISABLED.value:
            stop_subscription(
                session, subscription, SubscriptionState.DISABLED, "the receiver answered 410 Gone", SYSTEM
            )
        return
    subscription.failing_since = subscription.failing_since or started
    session.add(subscription)
    if now - subscription.failing_since >= PAUSE_AFTER and subscription.state == SubscriptionState.ACTIVE.value:
        since = subscription.failing_since.strftime("%Y-%m-%d %H:%M UTC")
        stop_subscription(
            session, subscription, SubscriptionState.PAUSED, f"every delivery has failed since {since}", SYSTEM
        )
    if subscription.state != SubscriptionState.ACTIVE.value:
        return  # stays pending: resume sends it
    deadline = delivery.first_attempt_at + RETRY_WINDOW
    if started >= deadline:
        delivery.state = DeliveryState.FAILED.value
        return
    schedule_attempt(session, delivery, min(now + retry_delay(delivery.attempts), deadline))


def fan_out_every() -> dt.timedelta:
    """How often the outbox is read for new events (ISTOK_WEBHOOKS_POLL seconds, default 5)."""
    return dt.timedelta(seconds=float(os.environ.get("ISTOK_WEBHOOKS_POLL", "5")))


@jobs.handler("webhooks.fan_out", every=fan_out_every(), max_attempts=3)
def _fan_out_job(session: Session, _payload: dict[str, Any]) -> None:
    fan_out(session)


@jobs.handler("webhooks.deliver", max_attempts=3, lease=dt.timedelta(minutes=2))
def _deliver_job(session: Session, payload: dict[str, Any]) -> None:
    deliver(session, delivery_id=int(payload["delivery"]), schedule=int(payload.get("schedule", 0)))


#: Finished deliveries stay in the log as long as the outbox keeps the events they came from.
LOG_KEEP = jobs.OUTBOX_KEEP


def prune_deliveries(session: Session, *, before: dt.datetime) -> int:
    """Retention: delete delivered and failed deliveries made before `before`; pending ones stay."""
    old = (col(WebhookDelivery.state) != DeliveryState.PENDING.value) & (col(WebhookDelivery.created_at) < before)
    result = session.execute(sa.delete(WebhookDelivery).where(old).execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@jobs.handler("retention.webhook_deliveries", every=dt.timedelta(hours=6))
def _prune_deliveries_job(session: Session, _payload: dict[str, Any]) -> None:
    prune_deliveries(session, before=utcnow() - LOG_KEEP)

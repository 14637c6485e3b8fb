"""Outbound webhooks: subscriptions, fan-out from the event outbox, deliveries retried as jobs.

Nothing here runs on its own: both halves are jobs of the one job runner (kb/jobs.py).
`webhooks.fan_out` recurs every ISTOK_WEBHOOKS_POLL seconds, reads the outbox after the last
event it fanned out (kept in `webhook_cursor`, moved in the same transaction as the delivery
rows it writes) and makes one delivery per event and interested subscription, with its body
built once, then and there, so every attempt sends the same bytes. Each attempt is a
`webhooks.deliver` job; a failed one schedules the next with exponential backoff and full
jitter (delay drawn uniformly between the base and min(6 h, base·3^(n-1)), "Exponential
Backoff And Jitter", AWS Architecture Blog) until 24 h after the first attempt, when one last
attempt is made. 2xx is delivered; 410 Gone disables the subscription; a subscription whose
deliveries have failed for three days in a row is paused. Pausing and disabling are kb actions
(`webhook.pause`), so editors see them in the audit log, the outbox and the admin page.
Delivery is at least once: receivers drop repeats by `webhook-id`.

`subscriptions` holds what editors do, `delivery` the two jobs, `payloads` what an event says
to a receiver (public or staff), `sending` the destination check and the signed POST. Other
packages reach all of it through `kb`'s front door.
"""

from kb.webhooks.delivery import (
    LOG_KEEP,
    PAUSE_AFTER,
    RETRY_WINDOW,
    deliver,
    fan_out,
    prune_deliveries,
    retry_base,
    retry_delay,
)
from kb.webhooks.payloads import ALL_EVENTS, EVENT_TYPES, EventBody, build_body, event_type
from kb.webhooks.sending import UnsafeDestination, allow_private, new_secret, resolve, send
from kb.webhooks.subscriptions import (
    DeliveryNotFound,
    DeliveryState,
    SubscriptionState,
    WebhookNotFound,
    create_subscription,
    delete_subscription,
    forget_contacts,
    get_delivery,
    get_subscription,
    list_deliveries,
    list_subscriptions,
    pause_subscription,
    replay_delivery,
    resume_subscription,
    update_subscription,
)

__all__ = [
    "ALL_EVENTS",
    "EVENT_TYPES",
    "LOG_KEEP",
    "PAUSE_AFTER",
    "RETRY_WINDOW",
    "DeliveryNotFound",
    "DeliveryState",
    "EventBody",
    "SubscriptionState",
    "UnsafeDestination",
    "WebhookNotFound",
    "allow_private",
    "build_body",
    "create_subscription",
    "delete_subscription",
    "deliver",
    "event_type",
    "fan_out",
    "forget_contacts",
    "get_delivery",
    "get_subscription",
    "list_deliveries",
    "list_subscriptions",
    "new_secret",
    "pause_subscription",
    "prune_deliveries",
    "replay_delivery",
    "resolve",
    "resume_subscription",
    "retry_base",
    "retry_delay",
    "send",
    "update_subscription",
]

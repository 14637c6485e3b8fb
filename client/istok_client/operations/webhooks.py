"""Webhook subscriptions: who gets which events, and the log of what was delivered."""

from __future__ import annotations

from collections.abc import Sequence

from istok_client import models
from istok_client.calls import Parts, endpoint
from istok_client.parsing import Json, JsonList, NoContent


class WebhookOperations:
    """Webhook subscriptions and their deliveries (editors)."""

    @endpoint("GET", "/api/v1/webhooks", parse=JsonList(models.Webhook))
    def list_webhooks(self) -> Parts:
        """Every subscription with its state (`active`, `paused`, `disabled`)."""
        return Parts()

    @endpoint("POST", "/api/v1/webhooks", parse=Json(models.WebhookCreated))
    def create_webhook(self, url: str, events: Sequence[str], *, public: bool = True, description: str = "") -> Parts:
        """Subscribe `url` to `events` (or `["*"]`); the result's `secret` is shown this once: keep it."""
        return Parts(json={"url": url, "events": list(events), "public": public, "description": description})

    @endpoint("GET", "/api/v1/webhooks/{webhook_id}", parse=Json(models.Webhook))
    def get_webhook(self, webhook_id: int) -> Parts:
        """One subscription."""
        return Parts(path={"webhook_id": webhook_id})

    @endpoint("PATCH", "/api/v1/webhooks/{webhook_id}", parse=Json(models.Webhook))
    def update_webhook(self, webhook_id: int, changes: models.WebhookChanges) -> Parts:
        """Change the keys given; `{"state": "paused"}` stops attempts, `"active"` resumes them."""
        return Parts(path={"webhook_id": webhook_id}, json=dict(changes))

    @endpoint("DELETE", "/api/v1/webhooks/{webhook_id}", parse=NoContent())
    def delete_webhook(self, webhook_id: int) -> Parts:
        """Delete a subscription and its delivery log."""
        return Parts(path={"webhook_id": webhook_id})

    @endpoint(
        "GET",
        "/api/v1/webhooks/{webhook_id}/deliveries",
        parse=Json(models.DeliveryPage),
        query=("state", "before", "limit"),
    )
    def list_deliveries(
        self, webhook_id: int, *, state: str | None = None, before: int | None = None, limit: int | None = None
    ) -> Parts:
        """The subscription's deliveries, newest first; pass the page's `next` as `before` for older ones."""
        return Parts(path={"webhook_id": webhook_id}, query={"state": state, "before": before, "limit": limit})

    @endpoint("POST", "/api/v1/webhooks/deliveries/{delivery_id}/replay", parse=Json(models.Delivery))
    def replay_delivery(self, delivery_id: int) -> Parts:
        """Send a delivery again, with the same `webhook-id` so the receiver can tell it is not new."""
        return Parts(path={"delivery_id": delivery_id})

"""Webhook subscriptions over HTTP: editors choose who hears of which events, and read the delivery log.

Every call goes through the same `kb` functions as the admin page; kb checks the URL (no
private or loopback destination unless ISTOK_WEBHOOKS_ALLOW_PRIVATE=1) and the event names.
The signing secret is in the answer to the POST only, as an API key is shown once.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

import kb
from api.deps import EditorKey, actor_of, reading, writing
from api.http.errors_doc import responses
from api.schemas import MAX_INT32, Text

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"], responses=responses(401, 403, 404, 422))
WebhookId = Annotated[int, Path(ge=1, le=MAX_INT32)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_INT32)]
EVENT_NAMES = [kb.WEBHOOK_ALL_EVENTS, *kb.WEBHOOK_EVENT_TYPES]
_EVENTS_DOC = "Event types to send, or `*` for all: " + "; ".join(
    f"`{name}` {meaning}" for name, meaning in kb.WEBHOOK_EVENT_TYPES.items()
)
EventName = Annotated[str, Field(json_schema_extra={"enum": EVENT_NAMES})]
Url = Annotated[str, Field(min_length=8, max_length=2000, pattern=r"^https?://[^\s/?#@]+([/?#]\S*)?$")]


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "url": "https://crm.example.com/istok-events",
                "events": ["article.published", "article.unpublished"],
                "public": True,
                "description": "CRM cache",
            }
        }
    )

    url: Url
    events: list[EventName] = Field(min_length=1, max_length=10, description=_EVENTS_DOC)
    public: bool = Field(
        default=True, description="A public receiver never gets internal notes, client words or people's names"
    )
    description: Text = Field(default="", max_length=200)


class WebhookUpdate(BaseModel):
    url: Url | None = None
    events: list[EventName] | None = Field(default=None, min_length=1, max_length=10, description=_EVENTS_DOC)
    public: bool | None = None
    description: Text | None = Field(default=None, max_length=200)
    state: Literal["active", "paused"] | None = Field(
        default=None, description="`paused` stops attempts; `active` resumes and sends what waits"
    )


class WebhookOut(BaseModel):
    id: int
    url: str
    description: str
    events: list[str]
    public: bool
    state: str = Field(description="`active`, `paused` (by an editor or after 3 days of failures) or `disabled` (410)")
    state_reason: str | None
    failing_since: dt.datetime | None
    secret_prefix: str = Field(description="The signing secret's first characters, to tell secrets apart")
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The Standard Webhooks signing secret (`whsec_…`); shown this once")


class DeliveryOut(BaseModel):
    id: int
    webhook_id: int
    event_id: int
    type: str
    message_id: str = Field(description="The `webhook-id` header: the same for every attempt and replay")
    state: str = Field(description="`pending`, `delivered` or `failed`")
    attempts: int
    replays: int
    first_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime
    payload: dict[str, Any] = Field(description="The body sent: `{type, timestamp, data}`")


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next: int | None = Field(description="`before` for the next (older) page; null at the end")


def _out(sub: kb.WebhookSubscription, model: type[WebhookOut] = WebhookOut, **extra: Any) -> Any:
    return model(
        id=sub.id or 0,
        url=sub.url,
        description=sub.description,
        events=list(sub.events),
        public=sub.public,
        state=sub.state,
        state_reason=sub.state_reason,
        failing_since=sub.failing_since,
        secret_prefix=sub.secret[:10],
        created_by=sub.created_by,
        created_at=sub.created_at,
        updated_at=sub.updated_at,
        **extra,
    )


def delivery_out(d: kb.WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id or 0,
        webhook_id=d.subscription_id,
        event_id=d.event_id,
        type=d.event_type,
        message_id=d.msg_id,
        state=d.state,
        attempts=d.attempts,
        replays=d.replays,
        first_attempt_at=d.first_attempt_at,
        last_attempt_at=d.last_attempt_at,
        next_attempt_at=d.next_attempt_at,
        last_status=d.last_status,
        last_error=d.last_error,
        delivered_at=d.delivered_at,
        created_at=d.created_at,
        payload=json.loads(d.body),
    )


@router.get("", response_model=list[WebhookOut], summary="Webhook subscriptions")
def list_webhooks(_who: EditorKey) -> list[WebhookOut]:
    with reading() as session:
        return [_out(s) for s in kb.list_subscriptions(session=session)]


@router.post(
    "", response_model=WebhookCreated, status_code=201, summary="Subscribe a URL to events", responses=responses(413)
)
def create_webhook(body: WebhookIn, request: Request, who: EditorKey) -> WebhookCreated:
    with writing() as session:
        sub, secret = kb.create_subscription(
            session=session,
            url=body.url,
            events=body.events,
            public=body.public,
            description=body.description,
            actor=actor_of(who, request),
        )
        created: WebhookCreated = _out(sub, WebhookCreated, secret=secret)
        return created


@router.get("/{webhook_id:int}", response_model=WebhookOut, summary="One webhook subscription")
def get_webhook(webhook_id: WebhookId, _who: EditorKey) -> WebhookOut:
    with reading() as session:
        out: WebhookOut = _out(kb.get_subscription(session=session, subscription_id=webhook_id))
        return out


@router.patch(
    "/{webhook_id:int}", response_model=WebhookOut, summary="Change, pause or resume", responses=responses(413)
)
def update_webhook(webhook_id: WebhookId, body: WebhookUpdate, request: Request, who: EditorKey) -> WebhookOut:
    actor = actor_of(who, request)
    with writing() as session:
        sub = kb.update_subscription(
            session=session,
            subscription_id=webhook_id,
            url=body.url,
            events=body.events,
            public=body.public,
            description=body.description,
            actor=actor,
        )
        if body.state == "paused" and sub.state != kb.SubscriptionState.PAUSED:
            sub = kb.pause_subscription(session=session, subscription_id=webhook_id, actor=actor)
        elif body.state == "active" and sub.state != kb.SubscriptionState.ACTIVE:
            sub = kb.resume_subscription(session=session, subscription_id=webhook_id, actor=actor)
        out: WebhookOut = _out(sub)
        return out


@router.delete("/{webhook_id:int}", status_code=204, summary="Delete a subscription and its delivery log")
def delete_webhook(webhook_id: WebhookId, request: Request, who: EditorKey) -> Response:
    with writing() as session:
        kb.delete_subscription(session=session, subscription_id=webhook_id, actor=actor_of(who, request))
    return Response(status_code=204)


@router.get("/{webhook_id:int}/deliveries", response_model=DeliveryPage, summary="The delivery log, newest first")
def list_deliveries(
    webhook_id: WebhookId,
    _who: EditorKey,
    state: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_INT32, description="`next` from the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> DeliveryPage:
    with reading() as session:
        rows = kb.list_deliveries(
            session=session, subscription_id=webhook_id, state=state, before_id=before, limit=limit + 1
        )
    page = rows[:limit]
    return DeliveryPage(items=[delivery_out(d) for d in page], next=page[-1].id if len(rows) > limit else None)


@router.post(
    "/deliveries/{delivery_id:int}/replay",
    response_model=DeliveryOut,
    status_code=202,
    summary="Send a delivery again, with the same webhook-id",
)
def replay_delivery(delivery_id: DeliveryId, request: Request, who: EditorKey) -> DeliveryOut:
    with writing() as session:
        return delivery_out(kb.replay_delivery(session=session, delivery_id=delivery_id, actor=actor_of(who, request)))

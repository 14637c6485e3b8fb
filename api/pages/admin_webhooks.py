"""The admin's webhooks page: subscriptions, their delivery log, pause, resume and replay.

The same `kb` functions as `/api/v1/webhooks`, under the signed-in editor's name. The
signing secret is shown on the page that answers the creation, once, like an API key; a
subscription that was paused after three days of failures (or disabled by a 410) stands at
the top of the page with the reason, so editors see it the next time they look.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

import kb
from api.deps import Principal, actor_of, reading, writing
from api.pages.admin import back, editor_gate, staff_page
from api.pages.i18n import ui_text

router = APIRouter(include_in_schema=False)
LOG_ROWS = 100


def _list_page(request: Request, who: Principal, *, created: tuple[int, str] | None = None) -> Response:
    with reading() as session:
        subscriptions = kb.list_subscriptions(session=session)
    stopped = [s for s in subscriptions if s.state != kb.SubscriptionState.ACTIVE]
    ctx: dict[str, Any] = {
        "title": "Webhooks",
        "section": "webhooks",
        "subscriptions": subscriptions,
        "stopped": stopped,
        "event_types": kb.WEBHOOK_EVENT_TYPES,
        "all_events": kb.WEBHOOK_ALL_EVENTS,
        "created": created,
    }
    return staff_page(request, who, "admin_webhooks.html", ctx, status=201 if created else 200)


@router.get("/admin/webhooks")
def webhooks(request: Request) -> Response:
    """Every subscription with its state; stopped ones first, with why."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    return _list_page(request, who)


@router.post("/admin/webhooks")
def create(
    request: Request,
    csrf: Annotated[str, Form(max_length=200)],
    url: Annotated[str, Form(max_length=2000)],
    events: Annotated[list[str] | None, Form(max_length=20)] = None,
    public: Annotated[str, Form(max_length=8)] = "",
    description: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Subscribe a URL; the answer shows the signing secret, this once."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    try:
        with writing() as session:
            sub, secret = kb.create_subscription(
                session=session,
                url=url.strip(),
                events=events or [],
                public=public == "yes",
                description=description.strip(),
                actor=actor_of(who, request),
            )
    except kb.InvalidChange as exc:
        return back("/admin/webhooks", exc.detail, "error")
    return _list_page(request, who, created=(sub.id or 0, secret))


@router.get("/admin/webhooks/{subscription_id:int}")
def deliveries(request: Request, subscription_id: int, state: str = "") -> Response:
    """One subscription's delivery log, newest first, with a replay button on each row."""
    who = editor_gate(request)
    if isinstance(who, Response):
        return who
    with reading() as session:
        sub = kb.get_subscription(session=session, subscription_id=subscription_id)
        rows = kb.list_deliveries(session=session, subscription_id=subscription_id, state=state or None, limit=LOG_ROWS)
    shown = [{"d": d, "payload": json.dumps(json.loads(d.body), ensure_ascii=False, indent=1)} for d in rows]
    ctx = {"title": f"Webhook {sub.id}", "section": "webhooks", "sub": sub, "rows": shown, "state": state}
    return staff_page(request, who, "admin_webhook.html", ctx)


@router.post("/admin/webhooks/{subscription_id:int}/{change}")
def change(request: Request, subscription_id: int, change: str, csrf: Annotated[str, Form(max_length=200)]) -> Response:
    """Pause, resume or delete a subscription."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    actor = actor_of(who, request)
    _ = ui_text(request).gettext
    with writing() as session:
        if change == "pause":
            kb.pause_subscription(session=session, subscription_id=subscription_id, actor=actor)
            flash = _("Webhook {id} is paused").format(id=subscription_id)
        elif change == "resume":
            kb.resume_subscription(session=session, subscription_id=subscription_id, actor=actor)
            flash = _("Webhook {id} is active again; what waited is being sent").format(id=subscription_id)
        elif change == "delete":
            kb.delete_subscription(session=session, subscription_id=subscription_id, actor=actor)
            flash = _("Webhook {id} and its delivery log are deleted").format(id=subscription_id)
        else:
            raise kb.NotFound(f"no webhook action {change!r} (pause, resume, delete)")
    return back("/admin/webhooks", flash)


@router.post("/admin/webhooks/deliveries/{delivery_id:int}/replay")
def replay(request: Request, delivery_id: int, csrf: Annotated[str, Form(max_length=200)]) -> Response:
    """Send one delivery again, with its webhook-id."""
    who = editor_gate(request, csrf)
    if isinstance(who, Response):
        return who
    with writing() as session:
        delivery = kb.replay_delivery(session=session, delivery_id=delivery_id, actor=actor_of(who, request))
    note = ui_text(request).gettext("Delivery {id} will be sent again").format(id=delivery_id)
    return back(f"/admin/webhooks/{delivery.subscription_id}", note)

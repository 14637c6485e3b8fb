"""Webhooks over HTTP, end to end: a real server's job runner delivers to a real receiver.

The server runs with ISTOK_WEBHOOKS_ALLOW_PRIVATE=1 (its receiver is on 127.0.0.1), a short job
poll and a short retry base, so the retries of a receiver that fails twice come within a second
or two instead of minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Live, sample_server
from tests.webhook_receiver import Receiver, receiver

FAST = {
    "ISTOK_RATE_LIMIT": "100000",
    "ISTOK_WEBHOOKS_ALLOW_PRIVATE": "1",
    "ISTOK_JOBS_POLL": "0.1",
    "ISTOK_WEBHOOKS_POLL": "0.2",
    "ISTOK_WEBHOOKS_RETRY_BASE": "0.2",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    yield from sample_server(tmp_path_factory.mktemp("webhooks"), sqlite_template, **FAST)


def _wait(what: Callable[[], Any], *, seconds: float = 30) -> Any:
    """Poll until `what()` is truthy (the runner works in the background); fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"still waiting after {seconds} s")


def _subscribe(server: Live, hook: Receiver, **body: Any) -> dict[str, Any]:
    with server.client("editor") as editor:
        made = editor.post("/api/v1/webhooks", json={"url": hook.url, "events": ["article.published"], **body})
    assert made.status_code == 201, made.text
    created: dict[str, Any] = made.json()
    hook.secret = created["secret"]
    return created


def _publish(server: Live) -> None:
    with server.client("editor") as editor:
        assert editor.post("/api/v1/articles/en/check-balance/publish").status_code == 200


def test_a_receiver_failing_twice_gets_the_event_exactly_once_verified(server: Live) -> None:
    with receiver([500, 500]) as hook:
        created = _subscribe(server, hook, public=False, description="fails twice")
        assert created["secret"].startswith("whsec_") and created["secret_prefix"] == created["secret"][:10]
        _publish(server)
        _wait(lambda: hook.accepted)
        with server.client("editor") as editor:
            log = _wait(
                lambda: [
                    d
                    for d in editor.get(f"/api/v1/webhooks/{created['id']}/deliveries").json()["items"]
                    if d["state"] == "delivered"
                ]
            )
    assert [r.status for r in hook.requests] == [500, 500, 200]
    assert all(r.verified for r in hook.requests)  # standardwebhooks.Webhook(secret).verify, each attempt
    assert len({r.headers["webhook-id"] for r in hook.requests}) == 1
    (event,) = hook.accepted.values()
    assert event["type"] == "article.published"
    assert event["data"]["key"] == "check-balance" and "internal_text" in event["data"]
    (delivery,) = log
    assert delivery["attempts"] == 3 and delivery["last_status"] == 200
    assert delivery["message_id"] == hook.requests[0].headers["webhook-id"]
    assert delivery["payload"] == event


def test_a_replay_sends_the_same_webhook_id_again(server: Live) -> None:
    with receiver() as hook:
        created = _subscribe(server, hook)  # public by default
        _publish(server)
        _wait(lambda: hook.accepted)
        with server.client("editor") as editor:
            (delivery,) = _wait(lambda: editor.get(f"/api/v1/webhooks/{created['id']}/deliveries").json()["items"])
            replayed = editor.post(f"/api/v1/webhooks/deliveries/{delivery['id']}/replay")
            assert replayed.status_code == 202 and replayed.json()["state"] in {"pending", "delivered"}
            _wait(lambda: len(hook.requests) == 2)
            again = _wait(
                lambda: [
                    d
                    for d in editor.get(f"/api/v1/webhooks/{created['id']}/deliveries").json()["items"]
                    if d["replays"] == 1 and d["state"] == "delivered"
                ]
            )
    assert hook.requests[0].headers["webhook-id"] == hook.requests[1].headers["webhook-id"]
    assert hook.requests[0].body == hook.requests[1].body
    assert len(hook.accepted) == 1  # the receiver dropped the repeat by its id
    assert again[0]["attempts"] == 2
    assert "internal_text" not in hook.requests[0].body  # a public receiver: the public parts only


def test_subscriptions_are_listed_changed_paused_resumed_and_deleted(server: Live) -> None:
    with receiver() as hook, server.client("editor") as editor:
        created = _subscribe(server, hook)
        path = f"/api/v1/webhooks/{created['id']}"
        listed = editor.get("/api/v1/webhooks").json()
        assert created["id"] in [w["id"] for w in listed]
        assert all("secret" not in w for w in listed)
        changed = editor.patch(path, json={"events": ["fact.changed", "gap.logged"], "state": "paused"})
        assert changed.status_code == 200, changed.text
        assert changed.json()["events"] == ["fact.changed", "gap.logged"] and changed.json()["state"] == "paused"
        assert changed.json()["state_reason"] == "paused by an editor"
        resumed = editor.patch(path, json={"state": "active"}).json()
        assert resumed["state"] == "active" and resumed["state_reason"] is None
        assert editor.delete(path).status_code == 204
        gone = editor.get(path)
        assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"
        assert editor.get(f"{path}/deliveries").status_code == 404


def test_bad_subscriptions_and_other_roles_are_refused_with_problem_details(server: Live) -> None:
    with server.client("editor") as editor:
        for body in (
            {"url": "ftp://198.51.100.7/x", "events": ["*"]},
            {"url": "http://127.0.0.1:9/x", "events": ["article.deleted"]},
            {"url": "http://127.0.0.1:9/x", "events": []},
        ):
            refused = editor.post("/api/v1/webhooks", json=body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
        assert (
            "unknown event types"
            in editor.post(
                "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["article.deleted"]}
            ).json()["detail"]
        )
        assert editor.post("/api/v1/webhooks/deliveries/999999/replay").status_code == 404
    for role in ("bot", "operator"):
        with server.client(role) as other:
            assert other.get("/api/v1/webhooks").status_code == 403
            body = {"url": "http://127.0.0.1:9/", "events": ["*"]}
            assert other.post("/api/v1/webhooks", json=body).status_code == 403
    with server.client() as anonymous:
        assert anonymous.get("/api/v1/webhooks").status_code == 401


def test_the_openapi_document_describes_the_webhook_routes(server: Live) -> None:
    with server.client() as anonymous:
        doc = anonymous.get("/openapi.json").json()
    paths = doc["paths"]
    assert set(paths["/api/v1/webhooks"]) == {"get", "post"}
    assert set(paths["/api/v1/webhooks/{webhook_id}"]) == {"get", "patch", "delete"}
    assert "get" in paths["/api/v1/webhooks/{webhook_id}/deliveries"]
    replay = paths["/api/v1/webhooks/deliveries/{delivery_id}/replay"]["post"]
    assert {"202", "401", "403", "404"} <= set(replay["responses"])
    events = doc["components"]["schemas"]["WebhookIn"]["properties"]["events"]
    assert events["items"]["enum"] == [
        "*",
        "article.published",
        "article.unpublished",
        "fact.changed",
        "gap.logged",
        "case.opened",
        "case.resolved",
        "review.submitted",
        "review.approved",
        "review.changes_requested",
        "fact.review.submitted",
        "fact.review.approved",
        "fact.review.changes_requested",
        "schedule.skipped",
        "schedule.failed",
    ]

"""The admin's webhooks page over HTTP: create (secret shown once), the delivery log, replay, pause, resume.

The pages' server runs without ISTOK_WEBHOOKS_ALLOW_PRIVATE, so it refuses a receiver on
127.0.0.1 both when an editor subscribes it and, for one made behind its back, at every attempt.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa

import kb
from tests.pages.conftest import Site, csrf_of, http_login
from tests.webhook_receiver import receiver

PUBLIC_URL = "http://93.184.215.14/istok-hook"  # a global address, given as a literal: no DNS needed


def _wait_for(http: httpx.Client, path: str, found: Callable[[str], bool], seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = http.get(path).text
        if found(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{path} never showed what was expected")


def test_an_editor_subscribes_and_sees_the_secret_once(site: Site) -> None:
    http = http_login(site, "editor")
    try:
        csrf = csrf_of(http, "/admin/webhooks")
        made = http.post(
            "/admin/webhooks",
            data={"csrf": csrf, "url": PUBLIC_URL, "events": ["case.resolved"], "public": "yes", "description": "CRM"},
        )
        assert made.status_code == 201, made.text
        secret = re.search(r'<code id="webhook-secret">(whsec_[A-Za-z0-9+/=]+)</code>', made.text)
        assert secret is not None
        listed = http.get("/admin/webhooks").text
        assert PUBLIC_URL in listed and "case.resolved" in listed and secret.group(1) not in listed
        with kb.read_session(site.engine()) as session:
            (sub,) = [s for s in kb.list_subscriptions(session=session) if s.url == PUBLIC_URL]
        assert sub.public and sub.secret == secret.group(1) and sub.created_by == "editor1"
        refused = http.post(
            "/admin/webhooks",
            data={"csrf": csrf, "url": "http://127.0.0.1:9/hook", "events": ["*"]},
            follow_redirects=True,
        )
        assert "loopback" in refused.text and "ISTOK_WEBHOOKS_ALLOW_PRIVATE" in refused.text
        no_csrf = http.post("/admin/webhooks", data={"csrf": "forged", "url": PUBLIC_URL, "events": ["*"]})
        assert no_csrf.status_code == 403
        assert http.post(f"/admin/webhooks/{sub.id}/delete", data={"csrf": csrf}).status_code == 303
    finally:
        http.close()
    with kb.read_session(site.engine()) as session:
        assert PUBLIC_URL not in [s.url for s in kb.list_subscriptions(session=session)]


def test_the_delivery_log_replay_and_a_pause_the_editors_are_told_of(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = site.engine()
    with receiver() as hook:
        monkeypatch.setenv("ISTOK_WEBHOOKS_ALLOW_PRIVATE", "1")  # made here, behind the server's back
        with kb.write_session(engine) as session:
            sub, _secret = kb.create_subscription(
                session=session, url=hook.url, events=["fact.changed"], public=True, actor="test"
            )
        http = http_login(site, "editor")
        try:
            csrf = csrf_of(http, "/admin/facts")
            saved = http.post(
                "/admin/facts", data={"csrf": csrf, "key": "webhook_fee", "type": "text", "value": "2 EUR"}
            )
            assert saved.status_code == 303
            page = f"/admin/webhooks/{sub.id}"
            log = _wait_for(http, page, lambda text: "loopback" in text)
            assert "fact.changed" in log and "webhook_fee" in log and "Replay" in log
            assert hook.requests == []  # the server refused to send to 127.0.0.1
            with kb.read_session(engine) as session:
                (delivery,) = kb.list_deliveries(session=session, subscription_id=sub.id or 0)
            # as if every delivery had failed for three days: the next failure pauses it
            with kb.write_session(engine) as session:
                session.execute(
                    sa.update(kb.WebhookSubscription)
                    .where(kb.WebhookSubscription.id == sub.id)
                    .values(failing_since=kb.utcnow() - dt.timedelta(days=3, minutes=1))
                )
            replayed = http.post(f"/admin/webhooks/deliveries/{delivery.id}/replay", data={"csrf": csrf})
            assert replayed.status_code == 303 and replayed.headers["location"].startswith(page)
            told = _wait_for(http, "/admin/webhooks", lambda text: f'id="stopped-{sub.id}"' in text)
            assert "every delivery has failed since" in told and 'role="alert"' in told
            resumed = http.post(f"/admin/webhooks/{sub.id}/resume", data={"csrf": csrf}, follow_redirects=True)
            assert "is active again" in resumed.text and f'id="stopped-{sub.id}"' not in resumed.text
            paused = http.post(f"/admin/webhooks/{sub.id}/pause", data={"csrf": csrf}, follow_redirects=True)
            assert "paused by an editor" in paused.text
            assert http.post(f"/admin/webhooks/{sub.id}/explode", data={"csrf": csrf}).status_code == 404
            assert http.post(f"/admin/webhooks/{sub.id}/delete", data={"csrf": csrf}).status_code == 303
        finally:
            http.close()
    with kb.read_session(engine) as session:
        audit = [e.action for e in kb.audit_entries(session=session, limit=200) if e.target == f"webhook {sub.id}"]
    assert {"webhook.create", "webhook.replay", "webhook.pause", "webhook.resume", "webhook.delete"} <= set(audit)
    engine.dispose()


def test_people_without_the_editor_role_are_kept_out(site: Site) -> None:
    http = http_login(site, "operator")
    try:
        assert http.get("/admin/webhooks").status_code == 403
        assert http.post("/admin/webhooks/deliveries/1/replay", data={"csrf": "x"}).status_code == 403
    finally:
        http.close()
    with httpx.Client(base_url=site.base) as anonymous:
        assert anonymous.get("/admin/webhooks").headers.get("location", "").startswith("/login")

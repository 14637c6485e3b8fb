"""Outbound webhooks: fan-out from the outbox, Standard Webhooks signatures, retries, pausing, SSRF."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

import contacts
import kb
from kb import jobs, webhooks
from kb.search.gaps import Gap, GapLog
from tests.helpers import article
from tests.webhook_receiver import Receiver, receiver

WHO = kb.Actor(name="Ann Editor", role="editor")
SECRET_NOTE = "Second line only: refund code R-4471"
OPERATOR_NOTE = "Say sorry twice before the script"
BODY = f"""
Dial the code and press call.

::: internal
{SECRET_NOTE}
:::

::: operator
{OPERATOR_NOTE}
:::
"""


@pytest.fixture(autouse=True)
def private_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISTOK_WEBHOOKS_ALLOW_PRIVATE", "1")


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def _subscribe(engine: sa.Engine, hook: Receiver, events: list[str] | None = None, *, public: bool = False) -> int:
    with kb.write_session(engine) as session:
        sub, secret = kb.create_subscription(
            session=session, url=hook.url, events=events or ["*"], public=public, actor=WHO
        )
    hook.secret = secret
    assert sub.id is not None
    return sub.id


def _publish(engine: sa.Engine, body: str = BODY, **front: str) -> None:
    with kb.write_session(engine) as session:
        saved = kb.save_draft(session=session, source=article(body=body, **front), base_revision=None, actor=WHO)
        kb.publish(session=session, article=saved.article, actor=WHO)


def _pump(engine: sa.Engine, *, later: dt.timedelta = dt.timedelta(0)) -> int:
    """Fan out, then run every delivery job due by now + `later` (one attempt each)."""
    with kb.write_session(engine) as session:
        webhooks.fan_out(session)
    return kb.run_due_jobs(engine, worker="test", limit=100, now=kb.utcnow() + later)


def _deliveries(engine: sa.Engine, sub_id: int) -> list[kb.WebhookDelivery]:
    with kb.read_session(engine) as session:
        return kb.list_deliveries(session=session, subscription_id=sub_id)[::-1]


def _sub(engine: sa.Engine, sub_id: int) -> kb.WebhookSubscription:
    with kb.read_session(engine) as session:
        return kb.get_subscription(session=session, subscription_id=sub_id)


def _set(engine: sa.Engine, model: Any, row_id: int, **values: Any) -> None:
    with kb.write_session(engine) as session:
        session.execute(sa.update(model).where(model.id == row_id).values(**values))


def test_the_job_runner_fans_an_action_out_and_delivers_it_signed(engine: sa.Engine, hook: Receiver) -> None:
    sub_id = _subscribe(engine, hook, ["article.published"])
    _publish(engine, title="Как проверить баланс?")
    jobs.schedule_recurring(engine)  # as the runner of `istok serve` does at its start
    kb.run_due_jobs(engine, worker="test", limit=100)  # the fan-out job (and retention) ...
    kb.run_due_jobs(engine, worker="test", limit=100)  # ... then the delivery it queued
    assert len(hook.requests) == 1 and hook.requests[0].verified
    (payload,) = hook.accepted.values()
    assert payload["type"] == "article.published"
    assert payload["data"]["key"] == "check-balance" and payload["data"]["revision"] == 1
    assert payload["data"]["title"] == "Как проверить баланс?"  # signed and verified as UTF-8
    assert payload["timestamp"].endswith("Z")
    request = hook.requests[0]
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["content-type"] == "application/json"
    (delivery,) = _deliveries(engine, sub_id)
    assert delivery.state == "delivered" and delivery.attempts == 1 and delivery.last_status == 200
    assert delivery.msg_id == request.headers["webhook-id"]


def test_a_receiver_failing_twice_gets_the_event_once_with_one_id_and_fresh_signatures(engine: sa.Engine) -> None:
    with receiver([500, 503]) as hook:
        sub_id = _subscribe(engine, hook)
        _publish(engine)
        assert _pump(engine) == 1
        (delivery,) = _deliveries(engine, sub_id)
        assert delivery.state == "pending" and delivery.last_status == 500 and "HTTP 500" in (delivery.last_error or "")
        assert delivery.next_attempt_at is not None and delivery.next_attempt_at > kb.utcnow()
        assert _pump(engine) == 0  # the retry is not due yet
        assert _pump(engine, later=dt.timedelta(hours=1)) == 1
        assert _pump(engine, later=dt.timedelta(hours=2)) == 1
        assert _pump(engine, later=dt.timedelta(hours=3)) == 0  # delivered: nothing more is sent
    assert [r.status for r in hook.requests] == [500, 503, 200]
    assert all(r.verified for r in hook.requests)  # each attempt signed afresh over its own timestamp
    assert len({r.headers["webhook-id"] for r in hook.requests}) == 1
    assert len({r.body for r in hook.requests}) == 1
    assert len(hook.accepted) == 1
    (delivery,) = _deliveries(engine, sub_id)
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("delivered", 3, 200)
    assert delivery.delivered_at is not None and delivery.last_error is None


def test_a_public_subscriber_never_receives_internal_text(engine: sa.Engine) -> None:
    with receiver() as public, receiver() as staff:
        _subscribe(engine, public, public=True)
        _subscribe(engine, staff, public=False)
        _publish(engine)
        with kb.write_session(engine) as session:  # a case about a contact: its id stays inside too
            person = contacts.create_contact(session=session, name="Olena")
            contacts.record_interaction(session=session, contact=person, channel="bot", outcome="handoff")
        _pump(engine)
    public_bodies = " ".join(r.body for r in public.requests)
    assert "article.published" in public_bodies and "case.opened" in public_bodies
    for secret in (SECRET_NOTE, OPERATOR_NOTE, "Ann Editor", "contact_id", "Olena"):
        assert secret not in public_bodies
    staff_bodies = " ".join(r.body for r in staff.requests)
    assert SECRET_NOTE in staff_bodies and OPERATOR_NOTE in staff_bodies and "Ann Editor" in staff_bodies
    published = next(p for p in public.accepted.values() if p["type"] == "article.published")
    assert published["data"]["text"] == "Dial the code and press call."
    assert published["data"]["role"] == "editor"


def test_event_filters_choose_what_a_subscriber_gets(engine: sa.Engine, hook: Receiver) -> None:
    _subscribe(engine, hook, ["fact.changed"])
    _publish(engine, "Plain.")
    with kb.write_session(engine) as session:
        kb.set_fact(session=session, key="fee", type="text", value="5 EUR", base_version=None, actor=WHO)
    _pump(engine)
    with kb.write_session(engine) as session:
        kb.delete_fact(session=session, key="fee", base_version=1, actor=WHO)
    _pump(engine)
    assert [p["type"] for p in hook.accepted.values()] == ["fact.changed", "fact.changed"]
    changed, deleted = hook.accepted.values()
    assert changed["data"] | {"role": None} == {
        "key": "fee",
        "deleted": False,
        "version": 1,
        "type": "text",
        "value": "5 EUR",
        "locales": {},
        "actor": "Ann Editor",
        "role": None,
    }
    assert deleted["data"]["deleted"] is True
    with pytest.raises(kb.InvalidChange, match="unknown event types"), kb.write_session(engine) as session:
        kb.create_subscription(session=session, url=hook.url, events=["article.deleted"], public=True, actor=WHO)
    with pytest.raises(kb.InvalidChange, match="name the events"), kb.write_session(engine) as session:
        kb.create_subscription(session=session, url=hook.url, events=[], public=True, actor=WHO)


def test_a_subscription_gets_only_events_after_it_was_made(engine: sa.Engine, hook: Receiver) -> None:
    _publish(engine, "Before.")
    _subscribe(engine, hook)
    with kb.write_session(engine) as session:
        live = kb.get_article(session=session, key="check-balance", locale="en")
        kb.unpublish(session=session, article=live, actor=WHO)
    _pump(engine)
    assert [p["type"] for p in hook.accepted.values()] == ["article.unpublished"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "ftp://198.51.100.7/hook",
        "http://user:pw@8.8.8.8/hook",
        "http://no-such-host.invalid/hook",
    ],
)
def test_private_loopback_and_odd_destinations_are_refused_by_default(
    sqlite_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.delenv("ISTOK_WEBHOOKS_ALLOW_PRIVATE")
    with pytest.raises(kb.UnsafeDestination), kb.write_session(sqlite_engine) as session:
        kb.create_subscription(session=session, url=url, events=["*"], public=True, actor=WHO)
    with kb.read_session(sqlite_engine) as session:
        assert kb.list_subscriptions(session=session) == []


def test_the_destination_is_checked_again_at_every_attempt(
    sqlite_engine: sa.Engine, hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub_id = _subscribe(sqlite_engine, hook)
    _publish(sqlite_engine)
    monkeypatch.delenv("ISTOK_WEBHOOKS_ALLOW_PRIVATE")
    _pump(sqlite_engine)
    assert hook.requests == []
    (delivery,) = _deliveries(sqlite_engine, sub_id)
    assert delivery.state == "pending" and delivery.last_status is None
    assert "loopback" in (delivery.last_error or "") and "ISTOK_WEBHOOKS_ALLOW_PRIVATE" in (delivery.last_error or "")


def test_retries_end_24_hours_after_the_first_attempt_and_a_replay_keeps_the_id(engine: sa.Engine) -> None:
    with receiver([500, 500]) as hook:
        sub_id = _subscribe(engine, hook)
        _publish(engine)
        _pump(engine)
        (delivery,) = _deliveries(engine, sub_id)
        _set(engine, kb.WebhookDelivery, delivery.id or 0, first_attempt_at=kb.utcnow() - dt.timedelta(hours=25))
        _pump(engine, later=dt.timedelta(hours=7))
        (delivery,) = _deliveries(engine, sub_id)
        assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)
        assert _pump(engine, later=dt.timedelta(days=2)) == 0
        with kb.write_session(engine) as session:
            kb.replay_delivery(session=session, delivery_id=delivery.id or 0, actor=WHO)
        _pump(engine)
    assert [r.status for r in hook.requests] == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in hook.requests}) == 1
    (delivery,) = _deliveries(engine, sub_id)
    assert (delivery.state, delivery.replays) == ("delivered", 1)


def test_the_backoff_grows_with_full_jitter_and_stays_under_six_hours() -> None:
    for attempt in range(1, 20):
        ceiling = min(5 * 3 ** (attempt - 1), 6 * 3600)
        delays = [webhooks.retry_delay(attempt, base=5).total_seconds() for _ in range(50)]
        assert all(5 <= d <= ceiling for d in delays)
    late = [webhooks.retry_delay(12, base=5).total_seconds() for _ in range(200)]
    assert max(late) > 3 * 3600 and min(late) < 3 * 3600  # spread over the whole range, not a fixed step


def test_three_days_of_failures_pause_the_subscriber_and_tell_the_editors(engine: sa.Engine) -> None:
    with receiver([500, 500]) as hook:
        sub_id = _subscribe(engine, hook)
        _publish(engine)
        _pump(engine)
        assert _sub(engine, sub_id).failing_since is not None
        _set(engine, kb.WebhookSubscription, sub_id, failing_since=kb.utcnow() - dt.timedelta(days=3, minutes=1))
        _pump(engine, later=dt.timedelta(hours=1))
        sub = _sub(engine, sub_id)
        assert sub.state == "paused" and "failed since" in (sub.state_reason or "")
        with kb.read_session(engine) as session:
            told = [e for e in kb.events_after(session, limit=1000) if e.action == "webhook.pause"]
            audited = kb.audit_entries(session=session, action="webhook.pause")
        assert [e.target for e in told] == [f"webhook {sub_id}"] and len(audited) == 1
        with kb.write_session(engine) as session:  # events go on queuing while it is paused
            kb.set_fact(session=session, key="fee", type="text", value="1", base_version=None, actor=WHO)
        assert _pump(engine, later=dt.timedelta(days=1)) == 0
        assert len(hook.requests) == 2
        assert [d.state for d in _deliveries(engine, sub_id)] == ["pending", "pending"]
        with kb.write_session(engine) as session:
            kb.resume_subscription(session=session, subscription_id=sub_id, actor=WHO)
        _pump(engine)
    assert [d.state for d in _deliveries(engine, sub_id)] == ["delivered", "delivered"]
    assert sorted(p["type"] for p in hook.accepted.values()) == ["article.published", "fact.changed"]
    assert _sub(engine, sub_id).state == "active" and _sub(engine, sub_id).failing_since is None


def test_410_gone_disables_the_subscription(engine: sa.Engine) -> None:
    with receiver([410]) as hook:
        sub_id = _subscribe(engine, hook)
        _publish(engine)
        _pump(engine)
        with kb.write_session(engine) as session:
            kb.set_fact(session=session, key="fee", type="text", value="1", base_version=None, actor=WHO)
        _pump(engine, later=dt.timedelta(days=1))
    sub = _sub(engine, sub_id)
    assert sub.state == "disabled" and "410" in (sub.state_reason or "")
    assert [d.state for d in _deliveries(engine, sub_id)] == ["failed"]  # nothing new for a gone receiver
    assert len(hook.requests) == 1


def test_gaps_and_cases_append_events_in_their_own_transaction(engine: sa.Engine, hook: Receiver) -> None:
    sub_id = _subscribe(engine, hook, ["gap.logged", "case.opened", "case.resolved"])
    gaps = GapLog(engine)
    for _ in range(2):
        gaps.note(Gap("recipe borscht", "recipe borscht?", "en", "bot", None, None))
    gaps.flush()
    gaps.note(Gap("recipe borscht", "recipe borscht?", "en", "bot", None, None))
    gaps.flush()  # the same question again: counted, not announced again
    with kb.write_session(engine) as session:
        person = contacts.create_contact(session=session, name="Olena")
        handoff = contacts.record_interaction(session=session, contact=person, channel="bot", outcome="handoff")
    with kb.write_session(engine) as session:
        contacts.resolve_case(session=session, case_id=handoff.case_id or 0, actor="op1")
    _pump(engine)
    kinds = [p["type"] for p in hook.accepted.values()]
    assert kinds == ["gap.logged", "case.opened", "case.resolved"]
    gap, opened, resolved = hook.accepted.values()
    assert gap["data"]["question"] == "recipe borscht?" and gap["data"]["locale"] == "en"
    assert opened["data"]["contact_id"] == person.id and opened["data"]["case_id"] == handoff.case_id
    assert resolved["data"]["actor"] == "op1"
    assert len(_deliveries(engine, sub_id)) == 3


def test_erasing_a_contact_erases_it_from_the_delivery_log(engine: sa.Engine, hook: Receiver) -> None:
    sub_id = _subscribe(engine, hook, ["gap.logged", "case.opened"])
    with kb.write_session(engine) as session:
        person = contacts.create_contact(session=session, name="Olena")
        contacts.record_interaction(session=session, contact=person, channel="bot", outcome="handoff")
    gaps = GapLog(engine)
    gaps.note(Gap("my card 4111", "my card [card] is blocked", "en", "bot", None, None, contact_id=person.id))
    gaps.flush()
    _pump(engine)
    assert all(str(person.id) in d.body for d in _deliveries(engine, sub_id))
    with kb.write_session(engine) as session:
        found = contacts.get_contact(session=session, contact_id=person.id or 0)
        counts = contacts.erase_contact(session=session, contact=found)
    assert counts["webhook_deliveries"] == 2
    for delivery in _deliveries(engine, sub_id):
        assert json.loads(delivery.body)["data"] == {"redacted": True}
        assert delivery.contact_id is None and "[card]" not in delivery.body
    with kb.read_session(engine) as session:
        events = [e for e in kb.events_after(session, limit=1000) if e.action in {"gap.logged", "case.open"}]
    assert events and all("contact_id" not in e.detail and "question" not in e.detail for e in events)


def test_a_stale_attempt_job_does_nothing_after_a_replay(engine: sa.Engine, hook: Receiver) -> None:
    sub_id = _subscribe(engine, hook)
    _publish(engine)
    with kb.write_session(engine) as session:
        webhooks.fan_out(session)
    (delivery,) = _deliveries(engine, sub_id)
    with kb.write_session(engine) as session:  # a replay before the first attempt ran
        kb.replay_delivery(session=session, delivery_id=delivery.id or 0, actor=WHO)
    assert kb.run_due_jobs(engine, worker="test", limit=100) == 2
    assert len(hook.requests) == 1
    with kb.read_session(engine) as session:
        queued = session.exec(select(kb.Job).where(kb.Job.kind == "webhooks.deliver", col(kb.Job.state) != "done"))
        assert list(queued) == []


def test_deleting_a_subscription_deletes_its_log(engine: sa.Engine, hook: Receiver) -> None:
    sub_id = _subscribe(engine, hook)
    _publish(engine)
    with kb.write_session(engine) as session:
        webhooks.fan_out(session)
    with kb.write_session(engine) as session:
        kb.delete_subscription(session=session, subscription_id=sub_id, actor=WHO)
    kb.run_due_jobs(engine, worker="test", limit=100)  # the queued attempt finds nothing and ends
    assert hook.requests == []
    with kb.read_session(engine) as session:
        assert session.exec(select(kb.WebhookDelivery)).all() == []
        with pytest.raises(kb.WebhookNotFound):
            kb.get_subscription(session=session, subscription_id=sub_id)


def test_finished_deliveries_are_pruned_with_the_events_and_pending_ones_kept(engine: sa.Engine) -> None:
    with receiver([500]) as hook:
        sub_id = _subscribe(engine, hook)
        _publish(engine)
        with kb.write_session(engine) as session:
            kb.set_fact(session=session, key="fee", type="text", value="1", base_version=None, actor=WHO)
        _pump(engine)
    delivered, pending = sorted(_deliveries(engine, sub_id), key=lambda d: d.state)
    assert (delivered.state, pending.state) == ("delivered", "pending")
    month_ago = kb.utcnow() - webhooks.LOG_KEEP - dt.timedelta(days=1)
    for delivery in (delivered, pending):
        _set(engine, kb.WebhookDelivery, delivery.id or 0, created_at=month_ago)
    with kb.write_session(engine) as session:
        assert webhooks.prune_deliveries(session, before=kb.utcnow() - webhooks.LOG_KEEP) == 1
    assert [d.id for d in _deliveries(engine, sub_id)] == [pending.id]


def test_review_steps_and_schedule_outcomes_are_told_with_their_words_to_staff_only() -> None:
    from sqlmodel import Session as _Session

    from kb.models import OutboxEvent
    from kb.webhooks.payloads import build_body

    step = OutboxEvent(
        action="review.request_changes",
        target="en/top-up",
        actor="anna",
        role="editor",
        new_revision=3,
        detail={"content_hash": "abc", "comment": "the price is wrong"},
    )
    skipped = OutboxEvent(
        action="schedule.skip",
        target="ru/top-up",
        actor="boris",
        role="schedule",
        base_revision=2,
        detail={"schedule": 7, "outcome": "skipped: anna published revision 4 by hand"},
    )
    engine = kb.make_engine("sqlite://")
    with _Session(engine) as session:
        public = build_body(session, step, public=True)
        staff = build_body(session, step, public=False)
        told = build_body(session, skipped, public=False)
    assert public is not None and staff is not None and told is not None
    assert public.type == "review.changes_requested" and "the price is wrong" not in public.text
    assert '"comment":"the price is wrong"' in staff.text and '"actor":"anna"' in staff.text
    assert told.type == "schedule.skipped" and '"revision":2' in told.text and "by hand" in told.text

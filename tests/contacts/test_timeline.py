"""Timeline, cases and merges on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import sqlalchemy as sa

import contacts
import kb
from tests.helpers import article, save


def _top_up(engine: sa.Engine) -> contacts.ArticleRef:
    saved = save(engine, article(key="top-up", locale="en", title="Top up", category="billing"))
    return contacts.ArticleRef("top-up", "en", saved.revision.number)


def test_a_handoff_opens_one_case_per_topic_that_later_channels_join(engine: sa.Engine) -> None:
    served = _top_up(engine)
    with kb.write_session(engine) as s:
        c = contacts.create_contact(session=s, identities=[contacts.normalise("web", "v1")])
        first = contacts.record_interaction(session=s, contact=c, channel="chat", outcome="handoff", article=served)
        again = contacts.record_interaction(session=s, contact=c, channel="chat", outcome="escalated", topic="billing")
        call = contacts.record_interaction(session=s, contact=c, channel="ivr", outcome="answered", topic="billing")
        other = contacts.record_interaction(session=s, contact=c, channel="ivr", outcome="handoff", topic="roaming")
        plain = contacts.record_interaction(session=s, contact=c, channel="sms", outcome="answered")
    assert first.case_id is not None and first.topic == "billing" and first.content_hash
    assert again.case_id == call.case_id == first.case_id
    assert other.case_id not in (None, first.case_id)
    assert plain.case_id is None
    with kb.write_session(engine) as s:
        done = contacts.record_interaction(session=s, contact=c, channel="phone", outcome="resolved", topic="billing")
        assert done.case_id == first.case_id
        assert contacts.get_case(session=s, case_id=first.case_id or 0).status == "resolved"
        assert [x.topic for x in contacts.open_cases(session=s, contact_id=c.id or 0)] == ["roaming"]


def test_bad_outcomes_and_scores_change_nothing(engine: sa.Engine) -> None:
    with kb.write_session(engine) as s:
        c = contacts.create_contact(session=s)
    for kwargs in ({"outcome": "meh"}, {"outcome": "answered", "csat": 9}):
        with pytest.raises(kb.InvalidChange), kb.write_session(engine) as s:
            contacts.record_interaction(session=s, contact=c, channel="chat", **kwargs)


def test_context_counts_topics_of_90_days_and_suggests_unserved_articles(engine: sa.Engine) -> None:
    served = _top_up(engine)
    save(engine, article(key="autopay", locale="en", title="Autopay", category="billing"))
    with kb.write_session(engine) as s:
        for key in ("top-up", "autopay"):
            kb.publish(session=s, article=kb.get_article(session=s, key=key, locale="en"), revision=None, actor="t")
        c = contacts.create_contact(session=s, locale="en")
        old = kb.utcnow() - dt.timedelta(days=120)
        for _ in range(3):
            contacts.record_interaction(
                session=s, contact=c, channel="sms", outcome="answered", topic="roaming", at=old
            )
        contacts.record_interaction(session=s, contact=c, channel="chat", outcome="answered", article=served)
        contacts.record_interaction(session=s, contact=c, channel="chat", outcome="answered", topic="sim")
        contacts.record_interaction(session=s, contact=c, channel="chat", outcome="answered", topic="billing")
        ctx = contacts.build_context(session=s, contact=c)
    assert ctx.frequent_topics == [("billing", 2), ("sim", 1)]
    assert [(x.key, x.locale) for x in ctx.served] == [("top-up", "en")]
    assert [x.key for x in ctx.suggested] == ["autopay"]
    assert len(ctx.last_interactions) == 6 and ctx.open_cases == []


def test_merge_moves_everything_and_undo_moves_exactly_that_back(engine: sa.Engine) -> None:
    with kb.write_session(engine) as s:
        kept = contacts.create_contact(session=s, name="Kept", identities=[contacts.normalise("crm", "K")])
        other = contacts.create_contact(session=s, segments=["business"], identities=[contacts.normalise("web", "v")])
        contacts.record_interaction(session=s, contact=other, channel="chat", outcome="handoff", topic="sim")
        record = contacts.merge_contacts(session=s, kept_id=kept.id or 0, other_id=other.id or 0, actor="t")
    with kb.write_session(engine) as s:
        survivor = contacts.lookup(session=s, address=contacts.normalise("web", "v"))
        assert survivor.id == kept.id and survivor.segments == ["business"]
        assert contacts.open_topics(session=s, contact_id=kept.id or 0) == ["sim"]
        contacts.add_identity(session=s, contact=survivor, address=contacts.normalise("email", "k@sfera.lv"))
        with pytest.raises(contacts.MergeConflict):
            contacts.merge_contacts(session=s, kept_id=other.id or 0, other_id=kept.id or 0, actor="t")
    with kb.write_session(engine) as s:
        contacts.undo_merge(session=s, merge_id=record.id or 0, actor="t")
    with kb.read_session(engine) as s:
        assert contacts.lookup(session=s, address=contacts.normalise("web", "v")).id == other.id
        assert contacts.lookup(session=s, address=contacts.normalise("email", "k@sfera.lv")).id == kept.id
        assert contacts.get_contact(session=s, contact_id=kept.id or 0).segments == []
        assert contacts.open_topics(session=s, contact_id=other.id or 0) == ["sim"]


def test_first_sight_creates_once(engine: sa.Engine) -> None:
    address = contacts.normalise("phone", "+37129000001")
    with kb.write_session(engine) as s:
        first, created = contacts.ensure_contact(session=s, address=address)
        again, created_again = contacts.ensure_contact(session=s, address=address)
    assert created and not created_again and first.id == again.id


def test_an_outside_message_is_recorded_once_per_channel_and_its_redelivery_opens_no_case(engine: sa.Engine) -> None:
    with kb.write_session(engine) as s:
        c = contacts.create_contact(session=s, identities=[contacts.normalise("telegram", "501")])
        first = contacts.record_interaction(
            session=s, contact=c, channel="telegram", outcome="handoff", topic="billing", message_id="update:1"
        )
        other_channel = contacts.record_interaction(
            session=s, contact=c, channel="whatsapp", outcome="answered", message_id="update:1"
        )
    with kb.write_session(engine) as s, pytest.raises(contacts.AlreadyRecorded) as seen:
        contacts.record_interaction(
            session=s, contact=c, channel="telegram", outcome="handoff", topic="roaming", message_id="update:1"
        )
    assert seen.value.interaction.id == first.id and seen.value.status == 409
    assert other_channel.id != first.id  # ids are unique per channel, not across channels
    with kb.read_session(engine) as s:
        assert [x.topic for x in contacts.open_cases(session=s, contact_id=c.id or 0)] == ["billing"]


def test_two_deliveries_at_once_record_one_and_the_second_keeps_no_case(engine: sa.Engine) -> None:
    """The second passes the check before the first commits: the unique index (PostgreSQL) or the
    write lock (SQLite) stops it, and it leaves nothing behind, not even the case it opened."""
    with kb.write_session(engine) as s:
        c = contacts.create_contact(session=s, identities=[contacts.normalise("telegram", "502")])
    recorded, release, outcome = threading.Event(), threading.Event(), {}

    def first() -> None:
        with kb.write_session(engine) as s:
            contacts.record_interaction(
                session=s, contact=c, channel="telegram", outcome="handoff", topic="billing", message_id="update:9"
            )
            recorded.set()
            release.wait(10)

    def second() -> None:
        try:
            with kb.write_session(engine) as s:
                contacts.record_interaction(
                    session=s, contact=c, channel="telegram", outcome="handoff", topic="roaming", message_id="update:9"
                )
        except contacts.AlreadyRecorded as seen:
            outcome["seen"] = seen

    one = threading.Thread(target=first)
    one.start()
    assert recorded.wait(10)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.5)  # let the second reach the index or the lock before the first commits
    release.set()
    one.join(10)
    two.join(30)
    assert "seen" in outcome
    with kb.read_session(engine) as s:
        assert [x.topic for x in contacts.open_cases(session=s, contact_id=c.id or 0)] == ["billing"]

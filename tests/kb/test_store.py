"""Revisions, publishing, history, time travel and optimistic concurrency, on both databases."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import sqlalchemy as sa
from sqlmodel import select

import kb
from kb.models import LogEntry
from tests.helpers import article, save, snapshot


def _article(engine: sa.Engine, key: str = "check-balance", locale: str = "en") -> kb.Article:
    with kb.read_session(engine) as session:
        return kb.get_article(session=session, key=key, locale=locale)


def _publish(engine: sa.Engine, revision: int | None = None, key: str = "check-balance") -> kb.LogEntry | None:
    with kb.write_session(engine) as session:
        art = kb.get_article(session=session, key=key, locale="en")
        return kb.publish(session=session, article=art, revision=revision, actor="editor")


def _log(engine: sa.Engine) -> list[LogEntry]:
    with kb.read_session(engine) as session:
        return list(session.exec(select(LogEntry).order_by(LogEntry.seq)))  # type: ignore[arg-type]


def test_revisions_are_numbered_and_immutable(engine: sa.Engine) -> None:
    first = save(engine, article(body="One."))
    second = save(engine, article(body="Two."), base=1)
    assert (first.revision.number, second.revision.number) == (1, 2)
    with kb.read_session(engine) as session:
        art = kb.get_article(session=session, key="check-balance", locale="en")
        revs = kb.history(session=session, article=art)
    assert [r.number for r in revs] == [1, 2]
    assert "One." in revs[0].source and "Two." in revs[1].source
    assert revs[0].content_hash != revs[1].content_hash and len(revs[0].content_hash) == 64
    assert revs[1].created_at.tzinfo is not None and revs[1].author == "tester"
    assert art.draft_revision == 2 and art.published_revision is None


def test_saving_unchanged_content_writes_nothing(engine: sa.Engine) -> None:
    save(engine, article())
    again = save(engine, article(), base=1)
    assert not again.created and again.revision.number == 1


def test_stale_base_is_a_conflict_and_changes_nothing(engine: sa.Engine) -> None:
    save(engine, article(body="One."))
    save(engine, article(body="Two."), base=1)
    before = snapshot(engine)
    with pytest.raises(kb.RevisionConflict) as err:
        save(engine, article(body="Three."), base=1)
    assert err.value.status == 412 and err.value.current == 2
    assert snapshot(engine) == before


def test_creating_twice_is_a_conflict(engine: sa.Engine) -> None:
    save(engine, article())
    with pytest.raises(kb.RevisionConflict):
        save(engine, article(body="Other."), base=None)


def test_publish_moves_the_pointer_and_logs_gap_free(engine: sa.Engine) -> None:
    save(engine, article(body="One."))
    save(engine, article(key="top-up", title="Top up", body="Pay."))
    first = _publish(engine)
    assert first is not None and first.seq == 1 and first.revision == 1
    assert _publish(engine) is None  # already live: no new entry
    save(engine, article(body="Two."), base=1)
    second = _publish(engine)
    third = _publish(engine, key="top-up")
    assert second is not None and third is not None
    assert [e.seq for e in _log(engine)] == [1, 2, 3]
    assert _article(engine).published_revision == 2


def test_unpublish_and_rollback(engine: sa.Engine) -> None:
    save(engine, article(body="Good text."))
    _publish(engine)
    save(engine, article(body="Bad text."), base=1)
    _publish(engine)
    with kb.write_session(engine) as session:
        art = kb.get_article(session=session, key="check-balance", locale="en")
        entry = kb.rollback(session=session, article=art, to_revision=1, base_revision=2, actor="editor")
    assert entry.kind == "rollback" and entry.revision == 3
    with kb.read_session(engine) as session:
        art = kb.get_article(session=session, key="check-balance", locale="en")
        live = kb.get_revision(session=session, article=art, number=3)
        assert "Good text." in live.source and art.published_revision == 3
        assert [r.number for r in kb.history(session=session, article=art)] == [1, 2, 3]
    with kb.write_session(engine) as session:
        art = kb.get_article(session=session, key="check-balance", locale="en")
        assert kb.unpublish(session=session, article=art, actor="editor") is not None
        assert kb.unpublish(session=session, article=art, actor="editor") is None
    assert [e.kind for e in _log(engine)] == ["publish", "publish", "rollback", "unpublish"]
    assert _article(engine).published_revision is None


def test_rollback_from_stale_base_conflicts(engine: sa.Engine) -> None:
    save(engine, article(body="One."))
    save(engine, article(body="Two."), base=1)
    with kb.write_session(engine) as session, pytest.raises(kb.RevisionConflict):
        art = kb.get_article(session=session, key="check-balance", locale="en")
        kb.rollback(session=session, article=art, to_revision=1, base_revision=1, actor="editor")


def test_diff_between_revisions(engine: sa.Engine) -> None:
    save(engine, article(body="Dial the code.\nPress call."))
    save(engine, article(body="Dial the code.\nPress the green button."), base=1)
    with kb.read_session(engine) as session:
        art = kb.get_article(session=session, key="check-balance", locale="en")
        text = kb.diff(session=session, article=art, from_revision=1, to_revision=2)
    assert "--- en/check-balance@1" in text and "+++ en/check-balance@2" in text
    assert "-Press call." in text and "+Press the green button." in text


def test_time_travel_answers_what_was_live_then(engine: sa.Engine) -> None:
    save(engine, article(body="Version one."))
    before_anything = dt.datetime.now(dt.UTC)
    time.sleep(0.01)
    _publish(engine)
    time.sleep(0.01)
    after_first = dt.datetime.now(dt.UTC)
    time.sleep(0.01)
    save(engine, article(body="Version two."), base=1)
    _publish(engine)
    time.sleep(0.01)
    after_second = dt.datetime.now(dt.UTC)
    with kb.write_session(engine) as session:
        art = kb.get_article(session=session, key="check-balance", locale="en")
        kb.unpublish(session=session, article=art, actor="editor")
    after_unpublish = dt.datetime.now(dt.UTC)
    with kb.read_session(engine) as session:
        art = kb.get_article(session=session, key="check-balance", locale="en")

        def live(at: dt.datetime) -> int | None:
            rev = kb.published_at(session=session, article=art, at=at)
            return rev.number if rev else None

        assert live(before_anything) is None
        assert live(after_first) == 1
        assert live(after_second) == 2
        assert live(after_unpublish) is None


def test_fact_change_logs_every_published_unit_using_it(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        kb.set_fact(
            session=session,
            key="support_phone",
            type="phone",
            value="+371 67 000 100",
            base_version=None,
            actor="editor",
        )
    save(engine, article(body="Call {{ support_phone }}."))
    save(engine, article(key="top-up", title="Top up", body="Also {{ support_phone }}."))
    save(engine, article(key="other", title="Other", body="No facts."))
    _publish(engine)
    _publish(engine, key="other")  # published but does not use the fact
    # top-up uses the fact but is not published: no entry for it
    with kb.write_session(engine) as session:
        fact = kb.set_fact(
            session=session, key="support_phone", type="phone", value="+37167000200", base_version=1, actor="editor"
        )
    assert fact.version == 2 and fact.value == "+37167000200"
    entries = [e for e in _log(engine) if e.kind == "fact"]
    assert [(e.key, e.fact_key, e.revision) for e in entries] == [("check-balance", "support_phone", 1)]
    with kb.read_session(engine) as session:
        assert [v.value for v in kb.fact_history(session=session, key="support_phone")] == [
            "+37167000100",
            "+37167000200",
        ]


@pytest.mark.parametrize(
    ("ftype", "value", "stored"),
    [
        ("phone", "+371 67 000 100", "+37167000100"),
        ("money", "5 EUR", "5 EUR"),
        ("money", "2.99 EUR", "2.99 EUR"),
        ("number", "15", 15),
        ("date", "2026-09-01", "2026-09-01"),
        ("url", "https://sfera.example/help", "https://sfera.example/help"),
        ("text", "  every day  ", "every day"),
    ],
)
def test_fact_values_are_checked_and_canonical(
    sqlite_engine: sa.Engine, ftype: str, value: str, stored: object
) -> None:
    with kb.write_session(sqlite_engine) as session:
        fact = kb.set_fact(session=session, key="f", type=ftype, value=value, base_version=None, actor="e")
    assert fact.value == stored


@pytest.mark.parametrize(
    ("ftype", "value"),
    [
        ("phone", "12345"),
        ("money", "5 euros"),
        ("money", "5 XXY"),
        ("number", "many"),
        ("date", "next monday"),
        ("url", "javascript:alert(1)"),
        ("colour", "red"),
        ("text", "  "),
    ],
)
def test_bad_fact_values_are_refused(sqlite_engine: sa.Engine, ftype: str, value: str) -> None:
    before = snapshot(sqlite_engine)
    with pytest.raises(kb.InvalidChange), kb.write_session(sqlite_engine) as session:
        kb.set_fact(session=session, key="f", type=ftype, value=value, base_version=None, actor="e")
    assert snapshot(sqlite_engine) == before


def test_stale_fact_change_conflicts(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        kb.set_fact(session=session, key="hours", type="text", value="9-18", base_version=None, actor="e")
    with kb.write_session(engine) as session:
        kb.set_fact(session=session, key="hours", type="text", value="8-22", base_version=1, actor="e")
    with pytest.raises(kb.RevisionConflict), kb.write_session(engine) as session:
        kb.set_fact(session=session, key="hours", type="text", value="0-24", base_version=1, actor="e")


def test_unknown_fact_in_a_draft_is_refused(engine: sa.Engine) -> None:
    with pytest.raises(kb.ContentError) as err:
        save(engine, article(body="Call {{ nowhere }}."))
    assert "unknown fact {{ nowhere }}" in str(err.value)


def test_synonym_sets_are_kept_per_locale_with_versions(engine: sa.Engine) -> None:
    with kb.write_session(engine) as session:
        syn = kb.create_set(session=session, locale="ru", terms=["Баланс", "остаток", "счёт", "остаток"], actor="e")
    assert syn.terms == ["баланс", "остаток", "счёт"] and syn.version == 1
    with kb.write_session(engine) as session:
        kb.update_set(session=session, set_id=syn.id or 0, terms=["баланс", "остаток"], base_version=1, actor="e")
    with pytest.raises(kb.RevisionConflict), kb.write_session(engine) as session:
        kb.update_set(session=session, set_id=syn.id or 0, terms=["a", "b"], base_version=1, actor="e")
    with kb.read_session(engine) as session:
        assert [s.terms for s in kb.list_sets(session=session, locale="ru")] == [["баланс", "остаток"]]
        assert kb.list_sets(session=session, locale="en") == []


def test_two_writers_from_the_same_base_exactly_one_wins(engine: sa.Engine) -> None:
    save(engine, article(body="Base."))
    writers = 8
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def write(i: int) -> None:
        barrier.wait()
        try:
            save(engine, article(body=f"Writer {i}."), base=1, actor=f"w{i}")
            result = "won"
        except kb.RevisionConflict:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["conflict"] * (writers - 1) + ["won"]
    with kb.read_session(engine) as session:
        art = kb.get_article(session=session, key="check-balance", locale="en")
        assert [r.number for r in kb.history(session=session, article=art)] == [1, 2]


def test_concurrent_publishers_keep_the_log_gap_free(engine: sa.Engine) -> None:
    keys = [f"topic-{i}" for i in range(6)]
    for key in keys:
        save(engine, article(key=key, title=key))
    barrier = threading.Barrier(len(keys))

    def publish(key: str) -> None:
        barrier.wait()
        with kb.write_session(engine) as session:
            art = kb.get_article(session=session, key=key, locale="en")
            kb.publish(session=session, article=art, actor="editor")

    threads = [threading.Thread(target=publish, args=(k,)) for k in keys]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert [e.seq for e in _log(engine)] == list(range(1, len(keys) + 1))


def test_counts_by_locale(engine: sa.Engine) -> None:
    save(engine, article())
    save(engine, article(locale="ru", title="Баланс"))
    _publish(engine)
    with kb.read_session(engine) as session:
        assert kb.counts_by_locale(session=session) == {
            "en": {"articles": 1, "published": 1},
            "ru": {"articles": 1, "published": 0},
        }


def test_publish_all_publishes_only_drafts_not_live_and_continues_the_log(engine: sa.Engine) -> None:
    save(engine, article(key="a", title="A"))
    save(engine, article(key="b", title="B"))
    save(engine, article(key="c", title="C"))
    _publish(engine, key="a")
    save(engine, article(key="a", title="A", body="Changed."), base=1)
    save(engine, article(key="c", title="C", body="Changed."), base=1)
    with kb.write_session(engine) as session:
        assert kb.publish_all(session=session, actor="editor") == 3
    with kb.write_session(engine) as session:
        assert kb.publish_all(session=session, actor="editor") == 0
    log = _log(engine)
    assert [(e.seq, e.key, e.revision) for e in log] == [(1, "a", 1), (2, "a", 2), (3, "b", 1), (4, "c", 2)]
    with kb.read_session(engine) as session:
        live = {a.key: a.published_revision for a in kb.list_articles(session=session)}
    assert live == {"a": 2, "b": 1, "c": 2}

"""Announcements are content units (`kind: announcement`): given only inside their time box, only to
their audience (region, segment), in the asker's locale or else the default one; they go live, come
off and wait for approval exactly as articles do. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

import kb
from tests.helpers import article, save

NOON = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
ANN = kb.Actor(name="ann", role="editor")
BOB = kb.Actor(name="bob", role="editor")


def notice(
    key: str = "riga-outage",
    locale: str = "ru",
    *,
    starts: str | None = "2026-12-03T13:00:00+02:00",
    ends: str = "2026-12-03T18:00:00+02:00",
    **front: object,
) -> str:
    extra: dict[str, object] = {"kind": "announcement", "until": ends, "summary": "Нет связи в Риге до 18:00."}
    if starts is not None:
        extra["from"] = starts
    return article(key=key, locale=locale, title="Авария в Риге", body="Чиним кабель.", **(extra | front))


def publish(engine: sa.Engine, source: str, actor: kb.Actor | str = "tester") -> None:
    saved = save(engine, source)
    with kb.write_session(engine) as session:
        a = kb.get_article(session=session, key=saved.article.key, locale=saved.article.locale)
        kb.publish(session=session, article=a, actor=actor)


def keys(engine: sa.Engine, *, now: dt.datetime = NOON, locale: str = "ru", **audience: object) -> list[str]:
    with kb.read_session(engine) as session:
        return [a.key for a in kb.announced(session=session, locale=locale, now=now, **audience)]  # type: ignore[arg-type]


def test_an_announcement_is_given_inside_its_time_box_only(engine: sa.Engine) -> None:
    publish(engine, notice())  # 11:00 to 16:00 UTC
    assert keys(engine, now=NOON - dt.timedelta(hours=1, seconds=1)) == []  # before `from`
    assert keys(engine, now=NOON - dt.timedelta(hours=1)) == ["riga-outage"]  # from its first second
    assert keys(engine, now=NOON + dt.timedelta(hours=3, minutes=59)) == ["riga-outage"]
    assert keys(engine, now=NOON + dt.timedelta(hours=4)) == []  # `until` is the end: gone without a publish
    with kb.read_session(engine) as session:
        [given] = kb.announced(session=session, locale="ru", now=NOON)
    assert given.summary == "Нет связи в Риге до 18:00." and given.ends == dt.datetime(2026, 12, 3, 16, tzinfo=dt.UTC)


def test_without_from_it_is_given_as_soon_as_it_is_live_and_a_draft_is_never_given(engine: sa.Engine) -> None:
    save(engine, notice(key="draft-only"))
    publish(engine, notice(key="works", starts=None))
    assert keys(engine, now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)) == ["works"]


def test_regions_and_segments_choose_the_audience(engine: sa.Engine) -> None:
    publish(engine, notice(key="everyone"))
    publish(engine, notice(key="latvia", regions=["LV"]))
    publish(engine, notice(key="business", segments=["business"]))
    assert sorted(keys(engine)) == ["everyone"]  # an unknown region meets no regional notice
    assert sorted(keys(engine, region="LV")) == ["everyone", "latvia"]
    assert sorted(keys(engine, region="lv")) == ["everyone", "latvia"]
    assert sorted(keys(engine, region="UA")) == ["everyone"]
    assert sorted(keys(engine, region="LV", segments=["business"])) == ["business", "everyone", "latvia"]
    assert sorted(keys(engine, segments=["private"])) == ["everyone"]


def test_the_askers_locale_first_else_the_default_locale(engine: sa.Engine) -> None:
    publish(engine, notice(key="both"))
    publish(engine, notice(key="both", locale="uk"))
    publish(engine, notice(key="ru-only"))
    with kb.read_session(engine) as session:
        given = {(a.key, a.locale) for a in kb.announced(session=session, locale="uk", now=NOON)}
    assert given == {("both", "uk"), ("ru-only", "ru")}  # told in Russian rather than not at all


def test_unpublishing_takes_it_off_at_once(engine: sa.Engine) -> None:
    publish(engine, notice())
    assert keys(engine) == ["riga-outage"]
    with kb.write_session(engine) as session:
        a = kb.get_article(session=session, key="riga-outage", locale="ru")
        kb.unpublish(session=session, article=a, actor="t")
    assert keys(engine) == []


def test_a_scheduled_publish_puts_it_live_like_an_article(engine: sa.Engine) -> None:
    save(engine, notice(starts=None))
    due = kb.utcnow() + dt.timedelta(minutes=5)
    with kb.write_session(engine) as session:
        a = kb.get_article(session=session, key="riga-outage", locale="ru")
        kb.schedule_publish(session=session, article=a, revision=1, at=due, actor=ANN)
    kb.run_due_jobs(engine, worker="test")
    assert keys(engine, now=dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC)) == []
    kb.run_due_jobs(engine, worker="test", now=due + dt.timedelta(seconds=1))
    assert keys(engine, now=dt.datetime(2026, 12, 3, 15, tzinfo=dt.UTC)) == ["riga-outage"]


def test_it_waits_for_the_approval_its_category_asks_for(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "workflows.yaml"
    rules.write_text("default:\n  approvals: 0\nnotices:\n  approvals: 1\n  reviewers: [editor]\n", encoding="utf-8")
    monkeypatch.setenv("ISTOK_WORKFLOWS", str(rules))
    with kb.write_session(engine) as session:
        kb.save_draft(session=session, source=notice(category="notices"), base_revision=None, actor=ANN)
    with kb.write_session(engine) as session, pytest.raises(kb.ReviewRequired):
        kb.publish(session=session, article=kb.get_article(session=session, key="riga-outage", locale="ru"), actor=BOB)
    assert keys(engine) == []
    with kb.write_session(engine) as session:
        a = kb.get_article(session=session, key="riga-outage", locale="ru")
        kb.submit_review(session, a, actor=ANN)
        kb.approve(session, a, actor=BOB)
        kb.publish(session=session, article=a, actor=BOB)
    assert keys(engine) == ["riga-outage"]


@pytest.mark.parametrize(
    ("front", "problem"),
    [
        ({"kind": "announcement", "summary": "x"}, "needs 'until'"),
        ({"kind": "announcement", "until": "2026-12-03T18:00:00Z"}, "needs a 'summary'"),
        ({"kind": "announcement", "summary": "x", "until": "2026-12-03 18:00"}, "has no zone"),
        ({"kind": "announcement", "summary": "x", "until": "2026-12-03"}, "not a date"),
        (
            {"kind": "announcement", "summary": "x", "from": "2026-12-03T18:00:00Z", "until": "2026-12-03T17:00:00Z"},
            "must come after 'from'",
        ),
        ({"kind": "announcement", "summary": "x", "until": "2026-12-03T18:00:00Z", "regions": ["Latvia"]}, "LV"),
        ({"until": "2026-12-03T18:00:00Z"}, "belongs to announcements only"),
        ({"kind": "banner"}, "kind must be one of"),
    ],
)
def test_a_malformed_announcement_is_refused_with_its_line(front: dict[str, object], problem: str) -> None:
    with pytest.raises(kb.ContentError) as caught:
        kb.parse_source(article(key="bad", **front), file="bad.md")
    assert any(problem in p.message and p.line >= 2 for p in caught.value.problems), caught.value.problems

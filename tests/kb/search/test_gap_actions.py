"""Editors dismiss content gaps and merge them; erasing a contact still removes every word it left."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

import kb
from kb.models import ContentGapState
from kb.search.gaps import Gap, GapLog

EDITOR = kb.Actor(name="anna", role="editor")


def _ask(
    engine: sa.Engine,
    question: str,
    *,
    times: int = 1,
    locale: str = "ru",
    channel: str = "web",
    contact: int | None = None,
) -> None:
    """The answer engine's own writer notes and writes the question, as after a handoff."""
    log = GapLog(engine)
    for _ in range(times):
        log.note(Gap(question.lower(), question, locale, channel, None, None, contact))
    log.flush()


def _listed(engine: sa.Engine, **kw: object) -> dict[str, kb.GapGroup]:
    with kb.read_session(engine) as session:
        return {g.normalised: g for g in kb.list_gaps(session=session, **kw)}  # type: ignore[arg-type]


def _actions(engine: sa.Engine) -> list[tuple[str, str, dict[str, object]]]:
    with kb.read_session(engine) as session:
        audit = [(e.action, e.target, dict(e.detail)) for e in kb.audit_entries(session=session, limit=100)]
        events = {(e.action, e.target) for e in session.exec(select(kb.OutboxEvent))}
    assert {(a, t) for a, t, _ in audit if a.startswith("gap.")} <= events  # each action emitted its event
    return [row for row in audit if row[0].startswith("gap.")]


def test_a_dismissed_gap_stays_dismissed_when_asked_again_until_restored(engine: sa.Engine) -> None:
    _ask(engine, "где ближайший офис", times=2)
    _ask(engine, "рецепт борща")
    office = _listed(engine)["где ближайший офис"]
    with kb.write_session(engine) as session:
        kb.dismiss_gap(session=session, gap_id=office.id, actor=EDITOR)
    assert set(_listed(engine)) == {"рецепт борща"}
    _ask(engine, "где ближайший офис")  # asked again, anonymously and by a contact: no resurrection
    _ask(engine, "где ближайший офис", contact=41)
    assert set(_listed(engine)) == {"рецепт борща"}
    hidden = _listed(engine, dismissed=True)
    assert set(hidden) == {"где ближайший офис"}
    assert hidden["где ближайший офис"].count == 4
    assert hidden["где ближайший офис"].dismissed_by == "anna"
    assert hidden["где ближайший офис"].dismissed_at is not None
    with pytest.raises(kb.InvalidChange, match="dismissed already"), kb.write_session(engine) as session:
        kb.dismiss_gap(session=session, gap_id=hidden["где ближайший офис"].id, actor=EDITOR)
    with pytest.raises(kb.GapNotFound), kb.write_session(engine) as session:
        kb.dismiss_gap(session=session, gap_id=999_999, actor=EDITOR)
    with kb.write_session(engine) as session:
        kb.restore_gap(session=session, gap_id=office.id, actor=EDITOR)
    assert _listed(engine)["где ближайший офис"].count == 4
    assert _listed(engine, dismissed=True) == {}
    actions = _actions(engine)
    assert [(a, t) for a, t, _ in actions] == [
        ("gap.restore", f"gaps/{office.id}"),
        ("gap.dismiss", f"gaps/{office.id}"),
    ]
    assert "офис" not in repr(actions)  # audit and events name gaps by id, never by a client's words


def test_merged_gaps_are_one_entry_with_counts_summed_and_wordings_kept(engine: sa.Engine) -> None:
    _ask(engine, "где ближайший офис", times=3, channel="ivr")
    _ask(engine, "адрес офиса", times=2)
    _ask(engine, "офис на карте", contact=5)
    _ask(engine, "рецепт борща")
    _ask(engine, "where is the office", locale="en")
    found = _listed(engine)
    main, address, on_map = found["где ближайший офис"], found["адрес офиса"], found["офис на карте"]
    with kb.write_session(engine) as session:
        kb.merge_gaps(session=session, into=main.id, gap_ids=[address.id, on_map.id], actor=EDITOR)
    after = _listed(engine)
    assert set(after) == {"где ближайший офис", "рецепт борща", "where is the office"}
    group = after["где ближайший офис"]
    assert (group.count, group.channel, group.question) == (6, "ivr", "где ближайший офис")
    assert group.examples == ("адрес офиса", "офис на карте")  # most asked first
    _ask(engine, "адрес офиса")  # a merged question asked again counts for its group
    assert _listed(engine)["где ближайший офис"].count == 7
    by_main_channel = _listed(engine, channel="web", locale="ru")  # a group is listed under its main question's channel
    assert set(by_main_channel) == {"рецепт борща"}
    with pytest.raises(kb.InvalidChange, match="one locale"), kb.write_session(engine) as session:
        kb.merge_gaps(session=session, into=main.id, gap_ids=[after["where is the office"].id], actor=EDITOR)
    with pytest.raises(kb.InvalidChange, match="nothing to merge"), kb.write_session(engine) as session:
        kb.merge_gaps(session=session, into=main.id, gap_ids=[address.id], actor=EDITOR)
    merged = [d for a, _, d in _actions(engine) if a == "gap.merge"]
    assert merged == [{"gap": main.id, "merged": sorted([address.id, on_map.id]), "questions": 2, "locale": "ru"}]


def test_merging_a_group_brings_its_members_and_the_main_groups_dismissal_holds(engine: sa.Engine) -> None:
    for q in ("один", "два", "три", "четыре"):
        _ask(engine, q)
    ids = {n: g.id for n, g in _listed(engine).items()}
    with kb.write_session(engine) as session:
        kb.merge_gaps(session=session, into=ids["два"], gap_ids=[ids["один"]], actor=EDITOR)
        kb.dismiss_gap(session=session, gap_id=ids["три"], actor=EDITOR)
    with kb.write_session(engine) as session:  # "два" (with "один") into "три", by naming the member
        kb.merge_gaps(session=session, into=ids["три"], gap_ids=[ids["один"]], actor=EDITOR)
    assert set(_listed(engine)) == {"четыре"}
    group = _listed(engine, dismissed=True)["три"]
    assert (group.count, sorted(group.examples)) == (3, ["два", "один"])
    with kb.read_session(engine) as session:
        states = {s.normalised: s for s in session.exec(select(ContentGapState))}
    assert states["один"].merged_into == states["три"].id == states["два"].merged_into  # one level deep
    with kb.write_session(engine) as session:
        kb.restore_gap(session=session, gap_id=ids["один"], actor=EDITOR)  # any member's id names the group
    assert _listed(engine)["три"].count == 3


def test_erasing_a_contact_removes_its_words_kept_as_merged_examples(engine: sa.Engine) -> None:
    _ask(engine, "zorvath asks where the office is", locale="en", contact=7)  # only contact 7 asked this
    _ask(engine, "zorvath wants the office map", locale="en", contact=7)
    _ask(engine, "office address", locale="en", times=2)
    _ask(engine, "office hours please", locale="en", contact=8)
    found = _listed(engine)
    lead = found["zorvath asks where the office is"]
    others = [found["zorvath wants the office map"].id, found["office address"].id, found["office hours please"].id]
    with kb.write_session(engine) as session:
        kb.merge_gaps(session=session, into=lead.id, gap_ids=others, actor=EDITOR)
        kb.dismiss_gap(session=session, gap_id=lead.id, actor=EDITOR)
    assert _listed(engine, dismissed=True)["zorvath asks where the office is"].count == 5
    with kb.write_session(engine) as session:
        removed = kb.forget_gaps(session=session, contact_ids=[7])
    assert removed == 2
    with kb.read_session(engine) as session:
        kept = repr([tuple(r) for r in session.execute(sa.select(kb.ContentGap.__table__))])  # type: ignore[attr-defined]
        kept += repr([tuple(r) for r in session.execute(sa.select(ContentGapState.__table__))])  # type: ignore[attr-defined]
        state_count = len(session.exec(select(ContentGapState).where(col(ContentGapState.merged_into).is_(None))).all())
    assert "zorvath" not in kept
    assert state_count == 1
    group = _listed(engine, dismissed=True)  # the group lives on under a question others asked, still dismissed
    assert list(group) == ["office address"]
    assert (group["office address"].count, group["office address"].examples) == (3, ("office hours please",))
    assert _listed(engine) == {}
    with kb.write_session(engine) as session:
        kb.forget_gaps(session=session, contact_ids=[8])
    assert _listed(engine, dismissed=True)["office address"].examples == ()

"""Content gaps: handoffs and unsure answers are counted per question, most frequent first."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

import kb
from kb.search.answering import Answerer


def test_handoffs_are_logged_counted_and_listed_most_frequent_first(store: tuple[sa.Engine, Path]) -> None:
    engine, folder = store
    index = kb.SearchIndex(engine, data_dir=folder, use_semantic=False)
    index.open()
    answerer = Answerer(index)
    for _ in range(3):
        answerer.answer("Где ближайший офис продаж?", "ru", "ivr")
    answerer.answer("где ближайший офис продаж", "ru", "ivr")  # the same question, typed differently
    answerer.answer("рецепт борща", "ru", "web")
    confident = answerer.answer("как проверить баланс", "ru", "web")
    index.gaps.flush()
    with kb.read_session(engine) as session:
        gaps = kb.list_gaps(session=session)
    rows = [(g.normalised, g.locale, g.channel, g.count) for g in gaps]
    assert rows[0] == ("где ближайший офис продаж", "ru", "ivr", 4)
    assert ("рецепт борща", "ru", "web", 1) in rows
    if confident.confidence >= 0.7:
        assert all(g.normalised != "как проверить баланс" for g in gaps)
    assert gaps[0].question == "где ближайший офис продаж"  # the latest wording
    answerer.answer("рецепт борща", "ru", "web")
    index.gaps.flush()
    with kb.read_session(engine) as session:
        counts = {g.normalised: g.count for g in kb.list_gaps(session=session, channel="web")}
    assert counts["рецепт борща"] == 2
    index.close()

"""Search terms: counted per day, surface and locale, masked; terms whose results nobody opened."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

import insights
import kb


def _search(engine: sa.Engine, surface: str, locale: str, term: str, *, opened: bool = False) -> bool:
    with kb.write_session(engine) as s:
        return insights.record_search(s, surface=surface, locale=locale, term=term, opened=opened)


def _unopened(engine: sa.Engine, **filters: str) -> list[tuple[str, str, str, int]]:
    today = insights.parse_range("1d")
    with kb.read_session(engine) as s:
        found = insights.unopened_terms(s, today.first, today.last, insights.Filters(**filters))
    return [(u.term, u.locale, u.surface, u.searches) for u in found]


def test_terms_nobody_opened_most_searched_first_with_wordings_added_up(engine: sa.Engine) -> None:
    for term in ("Roaming prices", "roaming  PRICES", "top up", "top up", "top up"):
        assert _search(engine, "help", "en", term)
    _search(engine, "help", "en", "eSIM")
    _search(engine, "help", "en", "esim", opened=True)  # opened once: off the list
    _search(engine, "help", "ru", "роуминг")
    _search(engine, "help", "en", "top", opened=False)  # the help center counts submitted searches: not a step
    assert not _search(engine, "help", "en", "  ?! ")  # no words, nothing counted
    assert _unopened(engine) == [
        ("top up", "en", "help", 3),
        ("roaming PRICES", "en", "help", 2),
        ("top", "en", "help", 1),
        ("роуминг", "ru", "help", 1),
    ]
    assert _unopened(engine, locale="ru") == [("роуминг", "ru", "help", 1)]
    assert _unopened(engine, channel="panel") == []


def test_panel_typing_steps_are_not_searches_and_personal_data_is_masked(engine: sa.Engine) -> None:
    for typed in ("lost", "lost s", "lost sim", "lost sim card"):
        _search(engine, "panel", "en", typed)
    _search(engine, "panel", "en", "card for +371 2612 3456")
    assert [t for t, *_ in _unopened(engine, channel="panel")] == ["card for [phone]", "lost sim card"]
    with kb.read_session(engine) as s:
        stored = " ".join(f"{t.term} {t.normalised}" for t in s.exec(select(insights.SearchTerm)))
    assert "2612" not in stored and "3456" not in stored

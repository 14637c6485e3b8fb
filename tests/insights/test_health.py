"""Content health finds the defects planted in the sample content, and nothing else there."""

from __future__ import annotations

import sqlalchemy as sa

import kb
from insights import health
from tests.conftest import CONTENT


def _import(engine: sa.Engine) -> None:
    kb.import_paths([CONTENT], engine=engine, publish=True, actor="import")


def _edit(engine: sa.Engine, locale: str, key: str, change: tuple[str, str] | None = None, *, add: str = "") -> None:
    with kb.write_session(engine) as session:
        article = kb.get_article(session=session, key=key, locale=locale)
        source = kb.get_revision(session=session, article=article, number=article.draft_revision).source
        if change is not None:
            assert change[0] in source, change[0]
            source = source.replace(change[0], change[1], 1)
        saved = kb.save_draft(
            session=session, source=source + add, base_revision=article.draft_revision, actor="editor"
        )
        kb.publish(session=session, article=saved.article, actor="editor")


def _found(engine: sa.Engine) -> set[tuple[str, str | None, str | None, str]]:
    with kb.read_session(engine) as session:
        return {(f.kind, f.locale, f.key, f.subject) for f in health.check(session=session)}


def test_the_sample_content_is_healthy(engine: sa.Engine) -> None:
    _import(engine)
    with kb.read_session(engine) as session:
        assert len(list(health._live_units(session))) == 54  # every sample article is looked at
    assert _found(engine) == set()


def test_planted_defects_are_found_and_nothing_else(engine: sa.Engine) -> None:
    _import(engine)
    _edit(engine, "en", "top-up", add="\nSee also [the old page](kb:no-such-article).\n")  # a broken link
    _edit(engine, "ru", "check-balance", add="\nИли позвоните +371 6700 0199 или наберите *102#.\n")
    with kb.write_session(engine) as session:  # a fact nobody uses
        kb.set_fact(
            session=session, key="fax_number", type="phone", value="+37167000111", base_version=None, actor="editor"
        )
    # ru moved on (the edit above): its uk and en translations fall behind
    assert _found(engine) == {
        ("broken-link", "en", "top-up", "kb:no-such-article"),
        ("contradicting-number", "ru", "check-balance", "+371 6700 0199"),
        ("contradicting-number", "ru", "check-balance", "*102#"),
        ("unused-fact", None, None, "fax_number"),
        ("translation", "uk", "check-balance", "outdated"),
        ("translation", "en", "check-balance", "outdated"),
    }

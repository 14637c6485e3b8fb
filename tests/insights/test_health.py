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


def _vote(engine: sa.Engine, locale: str, key: str, helpful: int, unhelpful: int, tag: str) -> int:
    """Votes on the live revision of an article; its number."""
    with kb.write_session(engine) as session:
        revision = kb.get_article(session=session, key=key, locale=locale).published_revision or 0
        for n in range(helpful + unhelpful):
            kb.record_vote(
                session=session, key=key, locale=locale, revision=revision, helpful=n < helpful, voter=f"{tag}-{n}"
            )
    return revision


def _gap(engine: sa.Engine, question: str, best: str | None, confidence: float, count: int) -> None:
    with kb.write_session(engine) as session:
        now = kb.utcnow()
        session.add(
            kb.ContentGap(
                normalised=kb.clean_question(question),
                question=question,
                locale="en",
                channel="web",
                count=count,
                best_key=best,
                best_confidence=confidence,
                first_seen=now,
                last_seen=now,
            )
        )


def test_old_amounts_overdue_reviews_fallen_helpfulness_and_gap_groups_are_found_and_nothing_else(
    engine: sa.Engine,
) -> None:
    _import(engine)
    first = _vote(engine, "en", "top-up", 9, 1, "before")  # 90% of 10
    _vote(engine, "en", "roaming-prices", 4, 1, "few")  # too few votes to judge either side
    _edit(engine, "en", "top-up", add="\nA roaming day costs 2.99 EUR; a complaint is answered within 15 days.\n")
    _edit(engine, "en", "top-up", ("review_by: 2027-03-01", "review_by: 2020-01-01"))
    live = _vote(engine, "en", "top-up", 3, 7, "after")  # 30% of 10: fell by 60 points
    with kb.write_session(engine) as session:  # the facts move on; the copies by hand did not
        for key, value in (("roaming_day_price", "3.49 EUR"), ("complaint_response_days", 10)):
            fact = kb.find_fact(session=session, key=key)
            assert fact is not None
            kb.set_fact(
                session=session, key=key, type=fact.type, value=value, base_version=fact.version, actor="editor"
            )
    _gap(engine, "How do I pay for roaming abroad?", "roaming-prices", 0.41, 5)
    _gap(engine, "roaming in Turkey price", "roaming-prices", 0.33, 2)  # the engine's same best guess
    _gap(engine, "pay for roaming abroad how", None, 0.0, 1)  # the same words as the first
    _gap(engine, "why is the sky blue", "roaming-prices", 0.12, 3)  # a weak guess is no evidence: alone
    with kb.read_session(engine) as session:
        found = health.check(session=session)
    got = {(f.kind, f.locale, f.key, f.subject) for f in found}
    assert got == {
        ("contradicting-number", "en", "top-up", "2.99 EUR"),
        ("contradicting-number", "en", "top-up", "15 days"),
        ("verification-due", "en", "top-up", "review_by since 2020-01-01"),
        (
            "helpfulness-fell",
            "en",
            "top-up",
            f"revision {first}: 9 of 10 helpful (90%); revision {live}: 3 of 10 (30%)",
        ),
        (
            "gap-group",
            "en",
            None,
            "8× in 3 wordings: How do I pay for roaming abroad? | roaming in Turkey price | pay for roaming abroad how",
        ),
    }
    links = {f.kind: f.link for f in found}
    assert links["helpfulness-fell"] == f"/admin/articles/en/top-up/diff?from={first}&to={live}"
    assert links["gap-group"].startswith("/admin/new?locale=en&question=How+do+I+pay+for+roaming+abroad")
    assert links["gap-group"].count("&wording=") == 3
    assert links["verification-due"] == links["contradicting-number"] == "/admin/articles/en/top-up"

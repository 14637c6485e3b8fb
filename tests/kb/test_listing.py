"""The editors' article list pages in SQL: filters combine with paging, and the count is right."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

import kb
from tests.helpers import article

TODAY = dt.date(2026, 3, 10)


def _seed(engine: sa.Engine) -> None:
    """25 en articles k00..k24: even ones in `billing`, every third published, every fourth
    due for review; titles of multiples of five say ЁЛКА (upper-case Cyrillic)."""
    with kb.write_session(engine) as session:
        for i in range(25):
            front: dict[str, str] = {"category": "billing" if i % 2 == 0 else "sim"}
            if i % 4 == 0:
                front["review_by"] = "2026-03-01" if i % 8 == 0 else "2026-12-01"  # due / not yet
            title = f"ЁЛКА number {i}" if i % 5 == 0 else f"Article number {i}"
            saved = kb.save_draft(
                session=session, source=article(key=f"k{i:02d}", title=title, **front), base_revision=None, actor="t"
            )
            if i % 3 == 0:
                kb.publish(session=session, article=saved.article, actor="t")
        kb.save_draft(
            session=session, source=article(key="k00", locale="ru", title="Ёлка"), base_revision=None, actor="t"
        )
        k03 = kb.get_article(session=session, key="k03", locale="en")
        kb.save_draft(
            session=session,
            source=article(key="k03", title="Changed", body="New.", category="sim"),
            base_revision=1,
            actor="t",
        )
        assert k03.published_revision == 1


def _keys(found: kb.ArticlePage) -> list[str]:
    return [f"{r.article.locale}/{r.article.key}" for r in found.rows]


def test_pages_come_in_key_order_with_the_count_of_all(engine: sa.Engine) -> None:
    _seed(engine)
    with kb.read_session(engine) as session:
        first = kb.article_page(session=session, page=1, per_page=10)
        second = kb.article_page(session=session, page=2, per_page=10)
        last = kb.article_page(session=session, page=3, per_page=10)
        beyond = kb.article_page(session=session, page=4, per_page=10)
    assert (first.total, first.pages) == (26, 3)
    assert _keys(first) == ["en/k00", "ru/k00"] + [f"en/k{i:02d}" for i in range(1, 9)]
    assert _keys(second) == [f"en/k{i:02d}" for i in range(9, 19)]
    assert _keys(last) == [f"en/k{i:02d}" for i in range(19, 25)]
    assert beyond.rows == [] and beyond.total == 26


def test_filters_combine_with_paging(engine: sa.Engine) -> None:
    _seed(engine)
    with kb.read_session(engine) as session:
        billing = kb.article_page(session=session, locale="en", category="billing", page=2, per_page=5)
        live = kb.article_page(session=session, category="billing", status=kb.ArticleStatus.PUBLISHED, per_page=3)
        drafts = kb.article_page(session=session, status=kb.ArticleStatus.DRAFT, page=6, per_page=3)
        ahead = kb.article_page(session=session, has_draft=True, category="sim", per_page=100)
        due = kb.article_page(session=session, review_due=True, today=TODAY)
        words = kb.article_page(session=session, q="ёлка", page=2, per_page=2)
        by_key = kb.article_page(session=session, q="K2", locale="en")
        nothing = kb.article_page(session=session, q="100%_", per_page=100)
    assert billing.total == 13 and _keys(billing) == [f"en/k{i:02d}" for i in (10, 12, 14, 16, 18)]
    assert live.total == 5 and live.pages == 2 and _keys(live) == ["en/k00", "en/k06", "en/k12"]
    assert drafts.total == 17 and _keys(drafts) == ["en/k22", "en/k23"]
    # has_draft: never published, or the draft moved past the live revision (k03)
    assert ahead.total == 9 and "en/k03" in _keys(ahead) and "en/k09" not in _keys(ahead)
    assert _keys(due) == ["en/k00", "en/k08", "en/k16", "en/k24"]
    assert all(r.due and r.review_by == "2026-03-01" for r in due.rows)
    assert words.total == 6 and _keys(words) == ["en/k05", "en/k10"]  # upper and lower case, in Cyrillic
    assert _keys(by_key) == [f"en/k{i:02d}" for i in range(20, 25)]
    assert nothing.total == 0  # % and _ are letters here, not wildcards


def test_rows_say_review_date_and_whether_the_draft_is_ahead(engine: sa.Engine) -> None:
    _seed(engine)
    with kb.read_session(engine) as session:
        rows = {f"{r.article.locale}/{r.article.key}": r for r in kb.article_page(session=session, today=TODAY).rows}
    assert (rows["en/k00"].review_by, rows["en/k00"].due, rows["en/k00"].ahead) == ("2026-03-01", True, False)
    assert (rows["en/k04"].review_by, rows["en/k04"].due) == ("2026-12-01", False)
    assert (rows["en/k01"].review_by, rows["en/k01"].due, rows["en/k01"].ahead) == ("", False, True)
    assert rows["en/k03"].ahead and rows["en/k03"].article.published_revision == 1


def test_categories_and_translations(engine: sa.Engine) -> None:
    _seed(engine)
    with kb.write_session(engine) as session:
        kb.save_draft(
            session=session, source=article(key="k00", locale="uk", title="Ялинка"), base_revision=None, actor="t"
        )
    with kb.read_session(engine) as session:
        assert kb.article_categories(session=session) == ["billing", "sim"]
        found = kb.translations_of(session=session, key="k00")
    assert [(a.locale, a.title) for a, _ in found] == [
        (loc, t) for loc, t in (("ru", "Ёлка"), ("uk", "Ялинка"), ("en", "ЁЛКА number 0"))
    ]
    assert all(f"title: {a.title}" in source for a, source in found)

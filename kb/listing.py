"""The editors' article list: filtered, sorted and paged in SQL, with a count for the pager.

Every filter is a WHERE clause and a page is LIMIT/OFFSET, so a store of ten thousand
articles sends one page of rows, never all of them. Title words match case-insensitively in
every script: PostgreSQL's `lower()` folds Cyrillic, SQLite's folds only ASCII, so on SQLite
`fold()` calls `istok_lower`, Python's `str.lower` that kb.db registers on each connection.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction
from sqlmodel import Session, col, select

from kb.models import Article, Revision
from kb.types import LOCALES, ArticleStatus, Locale

PER_PAGE = 100


class fold(GenericFunction[str]):  # lowercase, as SQL functions are named
    """lower() that folds every script, on both databases."""

    type = sa.String()
    inherit_cache = True


@compiles(fold, "sqlite")
def _fold_sqlite(element: fold, compiler: Any, **kw: Any) -> str:
    return f"istok_lower({compiler.process(element.clauses, **kw)})"


@compiles(fold)
def _fold_default(element: fold, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@dataclass(frozen=True)
class ArticleRow:
    """One article of the list, with its draft's review date and whether the draft is unpublished."""

    article: Article
    review_by: str  # ISO date, or "" when the draft names none
    due: bool  # review_by is today or past
    ahead: bool  # the latest draft is not the live revision


@dataclass(frozen=True)
class ArticlePage:
    """One page of the filtered list and how many articles all its pages hold."""

    rows: list[ArticleRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def article_page(
    *,
    session: Session,
    locale: Locale | None = None,
    category: str | None = None,
    status: ArticleStatus | None = None,
    review_due: bool = False,
    has_draft: bool = False,
    q: str = "",
    today: dt.date | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ArticlePage:
    """Page `page` (from 1) of the articles matching every filter given, by key then locale.

    `review_due`: the draft's review_by is `today` or earlier; `has_draft`: the latest draft
    is not live; `q`: words found in the title or the key, in any case.
    """
    day = (today or dt.date.today()).isoformat()
    review_by = col(Revision.front_matter)["review_by"].as_string()
    ahead = sa.or_(
        col(Article.published_revision).is_(None), col(Article.published_revision) != col(Article.draft_revision)
    )
    on_draft = (col(Revision.article_id) == col(Article.id)) & (col(Revision.number) == col(Article.draft_revision))
    where: list[sa.ColumnElement[bool]] = []
    if locale:
        where.append(col(Article.locale) == locale)
    if category:
        where.append(col(Article.category) == category)
    if status is ArticleStatus.PUBLISHED:
        where.append(col(Article.published_revision).is_not(None))
    elif status is ArticleStatus.DRAFT:
        where.append(col(Article.published_revision).is_(None))
    if review_due:
        where.append(sa.and_(review_by.is_not(None), review_by != "", review_by <= day))
    if has_draft:
        where.append(ahead)
    if q.strip():
        needle = q.strip().lower()
        where.append(
            sa.or_(
                fold(col(Article.title)).contains(needle, autoescape=True),
                fold(col(Article.key)).contains(needle, autoescape=True),
            )
        )
    total = session.execute(
        sa.select(sa.func.count()).select_from(Article).join(Revision, on_draft).where(*where)
    ).scalar_one()
    page = max(1, page)
    stmt = (
        select(Article, review_by)
        .join(Revision, on_draft)
        .where(*where)
        .order_by(col(Article.key), col(Article.locale))
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [
        ArticleRow(
            article=a,
            review_by=r or "",
            due=bool(r) and (r or "") <= day,
            ahead=a.published_revision != a.draft_revision,
        )
        for a, r in session.exec(stmt)
    ]
    return ArticlePage(rows=rows, total=int(total), page=page, per_page=per_page)


def article_categories(*, session: Session) -> list[str]:
    """Every category an article names, sorted (for the list's filter)."""
    stmt = select(Article.category).distinct().where(col(Article.category) != "").order_by(col(Article.category))
    return [c for c in session.exec(stmt) if c]


def translations_of(*, session: Session, key: str) -> list[tuple[Article, str]]:
    """Every locale's article of `key` with its draft's source, in the order of LOCALES."""
    order = sa.case({loc: i for i, loc in enumerate(LOCALES)}, value=col(Article.locale), else_=len(LOCALES))
    stmt = (
        select(Article, Revision.source)
        .join(
            Revision,
            (col(Revision.article_id) == col(Article.id)) & (col(Revision.number) == col(Article.draft_revision)),
        )
        .where(Article.key == key)
        .order_by(order, col(Article.locale))
    )
    return [(a, source) for a, source in session.exec(stmt)]

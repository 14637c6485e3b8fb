"""Translations that know they are stale: each records the source revision it was made from.

An article's locales share a key. One of them is the **source**: the deployment's required
locale when it names one (`ISTOK_REQUIRED_LOCALE`, e.g. `uk` where consumer services must be
available in Ukrainian) and the key has it, else the locale the key was first written in.
Every revision of another locale records the source revision it was brought up to date with
(`Revision.translated_from_*`):

* a new translation is made from the source as it is then;
* an edit keeps its predecessor's record (fixing a typo in a translation does not make it
  current), unless the editor says it now follows a given source revision;
* an import of a translation together with its source (the files were written together) is
  in step with the source as imported.

A translation is **outdated** once the source has a newer live revision (a draft being
written does not count: translators follow what clients read), and the diff of the source
since the translation's revision shows what to carry over. A key with no article in a locale
is **missing** there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, select

from kb.errors import InvalidChange
from kb.models import Article, Revision
from kb.types import LOCALES


class TranslationState(StrEnum):
    SOURCE = "source"
    CURRENT = "current"
    OUTDATED = "outdated"
    MISSING = "missing"
    UNLINKED = "unlinked"  # written before translations recorded their source: no way to tell


@dataclass(frozen=True)
class Translation:
    """One locale of one key, judged against the key's source."""

    key: str
    locale: str
    state: TranslationState
    source_locale: str
    source_revision: int  # the source revision a translation must follow (its live one, else its draft)
    based_on: int | None = None  # the source revision this locale's draft was made from
    title: str = ""
    draft_revision: int | None = None

    @property
    def behind(self) -> int:
        """How many source revisions this translation has not carried over yet."""
        if self.state is not TranslationState.OUTDATED or self.based_on is None:
            return 0
        return self.source_revision - self.based_on


def required_locale() -> str | None:
    """The locale every article must be live in before any other (ISTOK_REQUIRED_LOCALE), if named."""
    given = os.environ.get("ISTOK_REQUIRED_LOCALE", "").strip().lower()
    if not given:
        return None
    if given not in LOCALES:
        raise InvalidChange(f"ISTOK_REQUIRED_LOCALE must be one of {', '.join(LOCALES)}, not {given!r}")
    return given


def default_locale() -> str:
    """The locale a channel serves when nothing says which: the required one, else the first of LOCALES."""
    return required_locale() or LOCALES[0]


def source_of(articles: Sequence[Article]) -> Article | None:
    """The source among one key's articles: the required locale's, else the first written."""
    if not articles:
        return None
    required = required_locale()
    for article in articles:
        if article.locale == required:
            return article
    rank = {loc: i for i, loc in enumerate(LOCALES)}
    return min(articles, key=lambda a: (a.created_at, rank.get(a.locale, len(rank)), a.id or 0))


def follows(article: Article) -> int:
    """The source revision a translation of `article` must follow: its live one, else its draft."""
    return article.published_revision or article.draft_revision


def record_for(
    session: Session, *, key: str, locale: str, article: Article | None, claim: int | None
) -> tuple[str, int] | None:
    """The source (locale, revision) a new revision of (`key`, `locale`) records, None for the source itself.

    `claim` is the editor's word that it now follows that source revision; without one, a new
    translation follows the source as it is now and an edit keeps its draft's record.
    """
    every = siblings(session, key)
    if article is None:  # a new locale of the key: the source unless the key has one already
        source = None if not every or locale == required_locale() else source_of(every)
    else:
        source = source_of(every)
        source = None if source is None or source.id == article.id else source
    if claim is not None:
        if source is None:
            raise InvalidChange(f"({key}, {locale}) is its key's source: it follows no other locale's revision")
        if not 1 <= claim <= source.draft_revision:
            raise InvalidChange(f"the source ({source.locale}) has revisions 1 to {source.draft_revision}, not {claim}")
        return (source.locale, claim)
    if source is None:
        return None
    if article is None:
        return (source.locale, follows(source))
    draft = session.exec(
        select(Revision).where(Revision.article_id == article.id, Revision.number == article.draft_revision)
    ).first()
    if draft is None or draft.translated_from_revision is None:
        return None
    return (draft.translated_from_locale or source.locale, draft.translated_from_revision)


def translations(*, session: Session, key: str) -> list[Translation]:
    """Every locale of `key` (missing ones included), in the order of LOCALES."""
    return _judge(session, [key]).get(key, [])


def report(*, session: Session, locale: str | None = None, states: Sequence[str] = ()) -> list[Translation]:
    """Every key's translations that are not in step (missing, outdated, unlinked), optionally for one locale."""
    wanted = {TranslationState(s) for s in states} or {
        TranslationState.MISSING,
        TranslationState.OUTDATED,
        TranslationState.UNLINKED,
    }
    keys = sorted(session.exec(select(Article.key).distinct()).all())
    out: list[Translation] = []
    for start in range(0, len(keys), 500):
        for rows in _judge(session, keys[start : start + 500]).values():
            out += [t for t in rows if t.state in wanted and (locale is None or t.locale == locale)]
    return out


def _judge(session: Session, keys: Sequence[str]) -> dict[str, list[Translation]]:
    stmt = (
        select(Article, Revision.translated_from_revision)
        .join(
            Revision,
            (col(Revision.article_id) == col(Article.id)) & (col(Revision.number) == col(Article.draft_revision)),
        )
        .where(col(Article.key).in_(list(keys)))
    )
    by_key: dict[str, list[tuple[Article, int | None]]] = {}
    for article, based_on in session.exec(stmt).all():
        by_key.setdefault(article.key, []).append((article, based_on))
    out: dict[str, list[Translation]] = {}
    for key, rows in by_key.items():
        source = source_of([a for a, _ in rows])
        assert source is not None
        target = follows(source)
        present = {a.locale: (a, b) for a, b in rows}
        judged: list[Translation] = []
        for loc in [*LOCALES, *sorted(set(present) - set(LOCALES))]:
            if loc not in present:
                judged.append(Translation(key, loc, TranslationState.MISSING, source.locale, target))
                continue
            article, based_on = present[loc]
            if article.id == source.id:
                state = TranslationState.SOURCE
            elif based_on is None:
                state = TranslationState.UNLINKED
            elif based_on < target:
                state = TranslationState.OUTDATED
            else:
                state = TranslationState.CURRENT
            judged.append(
                Translation(key, loc, state, source.locale, target, based_on, article.title, article.draft_revision)
            )
        out[key] = judged
    return out


def siblings(session: Session, key: str) -> list[Article]:
    """Every locale's article of `key`."""
    return list(session.exec(select(Article).where(Article.key == key)).all())


def unpublished_required(session: Session, key: str, locale: str) -> str | None:
    """The required locale when `key` must go live in it before `locale` may, else None."""
    required = required_locale()
    if required is None or locale == required:
        return None
    live = session.exec(
        select(sa.func.count())
        .select_from(Article)
        .where(Article.key == key, Article.locale == required, col(Article.published_revision).is_not(None))
    ).one()
    return None if live else required

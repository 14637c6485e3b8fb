"""A live unit that cannot be loaded is quarantined: every other unit is indexed and served."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlmodel import col

import kb
from kb.content import content_hash, normalise_source
from kb.frontmatter import split_source
from kb.models import Article, Revision
from kb.search.searching import search
from tests.helpers import article
from tests.kb.search.conftest import ROAMING, publish_source

#: What the importer accepted before the nesting limit: a 300-deep list.
DEEP = article(key="roaming-prices", locale="ru", title="Сколько стоит роуминг", body="- " * 300 + "x")


def corrupt_live_revision(engine: sa.Engine, *, key: str, locale: str, source: str) -> int:
    """Put `source` into the article's live revision, as an older Istok could have stored it."""
    split = split_source(normalise_source(source), file="old")
    with engine.begin() as conn:
        article_id, number = conn.execute(
            sa.select(col(Article.id), col(Article.published_revision)).where(
                col(Article.key) == key, col(Article.locale) == locale
            )
        ).one()
        conn.execute(
            sa.update(Revision)
            .where(col(Revision.article_id) == article_id, col(Revision.number) == number)
            .values(source=normalise_source(source), content_hash=content_hash(split.front, split.body))
        )
    return int(number)


def _uids(index: kb.SearchIndex, question: str) -> list[str]:
    return [f"{h.locale}/{h.key}" for h in search(index, question, "ru").hits]


def test_a_unit_that_fails_to_parse_is_left_out_and_named(store: tuple[sa.Engine, Path]) -> None:
    engine, data = store
    revision = corrupt_live_revision(engine, key="roaming-prices", locale="ru", source=DEEP)
    index = kb.SearchIndex(engine, data_dir=data, use_semantic=False)
    index.open()
    (quarantined,) = index.quarantine.units()
    assert (quarantined.key, quarantined.locale, quarantined.revision) == ("roaming-prices", "ru", revision)
    assert "at most 20 levels" in quarantined.reason
    assert _uids(index, "баланс") == ["ru/check-balance"]

    # A later process opens the index from disk and finds the same unit missing: it tries it
    # again and quarantines it too, rather than forgetting it.
    index.close()
    reopened = kb.SearchIndex(engine, data_dir=data, use_semantic=False)
    reopened.open()
    assert not reopened.rebuilt
    assert [q.uid for q in reopened.quarantine.units()] == ["ru/roaming-prices"]

    # A good revision published from anywhere releases it.
    publish_source(engine, ROAMING.replace("2.99 EUR", "3.49 EUR"))
    reopened.sync()
    assert reopened.quarantine.units() == []
    assert "ru/roaming-prices" in _uids(reopened, "роуминг цена")
    reopened.close()


def test_a_bad_unit_arriving_through_the_log_does_not_stop_the_sync(store: tuple[sa.Engine, Path]) -> None:
    engine, data = store
    index = kb.SearchIndex(engine, data_dir=data, use_semantic=False)
    index.open()
    publish_source(engine, BALANCE_V2)
    publish_source(engine, ROAMING.replace("2.99 EUR", "3.49 EUR"))
    corrupt_live_revision(engine, key="roaming-prices", locale="ru", source=DEEP)  # before this process syncs
    assert index.sync() == 2
    assert [q.uid for q in index.quarantine.units()] == ["ru/roaming-prices"]
    assert _uids(index, "остаток") == ["ru/check-balance"]
    assert _uids(index, "роуминг") == []  # its old revision is not served either: it is no longer live
    index.close()


BALANCE_V2 = article(key="check-balance", locale="ru", title="Как проверить баланс", body="Наберите *100#: остаток.")

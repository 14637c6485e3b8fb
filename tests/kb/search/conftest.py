"""Fixtures for search: the sample content in a read-only index, and small stores to change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import kb
from kb.search.answering import Answerer
from tests.conftest import CONTENT
from tests.helpers import article, save


@pytest.fixture(scope="module")
def content_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kb.SearchIndex]:
    """The sample knowledge base (54 articles), published, indexed; tests only read it."""
    folder = tmp_path_factory.mktemp("content-index")
    engine = kb.make_engine(f"sqlite:///{folder / 'istok.db'}")
    kb.upgrade(engine)
    kb.import_paths([CONTENT], engine=engine, publish=True)
    index = kb.SearchIndex(engine, data_dir=folder, use_semantic=False)
    index.open()
    yield index
    index.close()
    engine.dispose()


@pytest.fixture(scope="module")
def answerer(content_index: kb.SearchIndex) -> Answerer:
    """Answers over the sample content; gaps are not recorded (tests of gaps have their own store)."""
    return Answerer(content_index, record_gaps=False)


def publish_source(engine: sa.Engine, source: str) -> kb.SaveResult:
    """Save `source` as the article's next revision and publish it."""
    with kb.read_session(engine) as session:
        unit = kb.parse_source(source)
        found = kb.find_article(session=session, key=unit.key, locale=unit.locale)
        base = found.draft_revision if found else None
    saved = save(engine, source, base=base)
    with kb.write_session(engine) as session:
        art = kb.get_article(session=session, key=unit.key, locale=unit.locale)
        kb.publish(session=session, article=art, actor="tester")
    return saved


BALANCE = article(
    key="check-balance",
    locale="ru",
    title="Как проверить баланс",
    body="""
    Наберите *100# и кнопку вызова: остаток на счёте появится на экране.

    ::: internal
    Секретная подсказка: сверка с биллингом через панель «Гамма».
    :::
    """,
    questions=["Сколько денег на счету?"],
    summary="Наберите код и узнайте остаток.",
)
ROAMING = article(
    key="roaming-prices",
    locale="ru",
    title="Сколько стоит роуминг",
    body="В роуминге день связи стоит 2.99 EUR.",
    summary="Цены на связь за границей.",
)


@pytest.fixture
def store(engine: sa.Engine, tmp_path: Path) -> Iterator[tuple[sa.Engine, Path]]:
    """A fresh store (SQLite and PostgreSQL) with two published Russian articles, and a data folder."""
    publish_source(engine, BALANCE)
    publish_source(engine, ROAMING)
    yield engine, tmp_path

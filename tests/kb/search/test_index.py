"""The derived index: rebuilt when missing, stale or corrupt; tails the log in this and other processes."""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa

import kb
from kb.search.answering import Answerer
from tests.helpers import article
from tests.kb.search.conftest import BALANCE, publish_source

Store = tuple[sa.Engine, Path]


def _index(engine: sa.Engine, folder: Path) -> kb.SearchIndex:
    index = kb.SearchIndex(engine, data_dir=folder, use_semantic=False, poll_interval=3600.0)
    index.open()
    return index


def _keys(index: kb.SearchIndex, q: str, role: str = "public") -> list[str]:
    return [h.key for h in kb.search_articles(q, "ru", role, index=index).hits]


def test_a_missing_index_is_built_and_a_good_one_reused(store: Store) -> None:
    engine, folder = store
    first = _index(engine, folder)
    assert first.rebuilt and _keys(first, "баланс") == ["check-balance"]
    first.close()
    again = _index(engine, folder)
    assert not again.rebuilt and _keys(again, "баланс") == ["check-balance"]
    again.close()


def test_a_deleted_index_is_rebuilt_on_start(store: Store) -> None:
    engine, folder = store
    _index(engine, folder).close()
    shutil.rmtree(folder / "search")
    index = _index(engine, folder)
    assert index.rebuilt and _keys(index, "роуминг") == ["roaming-prices"]
    index.close()


def test_a_corrupted_index_is_rebuilt_on_start(store: Store) -> None:
    engine, folder = store
    first = _index(engine, folder)
    path = first.path
    first.close()
    for file in path.iterdir():
        if file.suffix in (".toc", ".seg", ".pst", ".trm"):
            file.write_bytes(b"\x00garbage" * 10)
    index = _index(engine, folder)
    assert index.rebuilt and _keys(index, "баланс") == ["check-balance"]
    index.close()


def test_an_index_of_another_database_state_is_rebuilt(store: Store) -> None:
    engine, folder = store
    first = _index(engine, folder)
    meta = first.text.read_meta()
    assert meta is not None
    first.close()
    first.text.write_meta(seq=meta.seq + 50, seq_at=meta.seq_at)  # ahead of the database: stale
    index = _index(engine, folder)
    assert index.rebuilt and index.seq == meta.seq
    index.close()


def test_publish_unpublish_and_facts_are_searchable_at_once_here_and_after_a_poll_elsewhere(store: Store) -> None:
    engine, folder = store
    here = _index(engine, folder)
    elsewhere = _index(engine, folder / "other-host")  # another process's index over the same database
    publish_source(
        engine,
        article(key="router", locale="ru", title="Как перезагрузить роутер", body="Выключите маршрутизатор на минуту."),
    )
    assert here.refresh() >= 1
    assert _keys(here, "перезагрузка роутера") == ["router"]
    assert _keys(elsewhere, "перезагрузка роутера") == []  # not polled yet
    elsewhere.poll()
    assert _keys(elsewhere, "перезагрузка роутера") == []  # the poll interval has not passed
    elsewhere.sync()
    assert _keys(elsewhere, "перезагрузка роутера") == ["router"]

    with kb.write_session(engine) as session:
        kb.unpublish(session=session, article=kb.get_article(session=session, key="router", locale="ru"), actor="t")
    here.refresh()
    elsewhere.sync()
    assert _keys(here, "роутер") == [] and _keys(elsewhere, "роутер") == []

    with kb.write_session(engine) as session:
        kb.set_fact(session=session, key="plan_code", type="text", value="*777#", base_version=None, actor="t")
    publish_source(
        engine, article(key="codes", locale="ru", title="Полезные коды", body="Код тарифа: {{ plan_code }}.")
    )
    here.refresh()
    assert _keys(here, "777") == ["codes"]
    with kb.write_session(engine) as session:
        kb.set_fact(session=session, key="plan_code", type="text", value="*888#", base_version=1, actor="t")
    here.refresh()
    elsewhere.sync()
    assert _keys(here, "888") == ["codes"] and _keys(here, "777") == []
    assert _keys(elsewhere, "888") == ["codes"]
    here.close()
    elsewhere.close()


def test_a_publish_invalidates_cached_answers(store: Store) -> None:
    engine, folder = store
    index = _index(engine, folder)
    answerer = Answerer(index, record_gaps=False)
    first = answerer.answer("как проверить баланс", "ru", "web")
    assert answerer.answer("как проверить баланс", "ru", "web").cached
    publish_source(engine, BALANCE.replace("Наберите *100#", "Наберите *101#"))
    index.refresh()
    after = answerer.answer("как проверить баланс", "ru", "web")
    assert not after.cached
    assert after.revision == (first.revision or 0) + 1 and after.content_hash != first.content_hash
    index.close()


def test_editors_synonyms_apply_after_a_sync(store: Store) -> None:
    engine, folder = store
    index = _index(engine, folder)
    answerer = Answerer(index, record_gaps=False)
    assert answerer.answer("бабосики", "ru", "web").key is None
    with kb.write_session(engine) as session:
        kb.create_set(session=session, locale="ru", terms=["бабосики", "остаток"], actor="editor")
    index.sync()
    assert answerer.answer("бабосики", "ru", "web").key == "check-balance"
    index.close()


def test_reindex_rebuilds_from_the_database(store: Store) -> None:
    engine, folder = store
    index = _index(engine, folder)
    assert index.rebuild() == 2
    index.close()

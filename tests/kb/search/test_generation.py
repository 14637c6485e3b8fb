"""The index generation on disk: written once, mapped by every process, changes held over it, damage repaired."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

import kb
from kb.search.frozen import MANIFEST
from kb.search.indexlock import hold
from kb.search.memory import LocaleIndex
from tests.helpers import article
from tests.kb.search.conftest import publish_source

Store = tuple[sa.Engine, Path]

QUESTIONS = ("баланс", "роуминг цены", "перезагрузить роутер", "сколько денег на счету", "остаток")


def _index(engine: sa.Engine, folder: Path) -> kb.SearchIndex:
    index = kb.SearchIndex(engine, data_dir=folder, use_semantic=False, poll_interval=3600.0)
    index.open()
    return index


def _ranking(index: kb.SearchIndex) -> list[list[tuple[str, float]]]:
    return [[(h.key, round(h.score, 5)) for h in kb.search_articles(q, "ru", index=index).hits] for q in QUESTIONS]


def _by_uid(idx: LocaleIndex) -> dict[str, dict[str, list[float]]]:
    """Every term's posting keyed by article uid (slots differ between an index changed in place and a rebuilt one)."""
    uid_of = {slot: uid for uid, slot in idx.by_uid.items()}
    out: dict[str, dict[str, list[float]]] = {}
    for term in idx.postings:
        p = idx.postings.get(term)
        assert p is not None
        out[term] = {uid_of[int(s)]: row.tolist() for s, row in zip(p.slots, p.tfs, strict=True)}
    return out


def test_the_first_process_writes_the_generation_and_the_next_maps_it_unchanged(store: Store) -> None:
    engine, folder = store
    first = _index(engine, folder)
    manifest = first.generation_path / MANIFEST
    written = manifest.stat()
    assert json.loads(manifest.read_text())["seq"] == first.seq
    second = _index(engine, folder)  # another worker of the same host
    assert (manifest.stat().st_ino, manifest.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    slots = second.state.locales["ru"].postings.get("баланс")
    assert slots is not None and not slots.slots.flags.owndata and not slots.slots.flags.writeable  # the file's pages
    assert _ranking(second) == _ranking(first) and _ranking(first)[0][0][0] == "check-balance"
    first.close()
    second.close()


def test_changes_held_over_the_generation_score_as_a_generation_written_after_them(store: Store) -> None:
    engine, folder = store
    here = _index(engine, folder)
    publish_source(
        engine, article(key="router", locale="ru", title="Как перезагрузить роутер", body="Выключите роутер на минуту.")
    )
    publish_source(
        engine,
        article(
            key="check-balance",
            locale="ru",
            title="Как узнать остаток",
            body="Остаток на счёте показывает приложение.",
            questions=["Сколько денег на счету?"],
        ),
    )
    with kb.write_session(engine) as session:
        kb.unpublish(
            session=session, article=kb.get_article(session=session, key="roaming-prices", locale="ru"), actor="t"
        )
    assert here.sync() == 3
    rebuilt = _index(engine, folder / "another-host")  # its generation is written from the state after the changes
    held, fresh = here.state.locales["ru"], rebuilt.state.locales["ru"]
    assert _by_uid(held) == _by_uid(fresh)
    assert held.live == fresh.live == 2 and set(held.by_uid) == set(fresh.by_uid) == {"ru/check-balance", "ru/router"}
    assert np.allclose(held.length_sums, fresh.length_sums)
    assert held.idf("остаток") == fresh.idf("остаток") > 0 and held.df("роуминг") == fresh.df("роуминг") == 0
    assert _ranking(here) == _ranking(rebuilt)
    assert [k for k, _ in _ranking(here)[1]] == [] and _ranking(here)[2][0][0] == "router"

    later = _index(engine, folder)  # the generation on disk is of an older state: written anew, then mapped
    assert json.loads((later.generation_path / MANIFEST).read_text())["seq"] == here.seq == later.seq
    assert _ranking(later) == _ranking(here)
    for index in (here, rebuilt, later):
        index.close()


@pytest.mark.parametrize("damage", ["a file missing", "a file cut short"])
def test_a_damaged_generation_is_written_again_and_served(store: Store, damage: str) -> None:
    engine, folder = store
    first = _index(engine, folder)
    expected = _ranking(first)
    first.close()
    if damage == "a file missing":
        (first.generation_path / "ru" / "tfs.npy").unlink()
    else:
        docs = first.generation_path / "ru" / "docs.bin"
        docs.write_bytes(docs.read_bytes()[:-10])
    second = _index(engine, folder)
    assert not second.private  # repaired in place, not sent to a private copy
    assert (second.generation_path / "ru" / "tfs.npy").exists()
    assert _ranking(second) == expected
    second.close()


def _new_state(engine: sa.Engine, folder: Path) -> None:
    """Move the index on disk past its generation, as a publish synced by a running worker does."""
    worker = _index(engine, folder)
    publish_source(
        engine, article(key="router", locale="ru", title="Как перезагрузить роутер", body="Выключите роутер.")
    )
    worker.sync()
    worker.close()


def _open_beside(index: kb.SearchIndex) -> threading.Thread:
    opening = threading.Thread(target=index.open)
    opening.start()
    return opening


def test_a_worker_waits_for_the_generation_another_is_writing_instead_of_a_private_copy(store: Store) -> None:
    engine, folder = store
    _new_state(engine, folder)
    index = kb.SearchIndex(engine, data_dir=folder, use_semantic=False, lock_wait=0.2)
    with hold(index.generation_lock_path, wait=1.0):  # another worker writing the new generation, past lock_wait
        opening = _open_beside(index)
        time.sleep(1.0)
        assert opening.is_alive()  # waiting for it, not gone private
    opening.join(30)
    assert not index.private and index.seq == json.loads((index.generation_path / MANIFEST).read_text())["seq"]
    assert [h.key for h in kb.search_articles("перезагрузить роутер", "ru", index=index).hits] == ["router"]
    index.close()


def test_a_generation_writer_that_hangs_is_waited_for_a_bounded_time(store: Store) -> None:
    engine, folder = store
    _new_state(engine, folder)
    index = kb.SearchIndex(engine, data_dir=folder, use_semantic=False, generation_wait=0.5)
    with hold(index.generation_lock_path, wait=1.0):
        opening = _open_beside(index)
        opening.join(30)
        assert index.private and "generation.lock" in index.private_reason  # served from its own copy, said why
    assert [h.key for h in kb.search_articles("перезагрузить роутер", "ru", index=index).hits] == ["router"]
    index.close()

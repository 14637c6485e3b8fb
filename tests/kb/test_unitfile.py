"""Parsed units on disk: another process finds a tree by content hash instead of parsing it."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb import content
from kb.unitfile import UnitFile
from tests.conftest import ROOT

SOURCE = (ROOT / "content" / "en" / "billing" / "top-up.md").read_text(encoding="utf-8")


@pytest.fixture
def unit_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "units.sqlite"
    _forget_memory()  # so the first parse here is a real one, written to the file
    content.keep_parsed_units(path)
    yield path
    content.keep_parsed_units(None)


def _forget_memory() -> None:
    with content._cache_lock:
        content._cache.clear()


def _load_in_child(path: str, digest: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    found = UnitFile(Path(path)).get(digest)
    out.put(None if found is None else (found.title, found.content_hash))


def test_a_parsed_unit_is_found_by_another_process(unit_file: Path) -> None:
    unit = content.parse_source(SOURCE)
    queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()  # type: ignore[type-arg]
    child = multiprocessing.get_context("spawn").Process(
        target=_load_in_child, args=(str(unit_file), unit.content_hash, queue)
    )
    child.start()
    child.join(60)
    assert queue.get(timeout=5) == (unit.title, unit.content_hash)


def test_a_known_digest_skips_parsing_and_gives_the_same_tree(unit_file: Path) -> None:
    unit = content.parse_source(SOURCE)
    _forget_memory()
    # The source is not even read when the digest is known: the stored tree comes back whole.
    again = content.parse_source("not a source at all", digest=unit.content_hash)
    assert again == unit
    assert again.body == unit.body and again.facts == unit.facts


def test_an_unknown_digest_parses_the_source(unit_file: Path) -> None:
    unit = content.parse_source(SOURCE, digest="0" * 64)
    assert unit.title == "How do I top up my account?"
    assert unit.content_hash != "0" * 64


def test_a_damaged_file_costs_a_parse_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "units.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    content.keep_parsed_units(path)
    try:
        _forget_memory()
        unit = content.parse_source(SOURCE)
        assert unit.title == "How do I top up my account?"
        assert UnitFile(path).get(unit.content_hash) is None
    finally:
        content.keep_parsed_units(None)


def test_a_stale_format_is_not_trusted(unit_file: Path) -> None:
    unit = content.parse_source(SOURCE)
    stored = UnitFile(unit_file)
    conn = stored._connection()
    assert conn is not None
    conn.execute("UPDATE units SET format = 'another shape'")  # as if the tree's classes had changed
    assert stored.get(unit.content_hash) is None

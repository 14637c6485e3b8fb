"""One source can never harm the next: nesting limits, no parser state carried over, trees
kept by an older parser parsed again, and code text escaped once, by each channel."""

from __future__ import annotations

import dataclasses
import pickle
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa

import kb
import renderers
from kb import content, limits, unitfile
from kb import tree as t
from tests.helpers import article

T = TypeVar("T")

NORMAL = article(key="normal", body="Dial **{{ balance_ussd }}** and press call.\n\n- one\n- two")
HOSTILE = {
    "list": "- " * 200 + "x",
    "ordered list": "1. " * 200 + "x",
    "quote": "> " * 400 + "x",
    "quoted list": "> - " * 150 + "x",
    "indented list": "\n".join("    " * i + "- x" for i in range(150)),
    "emphasis": "*a " * 300 + "x" + " a*" * 300,
    "stars": "*" * 5000 + "x" + "*" * 5000,
    "admonitions": "\n".join("    " * i + "!!! note" for i in range(100)),
}


@pytest.fixture(autouse=True)
def _memory_only() -> Iterator[None]:
    content._cache.clear()
    content.keep_parsed_units(None)
    yield
    content._cache.clear()
    content.keep_parsed_units(None)


def _deep_stack(depth: int, call: Callable[[], T]) -> T:
    """Run `call` with `depth` frames already on the stack, as inside a server's request thread."""
    return call() if depth == 0 else _deep_stack(depth - 1, call)


def _body_of(source: str) -> tuple[t.Block, ...]:
    content._cache.clear()
    return kb.parse_source(source).body


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_deeply_nested_source_is_refused_naming_the_limit(name: str) -> None:
    with pytest.raises(kb.ContentError) as caught:
        kb.parse_source(article(key="deep", body=HOSTILE[name]), file="deep.md")
    (problem,) = caught.value.problems
    assert problem.file == "deep.md" and problem.line == 6
    assert f"at most {limits.MAX_NESTING} levels" in problem.message


@pytest.mark.parametrize("name", ["list", "quote", "emphasis", "stars"])
def test_a_parse_that_fails_deep_in_a_thread_leaves_nothing_for_the_next(name: str) -> None:
    expected = _body_of(NORMAL)
    results: list[object] = []

    def worker() -> None:
        # Deep in the stack the hostile parse runs out of recursion inside Python-Markdown.
        with pytest.raises(kb.ContentError):
            _deep_stack(700, lambda: kb.parse_source(article(key="deep", body=HOSTILE[name])))
        results.append(_body_of(NORMAL))
        results.append(_body_of(article(key="other", body="Top up **online**.")))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert results[0] == expected
    assert t.plain_text(results[1]).strip() == "Top up online."  # type: ignore[arg-type]


def test_nesting_within_the_limit_is_accepted() -> None:
    ok = "\n".join("    " * i + "- level" for i in range(limits.MAX_NESTING))
    unit = kb.parse_source(article(key="fine", body=ok))
    assert limits.tree_nesting(unit.body) == limits.MAX_NESTING
    pickle.dumps(unit)


def test_too_many_brackets_in_a_paragraph_are_refused_at_once() -> None:
    with pytest.raises(kb.ContentError) as caught:
        kb.parse_source(article(key="brackets", body="[" * 100_000))
    assert f"at most {limits.MAX_BRACKETS}" in str(caught.value)


def test_the_line_bound_holds_for_every_sample_article() -> None:
    """The importer trusts the cheap bound: it must never be below the real nesting."""
    for path in sorted(Path(__file__).resolve().parents[2].glob("content/*/*/*.md")):
        split = kb.frontmatter.split_source(kb.normalise_source(path.read_text(encoding="utf-8")), file=str(path))
        bound = max(p.bound for p in limits.paragraphs(split.body))
        assert limits.tree_nesting(kb.parse_source(path.read_text(encoding="utf-8")).body) <= bound


def test_import_refuses_a_deep_article_with_file_and_line(engine: sa.Engine, tmp_path: Path) -> None:
    folder = tmp_path / "content" / "en" / "billing"
    folder.mkdir(parents=True)
    (folder / "fine.md").write_text(article(key="fine", body="Fine."), encoding="utf-8")
    (folder / "deep.md").write_text(article(key="deep", body="Intro.\n\n" + HOSTILE["list"]), encoding="utf-8")
    with pytest.raises(kb.ContentError) as caught:
        kb.import_paths([tmp_path / "content"], engine=engine, publish=True)
    (problem,) = caught.value.problems
    assert problem.file.endswith("deep.md") and problem.line == 8
    assert "nested 200 levels deep" in problem.message
    with kb.read_session(engine) as session:
        assert kb.list_articles(session=session) == []


def test_trees_kept_by_the_old_parser_are_parsed_again(tmp_path: Path) -> None:
    """A parsed-unit file written by the parser that could be poisoned holds empty trees."""
    path = tmp_path / "units.sqlite"
    good = kb.parse_source(NORMAL)
    poisoned = dataclasses.replace(good, body=())
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE units (hash TEXT PRIMARY KEY, format TEXT, tree BLOB)")
        conn.execute(
            "INSERT INTO units VALUES (?, ?, ?)", (good.content_hash, unitfile._shape(), pickle.dumps(poisoned))
        )
    content._cache.clear()
    content.keep_parsed_units(path)
    assert kb.parse_source(NORMAL, digest=good.content_hash).body == good.body


def test_a_unit_that_cannot_be_pickled_is_served_but_not_kept(tmp_path: Path) -> None:
    kept = unitfile.UnitFile(tmp_path / "units.sqlite")
    deep: t.Inline = t.Text("x")
    for _ in range(5000):
        deep = t.Emphasis((deep,))
    unit = dataclasses.replace(kb.parse_source(NORMAL), body=(t.Paragraph((deep,)),), content_hash="deep")
    kept.put(unit)
    assert kept.get("deep") is None


SOURCE_WITH_CODE = article(
    key="code", body="Type `<b>&amp;` then `a < b && c`.\n\n    <i>&lt;</i>\n\n```\n<u>&amp;</u>\n```"
)


@pytest.mark.parametrize(
    ("channel", "fmt", "expected"),
    [
        ("web", "html", "<code>&lt;b&gt;&amp;amp;</code>"),
        ("web", "html", "<code>a &lt; b &amp;&amp; c</code>"),
        ("web", "html", "<pre><code>&lt;i&gt;&amp;lt;&lt;/i&gt;"),
        ("web", "html", "<pre><code>&lt;u&gt;&amp;amp;&lt;/u&gt;"),
        ("sms", "plain", "Type <b>&amp; then a < b && c."),
        ("sms", "plain", "<i>&lt;</i>"),
        ("ivr", "ssml", "Type &lt;b&gt;&amp;amp; then a &lt; b &amp;&amp; c."),
        ("email", "multipart", "Type <b>&amp; then a < b && c."),
    ],
)
def test_code_is_escaped_once_by_each_channel(channel: str, fmt: str, expected: str) -> None:
    unit = kb.parse_source(SOURCE_WITH_CODE)
    assert [n.text for n in t.walk(unit.body) if isinstance(n, t.Code)] == ["<b>&amp;", "a < b && c"]
    out = renderers.render(channel, unit=unit, facts={}, options=renderers.RenderOptions(format=fmt))
    assert expected in out.body

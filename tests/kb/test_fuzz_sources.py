"""Hostile sources, generated: each gives a clear error or a tree, every channel renders it or
refuses cleanly, and a normal article parsed right after is exactly what it was.

Hypothesis writes bodies from the shapes that broke or could break the parser: nesting of
lists, quotes and emphasis past the limit, unclosed and stray channel blocks, fences left
open, big tables, control characters, lone surrogates and brackets by the hundred. The run
is derandomised so `make test` is reproducible; ISTOK_FUZZ_EXAMPLES asks for more locally.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import kb
import renderers
from kb import content, limits
from tests.helpers import article
from tests.renderers.support import load_facts

FACTS = load_facts()
NORMAL = article(
    key="normal",
    body="Dial **{{ balance_ussd }}**, see [top-up](kb:top-up).\n\n- one\n  - two\n\n> quoted `<b>`\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |",
    summary="Dial the code.",
)
SETTINGS = settings(
    max_examples=int(os.environ.get("ISTOK_FUZZ_EXAMPLES", "300")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_ALPHABET = st.characters(
    codec=None,
    categories=("L", "N", "P", "S", "Zs", "Cc", "Cs"),  # Cc: control characters, Cs: lone surrogates
    exclude_characters="\r",
)
text = st.text(_ALPHABET, max_size=40)
markers = st.sampled_from(["- ", "* ", "+ ", "1. ", "> ", "!!! note ", "    ", "\t", "> - "])


@st.composite
def nested(draw: st.DrawFn) -> str:
    """One line opening many containers, or lines indented deeper and deeper."""
    depth = draw(st.integers(0, 2 * limits.MAX_NESTING + 10))
    if draw(st.booleans()):
        return "".join(draw(markers) for _ in range(depth)) + draw(text)
    step = draw(st.sampled_from(["  ", "    ", "\t"]))
    return "\n".join(step * i + draw(st.sampled_from(["- ", "> ", "1. "])) + "x" for i in range(depth))


@st.composite
def emphasis(draw: st.DrawFn) -> str:
    depth = draw(st.integers(0, 2 * limits.MAX_NESTING + 10))
    mark = draw(st.sampled_from(["*", "_", "**", "["]))
    closing = "](kb:top-up)" if mark == "[" else mark
    return mark * depth + draw(text) + closing * draw(st.integers(0, depth))


@st.composite
def table(draw: st.DrawFn) -> str:
    cols = draw(st.integers(1, 12))
    rows = draw(st.integers(0, 300))
    cell = draw(text.map(lambda s: s.replace("\n", " ")))
    head = "|" + "|".join(f" h{i} " for i in range(cols)) + "|"
    rule = "|" + "|".join("---" for _ in range(cols)) + "|"
    return "\n".join([head, rule, *("|" + "|".join(cell for _ in range(cols)) + "|" for _ in range(rows))])


blocks = st.one_of(
    text,
    nested(),
    emphasis(),
    table(),
    st.sampled_from(
        [
            "::: ivr",
            "::: internal",
            "::: bot segment=business",
            "::: sms nonsense",
            "::: nosuch",
            ":::",
            "```",
            "~~~python",
            "# heading",
            "{{ balance_ussd }}",
            "{{ no_such_fact }}",
            "[x]({{ website }})",
            "<script>alert(1)</script>",
            "&amp; &lt; &#0;",
            "[" * 600,
        ]
    ),
)
bodies = st.lists(blocks, max_size=12).map("\n\n".join)


def _parse_fresh(source: str) -> kb.Unit:
    content._cache.clear()
    return kb.parse_source(source)


EXPECTED = _parse_fresh(NORMAL)


@pytest.fixture(autouse=True, scope="module")
def _memory_only() -> None:
    content.keep_parsed_units(None)


def _render_everywhere(unit: kb.Unit) -> None:
    for channel, formats in renderers.FORMATS.items():
        for fmt in formats:
            try:
                out = renderers.render(channel, unit=unit, facts=FACTS, options=renderers.RenderOptions(format=fmt))
            except kb.IstokError:
                continue  # a clean refusal
            if channel == "ivr" and fmt == "ssml":
                etree.fromstring(out.body.encode("utf-8"))  # well-formed XML, whatever the text held


@SETTINGS
@given(body=bodies, summary=st.one_of(st.none(), text))
def test_any_source_parses_or_is_refused_and_harms_nothing_after_it(body: str, summary: str | None) -> None:
    front = {"summary": f'"{summary}"'} if summary and summary.isprintable() and '"' not in summary else {}
    source = article(key="fuzz", body=body or "x", **front)
    try:
        unit = _parse_fresh(source)
    except kb.ContentError as exc:
        assert exc.problems and all(p.line >= 1 and p.message for p in exc.problems)
    else:
        assert limits.tree_nesting((*unit.body, *unit.summary)) <= limits.MAX_NESTING
        _render_everywhere(unit)
    assert _parse_fresh(NORMAL) == EXPECTED


@SETTINGS
@given(body=bodies)
def test_the_cheap_line_bound_never_undercounts(body: str) -> None:
    """The importer parses only sources whose bound passes the limit: the bound must hold."""
    source = article(key="fuzz", body=body or "x")
    try:
        unit = _parse_fresh(source)
    except kb.ContentError:
        return
    split = kb.split_source(kb.normalise_source(source), file="fuzz")
    bound = max((p.bound for p in limits.paragraphs(split.body)), default=0)
    assert limits.tree_nesting(unit.body) <= bound

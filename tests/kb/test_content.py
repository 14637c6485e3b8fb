"""The one-parse content tree: what the parser makes of each construct."""

from __future__ import annotations

import pytest

import kb
from kb import tree as t
from tests.conftest import CONTENT
from tests.helpers import article


def dump_body(body: str) -> str:
    unit = kb.parse_source(article(body=body))
    return "\n".join(line[2:] for line in t.dump(unit).splitlines()[1:])


def test_paragraph_emphasis_code_and_fact() -> None:
    assert dump_body("Dial **{{ balance_ussd }}**, *then* `call`.") == "\n".join(
        [
            "paragraph",
            "  text 'Dial '",
            "  strong",
            "    fact balance_ussd",
            "  text ', '",
            "  emphasis",
            "    text 'then'",
            "  text ' '",
            "  code 'call'",
            "  text '.'",
        ]
    )


def test_headings_get_unique_anchors_including_cyrillic() -> None:
    unit = kb.parse_source(article(body="## Проверка баланса\n\ntext\n\n## Проверка баланса\n\nmore"))
    anchors = [b.anchor for b in unit.body if isinstance(b, t.Heading)]
    assert anchors == ["проверка-баланса", "проверка-баланса-2"]


def test_lists_tables_and_code() -> None:
    body = """
    1. Restart the router.
    2. Check the cable.

    | Zone | Price |
    |:-----|------:|
    | EU   | 0     |

    ```sh
    ping {{ not_a_fact }}
    ```
    """
    unit = kb.parse_source(article(body=body))
    lst, table, code = unit.body
    assert isinstance(lst, t.ListBlock) and lst.ordered and len(lst.items) == 2
    assert isinstance(table, t.Table)
    assert [t.plain_text(c.children) for c in table.header] == ["Zone", "Price"]
    assert [c.align for c in table.header] == ["left", "right"]
    assert isinstance(code, t.CodeBlock) and code.language == "sh"
    assert code.text == "ping {{ not_a_fact }}\n"
    assert unit.facts == frozenset()  # facts inside code are literal text


def test_links_to_articles_by_key() -> None:
    unit = kb.parse_source(article(body="See [the bill](kb:understand-bill#charges) or [site](https://x.example)."))
    links = [n for n in t.walk(unit.body) if isinstance(n, t.Link)]
    assert [(ln.article_key, ln.anchor, ln.href) for ln in links] == [
        ("understand-bill", "charges", "kb:understand-bill#charges"),
        (None, None, "https://x.example"),
    ]
    assert unit.links == frozenset({"understand-bill"})


def test_raw_html_stays_text() -> None:
    unit = kb.parse_source(article(body='<script>alert(1)</script>\n\nHi <b onclick="x()">there</b> &amp; bye'))
    text = t.plain_text(unit.body)
    assert "<script>alert(1)</script>" in text
    assert '<b onclick="x()">there</b> &amp; bye' in text
    kinds = {type(n).__name__ for n in t.walk(unit.body)}
    assert kinds <= {"Paragraph", "Text"}


def test_channel_blocks_with_segments() -> None:
    body = """
    General text.

    ::: ivr
    Say this on the phone.
    :::

    ::: bot segment=business
    For business clients.
    :::

    ::: bot
    For everyone.
    :::

    ::: internal
    Check billing first.
    :::
    """
    unit = kb.parse_source(article(body=body))
    assert [type(b).__name__ for b in unit.general()] == ["Paragraph"]
    ivr = unit.block_for("ivr")
    assert ivr is not None and t.plain_text(ivr.children).strip() == "Say this on the phone."
    business = unit.block_for("bot", segment="business")
    everyone = unit.block_for("bot")
    assert business is not None and "business" in t.plain_text(business.children)
    assert everyone is not None and "everyone" in t.plain_text(everyone.children)
    assert unit.block_for("sms") is None


def test_summary_is_parsed_inline_with_facts() -> None:
    unit = kb.parse_source(article(summary="Dial {{ balance_ussd }} and press call."))
    assert [type(n).__name__ for n in unit.summary] == ["Text", "Fact", "Text"]
    assert "balance_ussd" in unit.facts


def test_same_source_parses_once() -> None:
    source = article(body="Cached body.")
    assert kb.parse_source(source) is kb.parse_source(source)


def test_hash_ignores_status_and_layout_but_not_words() -> None:
    a = kb.parse_source(article(status="draft"))
    b = kb.parse_source(article(status="published"))
    c = kb.parse_source(article(body="Different words."))
    assert a.content_hash == b.content_hash != c.content_hash


def test_sample_article_tree_dump() -> None:
    unit = kb.parse_source((CONTENT / "ru" / "billing" / "check-balance.md").read_text("utf-8"))
    dumped = t.dump(unit)
    assert "channelblock internal" in dumped and "fact balance_ussd" in dumped
    assert "link article=understand-bill" in dumped


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("Text\n\n::: ivr\nnever closed", 8, "'::: ivr' is never closed"),
        ("::: fax\nhello\n:::", 6, "unknown block '::: fax'"),
        ("::: ivr\n::: sms\nx\n:::\n:::", 7, "opens a block inside '::: ivr'"),
        ("text\n:::\n", 7, "closes a block that was never opened"),
        ("::: bot colour=red\nx\n:::", 6, "takes only 'segment=NAME'"),
        ("See [our site]({{ website }}).", 6, "a fact cannot be a link target"),
    ],
)
def test_block_errors_name_the_line(body: str, line: int, message: str) -> None:
    with pytest.raises(kb.ContentError) as err:
        kb.parse_source(article(body=body), file="a.md")
    problem = err.value.problems[0]
    assert (problem.file, problem.line) == ("a.md", line)
    assert message in problem.message


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("---\nkey: a\nlocale: en\ntitle: [oops\n---\nbody\n", 5, "broken YAML"),
        ("---\nkey: a\nlocale: en\n---\nbody\n", 2, "missing required key 'title'"),
        ("---\nlocale: en\ntitle: T\n---\nbody\n", 2, "missing required key 'key'"),
        ("---\nkey: a\ntitle: T\n---\nbody\n", 2, "missing required key 'locale'"),
        ("---\nkey: a\nlocale: en\ntitle: T\ncolour: red\n---\nbody\n", 5, "unknown front-matter key 'colour'"),
        ("---\nkey: A B\nlocale: en\ntitle: T\n---\nbody\n", 2, "must be lowercase"),
        ("---\nkey: a\nlocale: en\ntitle: T\nstatus: live\n---\n", 5, "status must be"),
        ("no front matter\n", 1, "must start with '---'"),
        ("---\nkey: a\n", 1, "never closed"),
    ],
)
def test_front_matter_errors_name_the_line(source: str, line: int, message: str) -> None:
    with pytest.raises(kb.ContentError) as err:
        kb.parse_source(source, file="f.md")
    assert any(p.line == line and message in p.message for p in err.value.problems), err.value.problems


def test_unknown_facts_are_found_with_their_lines() -> None:
    source = article(body="Call {{ support_phone }}.\n\nOr {{ fax_number }}.\n\n`{{ in_code }}`")
    problems = kb.unknown_facts(source, {"support_phone"}, file="x.md")
    assert [(p.line, p.message) for p in problems] == [(8, "unknown fact {{ fax_number }}")]

"""Properties over generated articles: secrets never leak, SSML and Telegram HTML are always valid.

Hypothesis writes Markdown sources with front matter, Cyrillic and Latin text, markup
characters, lists, tables, links (known, unknown, external, bare), facts (known,
unknown, without a value for the locale) and channel blocks, with an `internal` and
an `operator` block carrying a marker no generated word can spell.
"""

from __future__ import annotations

import email
import json
import re
from email import policy
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import kb
from renderers import FORMATS, RenderOptions, render
from tests.renderers.support import load_facts, make_fact

MARKER = "QZX-SECRET"  # Q, Z and X are not in the generated alphabet, so only a leak spells it
FACTS = load_facts() | {
    "de_only": make_fact("de_only", "text", "", {"de": "nur Deutsch"}),
}
FACT_KEYS = [*sorted(FACTS), "no_such_fact"]
ARTICLES = {"top-up": "kak-popolnit-schet", "autopay": "avtoplatezh"}
TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "blockquote", "tg-spoiler"}  # fmt: skip
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_LETTERS = "abcdefghijklmnoprstuvwyабвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґABCDEFЖЯЇ0123456789"
words = st.text(_LETTERS, min_size=1, max_size=10).filter(lambda w: "http" not in w.lower())
punctuation = st.sampled_from([",", ".", "!", "?", " &", " <", ">", ' "', "'", " —", "«", "»", ";",
                               "(", ")", " *", "_", " `", "\\", " #", " |", " ~", "&amp;", "<b>",
                               " €", " [", "]", " 😀"])  # fmt: skip


@st.composite
def inline(draw: st.DrawFn) -> str:
    """A run of words with markup: emphasis, code, links of every kind, facts."""
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.integers(0, 12))
        word = draw(words)
        if kind == 0:
            parts.append(f"**{word}**")
        elif kind == 1:
            parts.append(f"*{word}*")
        elif kind == 2:
            parts.append(f"`{word}`")
        elif kind == 3:
            target = draw(st.sampled_from(["top-up", "autopay", "unknown-article", "top-up#anchor"]))
            parts.append(f"[{word}](kb:{target})")
        elif kind == 4:
            parts.append(f"[{word}](https://example.org/{word}?a=1&b=2)")
        elif kind == 5:
            parts.append(draw(st.sampled_from(["<https://example.org/auto>", "https://bare.example/x",
                                               "www.example.com", "sfera.example"])))  # fmt: skip
        elif kind == 6:
            parts.append(f"{{{{ {draw(st.sampled_from(FACT_KEYS))} }}}}")
        else:
            parts.append(word + draw(st.one_of(st.just(""), punctuation)))
    return " ".join(parts)


@st.composite
def block(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return f"## {draw(words)} {draw(words)}"
    if kind == 1:
        items = draw(st.lists(inline(), min_size=1, max_size=4))
        return "\n".join(f"- {i}" for i in items)
    if kind == 2:
        items = draw(st.lists(inline(), min_size=1, max_size=4))
        return "\n".join(f"{n}. {i}" for n, i in enumerate(items, 1))
    if kind == 3:
        rows = draw(st.lists(st.tuples(words, inline()), min_size=1, max_size=3))
        return "| a | b |\n|---|---|\n" + "\n".join(f"| {a} | {b} |" for a, b in rows)
    if kind == 4:
        return f"> {draw(inline())}"
    return draw(inline())


@st.composite
def document(draw: st.DrawFn) -> tuple[kb.Unit, str]:
    """A whole source with public blocks, channel blocks and staff-only blocks, parsed."""
    locale = draw(st.sampled_from(["ru", "uk", "en"]))
    blocks = draw(st.lists(block(), min_size=1, max_size=8))
    for channel in draw(st.lists(st.sampled_from(["bot", "sms", "ivr", "web", "email"]), unique=True)):
        blocks.append(f"::: {channel}\n{draw(inline())}\n:::")
    secret = f"{MARKER}{draw(st.integers(0, 999))}"
    staff = [f"::: internal\n{draw(inline())} {secret} {draw(inline())}\n:::",
             f"::: operator\n{secret}\n:::"]  # fmt: skip
    for piece in staff:
        blocks.insert(draw(st.integers(0, len(blocks))), piece)
    front = {"key": "gen", "locale": locale, "title": draw(inline())}
    if draw(st.booleans()):
        front["summary"] = draw(inline())
    head = "\n".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items())
    return kb.parse_source(f"---\n{head}\n---\n" + "\n\n".join(blocks) + "\n"), secret


def _options(fmt: str | None = None, **more: object) -> RenderOptions:
    return RenderOptions(format=fmt, articles=ARTICLES, base_url="https://help.example", **more)  # type: ignore[arg-type]


@SETTINGS
@given(document())
def test_internal_content_never_reaches_a_public_channel(doc: tuple[kb.Unit, str]) -> None:
    unit, secret = doc
    for channel in ("web", "bot", "sms", "ivr", "email"):
        for fmt in FORMATS[channel]:
            out = render(channel, unit=unit, facts=FACTS, options=_options(fmt))
            assert MARKER not in out.body, (channel, fmt)
            assert MARKER not in json.dumps(out.as_dict(), ensure_ascii=False), (channel, fmt)
    mail = render("email", unit=unit, facts=FACTS, options=_options())
    message = email.message_from_bytes(mail.body.encode(), policy=policy.default)
    for part in message.iter_parts():  # type: ignore[attr-defined]
        assert MARKER not in part.get_content()
    for fmt in FORMATS["operator"]:
        card = render("operator", unit=unit, facts=FACTS, options=_options(fmt))
        assert secret in card.body
        replies = json.dumps(card.meta["replies"], ensure_ascii=False)
        assert MARKER not in replies


@SETTINGS
@given(document(), st.sampled_from(["ssml", "plain"]))
def test_ssml_is_well_formed_and_reads_no_address(doc: tuple[kb.Unit, str], fmt: str) -> None:
    unit, _ = doc
    out = render("ivr", unit=unit, facts=FACTS, options=_options(fmt))
    if fmt == "ssml":
        root = etree.fromstring(out.body.encode())
        assert root.tag == "{http://www.w3.org/2001/10/synthesis}speak"
        assert root.get("version") == "1.1"
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") in ("ru-RU", "uk-UA", "en-US")
        spoken = "".join(root.itertext())
    else:
        spoken = out.body
    assert "http" not in spoken.lower()
    assert "www." not in spoken
    assert out.meta["duration_s"] > 0 or not spoken.strip()


class _TelegramChecker(HTMLParser):
    """Only Telegram's tags, only href on <a>, every tag closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in TELEGRAM_TAGS, tag
        assert [name for name, _ in attrs] == (["href"] if tag == "a" else []), (tag, attrs)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag


@SETTINGS
@given(document(), st.integers(min_value=200, max_value=4096))
def test_telegram_output_is_valid_escaped_and_within_limit(doc: tuple[kb.Unit, str], cap: int) -> None:
    unit, _ = doc
    out = render("bot", unit=unit, facts=FACTS, options=_options("telegram", bot_max_chars=cap))
    checker = _TelegramChecker()
    checker.feed(out.body)
    checker.close()
    assert checker.stack == []
    outside_tags = re.sub(r"</?[a-z-]+(?: href=\"[^\"<>]*\")?>", "", out.body)
    assert "<" not in outside_tags and ">" not in outside_tags
    assert not re.search(r"&(?!(?:amp|lt|gt|quot);)", out.body)
    assert len(out.body) <= 4096
    assert len(out.body) <= cap or out.warnings


@SETTINGS
@given(document())
def test_every_channel_renders_whole_or_warns(doc: tuple[kb.Unit, str]) -> None:
    unit, _ = doc
    for channel, formats in FORMATS.items():
        for fmt in formats:
            out = render(channel, unit=unit, facts=FACTS, options=_options(fmt))
            assert out.body.strip()
    sms = render("sms", unit=unit, facts=FACTS, options=_options())
    assert sms.meta["segments"] <= 3 or sms.warnings
    literal = kb.tree.plain_text(unit.body) + kb.tree.plain_text(unit.summary) + unit.title
    for syntax in re.findall(r"\*\*|\]\(|^#+ ", sms.body, re.M):  # only where the author wrote it
        assert syntax in literal, syntax

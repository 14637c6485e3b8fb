"""Bad input in every channel: a warning and a whole output, never a crash, never half a message."""

from __future__ import annotations

import email
import json
from email import policy

import pytest
from lxml import etree

import kb
from renderers import FORMATS, RenderOptions, render
from tests.renderers.support import make_fact, unit_of

FACTS = {
    "support_phone": make_fact("support_phone", "phone", "+37167000100"),
    "ru_only": make_fact("ru_only", "text", "", {"ru": "только по-русски"}),
}
CHANNEL_FORMATS = [(c, f) for c, formats in FORMATS.items() for f in formats]


def assert_whole(out_channel: str, fmt: str, body: str) -> None:
    """The output is a complete document of its kind, not a cut one."""
    if out_channel == "ivr" and fmt == "ssml":
        etree.fromstring(body.encode())
    elif out_channel == "email":
        message = email.message_from_bytes(body.encode(), policy=policy.default)
        assert len(list(message.iter_parts())) == 2  # type: ignore[attr-defined]
    elif out_channel == "operator" and fmt == "json":
        json.loads(body)
    elif fmt in ("html", "telegram"):
        etree.fromstring(f"<root>{body.replace('&nbsp;', ' ')}</root>".encode(), etree.HTMLParser())
    assert body.strip()


def _everywhere(body: str) -> str:
    return body + "\n\n" + "\n".join(f"::: {c}\n{body}\n:::" for c in ("bot", "sms", "ivr"))


@pytest.mark.parametrize(("channel", "fmt"), CHANNEL_FORMATS)
def test_fact_without_value_for_the_locale(channel: str, fmt: str) -> None:
    unit = unit_of(_everywhere("Часы: {{ ru_only }}."), locale="en", title="Hours", summary="Hours.")
    out = render(channel, unit=unit, facts=FACTS, options=RenderOptions(format=fmt))
    assert "fact 'ru_only' has no value for locale 'en'; shown as [ru_only]" in out.warnings
    assert_whole(channel, fmt, out.body)


@pytest.mark.parametrize(("channel", "fmt"), CHANNEL_FORMATS)
def test_link_to_an_unknown_article(channel: str, fmt: str) -> None:
    unit = unit_of(_everywhere("См. [статью](kb:gone)."), summary="См. [статью](kb:gone).")
    out = render(channel, unit=unit, facts=FACTS, options=RenderOptions(format=fmt, articles={}))
    if channel != "ivr":  # a link is only its words on the phone: nothing to resolve
        assert "link to unknown article 'gone' in locale 'ru'; shown as text" in out.warnings
    assert "kb:gone" not in out.body
    assert_whole(channel, fmt, out.body)


@pytest.fixture(scope="module")
def over_long() -> kb.Unit:
    """A unit too long for every capped channel, summary and channel blocks included."""
    long = "Это очень длинное предложение про тарифы и роуминг. " * 400
    return unit_of(_everywhere(long), summary=long, title="Очень длинная статья")


@pytest.mark.parametrize(("channel", "fmt"), CHANNEL_FORMATS)
def test_over_long_unit(channel: str, fmt: str, over_long: kb.Unit) -> None:
    out = render(channel, unit=over_long, facts=FACTS, options=RenderOptions(format=fmt))
    assert_whole(channel, fmt, out.body)
    if channel in ("bot", "sms", "ivr"):
        assert out.warnings, "a capped channel must say the unit did not fit"
    if channel == "sms":
        assert out.meta["segments"] <= 2  # the block is over the cap: the short form takes two parts
        assert out.body == "Это очень длинное предложение про тарифы и роуминг.\nПодробнее: /help/ru/test-article"
    if channel == "bot":
        assert len(out.body) <= 4096
        title = "<p>Очень длинная статья</p>\n" if fmt == "html" else "Очень длинная статья\n\n"
        assert out.body.startswith(title)  # the title, then the link
        assert "/help/ru/test-article" in out.body.splitlines()[-1]
    if channel == "ivr":
        assert out.meta["source"] == "summary"

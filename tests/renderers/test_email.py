"""Email: source in, a multipart/alternative message whose two parts say the same out."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage

import kb
from renderers import RenderOptions, render_email
from tests.renderers.support import make_fact, unit_of

FACTS = {"support_phone": make_fact("support_phone", "phone", "+37167000100")}
OPTIONS = RenderOptions(base_url="https://help.example", articles={"top-up": "kak-popolnit-schet"})
SOURCE = """
Звоните {{ support_phone }} или [пополните](kb:top-up).

- раз
- два

::: internal
Секрет.
:::
"""


def parse(body: str) -> EmailMessage:
    message = email.message_from_bytes(body.encode("utf-8"), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_email_parts_golden() -> None:
    out = render_email(unit=unit_of(SOURCE, title="Как связаться", slug="s"), facts=FACTS, locale="ru", options=OPTIONS)
    assert out.media_type == "message/rfc822"
    assert out.meta["subject"] == "Как связаться"
    assert out.meta["text"] == (
        "Как связаться\n\n"
        "Звоните +371 67 000 100 или пополните (https://help.example/help/ru/kak-popolnit-schet).\n\n"
        "• раз\n• два\n\n"
        "Полный ответ: https://help.example/help/ru/s\n"
    )
    assert out.meta["html"] == (
        '<!DOCTYPE html>\n<html lang="ru">\n<head><meta charset="utf-8"><title>Как связаться</title></head>\n'
        "<body>\n<h1>Как связаться</h1>\n"
        '<p>Звоните <a href="tel:+37167000100">+371 67 000 100</a> или '
        '<a href="https://help.example/help/ru/kak-popolnit-schet">пополните</a>.</p>\n'
        "<ul><li>раз</li><li>два</li></ul>\n"
        '<p><a href="https://help.example/help/ru/s">Полный ответ</a></p>\n</body>\n</html>\n'
    )
    assert out.warnings == ()


def test_body_is_a_multipart_alternative_message_with_both_parts() -> None:
    out = render_email(unit=unit_of(SOURCE, title="Как связаться"), facts=FACTS, locale="ru", options=OPTIONS)
    message = parse(out.body)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "Как связаться"
    assert message["Content-Language"] == "ru"
    assert message["MIME-Version"] == "1.0"
    text, html = list(message.iter_parts())
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert text.get_content() == out.meta["text"]
    assert html.get_content() == out.meta["html"]
    assert "MIME-Version" not in text and "MIME-Version" not in html
    assert "Секрет" not in out.body


def test_same_input_gives_the_same_bytes() -> None:
    unit = unit_of(SOURCE)
    first = render_email(unit=unit, facts=FACTS, locale="ru", options=OPTIONS).body
    assert render_email(unit=unit, facts=FACTS, locale="ru", options=OPTIONS).body == first


def test_very_long_line_is_quoted_printable_and_still_reads_back() -> None:
    unit = unit_of("Длинная строка " * 200)
    out = render_email(unit=unit, facts=FACTS, locale="ru", options=OPTIONS)
    text = next(parse(out.body).iter_parts())
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert text.get_content() == out.meta["text"]
    assert all(len(line) <= 998 for line in out.body.split("\n"))


def test_email_block_wins() -> None:
    unit = unit_of("Общий.\n\n::: email\nДля письма.\n:::", title="T")
    out = render_email(unit=unit, facts=FACTS, locale="ru", options=OPTIONS)
    assert out.meta["text"].startswith("T\n\nДля письма.\n\n")
    assert out.meta["source"] == "block"


def test_every_link_in_both_parts_is_absolute_even_a_path_on_our_site() -> None:
    source = "См. [тарифы](/help/ru/tarify) и [пополнение](kb:top-up).\n"
    out = render_email(unit=unit_of(source, title="Ссылки", slug="s"), facts=FACTS, locale="ru", options=OPTIONS)
    text, html = (part.get_content() for part in parse(out.body).iter_parts())
    assert "тарифы (https://help.example/help/ru/tarify)" in text
    assert "Полный ответ: https://help.example/help/ru/s" in text
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs == [
        "https://help.example/help/ru/tarify",
        "https://help.example/help/ru/kak-popolnit-schet",
        "https://help.example/help/ru/s",
    ]


def test_every_sample_email_links_only_to_absolute_addresses(
    samples: list[kb.Unit], facts: dict[str, kb.FactValue], slugs: dict[str, dict[str, str]]
) -> None:
    for unit in samples:
        options = RenderOptions(base_url="https://help.example", articles=slugs[unit.locale])
        out = render_email(unit=unit, facts=facts, locale=unit.locale, options=options)
        text, html = (part.get_content() for part in parse(out.body).iter_parts())
        url = f"https://help.example/help/{unit.locale}/{unit.slug}"
        assert f'<a href="{url}">' in html and f": {url}" in text, unit.key
        for href in re.findall(r'href="([^"]*)"', html):
            assert re.match(r"^(https://|tel:|mailto:)", href), (unit.key, href)

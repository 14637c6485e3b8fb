"""Chatbots: source in, the exact message in plain, Markdown, Telegram HTML and WhatsApp out."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from renderers import RelatedArticle, RenderOptions, UnknownFormat, render_bot
from tests.renderers.support import make_fact, unit_of

FACTS = {
    "support_phone": make_fact("support_phone", "phone", "+37167000100"),
    "website": make_fact("website", "url", "https://sfera.example"),
}
BASE = RenderOptions(base_url="https://help.example", articles={"top-up": "kak-popolnit-schet"})
BOT_BLOCK = (
    "Общий текст.\n\n::: bot\n"
    "**Звоните** {{ support_phone }} или [пополните](kb:top-up) — *быстро* & <легко>.\n\n"
    "- раз\n- два\n:::"
)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (
            "plain",
            "Звоните +371 67 000 100 или пополните (https://help.example/help/ru/kak-popolnit-schet)"
            " — быстро & <легко>.\n\n• раз\n• два\n\nПодробнее: https://help.example/help/ru/t",
        ),
        (
            "markdown",
            "**Звоните** [+371 67 000 100](tel:+37167000100) или "
            "[пополните](https://help.example/help/ru/kak-popolnit-schet) — *быстро* & \\<легко\\>."
            "\n\n- раз\n- два\n\n[Подробнее](https://help.example/help/ru/t)",
        ),
        (
            "telegram",
            "<b>Звоните</b> +371 67 000 100 или "
            '<a href="https://help.example/help/ru/kak-popolnit-schet">пополните</a> — '
            "<i>быстро</i> &amp; &lt;легко&gt;.\n\n• раз\n• два\n\n"
            '<a href="https://help.example/help/ru/t">Подробнее</a>',
        ),
        (
            "whatsapp",
            "*Звоните* +371 67 000 100 или пополните (https://help.example/help/ru/kak-popolnit-schet)"
            " — _быстро_ & <легко>.\n\n- раз\n- два\n\nПодробнее: https://help.example/help/ru/t",
        ),
    ],
)
def test_bot_block_in_every_format(fmt: str, expected: str) -> None:
    unit = unit_of(BOT_BLOCK, summary="Кратко.", slug="t")
    out = render_bot(unit=unit, facts=FACTS, locale="ru", options=_with(fmt))
    assert out.body == expected
    assert out.meta["source"] == "block"
    assert out.warnings == ()


def test_answer_falls_back_to_summary_then_first_paragraph() -> None:
    with_summary = unit_of("Первый абзац.\n\nВторой.", summary="Короткий ответ.", slug="t")
    without = unit_of("Первый абзац.\n\nВторой.", slug="t")
    plain = _with("plain")
    out = render_bot(unit=with_summary, facts=FACTS, locale="ru", options=plain)
    assert (out.body, out.meta["source"]) == (
        "Короткий ответ.\n\nПодробнее: https://help.example/help/ru/t",
        "summary",
    )
    out = render_bot(unit=without, facts=FACTS, locale="ru", options=plain)
    assert out.meta["source"] == "paragraph"
    assert out.body.startswith("Первый абзац.\n\n")


def test_quick_replies_are_three_related_questions_without_itself() -> None:
    related = [
        RelatedArticle("Как пополнить счёт?", "top-up"),
        ("Сама статья", "test-article"),
        ("Автоплатёж", "autopay"),
        ("Баланс", "check-balance"),
        ("Лишний", "extra"),
    ]
    options = RenderOptions(base_url="https://help.example", articles={"top-up": "kak-popolnit-schet"}, related=related)
    out = render_bot(unit=unit_of("Текст."), facts=FACTS, locale="ru", options=options)
    assert out.meta["quick_replies"] == [
        {"title": "Как пополнить счёт?", "key": "top-up", "url": "https://help.example/help/ru/kak-popolnit-schet"},
        {"title": "Автоплатёж", "key": "autopay", "url": "https://help.example/help/ru/autopay"},
        {"title": "Баланс", "key": "check-balance", "url": "https://help.example/help/ru/check-balance"},
    ]


def test_telegram_without_absolute_base_url_keeps_links_as_text() -> None:
    """Telegram refuses relative links, so with no base URL the address is shown, not linked."""
    unit = unit_of("::: bot\n[пополните](kb:top-up)\n:::", slug="t")
    out = render_bot(
        unit=unit, facts=FACTS, locale="ru", options=RenderOptions(format="telegram", articles={"top-up": "x"})
    )
    assert out.body == "пополните\n\nПодробнее: /help/ru/t"


def test_over_long_answer_gives_way_and_stays_within_telegram_limit() -> None:
    unit = unit_of("::: bot\n" + "Очень длинный ответ <бота>. " * 300 + "\n:::", summary="Кратко.", slug="t")
    out = render_bot(unit=unit, facts=FACTS, locale="ru", options=_with("telegram"))
    assert out.body == 'Кратко.\n\n<a href="https://help.example/help/ru/t">Подробнее</a>'
    assert len(out.body) <= 4096
    assert out.warnings == ("the bot answer from the block is 10255 characters, over the cap of 4096",)


def test_telegram_output_is_balanced_html() -> None:
    unit = unit_of(BOT_BLOCK + "\n", slug="t")
    out = render_bot(unit=unit, facts=FACTS, locale="ru", options=_with("telegram"))
    _TagChecker().check(out.body)


def test_unknown_format_names_the_known_ones() -> None:
    with pytest.raises(UnknownFormat) as err:
        render_bot(unit=unit_of("x"), facts=FACTS, locale="ru", options=RenderOptions(format="viber"))
    assert err.value.status == 422
    assert err.value.detail == "channel 'bot' has no format 'viber' (formats: plain, markdown, telegram, whatsapp)"


def _with(fmt: str) -> RenderOptions:
    return RenderOptions(format=fmt, base_url=BASE.base_url, articles=BASE.articles)


class _TagChecker(HTMLParser):
    def check(self, body: str) -> None:
        self.stack: list[str] = []
        self.feed(body)
        self.close()
        assert self.stack == []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack.pop() == tag


def test_segment_variant_of_a_block_wins_for_its_audience() -> None:
    unit = unit_of("::: bot\nДля всех.\n:::\n\n::: bot segment=business\nДля бизнеса.\n:::", slug="t")
    everyone = render_bot(unit=unit, facts=FACTS, locale="ru", options=RenderOptions())
    business = render_bot(unit=unit, facts=FACTS, locale="ru", options=RenderOptions(segment="business"))
    other = render_bot(unit=unit, facts=FACTS, locale="ru", options=RenderOptions(segment="students"))
    assert everyone.body.startswith("Для всех.") and other.body.startswith("Для всех.")
    assert business.body.startswith("Для бизнеса.")


def test_markdown_escapes_what_would_turn_into_markup() -> None:
    unit = unit_of("::: bot\n\\# не заголовок, 2\\. не список, a\\*b\\_c \\[d\\] <e>\n:::", slug="t")
    out = render_bot(unit=unit, facts=FACTS, locale="ru", options=_with("markdown"))
    assert out.body.splitlines()[0] == "\\# не заголовок, 2. не список, a\\*b\\_c \\[d\\] \\<e\\>"

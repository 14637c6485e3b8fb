"""Chatbots: source in, the exact message in plain, Markdown, Telegram HTML and WhatsApp out."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

import kb
from renderers import RelatedArticle, RenderOptions, UnknownFormat, render_bot
from renderers.compact import steps_of
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
    known = "plain, markdown, telegram, whatsapp, html"
    assert err.value.detail == f"channel 'bot' has no format 'viber' (formats: {known})"


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


# ---- the compact form: summary, steps, link; no table, no whole body ------------------

ARTICLE = (
    "Пополнить счёт можно картой, наличными или переводом.\n\n"
    "| Способ | Когда |\n|---|---|\n| Картой | сразу |\n| Переводом | 1–3 дня |\n\n"
    "## Картой в приложении\n\n"
    "1. Откройте **«Сферу»** и нажмите *«Пополнить»*.\n"
    "2. Введите сумму & <подтвердите>.\n\n"
    "Ещё один абзац, которого в чате нет.\n\n"
    "::: internal\nСЕКРЕТ-ОПЕРАТОРА\n:::\n"
)
COMPACT = {
    "plain": "Картой в приложении, сразу.\n\n1. Откройте «Сферу» и нажмите «Пополнить».\n"
    "2. Введите сумму & <подтвердите>.\n\nПодробнее: https://help.example/help/ru/t",
    "markdown": "Картой в приложении, сразу.\n\n1. Откройте **«Сферу»** и нажмите *«Пополнить»*.\n"
    "2. Введите сумму & \\<подтвердите\\>.\n\n[Подробнее](https://help.example/help/ru/t)",
    "telegram": "Картой в приложении, сразу.\n\n1. Откройте <b>«Сферу»</b> и нажмите <i>«Пополнить»</i>.\n"
    '2. Введите сумму &amp; &lt;подтвердите&gt;.\n\n<a href="https://help.example/help/ru/t">Подробнее</a>',
    "whatsapp": "Картой в приложении, сразу.\n\n1. Откройте *«Сферу»* и нажмите _«Пополнить»_.\n"
    "2. Введите сумму & <подтвердите>.\n\nПодробнее: https://help.example/help/ru/t",
    "html": "<p>Картой в приложении, сразу.</p>\n<ol><li>Откройте <strong>«Сферу»</strong> и нажмите "
    "<em>«Пополнить»</em>.</li><li>Введите сумму &amp; &lt;подтвердите&gt;.</li></ol>\n"
    '<p class="more"><a class="more" href="https://help.example/help/ru/t">Подробнее</a></p>',
}


@pytest.mark.parametrize("fmt", list(COMPACT))
def test_without_a_bot_block_the_answer_is_summary_steps_and_link(fmt: str) -> None:
    unit = unit_of(ARTICLE, summary="Картой в приложении, сразу.", slug="t")
    out = render_bot(unit=unit, facts=FACTS, locale="ru", options=_with(fmt))
    assert out.body == COMPACT[fmt]
    assert "Переводом" not in out.body and "Ещё один абзац" not in out.body  # no table, no rest of the body
    assert "СЕКРЕТ" not in out.body
    assert (out.meta["source"], out.meta["summary"]) == ("summary", "Картой в приложении, сразу.")
    assert out.warnings == ()


def test_steps_are_dropped_before_the_summary_when_over_the_cap() -> None:
    unit = unit_of(ARTICLE, summary="Картой в приложении, сразу.", slug="t")
    options = RenderOptions(base_url=BASE.base_url, bot_max_chars=90)
    out = render_bot(unit=unit, facts=FACTS, locale="ru", options=options)
    assert out.body == "Картой в приложении, сразу.\n\nПодробнее: https://help.example/help/ru/t"
    assert out.meta["source"] == "summary"


#: Telegram Bot API, "HTML style": the only tags and named entities a message may hold
#: (https://core.telegram.org/bots/api#html-style).
TELEGRAM_TAGS = {
    "b": set(),
    "strong": set(),
    "i": set(),
    "em": set(),
    "u": set(),
    "ins": set(),
    "s": set(),
    "strike": set(),
    "del": set(),
    "span": {"class"},
    "tg-spoiler": set(),
    "a": {"href"},
    "tg-emoji": {"emoji-id"},
    "code": {"class"},
    "pre": set(),
    "blockquote": {"expandable"},
}
TELEGRAM_ENTITIES = {"lt", "gt", "amp", "quot"}


class _TelegramChecker(HTMLParser):
    """Fails on a tag, attribute or named entity outside Telegram's set, or an unbalanced tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in TELEGRAM_TAGS, f"<{tag}> is not a Telegram tag"
        assert {name for name, _ in attrs} <= TELEGRAM_TAGS[tag], (tag, attrs)
        if tag == "a":
            self.links.append(dict(attrs)["href"] or "")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack.pop() == tag

    def handle_entityref(self, name: str) -> None:
        assert name in TELEGRAM_ENTITIES, f"&{name}; is not a Telegram entity"


def test_every_sample_in_telegram_html_uses_only_telegrams_tags_and_a_real_link(
    samples: list[kb.Unit], facts: dict[str, kb.FactValue], slugs: dict[str, dict[str, str]]
) -> None:
    for unit in samples:
        options = RenderOptions(format="telegram", base_url="https://help.example", articles=slugs[unit.locale])
        out = render_bot(unit=unit, facts=facts, locale=unit.locale, options=options)
        checker = _TelegramChecker()
        checker.feed(out.body)
        checker.close()
        assert checker.stack == [], unit.key
        assert checker.links[-1] == f"https://help.example/help/{unit.locale}/{unit.slug}", unit.key
        assert re.search(r"&(?!(?:lt|gt|amp|quot);)", out.body) is None, unit.key  # a bare & Telegram refuses
        if unit.block_for("bot") is None and steps_of(unit) is not None:
            assert "\n1. " in out.body, unit.key  # the steps, numbered as text: Telegram has no lists


def test_every_sample_in_whatsapp_has_a_bare_url_and_no_html_or_markdown_links(
    samples: list[kb.Unit], facts: dict[str, kb.FactValue], slugs: dict[str, dict[str, str]]
) -> None:
    for unit in samples:
        options = RenderOptions(format="whatsapp", base_url="https://help.example", articles=slugs[unit.locale])
        out = render_bot(unit=unit, facts=facts, locale=unit.locale, options=options)
        url = f"https://help.example/help/{unit.locale}/{unit.slug}"
        assert out.body.endswith(f": {url}"), unit.key
        assert not re.search(r"</?[a-z]+[ >]|\]\(|\*\*", out.body), unit.key  # no "**100#*"


def test_whatsapp_leaves_emphasis_off_text_holding_its_own_marker() -> None:
    """WhatsApp has no escaping: "*" around "*100#" would read as "**100#*", so the words stay plain."""
    unit = unit_of("::: bot\nНаберите **\\*100#** или _a\\_b_ и **звоните**.\n:::", slug="t")
    out = render_bot(unit=unit, facts=FACTS, locale="ru", options=_with("whatsapp"))
    assert out.body.splitlines()[0] == "Наберите *100# или a_b и *звоните*."

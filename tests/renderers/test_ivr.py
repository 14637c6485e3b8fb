"""The phone menu: source in, the exact SSML 1.1 (and plain words) a speech engine gets out."""

from __future__ import annotations

from lxml import etree

from renderers import RenderOptions, render_ivr
from tests.renderers.support import make_fact, unit_of

FACTS = {
    "support_phone": make_fact("support_phone", "phone", "+37167000100"),
    "topup_minimum": make_fact("topup_minimum", "money", "5.00 EUR"),
    "porting_days": make_fact("porting_days", "number", 3),
    "website": make_fact("website", "url", "https://sfera.example"),
    "balance_ussd": make_fact("balance_ussd", "text", "*100#"),
}
SPEAK = '<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="{}">'

SOURCE = """
Звоните {{ support_phone }} & наберите {{ balance_ussd }}: минимум **{{ topup_minimum }}**, срок {{ porting_days }} дня.

## Как пополнить

1. Откройте [приложение](https://app.example/x) или сайт {{ website }}.
2. Или зайдите на {{ website }}, а не на https://evil.example/path.

::: internal
Секрет.
:::
"""


def test_ssml_golden() -> None:
    out = render_ivr(unit=unit_of(SOURCE), facts=FACTS, locale="ru", options=RenderOptions())
    assert out.body == (
        SPEAK.format("ru-RU") + "<p>Звоните "
        '<say-as interpret-as="telephone">+371 67 000 100</say-as> &amp; наберите '
        "звёздочка один ноль ноль решётка: минимум "
        '<emphasis level="moderate">пять евро</emphasis>, срок '
        "три дня.</p>"
        '<p>Как пополнить.</p><break time="300ms"/>'
        '<p>Шаг первый.<break time="200ms"/>Откройте приложение или сайт.<break time="400ms"/>'
        'Шаг второй.<break time="200ms"/>Или зайдите на нашем сайте, а не на нашем сайте.'
        '<break time="400ms"/></p></speak>'
    )
    assert out.media_type == "application/ssml+xml; charset=utf-8"
    assert out.meta["source"] == "general"
    assert out.warnings == ()
    root = etree.fromstring(out.body.encode())
    assert root.tag == "{http://www.w3.org/2001/10/synthesis}speak"


def test_plain_form_says_the_same_in_words() -> None:
    out = render_ivr(unit=unit_of(SOURCE), facts=FACTS, locale="ru", options=RenderOptions(format="plain"))
    assert out.body == (
        "Звоните плюс три семь один, шесть семь, ноль ноль ноль, один ноль ноль & наберите "
        "звёздочка один ноль ноль решётка: минимум пять евро, срок три дня.\n"
        "Как пополнить.\n"
        "Шаг первый. Откройте приложение или сайт. Шаг второй. Или зайдите на нашем сайте, "
        "а не на нашем сайте."
    )
    assert out.media_type == "text/plain; charset=utf-8"


def test_english_and_ukrainian_voices() -> None:
    unit = unit_of("Visit {{ website }} or call {{ support_phone }}.", locale="en", title="t")
    out = render_ivr(unit=unit, facts=FACTS, locale="en", options=RenderOptions())
    assert out.body == (
        SPEAK.format("en-US") + "<p>Visit on our website or call "
        '<say-as interpret-as="telephone">+371 67 000 100</say-as>.</p></speak>'
    )
    uk = unit_of("1. Крок.\n2. Ще.", locale="uk")
    body = render_ivr(unit=uk, facts=FACTS, locale="uk", options=RenderOptions(format="plain")).body
    assert body == "Крок перший. Крок. Крок другий. Ще."


def test_ivr_block_wins_and_duration_is_estimated() -> None:
    unit = unit_of("Длинный общий текст.\n\n::: ivr\nКороткий ответ для звонка.\n:::")
    out = render_ivr(unit=unit, facts=FACTS, locale="ru", options=RenderOptions(revision=3))
    assert out.body == SPEAK.format("ru-RU") + "<p>Короткий ответ для звонка.</p></speak>"
    assert out.meta == {
        "duration_s": 2.0,
        "max_duration_s": 45.0,
        "source": "block",
        "lang": "ru-RU",
        "key": "test-article",
        "locale": "ru",
        "revision": 3,
        "content_hash": unit.content_hash,
    }


def test_long_general_text_gives_way_to_the_summary_quietly() -> None:
    unit = unit_of("Очень длинный текст про тарифы. " * 40, summary="Коротко о тарифах.")
    out = render_ivr(unit=unit, facts=FACTS, locale="ru", options=RenderOptions())
    assert out.body == SPEAK.format("ru-RU") + "<p>Коротко о тарифах.</p></speak>"
    assert (out.meta["source"], out.warnings) == ("summary", ())


def test_ivr_block_over_the_cap_is_an_editors_warning() -> None:
    unit = unit_of("::: ivr\n" + "Очень длинный текст. " * 40 + "\n:::", summary="Кратко.")
    out = render_ivr(unit=unit, facts=FACTS, locale="ru", options=RenderOptions(ivr_max_seconds=30))
    assert out.body == SPEAK.format("ru-RU") + "<p>Кратко.</p></speak>"
    assert out.warnings == ("the ivr block runs 60.0 s, over the cap of 30 s; speaking the summary",)


def test_over_long_summary_is_spoken_whole_with_a_warning() -> None:
    unit = unit_of("Текст. " * 200, summary="Очень длинное резюме. " * 50)
    out = render_ivr(unit=unit, facts=FACTS, locale="ru", options=RenderOptions())
    assert out.meta["source"] == "summary"
    assert out.warnings == ("the summary still runs 75.0 s, over the cap of 45 s",)
    etree.fromstring(out.body.encode())  # still a whole document


def test_markup_in_text_is_escaped_never_interpreted() -> None:
    unit = unit_of('Текст <break time="10s"/> & "кавычки" <speak>.', title="x")
    out = render_ivr(unit=unit, facts=FACTS, locale="ru", options=RenderOptions())
    root = etree.fromstring(out.body.encode())
    assert "".join(root.itertext()) == 'Текст <break time="10s"/> & "кавычки" <speak>.'


def test_a_list_counted_from_zero_is_spoken_in_ukrainian() -> None:
    """num2words has no Ukrainian ordinal for 0: the step is said as a number, and the rest is spoken."""
    uk = unit_of("0. Відкрийте застосунок.\n1. Поповніть рахунок.", locale="uk")
    body = render_ivr(unit=uk, facts=FACTS, locale="uk", options=RenderOptions(format="plain")).body
    assert body == "Крок нуль. Відкрийте застосунок. Крок перший. Поповніть рахунок."
